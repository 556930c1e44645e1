//! The dashboard over builds: per-region usage of every build, the largest growers between
//! consecutive builds, and the latest build's full report, as one value that the HTML
//! dashboard draws (`render::html`). Builds are JSON reports (`report --format json`,
//! usually with `--label` provenance).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::budget::file::{Amount, BudgetFile, LimitDecl};
use crate::budget::snapshot::{self, RegionDelta, SnapRegion, Snapshot, SymbolChange};
use crate::error::Error;
use crate::report::REPORT_SCHEMA;

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
    /// The latest build's report, as read (the treemap is drawn from it).
    pub latest: serde_json::Value,
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

/// The report files named on the command line; a directory stands for its `*.json` files
/// in file-name order.
pub fn input_files(args: &[PathBuf]) -> Result<Vec<PathBuf>, Error> {
    let mut files = Vec::new();
    for arg in args {
        if arg.is_dir() {
            let io_err = |source| Error::Io {
                path: arg.display().to_string(),
                source,
            };
            let mut found: Vec<PathBuf> = std::fs::read_dir(arg)
                .map_err(io_err)?
                .map(|e| e.map(|e| e.path()))
                .collect::<Result<_, _>>()
                .map_err(io_err)?;
            found.retain(|p| p.extension().is_some_and(|e| e == "json") && p.is_file());
            found.sort();
            files.extend(found);
        } else {
            files.push(arg.clone());
        }
    }
    if files.is_empty() {
        return Err(Error::Usage(
            "dashboard: no report files (give REPORT.json files or a directory of them)".into(),
        ));
    }
    Ok(files)
}

/// Reads one JSON report, checking its schema tag.
pub fn read_report(path: &Path) -> Result<serde_json::Value, Error> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
        path: path.display().to_string(),
        source,
    })?;
    let value: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| Error::Usage(format!("{}: not JSON: {e}", path.display())))?;
    if value.get("schema").and_then(|s| s.as_str()) != Some(REPORT_SCHEMA) {
        return Err(Error::Usage(format!(
            "{}: not a membudget report (expected \"schema\": \"{REPORT_SCHEMA}\")",
            path.display()
        )));
    }
    Ok(value)
}

fn labels_of(value: &serde_json::Value) -> BTreeMap<String, String> {
    value
        .get("labels")
        .and_then(|l| l.as_object())
        .map(|o| {
            o.iter()
                .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                .collect()
        })
        .unwrap_or_default()
}

/// The dashboard of `reports` (path, value), in the given order, or by their `date` labels
/// when every report has one (ISO dates sort as text; ties keep the given order).
pub fn build(
    mut reports: Vec<(PathBuf, serde_json::Value)>,
    budget: Option<&BudgetFile>,
    top: usize,
) -> Result<Dashboard, Error> {
    let dates: Option<Vec<String>> = reports
        .iter()
        .map(|(_, v)| labels_of(v).get("date").cloned())
        .collect();
    if let Some(dates) = dates {
        let mut order: Vec<usize> = (0..reports.len()).collect();
        order.sort_by(|&a, &b| dates[a].cmp(&dates[b]));
        let mut slots: Vec<Option<(PathBuf, serde_json::Value)>> =
            reports.into_iter().map(Some).collect();
        reports = order.iter().map(|&i| slots[i].take().unwrap()).collect();
    }
    let mut builds = Vec::new();
    let mut snaps = Vec::new();
    for (path, value) in &reports {
        let snap = Snapshot::from_report_json(value.clone(), 0)
            .map_err(|e| Error::Usage(format!("{}: malformed report: {e}", path.display())))?;
        builds.push(Build {
            file: snap.file.clone(),
            labels: labels_of(value),
            regions: snap.regions.clone(),
        });
        snaps.push(snap);
    }
    let steps = snaps
        .windows(2)
        .enumerate()
        .map(|(i, pair)| {
            let d = snapshot::delta(&pair[0], &pair[1]);
            Step {
                from: i,
                to: i + 1,
                regions: d.regions,
                growers: growers(d.symbols, top),
            }
        })
        .collect();
    let latest = reports.pop().map(|(_, v)| v).unwrap_or_default();
    let limits = budget
        .map(|b| limits(b, builds.last().map(|b| &b.regions[..]).unwrap_or(&[])))
        .unwrap_or_default();
    Ok(Dashboard {
        schema: DASHBOARD_SCHEMA,
        builds,
        limits,
        steps,
        latest,
    })
}

/// What grew: symbols that grew or appeared, and symbols that moved region (their whole size
/// is new to the region they moved into), largest first.
fn growers(symbols: snapshot::SymbolDelta, top: usize) -> Vec<SymbolChange> {
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

fn limits(budget: &BudgetFile, regions: &[SnapRegion]) -> Vec<Limit> {
    regions
        .iter()
        .filter_map(|r| {
            let decls: Vec<_> = budget
                .human
                .limits
                .iter()
                .filter(|l| l.region == r.name)
                .collect();
            if decls.is_empty() {
                return None;
            }
            // The last declaration of each level wins, as in `check`.
            let at = |pick: fn(&LimitDecl) -> Option<Amount>| {
                decls
                    .iter()
                    .rev()
                    .find_map(|l| pick(l))
                    .map(|a| a.bytes_of(r.length))
            };
            Some(Limit {
                region: r.name.clone(),
                warn_at: at(|l| l.warn),
                fail_at: at(|l| l.fail),
            })
        })
        .collect()
}
