//! Rollups: the report's bytes grouped by region, section, symbol, crate or file, per
//! region. Every occupied byte of a region lands in exactly one row, so the rows of a
//! region add up to its `used + reserved` (reservations that lie outside every section
//! get a row of their own; bytes past a region's end are listed with no region).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::report::{RegionUsage, Report, SectionUsage, SymbolUsage};

use super::attribution::{dir_key, Gap, Origin, FILL};

/// A key to group bytes by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum By {
    /// Per region.
    Region,
    /// Per section.
    Section,
    /// Per symbol.
    Symbol,
    /// Per crate of the demangled Rust path.
    Crate,
    /// Per source file (DWARF declaration file with `--dwarf`, else `STT_FILE`).
    File,
    /// Per source directory, cut to `--depth` components.
    Dir,
    /// Per compile unit (DWARF).
    Cu,
    /// Per library archive (linker map).
    Archive,
    /// Per object file (linker map).
    Object,
}

impl By {
    /// Every key, with its command-line name.
    pub const ALL: [(&'static str, By); 9] = [
        ("region", By::Region),
        ("section", By::Section),
        ("symbol", By::Symbol),
        ("crate", By::Crate),
        ("file", By::File),
        ("dir", By::Dir),
        ("cu", By::Cu),
        ("archive", By::Archive),
        ("object", By::Object),
    ];

    /// Keys that need DWARF: `--by` one of these reads it even without `--dwarf`.
    pub fn wants_dwarf(self) -> bool {
        matches!(self, By::File | By::Dir | By::Cu | By::Crate)
    }
}

/// One row of a rollup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct RollupRow {
    /// Region the bytes are in; `None` for sections outside every region.
    pub region: Option<String>,
    /// The key value (crate, file, section...), or a labelled remainder.
    pub key: String,
    /// Bytes in the row.
    pub bytes: u64,
    /// Number of symbols whose bytes are in the row (a load image counts in its load
    /// region too).
    pub symbols: usize,
}

/// A report's bytes grouped by one key.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Rollup {
    /// The key.
    pub by: By,
    /// Rows per region, largest first.
    pub rows: Vec<RollupRow>,
}

/// Row key of bytes no symbol covers.
pub const UNATTRIBUTED: &str = "(unattributed)";
/// Row key of symbols without a crate.
pub const NO_CRATE: &str = "(no crate: unmangled or C/C++)";
/// Row key of symbols without a file.
pub const NO_FILE: &str = "(no file symbol)";
/// Row key of symbols without a compile unit.
pub const NO_UNIT: &str = "(no DWARF unit)";
/// Row key of symbols the linker map does not place.
pub const NO_MAP: &str = "(not in the linker map)";
/// Archive row key of objects linked directly (not from a library).
pub const NO_ARCHIVE: &str = "(object files, no archive)";

/// Who holds reserved bytes: the sized stack, a heap arena, or a reservation of the
/// budget or chip preset (someone else's memory, such as Device OS's RAM on a P2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner<'a> {
    /// The sized stack.
    Stack,
    /// A heap arena, by name.
    Heap(&'a str),
    /// A reservation, by name.
    Reservation(&'a str),
}

impl Owner<'_> {
    /// The rollup row key of the owner's bytes outside every section.
    pub fn key(&self) -> String {
        match self {
            Owner::Stack => "(reserved: stack)".to_string(),
            Owner::Heap(name) => format!("(reserved: heap {name})"),
            Owner::Reservation(name) => format!("(reserved: {name})"),
        }
    }
}

/// Reserved bytes of one owner in one region.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReservedPart<'a> {
    /// Who holds them.
    pub owner: Owner<'a>,
    /// First address of the owner's range in the region.
    pub origin: u64,
    /// Its length in the region.
    pub length: u64,
}

/// The reserved ranges of a region (stack, heap arenas, reservations, in that order) and
/// the bytes of each not already counted: outside `covered` (the region's section ranges,
/// or none) and outside the owners before it, so overlaps count once, as the region's
/// `reserved` does.
pub fn reserved_parts<'a>(
    report: &'a Report,
    region: &RegionUsage,
    mut covered: Vec<(u64, u64)>,
) -> Vec<(ReservedPart<'a>, u64)> {
    let end = region.origin.saturating_add(region.length);
    let mut owners: Vec<(Owner, u64, u64)> = Vec::new();
    if let Some(s) = report.stack.as_ref().filter(|s| s.sized) {
        owners.push((Owner::Stack, s.bottom, s.top));
    }
    for h in &report.heap {
        owners.push((Owner::Heap(&h.name), h.addr, h.addr.saturating_add(h.size)));
    }
    for r in &report.reservations {
        owners.push((
            Owner::Reservation(&r.name),
            r.origin,
            r.origin.saturating_add(r.length),
        ));
    }
    let mut out = Vec::new();
    for (owner, lo, hi) in owners {
        let (lo, hi) = (lo.max(region.origin), hi.min(end));
        if hi <= lo {
            continue;
        }
        let bytes = (hi - lo) - overlap_len(&covered, lo, hi);
        let part = ReservedPart {
            owner,
            origin: lo,
            length: hi - lo,
        };
        out.push((part, bytes));
        covered.push((lo, hi));
    }
    out
}

/// Bytes of `[lo, hi)` that the (possibly overlapping) ranges cover.
fn overlap_len(ranges: &[(u64, u64)], lo: u64, hi: u64) -> u64 {
    let mut clipped: Vec<(u64, u64)> = ranges
        .iter()
        .map(|&(a, b)| (a.max(lo), b.min(hi)))
        .filter(|(a, b)| b > a)
        .collect();
    clipped.sort_unstable();
    let (mut total, mut reach) = (0, lo);
    for (a, b) in clipped {
        let a = a.max(reach);
        if b > a {
            total += b - a;
            reach = b;
        }
    }
    total
}

/// Every occupied byte of every region as labelled rows: symbols, unattributed
/// remainders, load images under their load region, and reservations that lie outside
/// all sections. Bytes past a region's end (and sections in no region) are listed with no
/// region. Where sections (or load images) overlap, the overlap goes to the first in
/// address order, as a region's `used` counts it once; so the rows of a region add up to
/// its `used + reserved`.
pub fn labelled_bytes(report: &Report, mut emit: impl FnMut(Option<&str>, Label<'_>, u64)) {
    let mut syms: Vec<Vec<&SymbolUsage>> = vec![Vec::new(); report.sections.len()];
    for sym in &report.symbols {
        if let Some(pos) = section_of(report, sym) {
            syms[pos].push(sym);
        }
    }
    let region_pos: BTreeMap<&str, usize> = report
        .regions
        .iter()
        .enumerate()
        .map(|(i, r)| (r.name.as_str(), i))
        .collect();
    let mut covered = vec![0u64; report.regions.len()];
    // Address ranges of the pieces per region, to find the reserved bytes outside them.
    let mut ranges: Vec<Vec<(u64, u64)>> = vec![Vec::new(); report.regions.len()];
    for piece in pieces(report, &region_pos) {
        let sec = &report.sections[piece.section];
        let region = piece.region.map(|r| report.regions[r].name.as_str());
        let at = Placed {
            sec,
            syms: &syms[piece.section],
            region,
        };
        let (lo, hi) = piece.range;
        if let Some(r) = piece.region {
            covered[r] = covered[r].saturating_add(hi - lo);
            let base = if piece.load { sec.load_addr } else { sec.addr };
            ranges[r].push((base.saturating_add(lo), base.saturating_add(hi)));
        }
        at.emit(lo, hi, &mut emit);
    }
    for (r, reg) in report.regions.iter().enumerate() {
        let mut rest = (reg.used + reg.reserved).saturating_sub(covered[r]);
        // `rest` is the reserved bytes outside the sections: name each owner's share,
        // capped so that the rows still add up whatever the input.
        for (part, bytes) in reserved_parts(report, reg, std::mem::take(&mut ranges[r])) {
            let bytes = bytes.min(rest);
            if bytes > 0 {
                emit(Some(&reg.name), Label::Reserved(part), bytes);
                rest -= bytes;
            }
        }
    }
}

/// Position in `report.sections` of the section a symbol's bytes are in. Names are not
/// unique (unnamed sections, a relocatable object's COMDAT groups), so an analysed report
/// says which one; a report read back from JSON does not, and then the section is the
/// first of that name that holds the symbol's bytes, else the first of that name.
pub fn section_of(report: &Report, sym: &SymbolUsage) -> Option<usize> {
    if let Some(pos) = sym.section_pos {
        if report
            .sections
            .get(pos)
            .is_some_and(|s| s.name == sym.section)
        {
            return Some(pos);
        }
    }
    let named = || {
        report
            .sections
            .iter()
            .enumerate()
            .filter(|(_, s)| s.name == sym.section)
    };
    named()
        .find(|(_, s)| {
            let (lo, hi) = symbol_run(s, sym);
            sym.addr < s.addr.saturating_add(s.size)
                && sym.addr.saturating_add(sym.size) > s.addr
                && hi - lo == sym.bytes
        })
        .or_else(|| named().next())
        .map(|(i, _)| i)
}

/// A symbol's attributed bytes as offsets into its section: the tail of its range (earlier
/// symbols took any overlap), clipped at the section's end.
fn symbol_run(sec: &SectionUsage, sym: &SymbolUsage) -> (u64, u64) {
    let end = sym
        .addr
        .saturating_add(sym.size)
        .min(sec.addr.saturating_add(sec.size));
    let start = end.saturating_sub(sym.bytes).max(sec.addr);
    (start - sec.addr, end.max(start) - sec.addr)
}

/// A run of a section's bytes, as offsets into the section, to be listed under `region`
/// (`None`: past a region's end, or in no region).
struct Piece {
    section: usize,
    region: Option<usize>,
    load: bool,
    range: (u64, u64),
}

/// Every section's bytes split into runs: in its run region, past that region's end, and
/// (for sections copied from elsewhere) its load image in its load region. Within a
/// region, bytes that an earlier piece (in address order) already holds are left out.
fn pieces(report: &Report, region_pos: &BTreeMap<&str, usize>) -> Vec<Piece> {
    // (region, address of the first byte, piece); the address orders the overlaps.
    let mut placed: Vec<(usize, u64, Piece)> = Vec::new();
    let mut out = Vec::new();
    for (pos, sec) in report.sections.iter().enumerate() {
        if !sec.kind.occupies_memory() || sec.size == 0 {
            continue;
        }
        let runs = [
            (&sec.region, sec.addr, false),
            (&sec.load_region, sec.load_addr, true),
        ];
        for (region, base, load) in runs {
            if load && region.is_none() {
                // An unmapped load image: warned about, in no row.
                continue;
            }
            let r = region.as_deref().and_then(|n| region_pos.get(n).copied());
            let Some(r) = r else {
                out.push(Piece {
                    section: pos,
                    region: None,
                    load,
                    range: (0, sec.size),
                });
                continue;
            };
            let reg = &report.regions[r];
            // Offsets of the region's bounds into the section.
            let lo = reg.origin.saturating_sub(base).min(sec.size);
            let hi = reg
                .origin
                .saturating_add(reg.length)
                .saturating_sub(base)
                .clamp(lo, sec.size);
            if hi > lo {
                let piece = Piece {
                    section: pos,
                    region: Some(r),
                    load,
                    range: (lo, hi),
                };
                placed.push((r, base.saturating_add(lo), piece));
            }
            for range in [(0, lo), (hi, sec.size)] {
                if range.1 > range.0 {
                    out.push(Piece {
                        section: pos,
                        region: None,
                        load,
                        range,
                    });
                }
            }
        }
    }
    placed.sort_by_key(|(r, addr, p)| (*r, *addr, p.section, p.load));
    let mut reach: Option<(usize, u64)> = None;
    for (r, addr, mut p) in placed {
        let len = p.range.1 - p.range.0;
        let held = match reach {
            Some((rr, end)) if rr == r => end.saturating_sub(addr).min(len),
            _ => 0,
        };
        let end = addr.saturating_add(len);
        reach = Some((
            r,
            reach
                .filter(|(rr, _)| *rr == r)
                .map_or(end, |(_, e)| e.max(end)),
        ));
        p.range.0 += held;
        if p.range.1 > p.range.0 {
            out.push(p);
        }
    }
    out
}

/// A section's symbols, for listing a piece of it under one region.
struct Placed<'a> {
    sec: &'a SectionUsage,
    syms: &'a [&'a SymbolUsage],
    region: Option<&'a str>,
}

impl Placed<'_> {
    /// Emit the section's bytes at offsets `lo..hi`: the symbols' bytes there, then the
    /// rest (as its gaps, when DWARF or a map split it, else as one remainder).
    fn emit(&self, lo: u64, hi: u64, emit: &mut impl FnMut(Option<&str>, Label<'_>, u64)) {
        let clip = |a: u64, b: u64| b.min(hi).saturating_sub(a.max(lo));
        let mut symbol_bytes = 0u64;
        for sym in self.syms {
            let (a, b) = symbol_run(self.sec, sym);
            let n = clip(a, b);
            if n > 0 {
                symbol_bytes += n;
                emit(self.region, Label::Symbol(sym), n);
            }
        }
        if self.sec.gaps.is_empty() {
            let rest = (hi - lo).saturating_sub(symbol_bytes);
            if rest > 0 {
                emit(self.region, Label::Unattributed(self.sec), rest);
            }
            return;
        }
        for g in &self.sec.gaps {
            let a = g.addr.saturating_sub(self.sec.addr);
            let n = clip(a, a.saturating_add(g.size));
            if n > 0 {
                emit(self.region, Label::Gap(self.sec, g), n);
            }
        }
    }
}

/// What a labelled run of bytes is.
pub enum Label<'a> {
    /// Bytes of a symbol.
    Symbol(&'a SymbolUsage),
    /// Bytes of a section that no symbol covers.
    Unattributed(&'a SectionUsage),
    /// Bytes of a section that no symbol covers, with what DWARF or the map says they are.
    Gap(&'a SectionUsage, &'a Gap),
    /// Reserved bytes outside every section, with who holds them.
    Reserved(ReservedPart<'a>),
}

/// Group the report's bytes by `by`; the rows of a region add up to its `used + reserved`.
pub fn rollup(report: &Report, by: By) -> Rollup {
    rollup_at_depth(report, by, 0)
}

/// [`rollup`], with directories (`By::Dir`) cut to their first `depth` components (0: the
/// whole directory).
pub fn rollup_at_depth(report: &Report, by: By, depth: usize) -> Rollup {
    let mut acc: BTreeMap<(Option<String>, String), (u64, usize)> = BTreeMap::new();
    let mut add = |region: Option<&str>, key: String, bytes: u64, n: usize| {
        let e = acc.entry((region.map(str::to_string), key)).or_default();
        e.0 = e.0.saturating_add(bytes);
        e.1 += n;
    };
    match by {
        By::Region => {
            for r in &report.regions {
                let here = Some(r.name.as_str());
                let n = report
                    .symbols
                    .iter()
                    .filter(|s| {
                        s.region.as_deref() == here
                            || (s.load_region.as_deref() == here && s.load_addr.is_some())
                    })
                    .count();
                add(Some(&r.name), r.name.clone(), r.used, n);
                for (part, bytes) in reserved_parts(report, r, Vec::new()) {
                    if bytes > 0 {
                        add(
                            Some(&r.name),
                            format!("{} {}", r.name, part.owner.key()),
                            bytes,
                            0,
                        );
                    }
                }
            }
        }
        By::Section => labelled_bytes(report, |region, label, bytes| {
            let n = usize::from(matches!(label, Label::Symbol(_)));
            add(region, section_key(region, &label), bytes, n)
        }),
        _ => labelled_bytes(report, |region, label, bytes| {
            let (key, n) = symbol_key(by, depth, &label);
            add(region, key, bytes, n)
        }),
    }
    let rows = acc
        .into_iter()
        .map(|((region, key), (bytes, symbols))| RollupRow {
            region,
            key,
            bytes,
            symbols,
        })
        .collect();
    Rollup {
        by,
        rows: sorted_rows(report, rows),
    }
}

/// A section rollup key: the section, or its load image when the bytes are in its load
/// region.
pub(crate) fn section_key(region: Option<&str>, label: &Label) -> String {
    let load_image = |run: &Option<String>, load: &Option<String>| {
        region.is_some() && load.as_deref() == region && run.as_deref() != region
    };
    match label {
        Label::Symbol(s) if load_image(&s.region, &s.load_region) => {
            format!("{} (load image)", s.section)
        }
        Label::Symbol(s) => s.section.clone(),
        Label::Unattributed(s) | Label::Gap(s, _) if load_image(&s.region, &s.load_region) => {
            format!("{} (load image)", s.name)
        }
        Label::Unattributed(s) | Label::Gap(s, _) => s.name.clone(),
        Label::Reserved(p) => p.owner.key(),
    }
}

/// A symbol, crate, file, directory, unit, archive or object rollup key, and the number
/// of symbols it stands for.
pub(crate) fn symbol_key(by: By, depth: usize, label: &Label) -> (String, usize) {
    match label {
        Label::Symbol(s) if by == By::Symbol => (s.name.clone(), 1),
        Label::Symbol(s) => {
            let o = Origin {
                file: s.file.clone(),
                line: s.line,
                cu: s.cu.clone(),
                krate: s.krate.clone(),
                archive: s.archive.clone(),
                object: s.object.clone(),
            };
            let missing = match by {
                By::Crate => NO_CRATE,
                By::File | By::Dir => NO_FILE,
                By::Cu => NO_UNIT,
                _ => NO_MAP,
            };
            (
                origin_key(by, depth, &o).unwrap_or_else(|| missing.to_string()),
                1,
            )
        }
        Label::Gap(s, g) => (
            origin_key(by, depth, &g.origin)
                .unwrap_or_else(|| format!("{UNATTRIBUTED} {}", s.name)),
            0,
        ),
        Label::Unattributed(s) => (format!("{UNATTRIBUTED} {}", s.name), 0),
        Label::Reserved(p) => (p.owner.key(), 0),
    }
}

/// The key of an origin, `None` when it lacks what `by` asks for.
fn origin_key(by: By, depth: usize, o: &Origin) -> Option<String> {
    let fill = o.object.as_deref() == Some(FILL);
    match by {
        By::File => o.file.clone(),
        By::Dir => o.file.as_deref().map(|f| dir_key(f, depth)),
        By::Cu => o.cu.clone(),
        By::Crate => o.krate.clone(),
        By::Archive if fill => Some(FILL.to_string()),
        By::Archive => o
            .archive
            .clone()
            .or_else(|| o.object.as_ref().map(|_| NO_ARCHIVE.to_string())),
        By::Object => o.object.as_ref().map(|obj| match &o.archive {
            Some(a) => format!("{obj} ({a})"),
            None => obj.clone(),
        }),
        By::Region | By::Section | By::Symbol => None,
    }
}

/// Rows in region order (no region last), then largest first, then by key.
fn sorted_rows(report: &Report, mut rows: Vec<RollupRow>) -> Vec<RollupRow> {
    let order: BTreeMap<&str, usize> = report
        .regions
        .iter()
        .enumerate()
        .map(|(i, r)| (r.name.as_str(), i))
        .collect();
    let pos = |r: &RollupRow| {
        r.region
            .as_deref()
            .and_then(|r| order.get(r))
            .copied()
            .unwrap_or(usize::MAX)
    };
    rows.sort_by(|a, b| {
        pos(a)
            .cmp(&pos(b))
            .then(b.bytes.cmp(&a.bytes))
            .then(a.key.cmp(&b.key))
    });
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::{analyze, Options};
    use crate::memory::Region;

    /// A report read back from JSON has no section positions: its rollups must still be
    /// the analysed report's (sections found by name and address).
    #[test]
    fn rollups_of_a_report_read_back_from_json_are_the_same() {
        let bytes = include_bytes!("../../fuzz/seeds/elf_report/cortex-m4-tiny.elf");
        let image = crate::elf::load_bytes(bytes, "tiny.elf").expect("seed loads");
        let opts = Options {
            regions: vec![
                Region::new("FLASH", 0x0800_0000, 0x1_0000),
                Region::new("RAM", 0x2000_0000, 0x2000),
            ],
            ..Default::default()
        };
        let report = analyze(&image, &opts).expect("seed analyses");
        assert!(report.symbols.iter().all(|s| s.section_pos.is_some()));
        let json = serde_json::to_string(&report).expect("serializes");
        let back: Report = serde_json::from_str(&json).expect("reads back");
        assert!(back.symbols.iter().all(|s| s.section_pos.is_none()));
        for (_, by) in By::ALL {
            let (a, b) = (rollup(&report, by), rollup(&back, by));
            assert!(!a.rows.is_empty(), "--by {by:?}: no rows");
            assert_eq!(a.rows, b.rows, "--by {by:?}");
        }
    }
}
