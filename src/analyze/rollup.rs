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

/// Bytes of a symbol inside its run region and past the region's end. A symbol's
/// exclusive bytes are the tail of its range (earlier symbols took the overlap), so the
/// split is exact.
pub fn split_at_region_end(
    section_end: u64,
    region_end: Option<u64>,
    addr: u64,
    size: u64,
    bytes: u64,
) -> (u64, u64) {
    let end = addr.saturating_add(size).min(section_end);
    let start = end.saturating_sub(bytes);
    match region_end {
        Some(limit) if end > limit => {
            let outside = end - start.max(limit);
            (bytes - outside, outside)
        }
        _ => (bytes, 0),
    }
}

/// Every occupied byte of every region as labelled rows: symbols (clipped at the region
/// end; bytes past it are listed with no region), unattributed remainders, load images
/// under their load region, and reservations that lie outside all sections. The rows of
/// a region add up to its `used + reserved`.
pub fn labelled_bytes(report: &Report, mut emit: impl FnMut(Option<&str>, Label<'_>, u64)) {
    // Sections by name; duplicate names (relocatable objects) fall back to the first.
    let mut sections: BTreeMap<&str, &SectionUsage> = BTreeMap::new();
    for s in &report.sections {
        sections.entry(s.name.as_str()).or_insert(s);
    }
    let symbol_in = symbol_bytes(report, &sections, &mut emit);
    let in_sections = section_remainders(report, &sections, &symbol_in, &mut emit);
    for r in &report.regions {
        let sec_bytes = in_sections.get(r.name.as_str()).copied().unwrap_or(0);
        let mut rest = (r.used + r.reserved).saturating_sub(sec_bytes);
        if rest == 0 {
            continue;
        }
        // `rest` is at most the reserved bytes outside the sections (less when sections
        // overlap each other): name each owner's share, capped so the rows still add up.
        for (part, bytes) in reserved_parts(report, r, section_ranges(report, &r.name)) {
            let bytes = bytes.min(rest);
            if bytes > 0 {
                emit(Some(&r.name), Label::Reserved(part), bytes);
                rest -= bytes;
            }
        }
    }
}

/// Run and load-image ranges of the sections placed in a region, clipped at its end.
fn section_ranges(report: &Report, region: &str) -> Vec<(u64, u64)> {
    let mut out = Vec::new();
    for s in report.sections.iter().filter(|s| s.kind.occupies_memory()) {
        if s.region.as_deref() == Some(region) {
            let len = s.size.saturating_sub(s.overflow);
            out.push((s.addr, s.addr.saturating_add(len)));
        }
        if s.load_region.as_deref() == Some(region) {
            out.push((s.load_addr, s.load_addr.saturating_add(s.size)));
        }
    }
    out
}

/// Emit every symbol's bytes (inside its region, past its end, and in its load region);
/// returns per section the symbol bytes inside and past the region end.
fn symbol_bytes<'a>(
    report: &'a Report,
    sections: &BTreeMap<&str, &'a SectionUsage>,
    emit: &mut impl FnMut(Option<&str>, Label<'_>, u64),
) -> BTreeMap<&'a str, (u64, u64)> {
    let region_end = |name: &Option<String>| {
        name.as_deref()
            .and_then(|n| report.regions.iter().find(|r| r.name == n))
            .map(|r| r.origin.saturating_add(r.length))
    };
    let mut symbol_in: BTreeMap<&str, (u64, u64)> = BTreeMap::new();
    for sym in &report.symbols {
        let Some(sec) = sections.get(sym.section.as_str()) else {
            continue;
        };
        let (inside, outside) = split_at_region_end(
            sec.addr.saturating_add(sec.size),
            region_end(&sym.region),
            sym.addr,
            sym.size,
            sym.bytes,
        );
        let e = symbol_in.entry(sec.name.as_str()).or_default();
        e.0 += inside;
        e.1 += outside;
        if inside > 0 {
            emit(sym.region.as_deref(), Label::Symbol(sym), inside);
        }
        if outside > 0 {
            emit(None, Label::Symbol(sym), outside);
        }
        if let Some(l) = &sym.load_region {
            emit(Some(l), Label::Symbol(sym), sym.bytes);
        }
    }
    symbol_in
}

/// Emit what no symbol covers in each section (and its load image); returns the section
/// bytes per region.
fn section_remainders<'a>(
    report: &'a Report,
    sections: &BTreeMap<&str, &'a SectionUsage>,
    symbol_in: &BTreeMap<&str, (u64, u64)>,
    emit: &mut impl FnMut(Option<&str>, Label<'_>, u64),
) -> BTreeMap<&'a str, u64> {
    let mut in_sections: BTreeMap<&str, u64> = BTreeMap::new();
    for sec in report
        .sections
        .iter()
        .filter(|s| s.kind.occupies_memory() && s.size > 0)
    {
        let (sym_in, sym_out) = symbol_in
            .get(sec.name.as_str())
            .copied()
            .unwrap_or_default();
        if sections
            .get(sec.name.as_str())
            .is_some_and(|first| !std::ptr::eq(*first, sec))
        {
            // A second section of the same name: its symbols were counted under the first.
            emit(
                sec.region.as_deref(),
                Label::Unattributed(sec),
                sec.size.saturating_sub(sec.overflow),
            );
            if let Some(r) = &sec.region {
                let e = in_sections.entry(r).or_default();
                *e = e.saturating_add(sec.size.saturating_sub(sec.overflow));
            }
            continue;
        }
        if sec.gaps.is_empty() {
            let inside = sec.size.saturating_sub(sec.overflow).saturating_sub(sym_in);
            let outside = sec.overflow.saturating_sub(sym_out);
            if inside > 0 {
                emit(sec.region.as_deref(), Label::Unattributed(sec), inside);
            }
            if outside > 0 {
                emit(None, Label::Unattributed(sec), outside);
            }
        } else {
            emit_gaps(sec, emit);
        }
        if let Some(r) = &sec.region {
            let e = in_sections.entry(r).or_default();
            *e = e.saturating_add(sec.size.saturating_sub(sec.overflow));
        }
        if let Some(l) = &sec.load_region {
            if sec.gaps.is_empty() && sec.unattributed > 0 {
                emit(Some(l), Label::Unattributed(sec), sec.unattributed);
            }
            for g in &sec.gaps {
                emit(Some(l), Label::Gap(sec, g), g.size);
            }
            let e = in_sections.entry(l).or_default();
            *e = e.saturating_add(sec.size);
        }
    }
    in_sections
}

/// Emit the gaps of a section (bytes no symbol covers, split by DWARF unit and map input
/// section), inside its region and past its end.
fn emit_gaps(sec: &SectionUsage, emit: &mut impl FnMut(Option<&str>, Label<'_>, u64)) {
    let region_end = sec.addr.saturating_add(sec.size - sec.overflow);
    for g in &sec.gaps {
        let end = g.addr.saturating_add(g.size);
        let inside = end.min(region_end).saturating_sub(g.addr);
        if inside > 0 {
            emit(sec.region.as_deref(), Label::Gap(sec, g), inside);
        }
        if g.size > inside {
            emit(None, Label::Gap(sec, g), g.size - inside);
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
fn section_key(region: Option<&str>, label: &Label) -> String {
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
fn symbol_key(by: By, depth: usize, label: &Label) -> (String, usize) {
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
