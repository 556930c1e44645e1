//! Renderers of a [`CheckResult`] and of a [`Delta`]: table (terminal), Markdown (PR
//! comment / GitHub job summary) and JSON. They only format.

use std::io::{self, Write};

use comfy_table::{presets, Cell, CellAlignment, ContentArrangement, Table};

use crate::render::{bar, human, write_json};

use super::eval::{CheckResult, Status};
use super::snapshot::{Delta, SymbolChange};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutFormat {
    Table,
    Markdown,
    Json,
    /// One self-contained HTML page (`check` only; see `render::html`).
    Html,
}

const BAR_WIDTH: usize = 20;

fn table(markdown: bool, header: &[&str], right_cols: &[usize]) -> Table {
    let mut t = Table::new();
    t.load_style(if markdown {
        presets::ASCII_MARKDOWN
    } else {
        presets::UTF8_FULL_CONDENSED
    });
    t.set_content_arrangement(ContentArrangement::Disabled);
    t.set_header(header.iter().map(Cell::new));
    for &c in right_cols {
        if let Some(col) = t.column_mut(c) {
            col.set_cell_alignment(CellAlignment::Right);
        }
    }
    t
}

/// Markdown cells must not contain `|`; C++ names can.
fn cell(text: &str, markdown: bool) -> String {
    if markdown {
        text.replace('|', "\\|")
    } else {
        text.to_string()
    }
}

fn code(text: &str, markdown: bool) -> String {
    if markdown {
        format!("`{}`", text.replace('|', "\\|").replace('`', "'"))
    } else {
        text.to_string()
    }
}

fn size(n: u64) -> String {
    human(n)
}

fn signed(d: i64) -> String {
    match d {
        0 => "0".into(),
        d if d > 0 => format!("+{}", human(d as u64)),
        d => format!("-{}", human(d.unsigned_abs())),
    }
}

fn opt_signed(d: Option<i64>) -> String {
    d.map(signed).unwrap_or_default()
}

fn title(out: &mut dyn Write, text: &str, markdown: bool) -> io::Result<()> {
    if markdown {
        writeln!(out, "\n#### {text}\n")
    } else {
        writeln!(out, "\n{text}")
    }
}

fn print_table(out: &mut dyn Write, t: &Table) -> io::Result<()> {
    // comfy-table pads lines with trailing spaces in some styles: trim for stable output.
    for line in t.to_string().lines() {
        writeln!(out, "{}", line.trim_end())?;
    }
    Ok(())
}

pub fn render_check(
    r: &CheckResult,
    format: OutFormat,
    top: usize,
    out: &mut dyn Write,
) -> io::Result<()> {
    if format == OutFormat::Json {
        return write_json(r, out);
    }
    let md = format == OutFormat::Markdown;
    let verdict = match r.status {
        Status::Pass => "within budget".to_string(),
        Status::Warn => format!(
            "within budget, {} warning{}",
            r.warnings.len(),
            plural(r.warnings.len())
        ),
        Status::Fail => format!(
            "OVER BUDGET: {} failure{}{}",
            r.failures.len(),
            plural(r.failures.len()),
            if r.warnings.is_empty() {
                String::new()
            } else {
                format!(", {} warning{}", r.warnings.len(), plural(r.warnings.len()))
            }
        ),
    };
    if md {
        let icon = match r.status {
            Status::Pass => ":white_check_mark:",
            Status::Warn => ":warning:",
            Status::Fail => ":x:",
        };
        writeln!(out, "### {icon} membudget: `{}` {verdict}", r.file)?;
        writeln!(out, "\nBudget `{}`.", r.budget)?;
    } else {
        writeln!(out, "{}: {verdict} (budget {})", r.file, r.budget)?;
    }

    for (name, list) in [("Failures", &r.failures), ("Warnings", &r.warnings)] {
        if list.is_empty() {
            continue;
        }
        title(out, name, md)?;
        let mut t = table(md, &["what", "limit", "actual", "over by", "detail"], &[3]);
        for f in list.iter() {
            t.add_row(vec![
                cell(&f.what, md),
                cell(&f.limit, md),
                cell(&f.actual, md),
                f.over_by.map(size).unwrap_or_default(),
                cell(&f.message, md),
            ]);
        }
        print_table(out, &t)?;
    }

    title(out, "Regions", md)?;
    let mut t = table(
        md,
        &[
            "region", "used", "reserved", "free", "size", "%", "usage", "limit", "change",
        ],
        &[1, 2, 3, 4, 5, 8],
    );
    for g in &r.regions {
        let limit = match (g.warn_at, g.fail_at) {
            (Some(w), Some(f)) => format!("warn {} / fail {}", size(w), size(f)),
            (Some(w), None) => format!("warn {}", size(w)),
            (None, Some(f)) => format!("fail {}", size(f)),
            (None, None) => String::new(),
        };
        t.add_row(vec![
            cell(&g.name, md),
            size(g.used),
            size(g.reserved),
            size(g.free),
            size(g.length),
            format!("{:.1}", g.percent_used),
            code(&bar(g.used, g.reserved, g.length, BAR_WIDTH), md),
            limit,
            opt_signed(g.delta),
        ]);
    }
    print_table(out, &t)?;
    if md {
        writeln!(
            out,
            "\n`#` used, `=` reserved (stack, heap, reservations), `.` free."
        )?;
    }

    if r.stack.is_some() || !r.groups.is_empty() {
        title(out, "Stack and groups", md)?;
        let mut t = table(md, &["what", "bytes", "limit", "where", "change"], &[1, 4]);
        if let Some(s) = &r.stack {
            let limit = [
                s.fail_below.map(|v| format!("fail below {}", size(v))),
                s.warn_below.map(|v| format!("warn below {}", size(v))),
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
                size(s.size),
                limit,
                s.region.clone().unwrap_or_default(),
                opt_signed(s.delta),
            ]);
        }
        for g in &r.groups {
            let mut limit = Vec::new();
            if let Some(f) = g.fail_at {
                limit.push(format!("fail {}", size(f)));
            }
            if let Some(w) = g.warn_at {
                limit.push(format!("warn {}", size(w)));
            }
            if let Some(rs) = &g.regions {
                limit.push(format!("only {}", rs.join(", ")));
            }
            let placed = g
                .placed
                .iter()
                .map(|(r, b)| format!("{r} {}", size(*b)))
                .collect::<Vec<_>>()
                .join(", ");
            t.add_row(vec![
                cell(
                    &format!(
                        "group \"{}\" ({} symbol{})",
                        g.name,
                        g.symbols,
                        plural(g.symbols)
                    ),
                    md,
                ),
                size(g.bytes),
                limit.join(" / "),
                placed,
                String::new(),
            ]);
        }
        print_table(out, &t)?;
    }

    match &r.changes {
        Some(d) => render_changes(d, top, md, "since the baseline", out)?,
        None => {
            title(out, "Changes", md)?;
            writeln!(out, "No baseline: run `membudget bless` to record one.")?;
        }
    }
    if !r.notes.is_empty() {
        title(out, "Notes", md)?;
        for n in &r.notes {
            writeln!(out, "- {n}")?;
        }
    }
    Ok(())
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

pub fn render_diff(
    d: &Delta,
    format: OutFormat,
    top: usize,
    out: &mut dyn Write,
) -> io::Result<()> {
    if format == OutFormat::Json {
        return write_json(d, out);
    }
    let md = format == OutFormat::Markdown;
    if md {
        writeln!(out, "### membudget diff: `{}` -> `{}`", d.old, d.new)?;
    } else {
        writeln!(out, "{} -> {}", d.old, d.new)?;
    }
    title(out, "Regions", md)?;
    let mut t = table(
        md,
        &["region", "before", "after", "change", "free after", "size"],
        &[1, 2, 3, 4, 5],
    );
    for r in &d.regions {
        t.add_row(vec![
            cell(&r.name, md),
            r.old.map(size).unwrap_or_else(|| "-".into()),
            r.new.map(size).unwrap_or_else(|| "-".into()),
            signed(r.delta),
            r.new_free.map(size).unwrap_or_default(),
            size(r.length),
        ]);
    }
    print_table(out, &t)?;
    render_changes(d, top, md, "", out)
}

/// Section deltas and the symbol changes, largest first, `top` per kind (0: all).
fn render_changes(
    d: &Delta,
    top: usize,
    md: bool,
    since: &str,
    out: &mut dyn Write,
) -> io::Result<()> {
    let heading = |what: &str| {
        if since.is_empty() {
            what.to_string()
        } else {
            format!("{what} {since}")
        }
    };
    if d.sections.is_empty() && d.symbols.is_empty() {
        title(out, &heading("Changes"), md)?;
        writeln!(out, "No section or symbol changes.")?;
        return Ok(());
    }
    if md {
        writeln!(
            out,
            "\n<details><summary>{}: {} section{}, {} symbol{}</summary>",
            heading("Changes"),
            d.sections.len(),
            plural(d.sections.len()),
            d.symbols.count(),
            plural(d.symbols.count())
        )?;
    }
    if !d.sections.is_empty() {
        title(out, &heading("Sections"), md)?;
        let mut t = table(
            md,
            &["section", "region", "before", "after", "change"],
            &[2, 3, 4],
        );
        for s in &d.sections {
            let region = match (&s.old_region, &s.new_region) {
                (Some(a), Some(b)) if a != b => format!("{a} -> {b}"),
                (_, Some(b)) => b.clone(),
                (Some(a), None) => a.clone(),
                (None, None) => String::new(),
            };
            t.add_row(vec![
                code(&s.name, md),
                region,
                s.old.map(size).unwrap_or_else(|| "-".into()),
                s.new.map(size).unwrap_or_else(|| "-".into()),
                signed(s.delta),
            ]);
        }
        print_table(out, &t)?;
    }
    if !d.symbols.is_empty() {
        title(out, &heading("Symbols"), md)?;
        let mut t = table(
            md,
            &["change", "symbol", "where", "before", "after", "delta"],
            &[3, 4, 5],
        );
        let groups: [(&str, &Vec<SymbolChange>); 5] = [
            ("moved", &d.symbols.moved),
            ("grown", &d.symbols.grown),
            ("new", &d.symbols.added),
            ("shrunk", &d.symbols.shrunk),
            ("removed", &d.symbols.removed),
        ];
        let mut hidden = 0;
        for (kind, list) in groups {
            let shown = if top == 0 {
                list.len()
            } else {
                list.len().min(top)
            };
            hidden += list.len() - shown;
            for c in &list[..shown] {
                let place = |p: &Option<super::snapshot::Placement>| {
                    p.as_ref()
                        .map(|p| format!("{} {}", p.region.as_deref().unwrap_or("-"), p.section))
                        .unwrap_or_default()
                };
                let location = match (&c.old, &c.new) {
                    (Some(o), Some(n)) if o.region != n.region || o.section != n.section => {
                        format!("{} -> {}", place(&c.old), place(&c.new))
                    }
                    (_, Some(_)) => place(&c.new),
                    _ => place(&c.old),
                };
                t.add_row(vec![
                    kind.to_string(),
                    code(&c.name, md),
                    cell(&location, md),
                    c.old
                        .as_ref()
                        .map(|p| size(p.bytes))
                        .unwrap_or_else(|| "-".into()),
                    c.new
                        .as_ref()
                        .map(|p| size(p.bytes))
                        .unwrap_or_else(|| "-".into()),
                    signed(c.delta),
                ]);
            }
        }
        print_table(out, &t)?;
        if hidden > 0 {
            writeln!(
                out,
                "\n{hidden} smaller change{} not shown (--top 0 shows all).",
                plural(hidden)
            )?;
        }
    }
    if md {
        writeln!(out, "\n</details>")?;
    }
    Ok(())
}
