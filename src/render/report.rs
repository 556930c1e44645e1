//! The report view: table (terminal) and Markdown.

use std::io::{self, Write};

use crate::analyze::rollup::Rollup;
use crate::report::Report;

use super::table::{bar, header, hex, human, new_table, right, title};
use super::View;

/// The whole report as tables, in reading order.
pub fn write(
    report: &Report,
    rollup: Option<&Rollup>,
    view: &View,
    markdown: bool,
    out: &mut dyn Write,
) -> io::Result<()> {
    heading(report, markdown, out)?;
    regions(report, markdown, out)?;
    stack_and_heap(report, markdown, out)?;
    reservations(report, markdown, out)?;
    sections(report, markdown, out)?;
    symbols(report, view, markdown, out)?;
    rollup_rows(report, rollup, markdown, out)?;
    warnings(report, markdown, out)
}

/// The file and what its regions came from.
fn heading(report: &Report, markdown: bool, out: &mut dyn Write) -> io::Result<()> {
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
    Ok(())
}

/// One row per region, then a sentence per region with a stack or heap.
fn regions(report: &Report, markdown: bool, out: &mut dyn Write) -> io::Result<()> {
    // Regions.
    title(out, 3, "Regions", markdown)?;
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
    Ok(())
}

/// Where the stack and the heap arenas are.
fn stack_and_heap(report: &Report, markdown: bool, out: &mut dyn Write) -> io::Result<()> {
    // Stack and heap.
    if report.stack.is_some() || !report.heap.is_empty() {
        title(out, 3, "Stack and heap", markdown)?;
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
    if let Some(need) = &report.stack_need {
        let bound = super::stack::bound(need.total, need.complete);
        match &report.stack {
            Some(s) => writeln!(
                out,
                "stack: needs {bound} of {} B available (worst case from the machine code; `membudget stack` shows the path)",
                s.size
            )?,
            None => writeln!(
                out,
                "stack: needs {bound} (worst case from the machine code); no stack size found"
            )?,
        }
    }
    Ok(())
}

/// Reservations and what overlaps them.
fn reservations(report: &Report, markdown: bool, out: &mut dyn Write) -> io::Result<()> {
    if !report.reservations.is_empty() {
        title(out, 3, "Reservations", markdown)?;
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
    Ok(())
}

/// Sections in region order, then address order.
fn sections(report: &Report, markdown: bool, out: &mut dyn Write) -> io::Result<()> {
    // Sections.
    title(out, 3, "Sections", markdown)?;
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
    Ok(())
}

/// The largest symbols of each region (`view.top` of them).
fn symbols(report: &Report, view: &View, markdown: bool, out: &mut dyn Write) -> io::Result<()> {
    // Symbols per region.
    if !report.elf.has_symbols {
        writeln!(
            out,
            "\nno symbol table: the ELF is stripped, so there is no per-symbol breakdown"
        )?;
    } else {
        for r in &report.regions {
            // A region's symbols include the initialiser images loaded into it, so that
            // they add up to its `used`.
            let here = Some(r.name.as_str());
            let syms: Vec<_> = report
                .symbols
                .iter()
                .filter(|s| {
                    s.region.as_deref() == here
                        || (s.load_region.as_deref() == here && s.load_addr.is_some())
                })
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
            title(out, 3, &label, markdown)?;
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
                let (section, addr) = match s.load_addr {
                    Some(a) if s.region.as_deref() != here => {
                        (format!("{} (load image)", s.section), a)
                    }
                    _ => (s.section.clone(), s.addr),
                };
                t.add_row(vec![size, section, hex(addr), name]);
            }
            right(&mut t, &[0]);
            writeln!(out, "{t}")?;
        }
    }
    Ok(())
}

/// The rollup, when one was asked for.
fn rollup_rows(
    _report: &Report,
    report_rollup: Option<&Rollup>,
    markdown: bool,
    out: &mut dyn Write,
) -> io::Result<()> {
    if let Some(r) = report_rollup {
        title(out, 3, &format!("By {:?}", r.by).to_lowercase(), markdown)?;
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
    Ok(())
}

/// Warnings, one per line.
fn warnings(report: &Report, markdown: bool, out: &mut dyn Write) -> io::Result<()> {
    if !report.warnings.is_empty() {
        title(out, 3, "Warnings", markdown)?;
        for w in &report.warnings {
            writeln!(out, "- {w}")?;
        }
    }
    Ok(())
}
