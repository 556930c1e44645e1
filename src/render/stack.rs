//! `membudget stack`: table, Markdown, CSV and JSON of a [`StackReport`]. Sentences about
//! unknowns are made here, from the data.

use std::io::{self, Write};

use comfy_table::{presets, Cell, CellAlignment, ContentArrangement, Table};

use crate::stack::annotate::Assumption;
use crate::stack::{RootKind, StackReport, Unknown, UnknownKind};

use super::{human, write_json, Format};

/// Write `report` in `format`.
pub fn render(report: &StackReport, format: Format, out: &mut dyn Write) -> io::Result<()> {
    match format {
        Format::Json => write_json(report, out),
        Format::Csv => csv(report, out),
        Format::Table => text(report, false, out),
        Format::Markdown => text(report, true, out),
        // The CLI does not offer it for `stack`.
        Format::Html => Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "the stack analysis has no HTML view",
        )),
    }
}

/// `N B` for a complete bound, `at least N B` otherwise.
pub fn bound(bytes: u64, complete: bool) -> String {
    if complete {
        format!("{bytes} B")
    } else {
        format!("at least {bytes} B")
    }
}

fn kind_label(k: RootKind) -> &'static str {
    match k {
        RootKind::Reset => "reset",
        RootKind::Exception => "exception",
        RootKind::Interrupt => "interrupt",
        RootKind::DefaultHandler => "default handler",
        RootKind::Entry => "entry point",
        RootKind::Uncalled => "uncalled",
        RootKind::Thread => "thread",
    }
}

/// One sentence per unresolved item.
pub fn unknown_sentence(u: &Unknown) -> String {
    let at = format!("{:#010x} in {}", u.address, u.function);
    match u.kind {
        UnknownKind::IndirectCall => format!("indirect call at {at}: targets unknown"),
        UnknownKind::IndirectJump => format!("indirect jump at {at}: targets unknown"),
        UnknownKind::DynamicSp => format!("stack pointer set from a run-time value at {at}"),
        UnknownKind::Undecodable => format!("undecodable instruction at {at}"),
        UnknownKind::ArmCode => format!("call into A32 code at {at}"),
        UnknownKind::NoSymbol => format!("code without a function symbol at {:#010x}", u.address),
        UnknownKind::OutsideCode => format!("call outside the code sections at {at}"),
        UnknownKind::Recursion => {
            format!("recursion through {} (counted once)", u.cycle.join(" -> "))
        }
        UnknownKind::CfiDeeper => {
            let (code, cfi) = u.frames.unwrap_or_default();
            format!(
                "DWARF CFI gives {} a frame of {cfi} B, the code {code} B (CFI used)",
                u.function
            )
        }
    }
}

/// One sentence per budget annotation the bounds rely on.
pub fn assumption_sentence(a: &Assumption) -> String {
    match a {
        Assumption::IndirectTargets {
            function,
            address,
            targets,
        } => format!(
            "the indirect call at {address:#010x} in {function} calls only {}",
            targets.join(", ")
        ),
        Assumption::RecursionDepth { cycle, depth } => {
            format!(
                "recursion through {} is at most {depth} deep",
                cycle.join(" -> ")
            )
        }
        Assumption::Frame { function, frame } => format!("{function} uses {frame} B of stack"),
        Assumption::NoCall { from, to } => format!("{from} never calls {to}"),
        Assumption::PriorityGroup { handlers } => {
            format!("{} share a priority and never nest", handlers.join(", "))
        }
        Assumption::ResolvedIndirect {
            function,
            address,
            how,
            slot,
            targets,
        } => {
            let shown = 4;
            let mut names = targets
                .iter()
                .take(shown)
                .cloned()
                .collect::<Vec<_>>()
                .join(", ");
            if targets.len() > shown {
                names += &format!(" and {} more", targets.len() - shown);
            }
            let from = match (how.as_str(), slot) {
                ("vtable_slot", Some(off)) => {
                    format!("the functions in slot +{off} of the vtables")
                }
                _ => "the address-taken functions".to_string(),
            };
            format!(
                "the indirect call at {address:#010x} in {function} calls only {from} (opt-in heuristic, {} candidate{}): {names}",
                targets.len(),
                if targets.len() == 1 { "" } else { "s" }
            )
        }
    }
}

fn table(markdown: bool, cols: &[&str]) -> Table {
    let mut t = Table::new();
    t.load_style(if markdown {
        presets::ASCII_MARKDOWN
    } else {
        presets::UTF8_FULL_CONDENSED
    });
    t.set_content_arrangement(ContentArrangement::Disabled);
    t.set_header(cols.iter().map(Cell::new));
    t
}

fn right(s: impl ToString) -> Cell {
    Cell::new(s.to_string()).set_alignment(CellAlignment::Right)
}

fn heading(out: &mut dyn Write, markdown: bool, s: &str) -> io::Result<()> {
    if markdown {
        writeln!(out, "\n### {s}\n")
    } else {
        writeln!(out, "\n{s}")
    }
}

fn text(r: &StackReport, markdown: bool, out: &mut dyn Write) -> io::Result<()> {
    summary(r, markdown, out)?;
    roots_table(r, markdown, out)?;
    worst_path(r, markdown, out)?;
    unresolved(r, markdown, out)
}

/// The bound, and the assumption it rests on.
fn summary(r: &StackReport, markdown: bool, out: &mut dyn Write) -> io::Result<()> {
    let m = &r.main_stack;
    writeln!(
        out,
        "{}: {}, main stack needs {} ({})",
        r.file,
        r.arch,
        bound(m.total, m.complete),
        human(m.total)
    )?;
    if markdown {
        writeln!(out)?;
    }
    let thread = m.thread.as_deref().unwrap_or("no thread root");
    writeln!(
        out,
        "{thread} {} B + {} handlers; each distinct handler is assumed to preempt once, at the deepest point, and to nest{}; an exception entry pushes {} B (+{} B alignment){}.",
        m.thread_worst_case,
        m.handlers.len(),
        if m.assumption == "priority_groups" { " (except within a priority group)" } else { "" },
        m.exception_frame,
        m.alignment,
        if m.exception_frame > 32 { ", the FPU is used" } else { "" }
    )?;
    writeln!(out, "Roots from {}.", r.roots_from)
}

/// One row per root, with its deepest path in short.
fn roots_table(r: &StackReport, markdown: bool, out: &mut dyn Write) -> io::Result<()> {
    heading(out, markdown, "Roots")?;
    let mut t = table(
        markdown,
        &["root", "kind", "vectors", "worst case", "deepest path"],
    );
    for root in &r.roots {
        let path: Vec<String> = root
            .path
            .iter()
            .map(|s| format!("{} ({})", s.function, s.frame))
            .collect();
        let vectors = if root.vectors.len() > 3 {
            format!("{} vectors", root.vectors.len())
        } else {
            root.vectors.join(", ")
        };
        t.add_row(vec![
            Cell::new(&root.name),
            Cell::new(kind_label(root.kind)),
            Cell::new(vectors),
            right(bound(root.worst_case, root.complete)),
            Cell::new(truncate_path(&path, markdown)),
        ]);
    }
    writeln!(out, "{t}")
}

/// The thread root's worst path, function by function.
fn worst_path(r: &StackReport, markdown: bool, out: &mut dyn Write) -> io::Result<()> {
    let m = &r.main_stack;
    if let Some(thread) = r.roots.iter().find(|x| Some(&x.name) == m.thread.as_ref()) {
        heading(out, markdown, &format!("Worst path of {}", thread.name))?;
        let mut t = table(markdown, &["function", "address", "frame", "depth at call"]);
        for s in &thread.path {
            t.add_row(vec![
                Cell::new(&s.function),
                Cell::new(format!("{:#010x}", s.address)),
                right(s.frame),
                right(s.call_depth.map(|d| d.to_string()).unwrap_or_default()),
            ]);
        }
        writeln!(out, "{t}")?;
    }
    Ok(())
}

/// What is unresolved, what the budget assumed, and the CFI cross-check.
fn unresolved(r: &StackReport, markdown: bool, out: &mut dyn Write) -> io::Result<()> {
    let reachable: Vec<&Unknown> = {
        let mut v: Vec<&Unknown> = r.roots.iter().flat_map(|x| x.unknowns.iter()).collect();
        v.sort();
        v.dedup();
        v
    };
    if !reachable.is_empty() {
        heading(
            out,
            markdown,
            &format!("Unresolved, reachable from a root ({})", reachable.len()),
        )?;
        for u in reachable {
            writeln!(out, "- {}", unknown_sentence(u))?;
        }
    }
    if !r.assumptions.is_empty() {
        heading(out, markdown, "Assumed from the budget")?;
        for a in &r.assumptions {
            writeln!(out, "- {}", assumption_sentence(a))?;
        }
    }
    let c = &r.cfi;
    if c.compared > 0 {
        writeln!(
            out,
            "\nDWARF CFI cross-check: {} functions compared, {} equal, {} deeper than CFI shows, {} shallower.",
            c.compared, c.equal, c.deeper_than_cfi, c.shallower_than_cfi
        )?;
    }
    Ok(())
}

fn truncate_path(path: &[String], markdown: bool) -> String {
    let sep = if markdown { " → " } else { " > " };
    if path.len() <= 4 {
        return path.join(sep);
    }
    format!(
        "{}{sep}... {} more{sep}{}",
        path[..2].join(sep),
        path.len() - 3,
        path[path.len() - 1]
    )
}

fn csv(r: &StackReport, out: &mut dyn Write) -> io::Result<()> {
    let mut w = ::csv::Writer::from_writer(out);
    let e = |e: ::csv::Error| io::Error::other(e.to_string());
    w.write_record([
        "name",
        "raw_name",
        "address",
        "size",
        "frame",
        "worst_case",
        "complete",
        "cfi_frame",
    ])
    .map_err(e)?;
    for f in &r.functions {
        w.write_record([
            f.name.clone(),
            f.raw_name.clone(),
            format!("{:#010x}", f.address),
            f.size.to_string(),
            f.frame.to_string(),
            f.worst_case.to_string(),
            f.complete.to_string(),
            f.cfi_frame.map(|c| c.to_string()).unwrap_or_default(),
        ])
        .map_err(e)?;
    }
    w.flush()
}
