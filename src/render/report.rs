//! The report view: table (terminal) and Markdown.

use std::io::{self, Write};

use crate::analyze::rollup::Rollup;
use crate::report::Report;

use super::table::{
    bar, bytes, cell, hex, human, md_code, percent, prose, title, Fit, Grid, ABSENT,
};
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

/// Where the regions came from, as a phrase: `regions from the linker script memory.x`.
fn regions_phrase(kind: &str, name: Option<&str>) -> String {
    let what = match kind {
        "inferred" => return "regions inferred from the ELF's load segments".into(),
        "linker-script" => "the linker script",
        "linker-map" => "the linker map",
        "budget" => "the budget",
        "chip" => "the chip preset",
        "device-note" => "the AVR device note for",
        other => other,
    };
    match name {
        Some(n) => format!("regions from {what} {n}"),
        None => format!("regions from {what}"),
    }
}

/// The file and what its regions came from.
fn heading(report: &Report, markdown: bool, out: &mut dyn Write) -> io::Result<()> {
    let e = &report.elf;
    let source = regions_phrase(
        &report.regions_source.kind,
        report.regions_source.name.as_deref(),
    );
    let elf = format!(
        "ELF{} {}-endian {} {}",
        e.class, e.endian, e.machine, e.file_type
    );
    if markdown {
        writeln!(out, "## membudget: {}\n", md_code(&report.file))?;
        writeln!(out, "{elf}, {}", cell(&source, true))?;
    } else {
        prose(out, &format!("{}: {elf}, {source}", report.file), false)?;
    }
    Ok(())
}

/// One row per region, then a sentence per region with a stack or heap.
fn regions(report: &Report, markdown: bool, out: &mut dyn Write) -> io::Result<()> {
    title(out, 3, "Regions", markdown)?;
    let mut t = Grid::new(
        markdown,
        &[
            "region", "origin", "used", "reserved", "free", "size", "%", "usage",
        ],
    )
    .right(&[2, 3, 4, 5, 6])
    .code(&[0, 7])
    .fit(&[
        Fit::Compact(5),
        Fit::Compact(3),
        Fit::Compact(4),
        Fit::Drop(1),
        Fit::Drop(7),
        Fit::Compact(2),
        Fit::Shrink(0),
    ]);
    for r in &report.regions {
        let mut reserved = bytes(0);
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
            reserved = format!("{} B ({})", r.reserved, parts.join(", "));
        }
        let mut name = r.name.clone();
        if r.overflow > 0 {
            name.push_str(&format!(" OVERFLOW +{} B", r.overflow));
        }
        // An inferred region is as long as what is in it: it has no free space or
        // percentage to show, and would look full.
        let (free, pct, usage) = if r.inferred {
            (ABSENT.to_string(), ABSENT.to_string(), ABSENT.to_string())
        } else {
            (
                bytes(r.free),
                percent(r.percent_used),
                bar(r.used, r.reserved, r.length, 20),
            )
        };
        t.add_row(vec![
            name,
            hex(r.origin),
            bytes(r.used),
            reserved,
            free,
            bytes(r.length),
            pct,
            usage,
        ]);
    }
    t.write(out)?;
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
        if !r.inferred {
            parts.push(format!("free {}", human(r.free)));
        }
        if markdown {
            writeln!(out, "- **{}**: {}", cell(&r.name, true), parts.join(", "))?;
        } else {
            prose(out, &format!("{}: {}", r.name, parts.join(", ")), false)?;
        }
    }
    if report.regions.iter().any(|r| r.inferred) {
        if markdown {
            writeln!(out)?;
        }
        prose(
            out,
            "regions inferred from the ELF's load segments: a size is the extent of what the image puts there, not the memory's capacity, so there is no free space to show (give --memory or --chip)",
            markdown,
        )?;
    }
    Ok(())
}

/// Where the stack and the heap arenas are.
fn stack_and_heap(report: &Report, markdown: bool, out: &mut dyn Write) -> io::Result<()> {
    if report.stack.is_some() || !report.heap.is_empty() {
        title(out, 3, "Stack and heap", markdown)?;
        let mut t = Grid::new(
            markdown,
            &["what", "region", "from", "to", "size", "source"],
        )
        .right(&[4])
        .code(&[5])
        .fit(&[Fit::Drop(5), Fit::Compact(4), Fit::Shrink(0), Fit::Drop(3)]);
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
                bytes(s.size),
                s.source.clone(),
            ]);
        }
        for h in &report.heap {
            t.add_row(vec![
                format!("heap: {}", h.name),
                h.region.clone().unwrap_or_default(),
                hex(h.addr),
                hex(h.addr.saturating_add(h.size)),
                bytes(h.size),
                h.source.clone(),
            ]);
        }
        t.write(out)?;
    }
    if let Some(need) = &report.stack_need {
        let bound = super::stack::bound(need.total, need.complete);
        let line = match &report.stack {
            Some(s) => format!(
                "stack: needs {bound} of {} B available (worst case from the machine code; `membudget stack` shows the path)",
                s.size
            ),
            None => format!(
                "stack: needs {bound} (worst case from the machine code); no stack size found"
            ),
        };
        if markdown {
            writeln!(out)?;
        }
        prose(out, &line, markdown)?;
    }
    Ok(())
}

/// Reservations and what overlaps them.
fn reservations(report: &Report, markdown: bool, out: &mut dyn Write) -> io::Result<()> {
    if report.reservations.is_empty() {
        return Ok(());
    }
    title(out, 3, "Reservations", markdown)?;
    let mut t = Grid::new(
        markdown,
        &["reservation", "region", "from", "to", "overlap", "sections"],
    )
    .right(&[4])
    .fit(&[
        Fit::Compact(4),
        Fit::Shrink(5),
        Fit::Shrink(0),
        Fit::Drop(3),
    ]);
    for r in &report.reservations {
        t.add_row(vec![
            r.name.clone(),
            r.region.clone().unwrap_or_default(),
            hex(r.origin),
            hex(r.origin.saturating_add(r.length)),
            if r.overlap > 0 {
                format!("OVERLAP {}", bytes(r.overlap))
            } else {
                "0 B".into()
            },
            r.sections
                .iter()
                .map(|o| format!("{} ({} B)", o.section, o.bytes))
                .collect::<Vec<_>>()
                .join(", "),
        ]);
    }
    t.write(out)
}

/// Sections in region order, then address order.
fn sections(report: &Report, markdown: bool, out: &mut dyn Write) -> io::Result<()> {
    title(out, 3, "Sections", markdown)?;
    let mut t = Grid::new(
        markdown,
        &[
            "region",
            "section",
            "kind",
            "address",
            "load address",
            "size",
            "unattributed",
        ],
    )
    .right(&[5, 6])
    .code(&[1])
    .fit(&[
        Fit::Compact(5),
        Fit::Compact(0),
        Fit::Drop(2),
        Fit::Drop(6),
        Fit::Shrink(1),
        Fit::Shrink(0),
    ]);
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
            // An empty section occupies nothing, so it is in no region and outside none.
            (None, _) if s.size == 0 => ABSENT.into(),
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
            bytes(s.size),
            s.unattributed.to_string(),
        ]);
    }
    t.write(out)
}

/// The largest symbols of each region (`view.top` of them).
fn symbols(report: &Report, view: &View, markdown: bool, out: &mut dyn Write) -> io::Result<()> {
    // Symbols per region.
    if !report.elf.has_symbols {
        writeln!(out)?;
        prose(
            out,
            "no symbol table: the ELF is stripped, so there is no per-symbol breakdown",
            markdown,
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
                format!("Largest symbols in {} ({shown} of {})", r.name, syms.len())
            } else {
                format!("Symbols in {} ({})", r.name, syms.len())
            };
            title(out, 3, &label, markdown)?;
            let mut t = Grid::new(markdown, &["size", "section", "address", "symbol"])
                .right(&[0])
                .code(&[1, 3])
                .fit(&[Fit::Compact(0), Fit::Compact(1), Fit::Shrink(3)]);
            for s in syms.iter().take(shown) {
                let size = if s.bytes != s.size {
                    format!("{} B (of {})", s.bytes, s.size)
                } else {
                    format!("{} B", s.size)
                };
                let (section, addr) = match s.load_addr {
                    Some(a) if s.region.as_deref() != here => {
                        (format!("{} (load image)", s.section), a)
                    }
                    _ => (s.section.clone(), s.addr),
                };
                t.add_row(vec![size, section, hex(addr), s.name.clone()]);
            }
            t.write(out)?;
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
        let mut t = Grid::new(markdown, &["region", "bytes", "symbols", "key"])
            .right(&[1, 2])
            .code(&[3])
            .fit(&[Fit::Compact(1), Fit::Shrink(3), Fit::Shrink(0)]);
        for row in &r.rows {
            t.add_row(vec![
                row.region
                    .clone()
                    .unwrap_or_else(|| "(outside every region)".into()),
                bytes(row.bytes),
                row.symbols.to_string(),
                row.key.clone(),
            ]);
        }
        t.write(out)?;
    }
    Ok(())
}

/// Warnings, one per line.
fn warnings(report: &Report, markdown: bool, out: &mut dyn Write) -> io::Result<()> {
    if !report.warnings.is_empty() {
        title(out, 3, "Warnings", markdown)?;
        for w in &report.warnings {
            prose(
                out,
                &format!("- {}", cell(&w.to_string(), markdown)),
                markdown,
            )?;
        }
    }
    Ok(())
}
