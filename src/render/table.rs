use std::io::{self, Write};

use comfy_table::{presets, Attribute, Cell, CellAlignment, ContentArrangement, Table};

use crate::report::Report;
use crate::rollup::Rollup;

use super::View;

/// `1536` → `1.5 KiB`.
pub fn human(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    format!("{v:.1} {}", UNITS[u])
}

/// A usage bar: `#` used, `=` reserved, `.` free (ASCII so that it survives any terminal,
/// CI log or Markdown renderer).
pub fn bar(used: u64, reserved: u64, length: u64, width: usize) -> String {
    if length == 0 {
        return String::new();
    }
    let cells = |n: u64| ((n as u128 * width as u128).div_ceil(length as u128) as usize).min(width);
    let u = cells(used);
    let r = cells(used + reserved).saturating_sub(u).min(width - u);
    format!(
        "[{}{}{}]",
        "#".repeat(u),
        "=".repeat(r),
        ".".repeat(width - u - r)
    )
}

fn hex(v: u64) -> String {
    format!("{v:#010x}")
}

fn new_table(markdown: bool) -> Table {
    let mut t = Table::new();
    if markdown {
        t.load_style(presets::ASCII_MARKDOWN);
    } else {
        t.load_style(presets::UTF8_FULL_CONDENSED);
    }
    t.set_content_arrangement(ContentArrangement::Disabled);
    t
}

fn header(t: &mut Table, cols: &[&str], markdown: bool) {
    t.set_header(cols.iter().map(|c| {
        let cell = Cell::new(c);
        if markdown {
            cell
        } else {
            cell.add_attribute(Attribute::Bold)
        }
    }));
}

fn right(t: &mut Table, cols: &[usize]) {
    for &c in cols {
        if let Some(col) = t.column_mut(c) {
            col.set_cell_alignment(CellAlignment::Right);
        }
    }
}

fn title(out: &mut dyn Write, text: &str, markdown: bool) -> io::Result<()> {
    if markdown {
        writeln!(out, "\n### {text}\n")
    } else {
        writeln!(out, "\n{text}")
    }
}

pub fn write(
    report: &Report,
    rollup: Option<&Rollup>,
    view: &View,
    markdown: bool,
    out: &mut dyn Write,
) -> io::Result<()> {
    let e = &report.elf;
    let source = match &report.regions_source.name {
        Some(n) => format!("{} {n}", report.regions_source.kind),
        None => report.regions_source.kind.clone(),
    };
    if markdown {
        writeln!(out, "## membudget: `{}`\n", report.file)?;
        writeln!(
            out,
            "ELF{} {}-endian {} {}, regions from {source}",
            e.class, e.endian, e.machine, e.file_type
        )?;
    } else {
        writeln!(
            out,
            "{}: ELF{} {}-endian {} {}, regions from {source}",
            report.file, e.class, e.endian, e.machine, e.file_type
        )?;
    }

    // Regions.
    title(out, "Regions", markdown)?;
    let mut t = new_table(markdown);
    header(
        &mut t,
        &[
            "region", "origin", "length", "used", "reserved", "free", "%", "usage",
        ],
        markdown,
    );
    for r in &report.regions {
        let mut reserved = String::new();
        if r.reserved > 0 {
            let mut parts = Vec::new();
            if r.stack > 0 {
                parts.push(format!("stack {}", r.stack));
            }
            if r.heap > 0 {
                parts.push(format!("heap {}", r.heap));
            }
            if r.external > 0 {
                parts.push(format!("other {}", r.external));
            }
            reserved = format!("{} ({})", r.reserved, parts.join(", "));
        }
        let mut name = r.name.clone();
        if r.overflow > 0 {
            name.push_str(&format!(" OVERFLOW +{}", r.overflow));
        }
        t.add_row(vec![
            name,
            hex(r.origin),
            format!("{} ({})", r.length, human(r.length)),
            format!("{} ({})", r.used, human(r.used)),
            reserved,
            format!("{} ({})", r.free, human(r.free)),
            format!("{:.2}", r.percent_used),
            bar(r.used, r.reserved, r.length, 20),
        ]);
    }
    right(&mut t, &[2, 3, 4, 5, 6]);
    writeln!(out, "{t}")?;
    // One plain sentence per region that has a stack or heap, so nobody has to add up
    // the columns to see how the RAM is split.
    if markdown && report.regions.iter().any(|r| r.reserved > 0) {
        writeln!(out)?;
    }
    for r in report.regions.iter().filter(|r| r.reserved > 0) {
        let mut parts = vec![format!("statics {}", human(r.used))];
        if r.stack > 0 {
            parts.push(format!("stack reserved {}", human(r.stack)));
        }
        if r.heap > 0 {
            parts.push(format!("heap arena {}", human(r.heap)));
        }
        if r.external > 0 {
            parts.push(format!("reserved for others {}", human(r.external)));
        }
        parts.push(format!("free {}", human(r.free)));
        if markdown {
            writeln!(out, "- **{}**: {}", r.name, parts.join(", "))?;
        } else {
            writeln!(out, "{}: {}", r.name, parts.join(", "))?;
        }
    }
    if report.regions.iter().any(|r| r.inferred) {
        writeln!(
            out,
            "regions inferred from the ELF's load segments: lengths are what the image occupies, not capacities (give --memory or --chip)"
        )?;
    }

    // Stack and heap.
    if report.stack.is_some() || !report.heap.is_empty() {
        title(out, "Stack and heap", markdown)?;
        let mut t = new_table(markdown);
        header(
            &mut t,
            &["what", "region", "from", "to", "size", "source"],
            markdown,
        );
        if let Some(s) = &report.stack {
            let what = if s.sized {
                "stack (reserved)"
            } else {
                "stack (grows into free space)"
            };
            t.add_row(vec![
                what.to_string(),
                s.region.clone().unwrap_or_default(),
                hex(s.bottom),
                hex(s.top),
                format!("{} ({})", s.size, human(s.size)),
                s.source.clone(),
            ]);
        }
        for h in &report.heap {
            t.add_row(vec![
                format!("heap: {}", h.name),
                h.region.clone().unwrap_or_default(),
                hex(h.addr),
                hex(h.addr.saturating_add(h.size)),
                format!("{} ({})", h.size, human(h.size)),
                h.source.clone(),
            ]);
        }
        right(&mut t, &[4]);
        writeln!(out, "{t}")?;
    }

    if !report.reservations.is_empty() {
        title(out, "Reservations", markdown)?;
        let mut t = new_table(markdown);
        header(
            &mut t,
            &["reservation", "region", "from", "to", "overlap", "sections"],
            markdown,
        );
        for r in &report.reservations {
            t.add_row(vec![
                r.name.clone(),
                r.region.clone().unwrap_or_default(),
                hex(r.origin),
                hex(r.origin.saturating_add(r.length)),
                if r.overlap > 0 {
                    format!("{} OVERLAP", r.overlap)
                } else {
                    "0".into()
                },
                r.sections
                    .iter()
                    .map(|o| format!("{} ({})", o.section, o.bytes))
                    .collect::<Vec<_>>()
                    .join(", "),
            ]);
        }
        writeln!(out, "{t}")?;
    }

    // Sections.
    title(out, "Sections", markdown)?;
    let mut t = new_table(markdown);
    header(
        &mut t,
        &[
            "region",
            "section",
            "kind",
            "address",
            "load address",
            "size",
            "unattributed",
        ],
        markdown,
    );
    let mut secs: Vec<_> = report
        .sections
        .iter()
        .filter(|s| s.kind.occupies_memory())
        .collect();
    let order = |r: &Option<String>| {
        r.as_ref()
            .and_then(|n| report.regions.iter().position(|x| &x.name == n))
            .unwrap_or(usize::MAX)
    };
    secs.sort_by(|a, b| {
        order(&a.region)
            .cmp(&order(&b.region))
            .then(a.addr.cmp(&b.addr))
            .then(a.name.cmp(&b.name))
    });
    for s in secs {
        let region = match (&s.region, &s.load_region) {
            (Some(r), Some(l)) => format!("{r} (image in {l})"),
            (Some(r), None) => r.clone(),
            (None, _) => "(outside every region)".into(),
        };
        t.add_row(vec![
            region,
            s.name.clone(),
            s.kind.label().to_string(),
            hex(s.addr),
            if s.load_addr != s.addr {
                hex(s.load_addr)
            } else {
                String::new()
            },
            s.size.to_string(),
            s.unattributed.to_string(),
        ]);
    }
    right(&mut t, &[5, 6]);
    writeln!(out, "{t}")?;

    // Symbols per region.
    if !report.elf.has_symbols {
        writeln!(
            out,
            "\nno symbol table: the ELF is stripped, so there is no per-symbol breakdown"
        )?;
    } else {
        for r in &report.regions {
            let syms: Vec<_> = report
                .symbols
                .iter()
                .filter(|s| s.region.as_deref() == Some(r.name.as_str()))
                .collect();
            if syms.is_empty() {
                continue;
            }
            let shown = if view.top == 0 {
                syms.len()
            } else {
                view.top.min(syms.len())
            };
            let label = if shown < syms.len() {
                format!(
                    "Largest symbols in {} ({} of {})",
                    r.name,
                    shown,
                    syms.len()
                )
            } else {
                format!("Symbols in {} ({})", r.name, syms.len())
            };
            title(out, &label, markdown)?;
            let mut t = new_table(markdown);
            header(&mut t, &["size", "section", "address", "symbol"], markdown);
            for s in syms.iter().take(shown) {
                let size = if s.bytes != s.size {
                    format!("{} (of {})", s.bytes, s.size)
                } else {
                    s.size.to_string()
                };
                let name = if markdown {
                    format!("`{}`", s.name.replace('`', "'"))
                } else {
                    s.name.clone()
                };
                t.add_row(vec![size, s.section.clone(), hex(s.addr), name]);
            }
            right(&mut t, &[0]);
            writeln!(out, "{t}")?;
        }
    }

    if let Some(r) = rollup {
        title(out, &format!("By {:?}", r.by).to_lowercase(), markdown)?;
        let mut t = new_table(markdown);
        header(&mut t, &["region", "bytes", "symbols", "key"], markdown);
        for row in &r.rows {
            t.add_row(vec![
                row.region
                    .clone()
                    .unwrap_or_else(|| "(outside every region)".into()),
                row.bytes.to_string(),
                row.symbols.to_string(),
                row.key.clone(),
            ]);
        }
        right(&mut t, &[1, 2]);
        writeln!(out, "{t}")?;
    }

    if !report.warnings.is_empty() {
        title(out, "Warnings", markdown)?;
        for w in &report.warnings {
            writeln!(out, "- {w}")?;
        }
    }
    Ok(())
}
