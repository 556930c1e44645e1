//! Checking a report against a budget: one [`CheckResult`] value that lists every failure
//! and warning (what, limit, actual, over by) and the changes since the baseline. Going over
//! budget is a result, not an error.

use globset::{GlobBuilder, GlobMatcher};
use serde::Serialize;

use crate::render::human;
use crate::report::{Report, SymbolUsage};

use super::file::{Amount, BudgetFile, Growth, Level, MatchDecl};
use super::snapshot::{self, Delta, Snapshot, SymbolChange};

/// Version of the JSON check result layout.
pub const CHECK_SCHEMA: &str = "membudget.check/1";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pass,
    Warn,
    Fail,
}

#[derive(Debug, Clone, Serialize)]
pub struct CheckResult {
    pub schema: &'static str,
    pub file: String,
    pub budget: String,
    pub status: Status,
    pub failures: Vec<Finding>,
    pub warnings: Vec<Finding>,
    pub regions: Vec<RegionRow>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stack: Option<StackRow>,
    pub groups: Vec<GroupRow>,
    /// Changes since the baseline (`None` when the budget has no baseline yet).
    pub changes: Option<Delta>,
    /// Analysis remarks that are not budget findings.
    pub notes: Vec<String>,
}

/// One thing over (or near) its limit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    /// `reservation`, `overflow`, `unmapped`, `region-limit`, `stack`, `group-limit`,
    /// `group-region`, `group-empty`, `region-growth`, `symbol-growth`, `moved`, `no-baseline`.
    pub kind: &'static str,
    /// The thing checked: `region RAM`, `group "display buffers"`, `symbol foo::BAR`...
    pub what: String,
    pub limit: String,
    pub actual: String,
    /// Bytes over the limit, when that is a number of bytes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub over_by: Option<u64>,
    /// The whole finding as one sentence.
    pub message: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct RegionRow {
    pub name: String,
    pub origin: u64,
    pub length: u64,
    pub used: u64,
    pub reserved: u64,
    pub free: u64,
    pub percent_used: f64,
    /// Warning and failure levels of `used + reserved`, in bytes, when the budget sets them.
    pub warn_at: Option<u64>,
    pub fail_at: Option<u64>,
    /// Change of `used + reserved` since the baseline.
    pub delta: Option<i64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct StackRow {
    pub region: Option<String>,
    pub size: u64,
    pub sized: bool,
    pub warn_below: Option<u64>,
    pub fail_below: Option<u64>,
    pub delta: Option<i64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct GroupRow {
    pub name: String,
    pub bytes: u64,
    pub symbols: usize,
    pub warn_at: Option<u64>,
    pub fail_at: Option<u64>,
    /// Regions the group may live in, when restricted.
    pub regions: Option<Vec<String>>,
    /// Regions its symbols are in, with bytes.
    pub placed: Vec<(String, u64)>,
}

impl CheckResult {
    pub fn exit_code(&self, deny_warnings: bool) -> i32 {
        if !self.failures.is_empty() || (deny_warnings && !self.warnings.is_empty()) {
            crate::error::EXIT_OVER_BUDGET
        } else {
            crate::error::EXIT_OK
        }
    }
}

// ---------------------------------------------------------------------------------------
// Globs and tolerance math.

/// A glob over names: `*` and `?` also match `::` and `/`; `[...]` classes; `\` escapes.
pub fn compile_glob(pattern: &str) -> Result<GlobMatcher, String> {
    GlobBuilder::new(pattern)
        .literal_separator(false)
        .backslash_escape(true)
        .build()
        .map(|g| g.compile_matcher())
        .map_err(|e| format!("invalid glob '{pattern}': {}", e.kind()))
}

fn compile_all(pats: &[String]) -> Vec<GlobMatcher> {
    // Validated when the budget was loaded.
    pats.iter().filter_map(|p| compile_glob(p).ok()).collect()
}

/// Which symbols belong to a group: for every key given, one of its globs must match.
pub struct GroupMatcher {
    symbol: Vec<GlobMatcher>,
    krate: Vec<GlobMatcher>,
    section: Vec<GlobMatcher>,
    file: Vec<GlobMatcher>,
}

impl GroupMatcher {
    pub fn new(m: &MatchDecl) -> Self {
        GroupMatcher {
            symbol: compile_all(&m.symbol.0),
            krate: compile_all(&m.krate.0),
            section: compile_all(&m.section.0),
            file: compile_all(&m.file.0),
        }
    }

    pub fn matches(&self, s: &SymbolUsage) -> bool {
        fn any(globs: &[GlobMatcher], value: Option<&str>) -> bool {
            globs.is_empty() || value.is_some_and(|v| globs.iter().any(|g| g.is_match(v)))
        }
        let name_ok = self.symbol.is_empty()
            || std::iter::once(&s.name)
                .chain(s.aliases.iter())
                .any(|n| self.symbol.iter().any(|g| g.is_match(n)));
        name_ok
            && any(&self.krate, s.krate.as_deref())
            && any(&self.section, Some(&s.section))
            && any(&self.file, s.file.as_deref())
    }
}

/// Growth allowed over `baseline` bytes; `None` means unlimited (no tolerance given). With
/// both bytes and percent the larger allowance wins.
pub fn allowed_growth(t: &Growth, baseline: u64) -> Option<u64> {
    let pct = t
        .percent
        .map(|p| ((baseline as f64) * p / 100.0).floor() as u64);
    match (t.bytes.map(|b| b.0), pct) {
        (None, None) => None,
        (b, p) => Some(b.unwrap_or(0).max(p.unwrap_or(0))),
    }
}

/// How far `new` is past the tolerance, if it is.
pub fn growth_excess(t: &Growth, old: u64, new: u64) -> Option<u64> {
    let grown = new.checked_sub(old)?;
    let allowed = allowed_growth(t, old)?;
    (grown > allowed).then(|| grown - allowed)
}

fn describe_growth(t: &Growth, old: u64) -> String {
    let mut parts = Vec::new();
    if let Some(b) = t.bytes {
        parts.push(format!("+{}", b.0));
    }
    if let Some(p) = t.percent {
        parts.push(format!("+{p}%"));
    }
    let allowed = allowed_growth(t, old).unwrap_or(0);
    format!("{} (= +{allowed} B)", parts.join(" or "))
}

fn bytes(n: u64) -> String {
    if n < 1024 {
        format!("{n} B")
    } else {
        format!("{n} B ({})", human(n))
    }
}

fn signed_bytes(d: i64) -> String {
    if d >= 0 {
        format!("+{d} B")
    } else {
        format!("{d} B")
    }
}

// ---------------------------------------------------------------------------------------
// Evaluation.

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
    let h = &budget.human;
    let mut f = Findings {
        failures: Vec::new(),
        warnings: Vec::new(),
    };
    let mut notes = Vec::new();

    // Reservations: any byte of a section inside one is a failure.
    for r in &report.reservations {
        for o in &r.sections {
            f.push(
                Level::Fail,
                Finding {
                    kind: "reservation",
                    what: format!("reservation {}", r.name),
                    limit: "0 B".into(),
                    actual: format!("{} overlaps by {}", o.section, bytes(o.bytes)),
                    over_by: Some(o.bytes),
                    message: format!(
                        "section {} overlaps reservation {} [{:#x}, {:#x}) by {} bytes",
                        o.section,
                        r.name,
                        r.origin,
                        r.origin.saturating_add(r.length),
                        o.bytes
                    ),
                },
            );
        }
    }
    // Sections that run past the end of their region.
    for s in report.sections.iter().filter(|s| s.overflow > 0) {
        let region = s.region.clone().unwrap_or_default();
        f.push(
            Level::Fail,
            Finding {
                kind: "overflow",
                what: format!("region {region}"),
                limit: "end of region".into(),
                actual: format!("{} runs past it", s.name),
                over_by: Some(s.overflow),
                message: format!(
                    "section {} runs {} bytes past the end of region {region}",
                    s.name, s.overflow
                ),
            },
        );
    }
    for name in &report.unmapped {
        f.push(
            Level::Warn,
            Finding {
                kind: "unmapped",
                what: format!("section {name}"),
                limit: "inside a region".into(),
                actual: "outside every region".into(),
                over_by: None,
                message: format!("section {name} is outside every region"),
            },
        );
    }
    for w in &report.warnings {
        if !w.starts_with("region ") && !w.starts_with("section ") {
            notes.push(w.clone());
        }
    }

    // Baseline changes (needed for the region rows too).
    let changes = budget.baseline.as_ref().map(|base| {
        let now = Snapshot::from_report(report, 0);
        snapshot::delta(base, &now)
    });

    // Regions and their limits.
    let mut regions = Vec::new();
    for r in &report.regions {
        let occupied = r.used + r.reserved;
        let mut warn_at = None;
        let mut fail_at = None;
        for l in h.limits.iter().filter(|l| l.region == r.name) {
            for (amount, level) in [(l.warn, Level::Warn), (l.fail, Level::Fail)] {
                let Some(amount) = amount else { continue };
                let at = amount.bytes_of(r.length);
                match level {
                    Level::Warn => warn_at = Some(at),
                    _ => fail_at = Some(at),
                }
                let crosses = occupied > at;
                // Warn only when it does not fail already.
                let fails_too =
                    level == Level::Warn && l.fail.is_some_and(|x| occupied > x.bytes_of(r.length));
                if crosses && !fails_too {
                    let limit = match amount {
                        Amount::Percent(p) => format!("{p}% = {}", bytes(at)),
                        Amount::Bytes(_) => bytes(at),
                    };
                    let word = if level == Level::Fail {
                        "limit"
                    } else {
                        "warning level"
                    };
                    f.push(
                        level,
                        Finding {
                            kind: "region-limit",
                            what: format!("region {}", r.name),
                            limit: limit.clone(),
                            actual: format!("{} ({:.2}%)", bytes(occupied), r.percent_used),
                            over_by: Some(occupied - at),
                            message: format!(
                                "region {} uses {occupied} bytes ({:.2}%), over its {word} {limit} by {} bytes",
                                r.name,
                                r.percent_used,
                                occupied - at
                            ),
                        },
                    );
                }
            }
        }
        regions.push(RegionRow {
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
                .as_ref()
                .and_then(|c| c.region(&r.name))
                .filter(|d| d.old.is_some())
                .map(|d| d.delta),
        });
    }

    // Stack room.
    let mut stack_row = None;
    if let Some(sd) = &h.stack {
        match &report.stack {
            None => f.push(
                Level::Fail,
                Finding {
                    kind: "stack",
                    what: "stack".into(),
                    limit: format!("at least {}", bytes(sd.fail_below.or(sd.warn_below).map(|s| s.0).unwrap_or(0))),
                    actual: "no stack found".into(),
                    over_by: None,
                    message: "the budget sets a stack minimum but the image has no stack the analysis recognises".into(),
                },
            ),
            Some(st) => {
                let checks = [(sd.fail_below, Level::Fail), (sd.warn_below, Level::Warn)];
                for (min, level) in checks {
                    let Some(min) = min else { continue };
                    if st.size < min.0 {
                        f.push(
                            level,
                            Finding {
                                kind: "stack",
                                what: "stack".into(),
                                limit: format!("at least {}", bytes(min.0)),
                                actual: bytes(st.size),
                                over_by: Some(min.0 - st.size),
                                message: format!(
                                    "stack has {} bytes of room, {} short of the {} byte minimum{}",
                                    st.size,
                                    min.0 - st.size,
                                    min.0,
                                    if level == Level::Warn { " (warning level)" } else { "" }
                                ),
                            },
                        );
                        break;
                    }
                }
                let base = budget.baseline.as_ref().and_then(|b| b.stack.as_ref());
                stack_row = Some(StackRow {
                    region: st.region.clone(),
                    size: st.size,
                    sized: st.sized,
                    warn_below: sd.warn_below.map(|s| s.0),
                    fail_below: sd.fail_below.map(|s| s.0),
                    delta: base.map(|b| st.size as i64 - b.size as i64),
                });
            }
        }
    }

    // Groups.
    let mut groups = Vec::new();
    for g in &h.groups {
        let m = GroupMatcher::new(&g.matcher);
        let members: Vec<&SymbolUsage> = report.symbols.iter().filter(|s| m.matches(s)).collect();
        let total: u64 = members.iter().map(|s| s.bytes).sum();
        let what = format!("group \"{}\"", g.name);
        if members.is_empty() {
            f.push(
                Level::Warn,
                Finding {
                    kind: "group-empty",
                    what: what.clone(),
                    limit: "at least one symbol".into(),
                    actual: "no symbol matches".into(),
                    over_by: None,
                    message: format!("group \"{}\" matches no symbol (renamed?)", g.name),
                },
            );
        }
        for (limit, level) in [(g.fail, Level::Fail), (g.warn, Level::Warn)] {
            let Some(limit) = limit else { continue };
            if total > limit.0 {
                f.push(
                    level,
                    Finding {
                        kind: "group-limit",
                        what: what.clone(),
                        limit: bytes(limit.0),
                        actual: format!("{} in {} symbols", bytes(total), members.len()),
                        over_by: Some(total - limit.0),
                        message: format!(
                            "group \"{}\" has {total} bytes in {} symbols, over its {} {} by {} bytes",
                            g.name,
                            members.len(),
                            if level == Level::Fail { "limit" } else { "warning level" },
                            limit.0,
                            total - limit.0
                        ),
                    },
                );
                break;
            }
        }
        if let Some(allowed) = &g.regions {
            for s in &members {
                let region = s.region.as_deref().unwrap_or("no region");
                if !allowed.iter().any(|a| a == region) {
                    f.push(
                        Level::Fail,
                        Finding {
                            kind: "group-region",
                            what: what.clone(),
                            limit: format!("only in {}", allowed.join(", ")),
                            actual: format!("{} in {region}", s.name),
                            over_by: Some(s.bytes),
                            message: format!(
                                "symbol {} ({} bytes, group \"{}\") is in {region}, allowed only in {}",
                                s.name,
                                s.bytes,
                                g.name,
                                allowed.join(", ")
                            ),
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
        groups.push(GroupRow {
            name: g.name.clone(),
            bytes: total,
            symbols: members.len(),
            warn_at: g.warn.map(|s| s.0),
            fail_at: g.fail.map(|s| s.0),
            regions: g.regions.clone(),
            placed,
        });
    }

    // Growth since the baseline.
    match &changes {
        None => f.push(
            Level::Warn,
            Finding {
                kind: "no-baseline",
                what: format!("budget {}", budget.label),
                limit: "a baseline".into(),
                actual: "none".into(),
                over_by: None,
                message: format!("{} has no baseline yet: run membudget bless", budget.label),
            },
        ),
        Some(d) => growth_findings(budget, d, &mut f),
    }

    let status = if !f.failures.is_empty() {
        Status::Fail
    } else if !f.warnings.is_empty() {
        Status::Warn
    } else {
        Status::Pass
    };
    CheckResult {
        schema: CHECK_SCHEMA,
        file: report.file.clone(),
        budget: budget.label.clone(),
        status,
        failures: f.failures,
        warnings: f.warnings,
        regions,
        stack: stack_row,
        groups,
        changes,
        notes,
    }
}

fn growth_findings(budget: &BudgetFile, d: &Delta, f: &mut Findings) {
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
                Finding {
                    kind: "region-growth",
                    what: format!("region {}", r.name),
                    limit: describe_growth(&g, old),
                    actual: format!("{} ({} -> {new})", signed_bytes(r.delta), old),
                    over_by: Some(over),
                    message: format!(
                        "region {} grew by {} bytes since the baseline ({old} -> {new}), {over} bytes past its tolerance",
                        r.name, r.delta
                    ),
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
    let grew = d
        .symbols
        .grown
        .iter()
        .chain(d.symbols.moved.iter().filter(|c| c.delta > 0));
    for c in grew {
        let (Some(o), Some(n)) = (&c.old, &c.new) else {
            continue;
        };
        let Some(g) = symbol_tolerance(&c.name) else {
            continue;
        };
        if let Some(over) = growth_excess(&g, o.bytes, n.bytes) {
            f.push(
                g.level,
                symbol_growth(c, &describe_growth(&g, o.bytes), o.bytes, n.bytes, over),
            );
        }
    }
    for c in &d.symbols.added {
        let Some(n) = &c.new else { continue };
        let Some(g) = symbol_tolerance(&c.name) else {
            continue;
        };
        // New symbols have no size to take a percentage of: only a byte tolerance applies.
        let Some(b) = g.bytes else { continue };
        if n.bytes > b.0 {
            f.push(
                g.level,
                symbol_growth(
                    c,
                    &format!("+{} (new symbol)", b.0),
                    0,
                    n.bytes,
                    n.bytes - b.0,
                ),
            );
        }
    }
    let moved_level = t.moved.unwrap_or(Level::Warn);
    for c in &d.symbols.moved {
        let (Some(o), Some(n)) = (&c.old, &c.new) else {
            continue;
        };
        let from = o.region.as_deref().unwrap_or("no region");
        let to = n.region.as_deref().unwrap_or("no region");
        f.push(
            moved_level,
            Finding {
                kind: "moved",
                what: format!("symbol {}", c.name),
                limit: format!("stays in {from}"),
                actual: format!("moved to {to} ({} -> {})", o.section, n.section),
                over_by: Some(n.bytes),
                message: format!(
                    "symbol {} ({} bytes) moved from {from} ({}) to {to} ({})",
                    c.name, n.bytes, o.section, n.section
                ),
            },
        );
    }
}

fn symbol_growth(c: &SymbolChange, limit: &str, old: u64, new: u64, over: u64) -> Finding {
    let section = c.new.as_ref().map(|p| p.section.as_str()).unwrap_or("");
    Finding {
        kind: "symbol-growth",
        what: format!("symbol {}", c.name),
        limit: limit.to_string(),
        actual: format!("{} ({old} -> {new})", signed_bytes(c.delta)),
        over_by: Some(over),
        message: if old == 0 {
            format!(
                "new symbol {} ({section}) has {new} bytes, {over} bytes past the tolerance",
                c.name
            )
        } else {
            format!(
                "symbol {} ({section}) grew by {} bytes ({old} -> {new}), {over} bytes past its tolerance",
                c.name, c.delta
            )
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::budget::file::Size;
    use crate::elf::SymbolKind;

    fn g(bytes: Option<u64>, percent: Option<f64>) -> Growth {
        Growth {
            bytes: bytes.map(Size),
            percent,
            level: Level::Fail,
        }
    }

    #[test]
    fn tolerance_math() {
        // No tolerance: unlimited.
        assert_eq!(allowed_growth(&g(None, None), 1000), None);
        assert_eq!(growth_excess(&g(None, None), 1000, 1_000_000), None);
        // Bytes only.
        assert_eq!(allowed_growth(&g(Some(100), None), 1000), Some(100));
        assert_eq!(growth_excess(&g(Some(100), None), 1000, 1100), None);
        assert_eq!(growth_excess(&g(Some(100), None), 1000, 1101), Some(1));
        // Percent only, rounding down.
        assert_eq!(allowed_growth(&g(None, Some(10.0)), 1005), Some(100));
        assert_eq!(growth_excess(&g(None, Some(10.0)), 1005, 1106), Some(1));
        // Both: the larger allowance wins.
        assert_eq!(allowed_growth(&g(Some(256), Some(1.0)), 1000), Some(256));
        assert_eq!(
            allowed_growth(&g(Some(256), Some(1.0)), 100_000),
            Some(1000)
        );
        // Shrinking is never over.
        assert_eq!(growth_excess(&g(Some(0), None), 1000, 10), None);
        // Zero tolerance: any growth fails.
        assert_eq!(growth_excess(&g(Some(0), Some(0.0)), 1000, 1001), Some(1));
    }

    fn sym(name: &str, krate: Option<&str>, section: &str, file: Option<&str>) -> SymbolUsage {
        SymbolUsage {
            name: name.into(),
            raw: name.into(),
            addr: 0,
            size: 4,
            bytes: 4,
            kind: SymbolKind::Object,
            section: section.into(),
            region: Some("RAM".into()),
            load_region: None,
            krate: krate.map(Into::into),
            file: file.map(Into::into),
            aliases: vec![],
        }
    }

    fn matcher(json: &str) -> GroupMatcher {
        GroupMatcher::new(&serde_json::from_str::<MatchDecl>(json).unwrap())
    }

    #[test]
    fn glob_matching() {
        let s = sym("app::display::FRAME_BUF", Some("app"), ".bss", None);
        assert!(matcher(r#"{"symbol": "*::FRAME_BUF"}"#).matches(&s));
        assert!(matcher(r#"{"symbol": "app::*"}"#).matches(&s));
        assert!(matcher(r#"{"symbol": ["nope", "*display*"]}"#).matches(&s));
        assert!(!matcher(r#"{"symbol": "FRAME_BUF"}"#).matches(&s));
        // Keys are ANDed.
        assert!(matcher(r#"{"symbol": "*BUF", "section": ".bss*"}"#).matches(&s));
        assert!(!matcher(r#"{"symbol": "*BUF", "section": ".data"}"#).matches(&s));
        assert!(matcher(r#"{"crate": "app"}"#).matches(&s));
        assert!(!matcher(r#"{"crate": "lvgl"}"#).matches(&s));
        // A symbol without a file never matches a file glob.
        assert!(!matcher(r#"{"file": "*"}"#).matches(&s));
        let c = sym(
            "lv_mem_pool",
            None,
            ".extram.bss",
            Some("src/misc/lv_mem.c"),
        );
        assert!(matcher(r#"{"file": "*/lv_*.c"}"#).matches(&c));
        assert!(matcher(r#"{"symbol": "lv_[mn]em_*"}"#).matches(&c));
        // C++ names with parentheses and templates are literal text.
        let cpp = sym(
            "maco::system::GetDisplayDriver()::driver",
            None,
            ".bss",
            None,
        );
        assert!(matcher(r#"{"symbol": "*GetDisplayDriver()::*"}"#).matches(&cpp));
        assert!(compile_glob("[unclosed").is_err());
    }
}
