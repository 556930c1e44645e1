//! Symbols: each byte of a section goes to one symbol (aliases merged, overlaps to the
//! first), and what no symbol covers is the section's `unattributed` remainder.

use std::collections::BTreeMap;

use crate::demangle;
use crate::elf::{Image, Section, SymbolKind};
use crate::memory::Region;
use crate::report::{SectionUsage, SymbolUsage};

use super::placement::RegionLookup;

/// Attribute every sized symbol to its section, set each section's `unattributed` bytes,
/// and return the symbols largest first.
pub(crate) fn attribute_symbols(
    image: &Image,
    sections: &mut [SectionUsage],
    regions: &[Region],
    lookup: &RegionLookup,
) -> Vec<SymbolUsage> {
    let by_section = symbols_by_section(image);
    let mut names = Names::demangle_listed(image, &by_section);
    let section_pos: BTreeMap<usize, usize> = image
        .sections
        .iter()
        .filter(|s| s.kind.occupies_memory())
        .enumerate()
        .map(|(pos, s)| (s.index, pos))
        .collect();
    let mut out = Vec::with_capacity(by_section.values().map(Vec::len).sum());
    for (sec_index, syms) in by_section {
        let Some(&pos) = section_pos.get(&sec_index) else {
            continue;
        };
        let Some(sec) = image.section_by_index(sec_index) else {
            continue;
        };
        let placed = Placed {
            section: sec,
            pos,
            region: lookup
                .find(sec.addr, sec.size)
                .map(|r| regions[r].name.clone()),
            load_region: sec
                .has_load_copy()
                .then(|| lookup.find(sec.load_addr, sec.size))
                .flatten()
                .map(|r| regions[r].name.clone()),
        };
        let covered = attribute_section(image, &placed, syms, &mut names, &mut out);
        sections[pos].unattributed = sec.size - covered.min(sec.size);
    }
    largest_first(out)
}

/// Sort key of a symbol: bytes and size (largest first), name rank, address, then its index.
type SortKey = (
    std::cmp::Reverse<u64>,
    std::cmp::Reverse<u64>,
    u32,
    u64,
    u32,
);

/// Sorts by attributed bytes (descending), size (descending), name, address, raw name.
/// Unstable sort is deterministic too, and the key is total but for exact duplicates, which
/// render identically. Names are compared once per distinct name (a large Rust image has
/// three symbols per demangled name, and tens of thousands of ties on bytes and size, whose
/// long, often equal names made `memcmp` the top of the profile): each gets its rank, and
/// the symbols are sorted on integer keys held in one array, then moved once.
fn largest_first(symbols: Vec<SymbolUsage>) -> Vec<SymbolUsage> {
    use rayon::prelude::*;
    use std::cmp::Reverse;
    let mut ids: foldhash::HashMap<&str, u32> = Default::default();
    let mut distinct: Vec<&str> = Vec::new();
    let name_id: Vec<u32> = symbols
        .iter()
        .map(|s| {
            *ids.entry(s.name.as_str()).or_insert_with(|| {
                distinct.push(&s.name);
                (distinct.len() - 1) as u32
            })
        })
        .collect();
    let mut by_name: Vec<u32> = (0..distinct.len() as u32).collect();
    by_name.par_sort_unstable_by(|&a, &b| distinct[a as usize].cmp(distinct[b as usize]));
    let mut rank = vec![0u32; distinct.len()];
    for (r, &d) in by_name.iter().enumerate() {
        rank[d as usize] = r as u32;
    }
    let mut keys: Vec<SortKey> = symbols
        .iter()
        .zip(&name_id)
        .enumerate()
        .map(|(i, (s, &n))| {
            (
                Reverse(s.bytes),
                Reverse(s.size),
                rank[n as usize],
                s.addr,
                i as u32,
            )
        })
        .collect();
    keys.par_sort_unstable_by(|a, b| {
        (a.0, a.1, a.2, a.3)
            .cmp(&(b.0, b.1, b.2, b.3))
            .then_with(|| symbols[a.4 as usize].raw.cmp(&symbols[b.4 as usize].raw))
    });
    drop((ids, distinct));
    let mut slots: Vec<Option<SymbolUsage>> = symbols.into_iter().map(Some).collect();
    keys.into_iter()
        .map(|k| slots[k.4 as usize].take().expect("each index once"))
        .collect()
}

/// Indices of sized, non-TLS symbols per section index (no symbol x section scan).
fn symbols_by_section(image: &Image) -> BTreeMap<usize, Vec<usize>> {
    let mut by_section: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (i, sym) in image.symbols.iter().enumerate() {
        if sym.size == 0 || sym.kind == SymbolKind::Tls {
            continue;
        }
        if let Some(idx) = sym.section {
            by_section.entry(idx).or_default().push(i);
        }
    }
    by_section
}

/// Demangled names (and "is Rust") of the listed symbols. Demangling dominates the run
/// time on large images: it is done once per distinct raw name, on every core, and each
/// result is moved out at its last use instead of copied.
struct Names {
    /// Per symbol index: its distinct name's slot, or `NONE` when not listed.
    slot: Vec<u32>,
    /// Per slot: the demangled name, and how many listed symbols still need it.
    names: Vec<(Option<(String, bool)>, u32)>,
}

impl Names {
    const NONE: u32 = u32::MAX;

    fn demangle_listed(image: &Image, by_section: &BTreeMap<usize, Vec<usize>>) -> Names {
        use rayon::prelude::*;
        let mut slot = vec![Self::NONE; image.symbols.len()];
        let mut distinct: Vec<&str> = Vec::new();
        let mut uses: Vec<u32> = Vec::new();
        // foldhash (randomly seeded too) instead of SipHash, which cost a quarter of the
        // demangling this map saves on a 30,000-symbol image.
        let mut seen: foldhash::HashMap<&str, u32> = Default::default();
        for &i in by_section.values().flatten() {
            let raw = image.symbols[i].raw.as_str();
            let s = *seen.entry(raw).or_insert_with(|| {
                distinct.push(raw);
                uses.push(0);
                (distinct.len() - 1) as u32
            });
            uses[s as usize] += 1;
            slot[i] = s;
        }
        let demangled: Vec<(String, bool)> = distinct
            .par_iter()
            .map(|raw| demangle::demangle_with_language(raw))
            .collect();
        Names {
            slot,
            names: demangled.into_iter().map(Some).zip(uses).collect(),
        }
    }

    /// The name of symbol `i`, and whether it is Rust.
    fn take(&mut self, image: &Image, i: usize) -> (String, bool) {
        let s = self.slot[i];
        if s == Self::NONE {
            return (image.symbols[i].raw.clone(), false);
        }
        let (name, uses) = &mut self.names[s as usize];
        *uses -= 1;
        if *uses == 0 {
            name.take().expect("a name is taken at its last use only")
        } else {
            name.clone().expect("a name is taken at its last use only")
        }
    }
}

/// The crate of a rustc codegen unit's `STT_FILE` name, `CRATE.HASH-cgu.N`: it gives
/// unmangled symbols (`#[no_mangle]` functions, `compiler_builtins`' `__aeabi_*`, string
/// constants) the crate that compiled them.
fn codegen_unit_crate(file: &str) -> Option<String> {
    let (krate, rest) = file.split_once('.')?;
    let (hash, unit) = rest.split_once("-cgu.")?;
    let ok = !krate.is_empty()
        && krate.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && hash.len() >= 8
        && hash.chars().all(|c| c.is_ascii_hexdigit())
        && !unit.is_empty()
        && unit.chars().all(|c| c.is_ascii_digit());
    ok.then(|| krate.to_string())
}

/// A section with the names of its run and load regions.
struct Placed<'a> {
    section: &'a Section,
    /// Its position in the report's sections.
    pos: usize,
    region: Option<String>,
    load_region: Option<String>,
}

/// Attribute the symbols `syms` of one section, in address order; returns the bytes they
/// cover.
fn attribute_section(
    image: &Image,
    placed: &Placed,
    mut syms: Vec<usize>,
    names: &mut Names,
    out: &mut Vec<SymbolUsage>,
) -> u64 {
    let sec = placed.section;
    // Address order; at one address the longest first, then globals before locals,
    // then by name, so that the primary name of an alias group is deterministic. `syms`
    // is in index order, so the index tie-break gives the stable sort's order, unstably
    // (no merge buffer).
    syms.sort_unstable_by(|&a, &b| {
        let (x, y) = (&image.symbols[a], &image.symbols[b]);
        x.addr
            .cmp(&y.addr)
            .then(y.size.cmp(&x.size))
            .then(y.global.cmp(&x.global))
            .then(x.weak.cmp(&y.weak))
            .then(x.raw.cmp(&y.raw))
            .then(a.cmp(&b))
    });
    let mut cursor = sec.addr;
    let mut covered = 0u64;
    let mut last: Option<usize> = None;
    for i in syms {
        let sym = &image.symbols[i];
        if let Some(p) = last.map(|prev| &mut out[prev]) {
            if p.addr == sym.addr && p.size == sym.size {
                let alias = names.take(image, i).0;
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
        let (name, rust) = names.take(image, i);
        let krate = if rust {
            demangle::rust_crate(&name)
        } else {
            None
        }
        .or_else(|| sym.file.as_deref().and_then(codegen_unit_crate));
        out.push(SymbolUsage {
            name,
            raw: sym.raw.clone(),
            addr: sym.addr,
            size: sym.size,
            bytes,
            kind: sym.kind,
            section: sec.name.clone(),
            region: placed.region.clone(),
            load_region: placed.load_region.clone(),
            load_addr: sec.has_load_copy().then(|| {
                sec.load_addr
                    .saturating_add(sym.addr.saturating_sub(sec.addr))
            }),
            krate,
            file: sym.file.clone(),
            line: None,
            cu: None,
            archive: None,
            object: None,
            aliases: Vec::new(),
            section_pos: Some(placed.pos),
        });
        last = Some(out.len() - 1);
    }
    covered
}
