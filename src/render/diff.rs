//! The diff view: what changed between two builds, as a table, Markdown or JSON. Also
//! the changes section of the check view.

use std::io::{self, Write};

use crate::diff::{Delta, Placement, SymbolChange};

use super::table::{cell, code, human, plural, print_table, signed, table, title};
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
    let md = format == Format::Markdown;
    if md {
        writeln!(out, "### membudget diff: `{}` -> `{}`", d.old, d.new)?;
    } else {
        writeln!(out, "{} -> {}", d.old, d.new)?;
    }
    title(out, 4, "Regions", md)?;
    let mut t = table(
        md,
        &["region", "before", "after", "change", "free after", "size"],
        &[1, 2, 3, 4, 5],
    );
    for r in &d.regions {
        t.add_row(vec![
            cell(&r.name, md),
            r.old.map(human).unwrap_or_else(|| "-".into()),
            r.new.map(human).unwrap_or_else(|| "-".into()),
            signed(r.delta),
            r.new_free.map(human).unwrap_or_default(),
            human(r.length),
        ]);
    }
    print_table(out, &t)?;
    render_changes(d, top, md, "", out)
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
            "\n<details><summary>{}: {} section{}, {} symbol{}</summary>",
            heading("Changes"),
            d.sections.len(),
            plural(d.sections.len()),
            d.symbols.count(),
            plural(d.symbols.count())
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
    let mut t = table(md, &["root", "before", "after", "change"], &[1, 2, 3]);
    for r in &d.stack_roots {
        t.add_row(vec![
            code(&r.name, md),
            r.old
                .map(|b| format!("{b} B"))
                .unwrap_or_else(|| "-".into()),
            r.new
                .map(|b| format!("{b} B"))
                .unwrap_or_else(|| "-".into()),
            // Exact bytes, like the two columns before it: stack is counted in bytes.
            format!("{:+} B", r.delta),
        ]);
    }
    print_table(out, &t)?;
    Ok(())
}

/// Sections that changed size or region.
fn section_changes(d: &Delta, md: bool, out: &mut dyn Write) -> io::Result<()> {
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
            s.old.map(human).unwrap_or_else(|| "-".into()),
            s.new.map(human).unwrap_or_else(|| "-".into()),
            signed(s.delta),
        ]);
    }
    print_table(out, &t)?;
    Ok(())
}

/// Symbol changes by kind, `top` per kind (0: all).
fn symbol_changes(d: &Delta, top: usize, md: bool, out: &mut dyn Write) -> io::Result<()> {
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
            let place = |p: &Option<Placement>| {
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
                    .map(|p| human(p.bytes))
                    .unwrap_or_else(|| "-".into()),
                c.new
                    .as_ref()
                    .map(|p| human(p.bytes))
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
    Ok(())
}
