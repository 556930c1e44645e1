//! The dashboard over builds: per-region usage of every build, the largest growers between
//! consecutive builds, and the latest build's full report, as one value that the HTML
//! dashboard draws ([`crate::render::html`]). Builds are reports read back from their JSON
//! (`report --format json`, usually with `--label` provenance).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::budget::{self, BudgetFile};
use crate::diff::{self, RegionDelta, SnapRegion, Snapshot, SymbolChange, SymbolDelta};
use crate::report::Report;

/// Version of the dashboard value embedded in the page.
pub const DASHBOARD_SCHEMA: &str = "membudget.dashboard/1";

/// Everything the dashboard page draws.
#[derive(Debug, Clone, Serialize)]
pub struct Dashboard {
    /// [`DASHBOARD_SCHEMA`].
    pub schema: &'static str,
    /// Oldest first.
    pub builds: Vec<Build>,
    /// Region limits from `--budget`, in bytes of the latest build's regions.
    pub limits: Vec<Limit>,
    /// `steps[i]` goes from `builds[i]` to `builds[i + 1]`.
    pub steps: Vec<Step>,
    /// The latest build's report (the treemap is drawn from it).
    pub latest: Report,
    /// The firmware the builds are of, by ELF file name and region names, in order of
    /// first appearance: more than one means the reports are of unrelated images.
    pub firmware: Vec<Firmware>,
}

/// One firmware among the builds: what tells builds of unrelated images apart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Firmware {
    /// ELF file name.
    pub file: String,
    /// Region names, in the report's order.
    pub regions: Vec<String>,
    /// Indices of its builds in [`Dashboard::builds`].
    pub builds: Vec<usize>,
}

/// The firmware of each build: builds of one firmware share the ELF file name and the
/// region names (region sizes may change from build to build).
fn firmware(reports: &[Report]) -> Vec<Firmware> {
    let mut out: Vec<Firmware> = Vec::new();
    for (i, r) in reports.iter().enumerate() {
        let regions: Vec<String> = r.regions.iter().map(|g| g.name.clone()).collect();
        match out
            .iter_mut()
            .find(|f| f.file == r.file && f.regions == regions)
        {
            Some(f) => f.builds.push(i),
            None => out.push(Firmware {
                file: r.file.clone(),
                regions,
                builds: vec![i],
            }),
        }
    }
    out
}

/// A budget's region limits, in bytes of `report`'s regions, exactly as `check` computes
/// them.
pub fn region_limits(budget: &BudgetFile, report: &Report) -> Vec<Limit> {
    budget::evaluate(budget, report)
        .regions
        .into_iter()
        .filter(|r| r.warn_at.is_some() || r.fail_at.is_some())
        .map(|r| Limit {
            region: r.name,
            warn_at: r.warn_at,
            fail_at: r.fail_at,
        })
        .collect()
}

/// One build: its provenance and region totals.
#[derive(Debug, Clone, Serialize)]
pub struct Build {
    /// ELF file name of the build.
    pub file: String,
    /// The report's `--label` provenance.
    pub labels: BTreeMap<String, String>,
    /// Region totals, in the report's order.
    pub regions: Vec<SnapRegion>,
}

/// A region's budget limits, in bytes of `used + reserved`.
#[derive(Debug, Clone, Serialize)]
pub struct Limit {
    /// Region name.
    pub region: String,
    /// Warning level, when the budget sets one.
    pub warn_at: Option<u64>,
    /// Failure level, when the budget sets one.
    pub fail_at: Option<u64>,
}

/// What changed between two consecutive builds.
#[derive(Debug, Clone, Serialize)]
pub struct Step {
    /// Index of the older build in [`Dashboard::builds`].
    pub from: usize,
    /// Index of the newer build.
    pub to: usize,
    /// Region deltas, as `diff` gives them.
    pub regions: Vec<RegionDelta>,
    /// Symbols that grew, appeared or moved with more bytes, largest growth first.
    pub growers: Vec<SymbolChange>,
}

/// The dashboard of `reports`, in the given order, or by their `date` labels when every
/// report has one (ISO dates sort as text; ties keep the given order). `None` without
/// reports.
pub fn build(
    mut reports: Vec<Report>,
    budget: Option<&BudgetFile>,
    top: usize,
) -> Option<Dashboard> {
    if reports.iter().all(|r| r.labels.contains_key("date")) {
        reports.sort_by(|a, b| a.labels["date"].cmp(&b.labels["date"]));
    }
    let snaps: Vec<Snapshot> = reports
        .iter()
        .map(|r| Snapshot::from_report(r, 0))
        .collect();
    let builds = reports
        .iter()
        .zip(&snaps)
        .map(|(r, s)| Build {
            file: r.file.clone(),
            labels: r.labels.clone(),
            regions: s.regions.clone(),
        })
        .collect();
    let steps = snaps
        .windows(2)
        .enumerate()
        .map(|(i, pair)| {
            let d = diff::delta(&pair[0], &pair[1]);
            Step {
                from: i,
                to: i + 1,
                regions: d.regions,
                growers: growers(d.symbols, top),
            }
        })
        .collect();
    let firmware = firmware(&reports);
    let latest = reports.pop()?;
    // The limits for the latest build.
    let limits = budget
        .map(|b| region_limits(b, &latest))
        .unwrap_or_default();
    Some(Dashboard {
        schema: DASHBOARD_SCHEMA,
        builds,
        limits,
        steps,
        latest,
        firmware,
    })
}

/// What grew: symbols that grew or appeared, and symbols that moved region (their whole size
/// is new to the region they moved into), largest first.
fn growers(symbols: SymbolDelta, top: usize) -> Vec<SymbolChange> {
    let growth = |c: &SymbolChange| match (&c.old, &c.new) {
        (Some(o), Some(n)) if o.region != n.region => n.bytes as i64,
        _ => c.delta,
    };
    let mut all: Vec<SymbolChange> = symbols
        .grown
        .into_iter()
        .chain(symbols.added)
        .chain(symbols.moved)
        .filter(|c| growth(c) > 0)
        .collect();
    all.sort_by(|a, b| growth(b).cmp(&growth(a)).then(a.name.cmp(&b.name)));
    if top > 0 {
        all.truncate(top);
    }
    all
}
