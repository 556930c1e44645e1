//! The diff view: what changed between two builds, as a table, Markdown or JSON. Also
//! the changes section of the check view.

use std::io::{self, Write};

use crate::analyze::rollup::By;
use crate::diff::{ComponentDelta, ComponentDeltas, Delta, Placement, SymbolChange};

use super::table::{bytes, count, opt_bytes, prose, signed, title, Fit, Grid, ABSENT};
use super::{write_json, Format};

/// Version of the JSON diff layout (`schema/diff.schema.json`).
pub const DIFF_SCHEMA: &str = "membudget.diff/1";

/// The diff as JSON: a `schema` tag, then the delta.
#[derive(serde::Serialize, schemars::JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct JsonDiff<'a> {
    /// [`DIFF_SCHEMA`].
    #[schemars(extend("const" = DIFF_SCHEMA))]
    pub schema: &'a str,
    /// The changes.
    #[serde(flatten)]
    pub delta: &'a Delta,
}

/// Write a diff; `top` symbol changes per kind (0: all).
pub fn render_diff(d: &Delta, format: Format, top: usize, out: &mut dyn Write) -> io::Result<()> {
    if format == Format::Json {
        return write_json(
            &JsonDiff {
                schema: DIFF_SCHEMA,
                delta: d,
            },
            out,
        );
    }
    if format == Format::Csv {
        return component_csv(d, out);
    }
    if format == Format::Markdown {
        let most = d.symbols.count();
        return super::markdown_within_limit(top, most, out, |top, buf| draw(d, true, top, buf));
    }
    draw(d, false, top, out)
}

/// The table or Markdown view.
fn draw(d: &Delta, md: bool, top: usize, out: &mut dyn Write) -> io::Result<()> {
    if md {
        writeln!(
            out,
            "### membudget diff: {} -> {}",
            super::table::md_code(&d.old),
            super::table::md_code(&d.new)
        )?;
    } else {
        prose(out, &format!("{} -> {}", d.old, d.new), false)?;
    }
    title(out, 4, "Regions", md)?;
    let mut t = Grid::new(
        md,
        &["region", "before", "after", "change", "free after", "size"],
    )
    .right(&[1, 2, 3, 4, 5])
    .code(&[0])
    .fit(&[
        Fit::Drop(5),
        Fit::Compact(4),
        Fit::Compact(1),
        Fit::Compact(2),
        Fit::Drop(4),
        Fit::Compact(3),
        Fit::Shrink(0),
    ]);
    for r in &d.regions {
        t.add_row(vec![
            r.name.clone(),
            opt_bytes(r.old),
            opt_bytes(r.new),
            signed(r.delta),
            opt_bytes(r.new_free),
            bytes(r.length),
        ]);
    }
    t.write(out)?;
    if let Some(c) = &d.components {
        component_changes(c, top, md, out)?;
    }
    render_changes(d, top, md, "", out)
}

/// Bytes per component before and after (`diff --by`), largest change first, `top` rows
/// (0: all); unchanged components are left out of the view (JSON has them all).
fn component_changes(
    c: &ComponentDeltas,
    top: usize,
    md: bool,
    out: &mut dyn Write,
) -> io::Result<()> {
    let view = By::ALL
        .iter()
        .find(|(_, b)| *b == c.by)
        .map_or("component", |(n, _)| n);
    title(out, 4, &format!("By {view}"), md)?;
    for side in &c.unattributed_sides {
        prose(
            out,
            &format!(
                "Note: no symbol of the {side} side has {view} attribution (no DWARF or \
                 linker map there?): its bytes are in the remainder rows, so the changes \
                 below compare unlike things."
            ),
            md,
        )?;
    }
    let changed: Vec<&ComponentDelta> = c.rows.iter().filter(|r| r.delta != 0).collect();
    if changed.is_empty() {
        writeln!(out, "No {view} changed size.")?;
        return Ok(());
    }
    let shown = if top == 0 {
        changed.len()
    } else {
        changed.len().min(top)
    };
    let mut t = Grid::new(md, &[view, "region", "before", "after", "change"])
        .right(&[2, 3, 4])
        .code(&[0])
        .fit(&[
            Fit::Compact(2),
            Fit::Compact(3),
            Fit::Compact(4),
            Fit::Shrink(1),
            Fit::Shrink(0),
        ]);
    for r in &changed[..shown] {
        t.add_row(vec![
            r.key.clone(),
            r.region.clone().unwrap_or_else(|| ABSENT.to_string()),
            opt_bytes(r.old),
            opt_bytes(r.new),
            signed(r.delta),
        ]);
    }
    t.write(out)?;
    if shown < changed.len() {
        writeln!(out)?;
        prose(
            out,
            &format!(
                "{} not shown (--top 0 shows all).",
                count(changed.len() - shown, "smaller change")
            ),
            md,
        )?;
    }
    Ok(())
}

/// The per-component rows as CSV (`diff --by ... --format csv`), exact bytes, every row.
fn component_csv(d: &Delta, out: &mut dyn Write) -> io::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    let err = |e: csv::Error| match e.kind() {
        csv::ErrorKind::Io(io) => io::Error::new(io.kind(), io.to_string()),
        _ => io::Error::other(e),
    };
    w.write_record(["region", "key", "before", "after", "change"])
        .map_err(err)?;
    let opt = |v: Option<u64>| v.map(|v| v.to_string()).unwrap_or_default();
    for r in d.components.iter().flat_map(|c| &c.rows) {
        w.write_record([
            r.region.clone().unwrap_or_default(),
            r.key.clone(),
            opt(r.old),
            opt(r.new),
            r.delta.to_string(),
        ])
        .map_err(err)?;
    }
    w.flush()
}

/// Section deltas and the symbol changes, largest first, `top` per kind (0: all).
pub(super) fn render_changes(
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
    if !d.stack_roots.is_empty() {
        title(out, 4, &heading("Worst-case stack"), md)?;
        stack_root_changes(d, md, out)?;
    }
    if d.sections.is_empty() && d.symbols.is_empty() {
        title(out, 4, &heading("Changes"), md)?;
        writeln!(out, "No section or symbol changes.")?;
        return Ok(());
    }
    if md {
        writeln!(
            out,
            "\n<details><summary>{}: {}, {}</summary>",
            heading("Changes"),
            count(d.sections.len(), "section"),
            count(d.symbols.count(), "symbol"),
        )?;
    }
    if !d.sections.is_empty() {
        title(out, 4, &heading("Sections"), md)?;
        section_changes(d, md, out)?;
    }
    if !d.symbols.is_empty() {
        title(out, 4, &heading("Symbols"), md)?;
        symbol_changes(d, top, md, out)?;
    }
    if md {
        writeln!(out, "\n</details>")?;
    }
    Ok(())
}

/// Roots whose worst-case stack changed (shown outside the collapsed details: a PR that
/// adds stack should be seen).
fn stack_root_changes(d: &Delta, md: bool, out: &mut dyn Write) -> io::Result<()> {
    let mut t = Grid::new(md, &["root", "before", "after", "change"])
        .right(&[1, 2, 3])
        .code(&[0])
        .fit(&[Fit::Compact(1), Fit::Compact(2), Fit::Shrink(0)]);
    for r in &d.stack_roots {
        t.add_row(vec![
            r.name.clone(),
            opt_bytes(r.old),
            opt_bytes(r.new),
            signed(r.delta),
        ]);
    }
    t.write(out)
}

/// Sections that changed size or region.
fn section_changes(d: &Delta, md: bool, out: &mut dyn Write) -> io::Result<()> {
    let mut t = Grid::new(md, &["section", "region", "before", "after", "change"])
        .right(&[2, 3, 4])
        .code(&[0])
        .fit(&[
            Fit::Compact(2),
            Fit::Compact(3),
            Fit::Compact(4),
            Fit::Shrink(1),
            Fit::Shrink(0),
        ]);
    for s in &d.sections {
        let region = match (&s.old_region, &s.new_region) {
            (Some(a), Some(b)) if a != b => format!("{a} -> {b}"),
            (_, Some(b)) => b.clone(),
            (Some(a), None) => a.clone(),
            (None, None) => String::new(),
        };
        t.add_row(vec![
            s.name.clone(),
            region,
            opt_bytes(s.old),
            opt_bytes(s.new),
            signed(s.delta),
        ]);
    }
    t.write(out)
}

/// Symbol changes by kind, `top` per kind (0: all).
fn symbol_changes(d: &Delta, top: usize, md: bool, out: &mut dyn Write) -> io::Result<()> {
    let mut t = Grid::new(
        md,
        &["what", "symbol", "where", "before", "after", "change"],
    )
    .right(&[3, 4, 5])
    .code(&[1])
    .fit(&[
        Fit::Compact(3),
        Fit::Compact(4),
        Fit::Compact(5),
        Fit::Drop(3),
        Fit::Shrink(1),
        Fit::Shrink(2),
        Fit::Drop(4),
    ]);
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
            let place = |p: &Option<Placement>| {
                p.as_ref()
                    .map(|p| format!("{} {}", p.region.as_deref().unwrap_or(ABSENT), p.section))
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
                c.name.clone(),
                location,
                opt_bytes(c.old.as_ref().map(|p| p.bytes)),
                opt_bytes(c.new.as_ref().map(|p| p.bytes)),
                signed(c.delta),
            ]);
        }
    }
    t.write(out)?;
    if hidden > 0 {
        writeln!(out)?;
        prose(
            out,
            &format!(
                "{} not shown (--top 0 shows all).",
                count(hidden, "smaller change")
            ),
            md,
        )?;
    }
    Ok(())
}
