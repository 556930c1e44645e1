//! The analysis: attribute every byte of an [`Image`] to a region, a section and a
//! symbol (or a labelled remainder), find stack and heap reservations, and produce one
//! [`Report`] value that every renderer formats.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::demangle;
use crate::elf::{ElfInfo, Image, Section, SectionKind, SymbolKind};
use crate::error::Error;
use crate::memory::Region;

/// Version of the JSON report layout (`schema/report.schema.json`). Bump on any
/// incompatible change.
pub const REPORT_SCHEMA: &str = "membudget.report/1";

/// Where the region list came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RegionSource {
    /// `linker-script`, `chip`, `budget` or `inferred`.
    pub kind: String,
    /// File name (no directories) or preset name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

impl RegionSource {
    pub fn inferred() -> Self {
        RegionSource {
            kind: "inferred".into(),
            name: None,
        }
    }
}

/// A range inside a region that the image must leave alone (e.g. Particle Device OS's RAM).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reservation {
    pub name: String,
    pub origin: u64,
    pub length: u64,
}

#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Regions to account against; empty means infer them from the ELF.
    pub regions: Vec<Region>,
    pub region_source: Option<RegionSource>,
    pub reservations: Vec<Reservation>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub schema: &'static str,
    pub file: String,
    /// Provenance given with `report --label KEY=VALUE` (commit, branch, date, build id...).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    pub elf: ElfInfo,
    pub regions_source: RegionSource,
    pub regions: Vec<RegionUsage>,
    pub sections: Vec<SectionUsage>,
    pub symbols: Vec<SymbolUsage>,
    pub stack: Option<Stack>,
    pub heap: Vec<HeapArena>,
    pub reservations: Vec<ReservationUsage>,
    /// Allocated sections that fall in no region (they still count in `sections`).
    pub unmapped: Vec<String>,
    pub warnings: Vec<String>,
}

/// Bytes per kind of content.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ByKind {
    pub code: u64,
    pub rodata: u64,
    pub data: u64,
    pub bss: u64,
    pub uninit: u64,
    /// Initialiser images of sections that run elsewhere (`.data`'s copy in flash).
    pub load_image: u64,
}

impl ByKind {
    fn add(&mut self, kind: SectionKind, bytes: u64) {
        match kind {
            SectionKind::Code => self.code += bytes,
            SectionKind::Rodata => self.rodata += bytes,
            SectionKind::Data => self.data += bytes,
            SectionKind::Bss => self.bss += bytes,
            SectionKind::Uninit => self.uninit += bytes,
            SectionKind::Tls | SectionKind::Other => {}
        }
    }

    pub fn total(&self) -> u64 {
        self.code + self.rodata + self.data + self.bss + self.uninit + self.load_image
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct RegionUsage {
    pub name: String,
    pub origin: u64,
    pub length: u64,
    /// True when the region was inferred from load segments, not declared: its length is
    /// what the image occupies, not the capacity of the memory.
    pub inferred: bool,
    /// Bytes occupied by sections and load images (statics, code, constants), not
    /// counting stack and heap reservations.
    pub used: u64,
    pub by_kind: ByKind,
    /// Stack reserved in this region (a sized stack; see `Report::stack`).
    pub stack: u64,
    /// Heap arenas in this region.
    pub heap: u64,
    /// Ranges reserved by someone else (budget or chip reservations).
    pub external: u64,
    /// `stack + heap + external`, counted once where they overlap.
    pub reserved: u64,
    /// `length - used - reserved`.
    pub free: u64,
    /// `(used + reserved) / length`, in percent, two decimals.
    pub percent_used: f64,
    /// Bytes of sections that start in this region and run past its end.
    pub overflow: u64,
    /// Sections placed (run or load image) in this region, in address order.
    pub sections: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SectionUsage {
    pub name: String,
    pub kind: SectionKind,
    pub addr: u64,
    pub load_addr: u64,
    pub size: u64,
    pub region: Option<String>,
    /// Region holding the load image, when the section is copied from elsewhere.
    pub load_region: Option<String>,
    /// Bytes past the end of `region`.
    pub overflow: u64,
    /// Bytes not covered by any symbol (fill, alignment padding, unnamed data).
    pub unattributed: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct SymbolUsage {
    /// Demangled name (Rust hash dropped).
    pub name: String,
    pub raw: String,
    pub addr: u64,
    /// `st_size`, as `nm -S` prints it.
    pub size: u64,
    /// Bytes attributed to this symbol alone (overlaps go to the first symbol).
    pub bytes: u64,
    pub kind: SymbolKind,
    pub section: String,
    pub region: Option<String>,
    pub load_region: Option<String>,
    #[serde(rename = "crate")]
    pub krate: Option<String>,
    pub file: Option<String>,
    /// Other names at the same address with the same size.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Stack {
    /// Lowest address the stack may reach.
    pub bottom: u64,
    /// Initial stack pointer (the stack grows down from here).
    pub top: u64,
    pub size: u64,
    pub region: Option<String>,
    /// False when nothing bounds the stack but the statics below it (cortex-m-rt's
    /// default): then it shares the region's free space and is not counted as reserved.
    pub sized: bool,
    /// The symbols or section it was read from.
    pub source: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct HeapArena {
    pub name: String,
    pub addr: u64,
    pub size: u64,
    pub region: Option<String>,
    pub source: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ReservationUsage {
    pub name: String,
    pub region: Option<String>,
    pub origin: u64,
    pub length: u64,
    /// Bytes of the image's sections inside the reservation.
    pub overlap: u64,
    pub sections: Vec<Overlap>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Overlap {
    pub section: String,
    pub bytes: u64,
}

/// `KEY=VALUE` labels: keys are non-empty and unique, so the same command line always gives
/// the same report.
pub fn parse_labels(args: &[String]) -> Result<BTreeMap<String, String>, Error> {
    let mut labels = BTreeMap::new();
    for arg in args {
        let Some((key, value)) = arg.split_once('=').filter(|(k, _)| !k.trim().is_empty()) else {
            return Err(Error::Usage(format!(
                "--label {arg:?}: expected KEY=VALUE, e.g. commit=abc123"
            )));
        };
        if labels.insert(key.to_string(), value.to_string()).is_some() {
            return Err(Error::Usage(format!("--label {key}: given twice")));
        }
    }
    Ok(labels)
}

/// Analyse an image against the given regions.
pub fn analyze(image: &Image, opts: &Options) -> Result<Report, Error> {
    let mut warnings = Vec::new();
    let (regions, source, inferred) = if opts.regions.is_empty() {
        (infer_regions(image), RegionSource::inferred(), true)
    } else {
        (
            opts.regions.clone(),
            opts.region_source.clone().unwrap_or(RegionSource {
                kind: "linker-script".into(),
                name: None,
            }),
            false,
        )
    };
    let lookup = RegionLookup::new(&regions);

    // Sections.
    let mut sections = Vec::new();
    let mut unmapped = Vec::new();
    // Per region: occupied intervals and bytes per kind.
    let mut occupied: Vec<Vec<(u64, u64)>> = vec![Vec::new(); regions.len()];
    let mut by_kind: Vec<ByKind> = vec![ByKind::default(); regions.len()];
    let mut overflow = vec![0u64; regions.len()];
    let mut region_sections: Vec<Vec<(u64, String)>> = vec![Vec::new(); regions.len()];
    let alloc: Vec<&Section> = image
        .sections
        .iter()
        .filter(|s| s.kind.occupies_memory())
        .collect();
    for s in &alloc {
        let run = lookup.find(s.addr, s.size);
        let load = if s.has_load_copy() {
            lookup.find(s.load_addr, s.size)
        } else {
            None
        };
        let mut sec_overflow = 0;
        if let Some(r) = run {
            let reg = &regions[r];
            let end = s.end().min(reg.end());
            if s.size > 0 {
                occupied[r].push((s.addr, end));
                by_kind[r].add(s.kind, end - s.addr);
                region_sections[r].push((s.addr, s.name.clone()));
            }
            sec_overflow = s.end().saturating_sub(reg.end());
            overflow[r] += sec_overflow;
        } else if s.size > 0 {
            unmapped.push(s.name.clone());
        }
        if let Some(l) = load {
            let reg = &regions[l];
            let end = s.load_addr.saturating_add(s.size).min(reg.end());
            occupied[l].push((s.load_addr, end));
            by_kind[l].load_image += end - s.load_addr;
            region_sections[l].push((s.load_addr, s.name.clone()));
            let over = s.load_addr.saturating_add(s.size).saturating_sub(reg.end());
            overflow[l] += over;
        } else if s.has_load_copy() {
            warnings.push(format!(
                "load image of {} at {:#x} is in no region",
                s.name, s.load_addr
            ));
        }
        sections.push(SectionUsage {
            name: s.name.clone(),
            kind: s.kind,
            addr: s.addr,
            load_addr: s.load_addr,
            size: s.size,
            region: run.map(|r| regions[r].name.clone()),
            load_region: load.map(|r| regions[r].name.clone()),
            overflow: sec_overflow,
            unattributed: s.size,
        });
    }
    for name in &unmapped {
        warnings.push(format!("section {name} is outside every region"));
    }

    // Symbols: exclusive attribution per section, in address order.
    let symbols = attribute_symbols(image, &mut sections, &regions, &lookup);

    // Stack and heap.
    let stack = find_stack(image, &regions, &lookup);
    let heap = find_heap(image, &symbols, &regions, &lookup);
    if let Some(s) = stack.as_ref().filter(|s| s.size == 0) {
        warnings.push(format!("no room left for the stack below {:#x}", s.top));
    }

    // Region totals.
    let mut region_usage = Vec::with_capacity(regions.len());
    let mut reservation_usage = Vec::new();
    for res in &opts.reservations {
        let r = lookup.find(res.origin, res.length.max(1));
        let mut overlaps = Vec::new();
        let res_end = res.origin.saturating_add(res.length);
        for s in &alloc {
            for (start, size) in [
                (s.addr, s.size),
                (s.load_addr, if s.has_load_copy() { s.size } else { 0 }),
            ] {
                let lo = start.max(res.origin);
                let hi = start.saturating_add(size).min(res_end);
                if hi > lo {
                    overlaps.push(Overlap {
                        section: s.name.clone(),
                        bytes: hi - lo,
                    });
                }
            }
        }
        reservation_usage.push(ReservationUsage {
            name: res.name.clone(),
            region: r.map(|i| regions[i].name.clone()),
            origin: res.origin,
            length: res.length,
            overlap: overlaps.iter().map(|o| o.bytes).sum(),
            sections: overlaps,
        });
    }

    for (i, reg) in regions.iter().enumerate() {
        let clip = |lo: u64, hi: u64| -> Option<(u64, u64)> {
            let lo = lo.max(reg.origin);
            let hi = hi.min(reg.end());
            (hi > lo).then_some((lo, hi))
        };
        let stack_iv: Vec<(u64, u64)> = stack
            .iter()
            .filter(|s| s.sized)
            .filter_map(|s| clip(s.bottom, s.top))
            .collect();
        let heap_iv: Vec<(u64, u64)> = heap
            .iter()
            .filter_map(|h| clip(h.addr, h.addr.saturating_add(h.size)))
            .collect();
        let ext_iv: Vec<(u64, u64)> = opts
            .reservations
            .iter()
            .filter_map(|r| clip(r.origin, r.origin.saturating_add(r.length)))
            .collect();
        let mut reserved_iv = stack_iv.clone();
        reserved_iv.extend(&heap_iv);
        reserved_iv.extend(&ext_iv);
        let reserved = union_len(&mut reserved_iv.clone());
        // Heap arenas that are statics in .bss are both a section's bytes and a
        // reservation: count them as reserved, not as used.
        let mut all = occupied[i].clone();
        all.extend(&reserved_iv);
        let occupied_total = union_len(&mut all);
        let used = occupied_total - reserved;
        let free = reg.length.saturating_sub(occupied_total);
        let percent = if reg.length == 0 {
            0.0
        } else {
            ((used + reserved) as f64 * 10000.0 / reg.length as f64).round() / 100.0
        };
        let mut secs = std::mem::take(&mut region_sections[i]);
        secs.sort();
        region_usage.push(RegionUsage {
            name: reg.name.clone(),
            origin: reg.origin,
            length: reg.length,
            inferred,
            used,
            by_kind: by_kind[i].clone(),
            stack: union_len(&mut stack_iv.clone()),
            heap: union_len(&mut heap_iv.clone()),
            external: union_len(&mut ext_iv.clone()),
            reserved,
            free,
            percent_used: percent,
            overflow: overflow[i],
            sections: secs.into_iter().map(|(_, n)| n).collect(),
        });
    }

    for r in &region_usage {
        if r.overflow > 0 {
            warnings.push(format!(
                "region {} overflows by {} bytes",
                r.name, r.overflow
            ));
        }
    }
    if !image.info.has_symbols {
        warnings.push("no symbol table (stripped?): symbol figures are absent".into());
    }

    let report = Report {
        schema: REPORT_SCHEMA,
        file: image.file_name.clone(),
        labels: BTreeMap::new(),
        elf: image.info.clone(),
        regions_source: source,
        regions: region_usage,
        sections,
        symbols,
        stack,
        heap,
        reservations: reservation_usage,
        unmapped,
        warnings,
    };
    check_totals(&report)?;
    Ok(report)
}

/// Every byte must be accounted for exactly once; if not, that is a bug in this file.
fn check_totals(report: &Report) -> Result<(), Error> {
    for r in &report.regions {
        if r.used + r.reserved + r.free != r.length && r.used + r.reserved <= r.length {
            return Err(Error::Internal(format!(
                "region {}: used {} + reserved {} + free {} != length {}",
                r.name, r.used, r.reserved, r.free, r.length
            )));
        }
    }
    let mut per_section: BTreeMap<&str, u64> = BTreeMap::new();
    for s in &report.symbols {
        *per_section.entry(s.section.as_str()).or_default() += s.bytes;
    }
    for s in &report.sections {
        let sym = per_section.get(s.name.as_str()).copied().unwrap_or(0);
        if sym + s.unattributed != s.size
            && !report
                .sections
                .iter()
                .any(|o| o.name == s.name && !std::ptr::eq(o, s))
        {
            return Err(Error::Internal(format!(
                "section {}: symbols {} + unattributed {} != size {}",
                s.name, sym, s.unattributed, s.size
            )));
        }
    }
    Ok(())
}

/// Length of the union of half-open intervals.
fn union_len(iv: &mut [(u64, u64)]) -> u64 {
    iv.sort_unstable();
    let mut total = 0;
    let mut cur: Option<(u64, u64)> = None;
    for &(lo, hi) in iv.iter() {
        match cur {
            Some((clo, chi)) if lo <= chi => cur = Some((clo, chi.max(hi))),
            Some((clo, chi)) => {
                total += chi - clo;
                cur = Some((lo, hi));
            }
            None => cur = Some((lo, hi)),
        }
    }
    if let Some((lo, hi)) = cur {
        total += hi - lo;
    }
    total
}

/// Finds the region holding an address range: the smallest region containing its start
/// (linker scripts may nest regions, e.g. a bootloader slice inside FLASH).
struct RegionLookup {
    regions: Vec<(u64, u64, usize)>,
}

impl RegionLookup {
    fn new(regions: &[Region]) -> Self {
        RegionLookup {
            regions: regions
                .iter()
                .enumerate()
                .map(|(i, r)| (r.origin, r.end(), i))
                .collect(),
        }
    }

    /// An empty section sitting right at a region's end (`__edata`-style markers) still
    /// belongs to that region.
    fn find(&self, addr: u64, size: u64) -> Option<usize> {
        self.regions
            .iter()
            .filter(|(lo, hi, _)| addr >= *lo && (addr < *hi || (size == 0 && addr == *hi)))
            .min_by_key(|(lo, hi, i)| (hi - lo, *i))
            .map(|&(_, _, i)| i)
    }
}

/// With no declared regions, group what the image occupies (load segments, allocated
/// sections and load images) into regions named after their start address.
pub fn infer_regions(image: &Image) -> Vec<Region> {
    // Gaps up to a page between pieces are alignment, not a different memory.
    const JOIN_GAP: u64 = 4096;
    let mut iv: Vec<(u64, u64)> = Vec::new();
    for seg in image.segments.iter().filter(|s| s.is_load()) {
        if seg.memsz > 0 {
            iv.push((seg.vaddr, seg.vaddr.saturating_add(seg.memsz)));
        }
        if seg.filesz > 0 && seg.paddr != seg.vaddr {
            iv.push((seg.paddr, seg.paddr.saturating_add(seg.filesz)));
        }
    }
    for s in image
        .sections
        .iter()
        .filter(|s| s.kind.occupies_memory() && s.size > 0)
    {
        iv.push((s.addr, s.end()));
        if s.has_load_copy() {
            iv.push((s.load_addr, s.load_addr.saturating_add(s.size)));
        }
    }
    // The stack usually lies beyond the last section (cortex-m-rt puts it at the end of
    // RAM): without it, an inferred RAM region would end at the statics.
    if let Some(top) = STACK_TOP.iter().find_map(|n| image.symbol_value(n)) {
        let bottom = STACK_BOTTOM
            .iter()
            .chain(END_OF_STATICS)
            .find_map(|n| image.symbol_value(n).filter(|b| *b < top))
            .unwrap_or(top.saturating_sub(1));
        if top > 0
            && iv
                .iter()
                .any(|&(lo, hi)| bottom >= lo && bottom <= hi.saturating_add(JOIN_GAP))
        {
            iv.push((bottom, top));
        }
    }
    iv.sort_unstable();
    let mut merged: Vec<(u64, u64)> = Vec::new();
    for (lo, hi) in iv {
        match merged.last_mut() {
            Some(last) if lo <= last.1.saturating_add(JOIN_GAP) => last.1 = last.1.max(hi),
            _ => merged.push((lo, hi)),
        }
    }
    merged
        .into_iter()
        .map(|(lo, hi)| Region::new(format!("LOAD@{lo:#x}"), lo, hi - lo))
        .collect()
}

fn attribute_symbols(
    image: &Image,
    sections: &mut [SectionUsage],
    regions: &[Region],
    lookup: &RegionLookup,
) -> Vec<SymbolUsage> {
    // Group symbols by section index once (no symbol x section scan).
    let mut by_section: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (i, sym) in image.symbols.iter().enumerate() {
        if sym.size == 0 || sym.kind == SymbolKind::Tls {
            continue;
        }
        if let Some(idx) = sym.section {
            by_section.entry(idx).or_default().push(i);
        }
    }
    // Demangling dominates the run time on large images: do it once per listed symbol,
    // on every core.
    let names: Vec<Option<(String, bool)>> = {
        use rayon::prelude::*;
        let mut listed = vec![false; image.symbols.len()];
        for &i in by_section.values().flatten() {
            listed[i] = true;
        }
        image
            .symbols
            .par_iter()
            .zip(listed.par_iter())
            .map(|(sym, &l)| l.then(|| demangle::demangle_with_language(&sym.raw)))
            .collect()
    };
    let name_of = |i: usize| {
        names[i]
            .clone()
            .unwrap_or_else(|| (image.symbols[i].raw.clone(), false))
    };
    let mut out = Vec::new();
    let section_pos: BTreeMap<usize, usize> = image
        .sections
        .iter()
        .filter(|s| s.kind.occupies_memory())
        .enumerate()
        .map(|(pos, s)| (s.index, pos))
        .collect();
    for (sec_index, mut syms) in by_section {
        let Some(&pos) = section_pos.get(&sec_index) else {
            continue;
        };
        let Some(sec) = image.section_by_index(sec_index) else {
            continue;
        };
        // Address order; at one address the longest first, then globals before locals,
        // then by name, so that the primary name of an alias group is deterministic.
        syms.sort_by(|&a, &b| {
            let (x, y) = (&image.symbols[a], &image.symbols[b]);
            x.addr
                .cmp(&y.addr)
                .then(y.size.cmp(&x.size))
                .then(y.global.cmp(&x.global))
                .then(x.weak.cmp(&y.weak))
                .then(x.raw.cmp(&y.raw))
        });
        let run_region = lookup
            .find(sec.addr, sec.size)
            .map(|r| regions[r].name.clone());
        let load_region = if sec.has_load_copy() {
            lookup
                .find(sec.load_addr, sec.size)
                .map(|r| regions[r].name.clone())
        } else {
            None
        };
        let mut cursor = sec.addr;
        let mut covered = 0u64;
        let mut last: Option<usize> = None;
        for i in syms {
            let sym = &image.symbols[i];
            if let Some(prev) = last {
                let p: &SymbolUsage = &out[prev];
                if p.addr == sym.addr && p.size == sym.size {
                    let alias = name_of(i).0;
                    let p: &mut SymbolUsage = &mut out[prev];
                    if !p.aliases.contains(&alias) && alias != p.name {
                        p.aliases.push(alias);
                    }
                    continue;
                }
            }
            let start = sym.addr.max(cursor).max(sec.addr);
            let end = sym.addr.saturating_add(sym.size).min(sec.end());
            let bytes = end.saturating_sub(start);
            cursor = cursor.max(end);
            covered += bytes;
            let (name, rust) = name_of(i);
            let krate = if rust {
                demangle::rust_crate(&name)
            } else {
                None
            };
            out.push(SymbolUsage {
                name,
                raw: sym.raw.clone(),
                addr: sym.addr,
                size: sym.size,
                bytes,
                kind: sym.kind,
                section: sec.name.clone(),
                region: run_region.clone(),
                load_region: load_region.clone(),
                krate,
                file: sym.file.clone(),
                aliases: Vec::new(),
            });
            last = Some(out.len() - 1);
        }
        sections[pos].unattributed = sec.size - covered.min(sec.size);
    }
    // Unstable sort is deterministic too, and the key below is total but for exact
    // duplicates, which render identically.
    out.sort_unstable_by(|a, b| {
        b.bytes
            .cmp(&a.bytes)
            .then(b.size.cmp(&a.size))
            .then(a.name.cmp(&b.name))
            .then(a.addr.cmp(&b.addr))
            .then(a.raw.cmp(&b.raw))
    });
    out
}

/// Linker-script conventions for the initial stack pointer, the lowest stack address and
/// the stack size, most specific first.
const STACK_TOP: &[&str] = &[
    "_stack_start", // cortex-m-rt
    "__StackTop",   // CMSIS / ARM GCC startup
    "_estack",      // STM32Cube
    "__stack_end__",
    "__stack_top",
    "_stack_top",
    "__stack",
    "_sp",
];
const STACK_BOTTOM: &[&str] = &[
    "_stack_end",
    "__StackLimit",
    "_sstack",
    "__stack_start__",
    "__stack_bottom",
    "_stack_bottom",
];
const STACK_SIZE: &[&str] = &[
    "_stack_size",
    "__stack_size",
    "__STACK_SIZE",
    "_Min_Stack_Size",
    "__stack_size__",
    "STACK_SIZE",
];
/// The end of statics; cortex-m-rt's default `_stack_end` is this, i.e. an unsized stack.
const END_OF_STATICS: &[&str] = &["__euninit", "__ebss", "_ebss", "__bss_end__", "_end", "end"];

fn find_stack(image: &Image, regions: &[Region], lookup: &RegionLookup) -> Option<Stack> {
    let region_of = |a: u64| {
        lookup
            .find(a.saturating_sub(1), 1)
            .map(|r| regions[r].name.clone())
    };
    // A `.stack` section is the most explicit declaration.
    if let Some(s) = image.sections.iter().find(|s| {
        s.kind.occupies_memory() && s.size > 0 && (s.name == ".stack" || s.name == ".stack_dummy")
    }) {
        return Some(Stack {
            bottom: s.addr,
            top: s.end(),
            size: s.size,
            region: region_of(s.end()),
            sized: true,
            source: format!("section {}", s.name),
        });
    }
    let (top_name, top) = STACK_TOP
        .iter()
        .find_map(|n| image.symbol_value(n).map(|v| (*n, v)))?;
    let explicit_size = STACK_SIZE.iter().find_map(|n| {
        image
            .symbols
            .iter()
            .find(|s| s.raw == *n && s.absolute)
            .map(|s| (*n, s.addr))
    });
    let bottom = STACK_BOTTOM
        .iter()
        .find_map(|n| image.symbol_value(n).map(|v| (*n, v)));
    let end_of_statics = END_OF_STATICS.iter().find_map(|n| image.symbol_value(n));
    let (bottom, sized, source) = match (bottom, explicit_size) {
        (Some((bn, b)), _) if b <= top => {
            let sized = Some(b) != end_of_statics || explicit_size.is_some();
            (b, sized, format!("{top_name}..{bn}"))
        }
        (_, Some((sn, size))) if size <= top => (top - size, true, format!("{top_name} - {sn}")),
        _ => {
            // Nothing bounds the stack but what lies below it in the region.
            let r = lookup.find(top.saturating_sub(1), 1)?;
            let floor = image
                .sections
                .iter()
                .filter(|s| {
                    s.kind.occupies_memory()
                        && s.size > 0
                        && s.addr < top
                        && regions[r].contains(s.addr)
                })
                .map(|s| s.end().min(top))
                .max()
                .unwrap_or(regions[r].origin);
            (floor, false, format!("{top_name} down to the statics"))
        }
    };
    // An unsized stack can only grow down to the first thing above it: a section placed
    // after `_stack_end` (e.g. a buffer in a section of its own) takes that room.
    let bottom = if sized {
        bottom
    } else {
        image
            .sections
            .iter()
            .filter(|s| s.kind.occupies_memory() && s.size > 0 && s.addr >= bottom && s.addr < top)
            .map(|s| s.end().min(top))
            .max()
            .map_or(bottom, |b| b.max(bottom))
    };
    Some(Stack {
        bottom,
        top,
        size: top - bottom,
        region: region_of(top),
        sized,
        source,
    })
}

const HEAP_RANGES: &[(&str, &str)] = &[
    ("__HeapBase", "__HeapLimit"),
    ("__heap_start", "__heap_end"),
    ("_sheap", "_eheap"),
    ("__heap_start__", "__heap_end__"),
    ("_heap_start", "_heap_end"),
];

fn find_heap(
    image: &Image,
    symbols: &[SymbolUsage],
    regions: &[Region],
    lookup: &RegionLookup,
) -> Vec<HeapArena> {
    let region_of = |a: u64| lookup.find(a, 1).map(|r| regions[r].name.clone());
    let mut out = Vec::new();
    for s in image.sections.iter().filter(|s| {
        s.kind.occupies_memory()
            && s.size > 0
            && (s.name == ".heap" || s.name.starts_with(".heap."))
    }) {
        out.push(HeapArena {
            name: s.name.clone(),
            addr: s.addr,
            size: s.size,
            region: region_of(s.addr),
            source: format!("section {}", s.name),
        });
    }
    if out.is_empty() {
        for (lo, hi) in HEAP_RANGES {
            if let (Some(a), Some(b)) = (image.symbol_value(lo), image.symbol_value(hi)) {
                if b > a {
                    out.push(HeapArena {
                        name: "heap".into(),
                        addr: a,
                        size: b - a,
                        region: region_of(a),
                        source: format!("{lo}..{hi}"),
                    });
                    break;
                }
            }
        }
    }
    // Static arenas handed to an allocator: data objects named like a heap
    // (`HEAP_MEM`, FreeRTOS `ucHeap`, `heap_area`...).
    for s in symbols {
        if s.kind != SymbolKind::Object || s.size < 64 {
            continue;
        }
        let last = s
            .name
            .rsplit("::")
            .next()
            .unwrap_or(&s.name)
            .to_ascii_lowercase();
        if !last.contains("heap") {
            continue;
        }
        if out
            .iter()
            .any(|h| s.addr >= h.addr && s.addr < h.addr.saturating_add(h.size))
        {
            continue;
        }
        out.push(HeapArena {
            name: s.name.clone(),
            addr: s.addr,
            size: s.size,
            region: s.region.clone(),
            source: format!("static {}", s.name),
        });
    }
    out.sort_by(|a, b| a.addr.cmp(&b.addr).then(a.name.cmp(&b.name)));
    out
}
