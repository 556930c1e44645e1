//! Placement: which region each section (and each load image) occupies, the regions
//! inferred when none are declared, reservations, and the per-region totals.

use crate::elf::{AvrDevice, Image, Section, SectionKind, AVR_DATA_OFFSET, AVR_EEPROM_OFFSET};
use crate::memory::{Region, Reservation};
use crate::report::{
    ByKind, HeapArena, Overlap, RegionUsage, ReservationUsage, SectionUsage, Stack, Warning,
};

use super::stack_heap::{heap_symbol_ranges, stack_top, END_OF_STATICS, STACK_BOTTOM};

/// Finds the region holding an address range: the smallest region containing its start
/// (linker scripts may nest regions, e.g. a bootloader slice inside FLASH).
pub(crate) struct RegionLookup {
    regions: Vec<(u64, u64, usize)>,
}

impl RegionLookup {
    pub(crate) fn new(regions: &[Region]) -> Self {
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
    pub(crate) fn find(&self, addr: u64, size: u64) -> Option<usize> {
        self.regions
            .iter()
            .filter(|(lo, hi, _)| addr >= *lo && (addr < *hi || (size == 0 && addr == *hi)))
            .min_by_key(|(lo, hi, i)| (hi - lo, *i))
            .map(|&(_, _, i)| i)
    }
}

/// The intervals with the holes cut out.
fn subtract(iv: Vec<(u64, u64)>, holes: &[(u64, u64)]) -> Vec<(u64, u64)> {
    let mut out = iv;
    for &(hlo, hhi) in holes {
        out = out
            .into_iter()
            .flat_map(|(lo, hi)| {
                let left = (lo, hi.min(hlo));
                let right = (lo.max(hhi), hi);
                [left, right].into_iter().filter(|(a, b)| b > a)
            })
            .collect();
    }
    out
}

/// Length of the union of half-open intervals.
pub(crate) fn union_len(iv: &mut [(u64, u64)]) -> u64 {
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
    let holes: Vec<(u64, u64)> = image
        .sections
        .iter()
        .filter(|s| s.kind == SectionKind::Placeholder && s.size > 0)
        .map(|s| (s.addr, s.end()))
        .collect();
    let mut iv = subtract(iv, &holes);
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
    if let Some((_, top)) = stack_top(image) {
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
            // A heap between the statics and the stack is part of the same memory.
            iv.extend(
                heap_symbol_ranges(image)
                    .filter(|&(_, _, hi)| hi <= top)
                    .filter(|&(_, lo, _)| {
                        iv.iter()
                            .any(|&(a, b)| lo >= a && lo <= b.saturating_add(JOIN_GAP))
                    })
                    .map(|(_, lo, hi)| (lo, hi))
                    .collect::<Vec<_>>(),
            );
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

/// The memories an AVR device note declares, named as avr-gcc's linker scripts name them.
pub(crate) fn avr_regions(dev: &AvrDevice) -> Vec<Region> {
    let mut out = vec![
        Region::new("text", dev.flash.0, dev.flash.1),
        Region::new("data", AVR_DATA_OFFSET + dev.ram.0, dev.ram.1),
    ];
    if dev.eeprom.1 > 0 {
        out.push(Region::new(
            "eeprom",
            AVR_EEPROM_OFFSET + dev.eeprom.0,
            dev.eeprom.1,
        ));
    }
    out
}

/// Sections placed in regions: their usage rows, and per region the occupied intervals,
/// bytes per kind, overflow and section names.
pub(crate) struct Placement {
    pub sections: Vec<SectionUsage>,
    pub unmapped: Vec<String>,
    occupied: Vec<Vec<(u64, u64)>>,
    by_kind: Vec<ByKind>,
    overflow: Vec<u64>,
    region_sections: Vec<Vec<(u64, String)>>,
}

/// How far past a full region's end (or its last piece) a piece in no region may start
/// and still be taken for the next section ld put in that region: room for alignment.
const FOLLOW_GAP: u64 = 4096;

/// Place every allocated section at its run address and, when it is copied from
/// elsewhere, its load image at its load address.
pub(crate) fn place_sections(
    alloc: &[&Section],
    regions: &[Region],
    lookup: &RegionLookup,
    warnings: &mut Vec<Warning>,
) -> Placement {
    let n = regions.len();
    let mut p = Placement {
        sections: Vec::new(),
        unmapped: Vec::new(),
        occupied: vec![Vec::new(); n],
        by_kind: vec![ByKind::default(); n],
        overflow: vec![0; n],
        region_sections: vec![Vec::new(); n],
    };
    // The highest end of what each region holds, for GNU ld's overflow figure.
    let mut reach: Vec<u64> = regions.iter().map(|r| r.origin).collect();
    let mut pending = Vec::new();
    for (i, s) in alloc.iter().enumerate() {
        let run = lookup.find(s.addr, s.size);
        let load = if s.has_load_copy() {
            lookup.find(s.load_addr, s.size)
        } else {
            None
        };
        if let Some(r) = run {
            let reg = &regions[r];
            let end = s.end().min(reg.end());
            if s.size > 0 {
                p.occupied[r].push((s.addr, end));
                p.by_kind[r].add(s.kind, end - s.addr);
                p.region_sections[r].push((s.addr, s.name.clone()));
                reach[r] = reach[r].max(s.end());
            }
        } else if s.size > 0 {
            pending.push((i, false, s.addr));
        }
        if let Some(l) = load {
            let reg = &regions[l];
            let end = s.load_addr.saturating_add(s.size).min(reg.end());
            p.occupied[l].push((s.load_addr, end));
            let image = &mut p.by_kind[l].load_image;
            *image = image.saturating_add(end - s.load_addr);
            p.region_sections[l].push((s.load_addr, s.name.clone()));
            reach[l] = reach[l].max(s.load_addr.saturating_add(s.size));
        } else if s.has_load_copy() {
            pending.push((i, true, s.load_addr));
        }
        p.sections.push(SectionUsage {
            name: s.name.clone(),
            kind: s.kind,
            addr: s.addr,
            // A NOBITS section has no bytes to load: whatever physical address its
            // segment gives it, it has no load address of its own.
            load_addr: if s.is_nobits() { s.addr } else { s.load_addr },
            size: s.size,
            region: run.map(|r| regions[r].name.clone()),
            load_region: load.map(|r| regions[r].name.clone()),
            overflow: s
                .end()
                .saturating_sub(run.map_or(u64::MAX, |r| regions[r].end())),
            unattributed: s.size,
            gaps: Vec::new(),
        });
    }
    // GNU ld keeps assigning sections to a full region past its end: a piece in no
    // region that follows a region's last piece is that region's overflow, counted, as
    // ld counts it, up to the end of the last such piece.
    pending.sort_by_key(|&(_, _, addr)| addr);
    for (i, is_load, addr) in pending {
        let s = alloc[i];
        let size = s.size;
        let follows = (0..regions.len())
            .filter(|&r| reach[r].saturating_add(FOLLOW_GAP) >= regions[r].end())
            .filter(|&r| {
                addr >= regions[r].end()
                    && addr <= reach[r].max(regions[r].end()).saturating_add(FOLLOW_GAP)
            })
            .filter(|&r| {
                !regions
                    .iter()
                    .any(|o| o.origin > regions[r].origin && o.origin <= addr)
            })
            .max_by_key(|&r| regions[r].end());
        match (follows, is_load) {
            (Some(r), false) => {
                p.sections[i].region = Some(regions[r].name.clone());
                p.sections[i].overflow = size;
                p.region_sections[r].push((addr, s.name.clone()));
                reach[r] = reach[r].max(addr.saturating_add(size));
            }
            (Some(r), true) => {
                p.sections[i].load_region = Some(regions[r].name.clone());
                p.region_sections[r].push((addr, s.name.clone()));
                reach[r] = reach[r].max(addr.saturating_add(size));
            }
            (None, false) => p.unmapped.push(s.name.clone()),
            (None, true) => warnings.push(Warning::LoadImageUnmapped {
                section: s.name.clone(),
                load_addr: s.load_addr,
            }),
        }
    }
    for (r, reg) in regions.iter().enumerate() {
        p.overflow[r] = reach[r].saturating_sub(reg.end());
    }
    for name in &p.unmapped {
        warnings.push(Warning::SectionUnmapped {
            section: name.clone(),
        });
    }
    p
}

/// How much of each reservation the image's sections (run or load image) occupy.
pub(crate) fn reservation_usage(
    reservations: &[Reservation],
    alloc: &[&Section],
    regions: &[Region],
    lookup: &RegionLookup,
) -> Vec<ReservationUsage> {
    let mut out = Vec::new();
    for res in reservations {
        let r = lookup.find(res.origin, res.length.max(1));
        let mut overlaps = Vec::new();
        let res_end = res.end();
        for s in alloc {
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
        out.push(ReservationUsage {
            name: res.name.to_string(),
            region: r.map(|i| regions[i].name.clone()),
            origin: res.origin,
            length: res.length,
            overlap: overlaps.iter().fold(0u64, |a, o| a.saturating_add(o.bytes)),
            sections: overlaps,
        });
    }
    out
}

/// What is reserved in the regions: the sized stack, heap arenas, and others' reservations.
pub(crate) struct Reserved<'a> {
    pub stack: Option<&'a Stack>,
    pub heap: &'a [HeapArena],
    pub external: &'a [Reservation],
}

/// Per-region totals: `used` (sections and load images), `reserved` (stack + heap +
/// external, overlaps counted once) and `free`, with `used + reserved + free == length`.
pub(crate) fn region_usage(
    regions: &[Region],
    inferred: bool,
    placement: &mut Placement,
    reserved: &Reserved,
) -> Vec<RegionUsage> {
    let mut out = Vec::with_capacity(regions.len());
    for (i, reg) in regions.iter().enumerate() {
        let clip = |lo: u64, hi: u64| -> Option<(u64, u64)> {
            let lo = lo.max(reg.origin);
            let hi = hi.min(reg.end());
            (hi > lo).then_some((lo, hi))
        };
        let stack_iv: Vec<(u64, u64)> = reserved
            .stack
            .iter()
            .filter(|s| s.sized)
            .filter_map(|s| clip(s.bottom, s.top))
            .collect();
        let heap_iv: Vec<(u64, u64)> = reserved
            .heap
            .iter()
            .filter_map(|h| clip(h.addr, h.addr.saturating_add(h.size)))
            .collect();
        let ext_iv: Vec<(u64, u64)> = reserved
            .external
            .iter()
            .filter_map(|r| clip(r.origin, r.end()))
            .collect();
        let mut reserved_iv = stack_iv.clone();
        reserved_iv.extend(&heap_iv);
        reserved_iv.extend(&ext_iv);
        let reserved_bytes = union_len(&mut reserved_iv.clone());
        // Heap arenas that are statics in .bss are both a section's bytes and a
        // reservation: count them as reserved, not as used.
        let mut all = placement.occupied[i].clone();
        all.extend(&reserved_iv);
        let occupied_total = union_len(&mut all);
        let used = occupied_total - reserved_bytes;
        // An overflowing region needs its length plus the overflow: it has no room left,
        // and its percentage says how far over it is.
        let overflow = placement.overflow[i];
        let need = if overflow > 0 {
            reg.length.saturating_add(overflow)
        } else {
            used + reserved_bytes
        };
        let percent = if reg.length == 0 {
            0.0
        } else {
            (need as f64 * 10000.0 / reg.length as f64).round() / 100.0
        };
        let mut secs = std::mem::take(&mut placement.region_sections[i]);
        secs.sort();
        out.push(RegionUsage {
            name: reg.name.clone(),
            origin: reg.origin,
            length: reg.length,
            inferred,
            used,
            by_kind: placement.by_kind[i].clone(),
            stack: union_len(&mut stack_iv.clone()),
            heap: union_len(&mut heap_iv.clone()),
            external: union_len(&mut ext_iv.clone()),
            reserved: reserved_bytes,
            free: if overflow > 0 {
                0
            } else {
                reg.length.saturating_sub(occupied_total)
            },
            percent_used: percent,
            overflow,
            sections: secs.into_iter().map(|(_, n)| n).collect(),
        });
    }
    out
}
