//! The check view: verdict, failures and warnings (the sentences are made here, from
//! [`Finding`] data), region and group tables, and the changes since the baseline.

use std::io::{self, Write};

use serde::Serialize;

use crate::budget::eval::{GroupRow, RegionRow, StackRow, CHECK_SCHEMA};
use crate::budget::finding::Tolerance;
use crate::budget::model::{Amount, Level};
use crate::budget::{CheckResult, Finding, Status};
use crate::diff::Delta;
use crate::report::Warning;

use super::diff::render_changes;
use super::table::{
    bar, bytes, cell, count, md_code, opt_bytes, opt_signed, paint, percent, prose, signed_bytes,
    title, Fit, Grid,
};
use super::{write_json, Format};

const BAR_WIDTH: usize = 20;

/// Write a check result; `top` symbol changes per kind (0: all).
pub fn render_check(
    r: &CheckResult,
    format: Format,
    top: usize,
    out: &mut dyn Write,
) -> io::Result<()> {
    if format == Format::Json {
        return write_json(&JsonCheck::new(r), out);
    }
    if format == Format::Markdown {
        let most = r.changes.as_ref().map_or(0, |d| d.symbols.count());
        return super::markdown_within_limit(top, most, out, |top, buf| draw(r, true, top, buf));
    }
    draw(r, false, top, out)
}

/// The table or Markdown view.
fn draw(r: &CheckResult, md: bool, top: usize, out: &mut dyn Write) -> io::Result<()> {
    verdict(r, md, out)?;
    findings(r, md, out)?;
    regions(r, md, out)?;
    stack_and_groups(r, md, out)?;
    match &r.changes {
        Some(d) => render_changes(d, top, md, "since the baseline", out)?,
        None => {
            title(out, 4, "Changes", md)?;
            writeln!(out, "No baseline: run `membudget bless` to record one.")?;
        }
    }
    if !r.notes.is_empty() {
        title(out, 4, "Notes", md)?;
        for n in &r.notes {
            prose(out, &format!("- {}", cell(&n.to_string(), md)), md)?;
        }
    }
    Ok(())
}

/// The one-line verdict.
fn verdict(r: &CheckResult, md: bool, out: &mut dyn Write) -> io::Result<()> {
    use anstyle::{AnsiColor, Style};
    let (verdict, style) = match r.status {
        Status::Pass => (
            "within budget".to_string(),
            Style::new().fg_color(Some(AnsiColor::Green.into())),
        ),
        Status::Warn => (
            format!("within budget, {}", count(r.warnings.len(), "warning")),
            Style::new().fg_color(Some(AnsiColor::Yellow.into())),
        ),
        Status::Fail => (
            format!(
                "OVER BUDGET: {}{}",
                count(r.failures.len(), "failure"),
                if r.warnings.is_empty() {
                    String::new()
                } else {
                    format!(", {}", count(r.warnings.len(), "warning"))
                }
            ),
            Style::new().fg_color(Some(AnsiColor::Red.into())).bold(),
        ),
    };
    if md {
        let icon = match r.status {
            Status::Pass => ":white_check_mark:",
            Status::Warn => ":warning:",
            Status::Fail => ":x:",
        };
        writeln!(out, "### {icon} membudget: {} {verdict}", md_code(&r.file))?;
        writeln!(out, "\nBudget {}.", md_code(&r.budget))?;
    } else {
        let line = format!(
            "{}: {} (budget {})",
            r.file,
            paint(&verdict, style),
            r.budget
        );
        prose(out, &line, false)?;
    }
    Ok(())
}

/// Where a finding goes in the tables: region and reservation failures first (they are
/// what breaks a device), then the stack, groups and single symbols, new symbols last.
fn rank(f: &Finding) -> u8 {
    match f {
        Finding::NoBaseline { .. }
        | Finding::Reservation { .. }
        | Finding::Overflow { .. }
        | Finding::Unmapped { .. }
        | Finding::RegionLimit { .. }
        | Finding::RegionGrowth { .. } => 0,
        Finding::StackMissing { .. }
        | Finding::StackInReservation { .. }
        | Finding::Stack { .. }
        | Finding::StackNeed { .. }
        | Finding::StackIncomplete { .. }
        | Finding::ThreadStack { .. }
        | Finding::StackGrowth { .. } => 1,
        Finding::GroupEmpty { .. }
        | Finding::GroupLimit { .. }
        | Finding::GroupRegion { .. }
        | Finding::GroupGrowth { .. } => 2,
        Finding::SymbolGrowth {
            new_symbol: true, ..
        } => 4,
        Finding::SymbolGrowth { .. } | Finding::Moved { .. } => 3,
    }
}

/// Names listed in a grouped row before "and N more".
const LISTED: usize = 3;

/// Failures, then warnings: one row per finding, new symbols one row per section.
fn findings(r: &CheckResult, md: bool, out: &mut dyn Write) -> io::Result<()> {
    for (name, list) in [("Failures", &r.failures), ("Warnings", &r.warnings)] {
        if list.is_empty() {
            continue;
        }
        title(out, 4, name, md)?;
        let mut t = Grid::new(md, &["what", "limit", "actual", "over by"])
            .right(&[3])
            .fit(&[Fit::Compact(3), Fit::Wrap]);
        let mut sorted: Vec<&Finding> = list.iter().collect();
        sorted.sort_by_key(|f| rank(f));
        let (single, new): (Vec<&Finding>, Vec<&Finding>) =
            sorted.into_iter().partition(|f| rank(f) < 4);
        for f in single {
            let (what, limit, actual) = what_limit_actual(f);
            t.add_row(vec![what, limit, actual, opt_bytes(f.over_by())]);
        }
        for row in new_symbol_rows(&new) {
            t.add_row(row);
        }
        t.write(out)?;
    }
    Ok(())
}

/// A new symbol past its allowance: name, bytes, bytes over, bytes allowed.
type NewSymbol<'a> = (&'a str, u64, u64, u64);

/// New symbols past their allowance, one row per section: how many, their bytes, the
/// largest few by name.
fn new_symbol_rows(new: &[&Finding]) -> Vec<Vec<String>> {
    let mut sections: Vec<(&str, Vec<NewSymbol>)> = Vec::new();
    for f in new {
        if let Finding::SymbolGrowth {
            symbol,
            section,
            tolerance,
            new,
            over,
            ..
        } = f
        {
            let entry = (symbol.as_str(), *new, *over, tolerance.allowed);
            match sections.iter_mut().find(|(s, _)| s == section) {
                Some((_, list)) => list.push(entry),
                None => sections.push((section, vec![entry])),
            }
        }
    }
    sections
        .into_iter()
        .map(|(section, mut list)| {
            list.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
            let total: u64 = list.iter().map(|e| e.1).sum();
            let over: u64 = list.iter().map(|e| e.2).sum();
            let allowed = list.iter().map(|e| e.3).max().unwrap_or(0);
            let mut names: Vec<String> = list
                .iter()
                .take(LISTED)
                .map(|e| format!("{} {}", e.0, bytes(e.1)))
                .collect();
            if list.len() > LISTED {
                names.push(format!("and {} more", list.len() - LISTED));
            }
            let what = if list.len() == 1 {
                format!("new symbol in {section}")
            } else {
                format!("{} new symbols in {section}", list.len())
            };
            vec![
                what,
                format!("+{allowed} B each"),
                format!("{}: {}", bytes(total), names.join(", ")),
                bytes(over),
            ]
        })
        .collect()
}

/// Regions with their limits and change since the baseline.
fn regions(r: &CheckResult, md: bool, out: &mut dyn Write) -> io::Result<()> {
    title(out, 4, "Regions", md)?;
    let mut t = Grid::new(
        md,
        &[
            "region", "used", "reserved", "free", "size", "%", "usage", "warn at", "fail at",
            "change",
        ],
    )
    .right(&[1, 2, 3, 4, 5, 7, 8, 9])
    .code(&[0, 6])
    .fit(&[
        Fit::Drop(6),
        Fit::Compact(4),
        Fit::Compact(3),
        Fit::Compact(2),
        Fit::Compact(1),
        Fit::Compact(7),
        Fit::Compact(8),
        Fit::Compact(9),
        Fit::Drop(4),
        Fit::Drop(7),
        Fit::Drop(2),
        Fit::Shrink(0),
    ]);
    for g in &r.regions {
        let mut name = g.name.clone();
        if g.overflow > 0 {
            name.push_str(&format!(" OVERFLOW +{} B", g.overflow));
        }
        t.add_row(vec![
            name,
            bytes(g.used),
            bytes(g.reserved),
            bytes(g.free),
            bytes(g.length),
            percent(g.percent_used),
            bar(g.used, g.reserved, g.length, BAR_WIDTH),
            opt_bytes(g.warn_at),
            opt_bytes(g.fail_at),
            opt_signed(g.delta),
        ]);
    }
    t.write(out)?;
    if md {
        writeln!(
            out,
            "\n`#` used, `=` reserved (stack, heap, reservations), `.` free."
        )?;
    }
    Ok(())
}

/// The stack row and one row per group.
fn stack_and_groups(r: &CheckResult, md: bool, out: &mut dyn Write) -> io::Result<()> {
    if r.stack.is_none() && r.groups.is_empty() {
        return Ok(());
    }
    title(out, 4, "Stack and groups", md)?;
    let mut t = Grid::new(md, &["what", "bytes", "limit", "where", "change"])
        .right(&[1, 4])
        .fit(&[Fit::Compact(1), Fit::Compact(4), Fit::Wrap]);
    if let Some(s) = &r.stack {
        let limit = [
            s.fail_below.map(|v| format!("fail below {v} B")),
            s.warn_below.map(|v| format!("warn below {v} B")),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" / ");
        t.add_row(vec![
            if s.sized {
                "stack".to_string()
            } else {
                "stack (room to grow)".to_string()
            },
            bytes(s.size),
            limit,
            s.region.clone().unwrap_or_default(),
            opt_signed(s.delta),
        ]);
        if let Some(need) = s.need {
            let complete = s.need_complete.unwrap_or(true);
            t.add_row(vec![
                "stack needed (worst case)".to_string(),
                format!("{}{}", if complete { "" } else { "at least " }, bytes(need)),
                match s.margin {
                    Some(m) if m > 0 => format!("fits with a {m} B margin"),
                    _ => "fits".to_string(),
                },
                s.region.clone().unwrap_or_default(),
                String::new(),
            ]);
        }
    }
    for g in &r.groups {
        let mut limit = Vec::new();
        if let Some(f) = g.fail_at {
            limit.push(format!("fail {f} B"));
        }
        if let Some(w) = g.warn_at {
            limit.push(format!("warn {w} B"));
        }
        if let Some(rs) = &g.regions {
            limit.push(format!("only {}", rs.join(", ")));
        }
        let placed = g
            .placed
            .iter()
            .map(|(r, b)| format!("{r} {b} B"))
            .collect::<Vec<_>>()
            .join(", ");
        t.add_row(vec![
            format!("group \"{}\" ({})", g.name, count(g.symbols, "symbol")),
            bytes(g.bytes),
            limit.join(" / "),
            placed,
            opt_signed(g.delta),
        ]);
    }
    t.write(out)
}

/// The check result as JSON (`schema/check.schema.json`): findings with their sentences.
#[derive(Serialize, schemars::JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct JsonCheck<'a> {
    /// `membudget.check/1`.
    #[schemars(extend("const" = CHECK_SCHEMA))]
    schema: &'a str,
    /// ELF file name.
    file: &'a str,
    /// Budget file name.
    budget: &'a str,
    /// The verdict.
    status: Status,
    /// Broken rules.
    failures: Vec<FindingView>,
    /// Rules close to breaking, and remarks.
    warnings: Vec<FindingView>,
    /// One row per region.
    regions: &'a [RegionRow],
    /// The stack against its minimum.
    #[serde(skip_serializing_if = "Option::is_none")]
    stack: Option<&'a StackRow>,
    /// One row per group.
    groups: &'a [GroupRow],
    /// Changes since the baseline (`null` without one).
    changes: Option<&'a Delta>,
    /// Analysis warnings that are not budget findings.
    notes: &'a [Warning],
}

impl<'a> JsonCheck<'a> {
    /// The JSON view of a check result.
    pub fn new(r: &'a CheckResult) -> Self {
        JsonCheck {
            schema: &r.schema,
            file: &r.file,
            budget: &r.budget,
            status: r.status,
            failures: r.failures.iter().map(FindingView::new).collect(),
            warnings: r.warnings.iter().map(FindingView::new).collect(),
            regions: &r.regions,
            stack: r.stack.as_ref(),
            groups: &r.groups,
            changes: r.changes.as_ref(),
            notes: &r.notes,
        }
    }
}

/// A finding in words: what was checked, its limit, the actual value, the excess, and
/// the whole finding as one sentence.
#[derive(Serialize, schemars::JsonSchema)]
struct FindingView {
    /// The rule: `reservation`, `overflow`, `unmapped`, `region-limit`, `stack`,
    /// `group-limit`, `group-region`, `group-empty`, `region-growth`, `symbol-growth`,
    /// `moved`, `no-baseline`.
    kind: &'static str,
    /// The thing checked: `region RAM`, `group "display buffers"`, `symbol foo::BAR`...
    what: String,
    /// Its limit.
    limit: String,
    /// Its actual value.
    actual: String,
    /// Bytes over the limit, when that is a number of bytes.
    #[serde(skip_serializing_if = "Option::is_none")]
    over_by: Option<u64>,
    /// The whole finding as one sentence.
    message: String,
}

impl FindingView {
    fn new(f: &Finding) -> Self {
        let (what, limit, actual) = what_limit_actual(f);
        FindingView {
            kind: f.kind(),
            what,
            limit,
            actual,
            over_by: f.over_by(),
            message: sentence(f),
        }
    }
}

fn word(level: Level) -> &'static str {
    if level == Level::Fail {
        "limit"
    } else {
        "warning level"
    }
}

fn region_or_none(r: &Option<String>) -> &str {
    r.as_deref().unwrap_or("no region")
}

/// `+1024 or +2% (= +3404 B)`.
fn tolerance(t: &Tolerance) -> String {
    let mut parts = Vec::new();
    if let Some(b) = t.bytes {
        parts.push(format!("+{b}"));
    }
    if let Some(p) = t.percent {
        parts.push(format!("+{p}%"));
    }
    format!("{} (= +{} B)", parts.join(" or "), t.allowed)
}

fn region_limit(limit: &Amount, at: u64) -> String {
    match limit {
        Amount::Percent(p) => format!("{p}% = {}", bytes(at)),
        Amount::Bytes(_) => bytes(at),
    }
}

/// The table columns of a finding: what, limit, actual. (Over 80 lines: one short arm
/// per finding kind, kept together so that the kinds read as one table.)
fn what_limit_actual(f: &Finding) -> (String, String, String) {
    match f {
        Finding::Reservation {
            reservation,
            section,
            bytes: b,
            ..
        } => (
            format!("reservation {reservation}"),
            "0 B".into(),
            format!("{section} overlaps by {}", bytes(*b)),
        ),
        Finding::Overflow {
            region, section, ..
        } => (
            format!("region {region}"),
            "end of region".into(),
            format!("{section} runs past it"),
        ),
        Finding::Unmapped { section } => (
            format!("section {section}"),
            "inside a region".into(),
            "outside every region".into(),
        ),
        Finding::RegionLimit {
            region,
            limit,
            at,
            occupied,
            percent_used,
            ..
        } => (
            format!("region {region}"),
            region_limit(limit, *at),
            format!("{} ({}%)", bytes(*occupied), percent(*percent_used)),
        ),
        Finding::StackMissing { minimum } => (
            "stack".into(),
            format!("at least {}", bytes(*minimum)),
            "no stack found".into(),
        ),
        Finding::StackInReservation { reservation, top } => (
            "stack".into(),
            "outside reservations".into(),
            format!("starts at {top:#x} inside {reservation}"),
        ),
        Finding::Stack { minimum, size, .. } => (
            "stack".into(),
            format!("at least {}", bytes(*minimum)),
            bytes(*size),
        ),
        Finding::StackNeed {
            need,
            margin,
            room,
            complete,
        } => (
            "stack (worst case)".into(),
            room.map_or("no stack found".into(), bytes),
            format!(
                "{}{}{}",
                if *complete { "" } else { "at least " },
                bytes(*need),
                if *margin > 0 {
                    format!(" + margin {}", bytes(*margin))
                } else {
                    String::new()
                }
            ),
        ),
        // What is unresolved is the point of the finding: the first few are named.
        Finding::StackIncomplete { unresolved } => (
            "stack (worst case)".into(),
            "complete or annotated".into(),
            format!(
                "{} unresolved: {}{}",
                unresolved.len(),
                unresolved
                    .iter()
                    .take(LISTED)
                    .map(super::stack::unknown_sentence)
                    .collect::<Vec<_>>()
                    .join("; "),
                if unresolved.len() > LISTED {
                    format!("; and {} more", unresolved.len() - LISTED)
                } else {
                    String::new()
                }
            ),
        ),
        Finding::ThreadStack {
            thread,
            need,
            margin,
            size,
        } => (
            format!("thread {thread}"),
            bytes(*size),
            format!("{} + margin {}", bytes(*need), bytes(*margin)),
        ),
        Finding::GroupEmpty { group } => (
            format!("group \"{group}\""),
            "at least one symbol".into(),
            "no symbol matches".into(),
        ),
        Finding::GroupLimit {
            group,
            limit,
            bytes: b,
            symbols,
            ..
        } => (
            format!("group \"{group}\""),
            bytes(*limit),
            format!("{} in {}", bytes(*b), count(*symbols, "symbol")),
        ),
        Finding::GroupRegion {
            group,
            symbol,
            region,
            allowed,
            ..
        } => (
            format!("group \"{group}\""),
            format!("only in {}", allowed.join(", ")),
            format!("{symbol} in {}", region_or_none(region)),
        ),
        Finding::GroupGrowth {
            group,
            tolerance: t,
            old,
            new,
            ..
        } => (
            format!("group \"{group}\""),
            tolerance(t),
            format!(
                "{} ({old} -> {new})",
                signed_bytes(*new as i64 - *old as i64)
            ),
        ),
        Finding::NoBaseline { budget } => (
            format!("budget {budget}"),
            "a baseline".into(),
            "none".into(),
        ),
        Finding::RegionGrowth {
            region,
            tolerance: t,
            old,
            new,
            delta,
            ..
        } => (
            format!("region {region}"),
            tolerance(t),
            format!("{} ({old} -> {new})", signed_bytes(*delta)),
        ),
        Finding::StackGrowth {
            root,
            tolerance: t,
            old,
            new,
            delta,
            ..
        } => (
            format!("stack of {root}"),
            tolerance(t),
            format!("{} ({old} -> {new})", signed_bytes(*delta)),
        ),
        Finding::SymbolGrowth {
            symbol,
            tolerance: t,
            new_symbol,
            old,
            new,
            delta,
            ..
        } => (
            format!("symbol {symbol}"),
            if *new_symbol {
                format!("+{} (new symbol)", t.allowed)
            } else {
                tolerance(t)
            },
            format!("{} ({old} -> {new})", signed_bytes(*delta)),
        ),
        Finding::Moved {
            symbol,
            from,
            to,
            old_section,
            new_section,
            ..
        } => (
            format!("symbol {symbol}"),
            format!("stays in {}", region_or_none(from)),
            format!(
                "moved to {} ({old_section} -> {new_section})",
                region_or_none(to)
            ),
        ),
    }
}

/// The whole finding as one sentence.
pub fn sentence(f: &Finding) -> String {
    match f {
        Finding::Reservation { reservation, origin, end, section, bytes } => format!(
            "section {section} overlaps reservation {reservation} [{origin:#x}, {end:#x}) by {bytes} bytes"
        ),
        Finding::Overflow { region, section, bytes } => {
            format!("region {region} overflows by {bytes} bytes ({section} runs past its end)")
        }
        Finding::Unmapped { section } => format!("section {section} is outside every region"),
        Finding::RegionLimit { region, level, limit, at, occupied, percent_used } => format!(
            "region {region} uses {occupied} bytes ({}%), over its {} {} by {} bytes",
            percent(*percent_used),
            word(*level),
            region_limit(limit, *at),
            occupied - at
        ),
        Finding::StackMissing { .. } => {
            "the budget sets a stack minimum but the image has no stack the analysis recognises"
                .into()
        }
        Finding::StackInReservation { reservation, top } => {
            format!("the stack starts at {top:#x}, inside reservation {reservation}")
        }
        Finding::Stack { level, minimum, size } => format!(
            "stack has {size} bytes of room, {} short of the {minimum} byte minimum{}",
            minimum - size,
            if *level == Level::Warn { " (warning level)" } else { "" }
        ),
        Finding::StackNeed { need, margin, room: Some(room), complete } => format!(
            "the main stack needs {}{need} bytes{} in the worst case, {} more than the {room} bytes it has",
            if *complete { "" } else { "at least " },
            if *margin > 0 { format!(" + a {margin} byte margin") } else { String::new() },
            (need + margin).saturating_sub(*room)
        ),
        Finding::StackNeed { need, complete, .. } => format!(
            "the main stack needs {}{need} bytes in the worst case, and no stack was found",
            if *complete { "" } else { "at least " },
        ),
        Finding::StackIncomplete { unresolved } => format!(
            "the stack bound is incomplete: {}{} (annotate them in budget.stack.analysis)",
            unresolved.iter().take(3).map(super::stack::unknown_sentence).collect::<Vec<_>>().join("; "),
            if unresolved.len() > 3 { format!("; and {} more", unresolved.len() - 3) } else { String::new() }
        ),
        Finding::ThreadStack { thread, need, margin, size } => format!(
            "thread {thread} needs {need} bytes (worst case + exception frame) + a {margin} byte margin, over its {size} byte stack by {}",
            (need + margin).saturating_sub(*size)
        ),
        Finding::GroupEmpty { group } => format!("group \"{group}\" matches no symbol (renamed?)"),
        Finding::GroupLimit { group, level, limit, bytes, symbols } => format!(
            "group \"{group}\" has {bytes} bytes in {}, over its {} {limit} by {} bytes",
            count(*symbols, "symbol"),
            word(*level),
            bytes - limit
        ),
        Finding::GroupRegion { group, symbol, bytes, region, allowed } => format!(
            "symbol {symbol} ({bytes} bytes, group \"{group}\") is in {}, allowed only in {}",
            region_or_none(region),
            allowed.join(", ")
        ),
        Finding::GroupGrowth { group, old, new, over, .. } => format!(
            "group \"{group}\" grew by {} bytes since the baseline ({old} -> {new}), {over} bytes past its tolerance",
            new - old
        ),
        Finding::NoBaseline { budget } => format!("{budget} has no baseline yet: run membudget bless"),
        Finding::RegionGrowth { region, old, new, delta, over, .. } => format!(
            "region {region} grew by {delta} bytes since the baseline ({old} -> {new}), {over} bytes past its tolerance"
        ),
        Finding::StackGrowth { root, old, new, delta, over, .. } => format!(
            "the worst-case stack of {root} grew by {delta} bytes since the baseline ({old} -> {new}), {over} bytes past its tolerance"
        ),
        Finding::SymbolGrowth { symbol, section, new_symbol: true, new, over, .. } => format!(
            "new symbol {symbol} ({section}) has {new} bytes, {over} bytes past the tolerance"
        ),
        Finding::SymbolGrowth { symbol, section, old, new, delta, over, .. } => format!(
            "symbol {symbol} ({section}) grew by {delta} bytes ({old} -> {new}), {over} bytes past its tolerance"
        ),
        Finding::Moved { symbol, bytes, from, to, old_section, new_section } => format!(
            "symbol {symbol} ({bytes} bytes) moved from {} ({old_section}) to {} ({new_section})",
            region_or_none(from),
            region_or_none(to)
        ),
    }
}
