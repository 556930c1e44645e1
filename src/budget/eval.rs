//! Checking a report against a budget: one [`CheckResult`] value that lists every failure
//! and warning (as [`Finding`] data) and the changes since the baseline. One function per
//! rule. Going over budget is a result, not an error.

use serde::Serialize;

use crate::diff::{self, Delta, SnapGroup, Snapshot, SymbolChange};
use crate::report::{Report, SymbolUsage, Warning};

use super::finding::{Finding, Tolerance};
use super::matching::{allowed_growth, compile_glob, growth_excess, GroupMatcher};
use super::model::{BudgetFile, GroupDecl, Growth, Level, StackDecl};

/// Version of the JSON check result layout.
pub const CHECK_SCHEMA: &str = "membudget.check/1";

/// The verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Within budget, no warnings.
    Pass,
    /// Within budget, with warnings.
    Warn,
    /// Over budget.
    Fail,
}

/// The outcome of checking one report against one budget.
#[derive(Debug, Clone)]
pub struct CheckResult {
    /// `membudget.check/1`.
    pub schema: String,
    /// ELF file name.
    pub file: String,
    /// Budget file name.
    pub budget: String,
    /// The verdict.
    pub status: Status,
    /// Broken rules.
    pub failures: Vec<Finding>,
    /// Rules close to breaking, or remarks (no baseline, empty group...).
    pub warnings: Vec<Finding>,
    /// One row per region.
    pub regions: Vec<RegionRow>,
    /// The stack row, when the budget sets a stack minimum and there is a stack.
    pub stack: Option<StackRow>,
    /// One row per group.
    pub groups: Vec<GroupRow>,
    /// Changes since the baseline (`None` when the budget has no baseline yet).
    pub changes: Option<Delta>,
    /// Analysis remarks that are not budget findings.
    pub notes: Vec<Warning>,
}

/// A region with its limits.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct RegionRow {
    /// Region name.
    pub name: String,
    /// First address.
    pub origin: u64,
    /// Size in bytes.
    pub length: u64,
    /// Bytes of sections and load images.
    pub used: u64,
    /// Bytes of stack, heap and reservations.
    pub reserved: u64,
    /// Bytes left.
    pub free: u64,
    /// `(used + reserved) / length`, in percent.
    pub percent_used: f64,
    /// Warning and failure levels of `used + reserved`, in bytes, when the budget sets them.
    pub warn_at: Option<u64>,
    /// Failure limit of `used + reserved`, in bytes.
    pub fail_at: Option<u64>,
    /// Change of `used + reserved` since the baseline.
    pub delta: Option<i64>,
    /// Bytes past the region's end, counted as GNU ld counts them (load images too).
    pub overflow: u64,
}

/// The stack against its minimum.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct StackRow {
    /// Region of the stack.
    pub region: Option<String>,
    /// Room the stack has.
    pub size: u64,
    /// Whether the stack has a size of its own (or grows into free space).
    pub sized: bool,
    /// Warning level.
    pub warn_below: Option<u64>,
    /// Failure limit.
    pub fail_below: Option<u64>,
    /// Change of size since the baseline.
    pub delta: Option<i64>,
    /// Worst case of the main stack from the static analysis (with `stack.analysis`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub need: Option<u64>,
    /// Whether `need` is complete (else a lower bound).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub need_complete: Option<bool>,
    /// Headroom asked above `need`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub margin: Option<u64>,
}

/// A group of symbols with its limits.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct GroupRow {
    /// Group name.
    pub name: String,
    /// Bytes of its symbols.
    pub bytes: u64,
    /// Number of symbols.
    pub symbols: usize,
    /// Warning level.
    pub warn_at: Option<u64>,
    /// Failure limit.
    pub fail_at: Option<u64>,
    /// Regions the group may live in, when restricted.
    pub regions: Option<Vec<String>>,
    /// Regions its symbols are in, with bytes.
    pub placed: Vec<(String, u64)>,
    /// Change of its bytes since the baseline (when the baseline recorded the group).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delta: Option<i64>,
}

impl CheckResult {
    /// 0 when within budget, 1 when over (or when warned and `deny_warnings`).
    pub fn exit_code(&self, deny_warnings: bool) -> i32 {
        if !self.failures.is_empty() || (deny_warnings && !self.warnings.is_empty()) {
            crate::error::EXIT_OVER_BUDGET
        } else {
            crate::error::EXIT_OK
        }
    }
}

/// Failures and warnings, as they are found.
#[derive(Default)]
struct Findings {
    failures: Vec<Finding>,
    warnings: Vec<Finding>,
}

impl Findings {
    fn push(&mut self, level: Level, f: Finding) {
        match level {
            Level::Fail => self.failures.push(f),
            Level::Warn => self.warnings.push(f),
            Level::Ignore => {}
        }
    }
}

/// Check `report` against the budget (and its baseline, when there is one).
pub fn evaluate(budget: &BudgetFile, report: &Report) -> CheckResult {
    let mut f = Findings::default();
    reservations(report, &mut f);
    overflows(report, &mut f);
    unmapped(&budget.human.outside_regions, report, &mut f);
    stack_in_reservation(report, &mut f);
    // Placement warnings are findings above; the rest are remarks about the analysis.
    let notes = report
        .warnings
        .iter()
        .filter(|w| !w.is_placement())
        .cloned()
        .collect();
    let changes = budget.baseline.as_ref().map(|base| {
        let now = Snapshot::from_report(report, 0);
        diff::delta(base, &now)
    });
    let regions = region_limits(budget, report, changes.as_ref(), &mut f);
    let stack = budget
        .human
        .stack
        .as_ref()
        .and_then(|sd| stack_room(budget, sd, report, &mut f));
    if let Some(sd) = &budget.human.stack {
        stack_need(sd, report, &mut f);
    }
    let groups = budget
        .human
        .groups
        .iter()
        .map(|g| group(g, report, budget.baseline.as_ref(), &mut f))
        .collect();
    match &changes {
        None => f.push(
            Level::Warn,
            Finding::NoBaseline {
                budget: budget.label.clone(),
            },
        ),
        Some(d) => growth(budget, d, &mut f),
    }
    let status = if !f.failures.is_empty() {
        Status::Fail
    } else if !f.warnings.is_empty() {
        Status::Warn
    } else {
        Status::Pass
    };
    CheckResult {
        schema: CHECK_SCHEMA.to_string(),
        file: report.file.clone(),
        budget: budget.label.clone(),
        status,
        failures: f.failures,
        warnings: f.warnings,
        regions,
        stack,
        groups,
        changes,
        notes,
    }
}

/// Any byte of a section inside a reservation is a failure.
fn reservations(report: &Report, f: &mut Findings) {
    for r in &report.reservations {
        for o in &r.sections {
            f.push(
                Level::Fail,
                Finding::Reservation {
                    reservation: r.name.clone(),
                    origin: r.origin,
                    end: r.origin.saturating_add(r.length),
                    section: o.section.clone(),
                    bytes: o.bytes,
                },
            );
        }
    }
}

/// A region that overflows fails, by GNU ld's figure: run addresses and load images
/// (`.data`'s initialiser copy) alike, from the region's end to the end of the last thing
/// ld put in it. A section's own overflow would miss load images and count only itself.
fn overflows(report: &Report, f: &mut Findings) {
    for r in report.regions.iter().filter(|r| r.overflow > 0) {
        f.push(
            Level::Fail,
            Finding::Overflow {
                region: r.name.clone(),
                // Sorted by address: the last one is the one past the end.
                section: r.sections.last().cloned().unwrap_or_default(),
                bytes: r.overflow,
            },
        );
    }
}

/// A stack whose first byte is reserved overwrites someone else's memory on its first push.
fn stack_in_reservation(report: &Report, f: &mut Findings) {
    let Some(st) = &report.stack else { return };
    let first = st.top.saturating_sub(1);
    for r in report
        .reservations
        .iter()
        .filter(|r| first >= r.origin && first < r.origin.saturating_add(r.length))
    {
        f.push(
            Level::Fail,
            Finding::StackInReservation {
                reservation: r.name.clone(),
                top: st.top,
            },
        );
    }
}

/// Sections outside every region fail, unless the budget expects them there.
fn unmapped(expected: &[String], report: &Report, f: &mut Findings) {
    // Validated when the budget was loaded.
    let expected: Vec<_> = expected
        .iter()
        .filter_map(|p| compile_glob(p).ok())
        .collect();
    for name in &report.unmapped {
        if expected.iter().any(|g| g.is_match(name)) {
            continue;
        }
        f.push(
            Level::Fail,
            Finding::Unmapped {
                section: name.clone(),
            },
        );
    }
}

/// Region occupancy against the budget's limits; one row per region.
fn region_limits(
    budget: &BudgetFile,
    report: &Report,
    changes: Option<&Delta>,
    f: &mut Findings,
) -> Vec<RegionRow> {
    let mut rows = Vec::new();
    for r in &report.regions {
        let occupied = r.used + r.reserved;
        let mut warn_at = None;
        let mut fail_at = None;
        for l in budget.human.limits.iter().filter(|l| l.region == r.name) {
            for (amount, level) in [(l.warn, Level::Warn), (l.fail, Level::Fail)] {
                let Some(amount) = amount else { continue };
                let at = amount.bytes_of(r.length);
                match level {
                    Level::Warn => warn_at = Some(at),
                    _ => fail_at = Some(at),
                }
                // Warn only when it does not fail already.
                let fails_too =
                    level == Level::Warn && l.fail.is_some_and(|x| occupied > x.bytes_of(r.length));
                if occupied > at && !fails_too {
                    f.push(
                        level,
                        Finding::RegionLimit {
                            region: r.name.clone(),
                            level,
                            limit: amount,
                            at,
                            occupied,
                            percent_used: r.percent_used,
                        },
                    );
                }
            }
        }
        rows.push(RegionRow {
            name: r.name.clone(),
            origin: r.origin,
            length: r.length,
            used: r.used,
            reserved: r.reserved,
            free: r.free,
            percent_used: r.percent_used,
            warn_at,
            fail_at,
            delta: changes
                .and_then(|c| c.region(&r.name))
                .filter(|d| d.old.is_some())
                .map(|d| d.delta),
            overflow: r.overflow,
        });
    }
    rows
}

/// Room for the stack against the budget's minimum.
fn stack_room(
    budget: &BudgetFile,
    sd: &StackDecl,
    report: &Report,
    f: &mut Findings,
) -> Option<StackRow> {
    let Some(st) = &report.stack else {
        let minimum = sd.fail_below.or(sd.warn_below).map(|s| s.0).unwrap_or(0);
        f.push(Level::Fail, Finding::StackMissing { minimum });
        return None;
    };
    let checks = [(sd.fail_below, Level::Fail), (sd.warn_below, Level::Warn)];
    if let Some((min, level)) = checks
        .into_iter()
        .find_map(|(min, level)| min.filter(|m| st.size < m.0).map(|m| (m.0, level)))
    {
        f.push(
            level,
            Finding::Stack {
                level,
                minimum: min,
                size: st.size,
            },
        );
    }
    let base = budget.baseline.as_ref().and_then(|b| b.stack.as_ref());
    let need = report.stack_need.as_ref().filter(|_| sd.analysis.is_some());
    Some(StackRow {
        region: st.region.clone(),
        size: st.size,
        sized: st.sized,
        warn_below: sd.warn_below.map(|s| s.0),
        fail_below: sd.fail_below.map(|s| s.0),
        delta: base.map(|b| st.size as i64 - b.size as i64),
        need: need.map(|n| n.total),
        need_complete: need.map(|n| n.complete),
        margin: need.map(|n| sd.margin.map_or(0, |m| m.bytes_of(n.total))),
    })
}

/// The analysed worst case against the room the stack has, when the budget turns the
/// analysis on: the main stack (plus margin) must fit, every thread (plus one exception
/// frame and margin) must fit its own stack, and nothing may stay unresolved.
fn stack_need(sd: &StackDecl, report: &Report, f: &mut Findings) {
    if sd.analysis.is_none() {
        return;
    }
    let Some(need) = &report.stack_need else {
        return;
    };
    let margin = |worst: u64| sd.margin.map_or(0, |m| m.bytes_of(worst));
    let room = report.stack.as_ref().map(|s| s.size);
    if room.is_none_or(|room| need.total + margin(need.total) > room) {
        f.push(
            Level::Fail,
            Finding::StackNeed {
                need: need.total,
                margin: margin(need.total),
                room,
                complete: need.complete,
            },
        );
    }
    for t in &need.roots {
        let Some(size) = t.stack_size else { continue };
        let total = t.worst_case + need.exception_entry;
        if total + margin(total) > size {
            f.push(
                Level::Fail,
                Finding::ThreadStack {
                    thread: t.name.clone(),
                    need: total,
                    margin: margin(total),
                    size,
                },
            );
        }
    }
    if !need.unresolved.is_empty() {
        f.push(
            Level::Fail,
            Finding::StackIncomplete {
                unresolved: need.unresolved.clone(),
            },
        );
    }
}

/// Each root's worst-case stack against its baseline value.
fn stack_growth(g: &Growth, d: &Delta, f: &mut Findings) {
    for r in &d.stack_roots {
        let (Some(old), Some(new)) = (r.old, r.new) else {
            continue;
        };
        if let Some(over) = growth_excess(g, old, new) {
            f.push(
                g.level,
                Finding::StackGrowth {
                    root: r.name.clone(),
                    tolerance: tolerance(g, old),
                    old,
                    new,
                    delta: r.delta,
                    over,
                },
            );
        }
    }
}

/// Every group's bytes, for the baseline.
pub fn group_totals(budget: &BudgetFile, report: &Report) -> Vec<SnapGroup> {
    budget
        .human
        .groups
        .iter()
        .map(|g| {
            let m = GroupMatcher::new(&g.matcher);
            SnapGroup {
                name: g.name.clone(),
                bytes: report
                    .symbols
                    .iter()
                    .filter(|s| m.matches(s))
                    .map(|s| s.bytes)
                    .sum(),
            }
        })
        .collect()
}

/// A group's symbols: not empty, within its limit, in the regions it may use, and grown
/// no more than its tolerance since the baseline.
fn group(g: &GroupDecl, report: &Report, base: Option<&Snapshot>, f: &mut Findings) -> GroupRow {
    let m = GroupMatcher::new(&g.matcher);
    let members: Vec<&SymbolUsage> = report.symbols.iter().filter(|s| m.matches(s)).collect();
    let total: u64 = members.iter().map(|s| s.bytes).sum();
    let old = base
        .and_then(|b| b.groups.iter().find(|x| x.name == g.name))
        .map(|x| x.bytes);
    if let (Some(old), Some(t)) = (old, &g.growth) {
        if let Some(over) = growth_excess(t, old, total) {
            f.push(
                t.level,
                Finding::GroupGrowth {
                    group: g.name.clone(),
                    tolerance: tolerance(t, old),
                    old,
                    new: total,
                    over,
                },
            );
        }
    }
    if members.is_empty() {
        f.push(
            Level::Warn,
            Finding::GroupEmpty {
                group: g.name.clone(),
            },
        );
    }
    let limits = [(g.fail, Level::Fail), (g.warn, Level::Warn)];
    if let Some((limit, level)) = limits
        .into_iter()
        .find_map(|(l, level)| l.filter(|l| total > l.0).map(|l| (l.0, level)))
    {
        f.push(
            level,
            Finding::GroupLimit {
                group: g.name.clone(),
                level,
                limit,
                bytes: total,
                symbols: members.len(),
            },
        );
    }
    if let Some(allowed) = &g.regions {
        for s in &members {
            let region = s.region.as_deref().unwrap_or("no region");
            if !allowed.iter().any(|a| a == region) {
                f.push(
                    Level::Fail,
                    Finding::GroupRegion {
                        group: g.name.clone(),
                        symbol: s.name.clone(),
                        bytes: s.bytes,
                        region: s.region.clone(),
                        allowed: allowed.clone(),
                    },
                );
            }
        }
    }
    let mut placed: Vec<(String, u64)> = Vec::new();
    for s in &members {
        let region = s.region.clone().unwrap_or_else(|| "-".into());
        match placed.iter_mut().find(|(r, _)| *r == region) {
            Some(p) => p.1 += s.bytes,
            None => placed.push((region, s.bytes)),
        }
    }
    placed.sort();
    GroupRow {
        name: g.name.clone(),
        bytes: total,
        symbols: members.len(),
        warn_at: g.warn.map(|s| s.0),
        fail_at: g.fail.map(|s| s.0),
        regions: g.regions.clone(),
        placed,
        delta: old.map(|o| total as i64 - o as i64),
    }
}

fn tolerance(t: &Growth, old: u64) -> Tolerance {
    Tolerance {
        bytes: t.bytes.map(|b| b.0),
        percent: t.percent,
        allowed: allowed_growth(t, old).unwrap_or(0),
    }
}

/// Growth since the baseline, against the budget's tolerances.
fn growth(budget: &BudgetFile, d: &Delta, f: &mut Findings) {
    let Some(t) = &budget.human.tolerance else {
        return;
    };
    for r in &d.regions {
        let (Some(old), Some(new)) = (r.old, r.new) else {
            continue;
        };
        let g = t
            .regions
            .iter()
            .find(|x| x.region == r.name)
            .map(|x| x.growth())
            .or(t.region);
        let Some(g) = g else { continue };
        if let Some(over) = growth_excess(&g, old, new) {
            f.push(
                g.level,
                Finding::RegionGrowth {
                    region: r.name.clone(),
                    tolerance: tolerance(&g, old),
                    old,
                    new,
                    delta: r.delta,
                    over,
                },
            );
        }
    }
    let symbol_tolerance = |name: &str| -> Option<Growth> {
        for s in &t.symbols {
            if compile_glob(&s.pattern).is_ok_and(|g| g.is_match(name)) {
                return Some(s.growth());
            }
        }
        t.symbol
    };
    symbol_growth(d, &symbol_tolerance, f);
    new_symbols(d, &symbol_tolerance, f);
    if let Some(g) = t.stack {
        stack_growth(&g, d, f);
    }
    let moved_level = t.moved.unwrap_or(Level::Warn);
    for c in &d.symbols.moved {
        let (Some(o), Some(n)) = (&c.old, &c.new) else {
            continue;
        };
        f.push(
            moved_level,
            Finding::Moved {
                symbol: c.name.clone(),
                bytes: n.bytes,
                from: o.region.clone(),
                to: n.region.clone(),
                old_section: o.section.clone(),
                new_section: n.section.clone(),
            },
        );
    }
}

/// Baseline symbols that grew (in place or while moving) past their tolerance.
fn symbol_growth(d: &Delta, tolerance_of: &dyn Fn(&str) -> Option<Growth>, f: &mut Findings) {
    let grew = d
        .symbols
        .grown
        .iter()
        .chain(d.symbols.moved.iter().filter(|c| c.delta > 0));
    for c in grew {
        let (Some(o), Some(n)) = (&c.old, &c.new) else {
            continue;
        };
        let Some(g) = tolerance_of(&c.name) else {
            continue;
        };
        if let Some(over) = growth_excess(&g, o.bytes, n.bytes) {
            f.push(
                g.level,
                symbol_finding(c, tolerance(&g, o.bytes), false, o.bytes, over),
            );
        }
    }
}

/// New symbols larger than their byte tolerance. They have no size to take a percentage
/// of: only a byte tolerance applies.
fn new_symbols(d: &Delta, tolerance_of: &dyn Fn(&str) -> Option<Growth>, f: &mut Findings) {
    for c in &d.symbols.added {
        let Some(n) = &c.new else { continue };
        let Some(g) = tolerance_of(&c.name) else {
            continue;
        };
        let Some(b) = g.bytes else { continue };
        if n.bytes > b.0 {
            let t = Tolerance {
                bytes: Some(b.0),
                percent: None,
                allowed: b.0,
            };
            f.push(g.level, symbol_finding(c, t, true, 0, n.bytes - b.0));
        }
    }
}

fn symbol_finding(
    c: &SymbolChange,
    tolerance: Tolerance,
    new_symbol: bool,
    old: u64,
    over: u64,
) -> Finding {
    Finding::SymbolGrowth {
        symbol: c.name.clone(),
        section: c
            .new
            .as_ref()
            .map(|p| p.section.clone())
            .unwrap_or_default(),
        tolerance,
        new_symbol,
        old,
        new: c.new.as_ref().map_or(0, |p| p.bytes),
        delta: c.delta,
        over,
    }
}
