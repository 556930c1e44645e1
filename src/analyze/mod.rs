//! The analysis: attribute every byte of an [`Image`] to a region, a section and a
//! symbol (or a labelled remainder), find stack and heap reservations, and produce one
//! [`Report`] value that every renderer formats. Rollups ([`rollup`]) are computed here
//! too, from the report.

use std::collections::BTreeMap;

use crate::elf::{Image, Section};
use crate::error::Error;
use crate::memory::linker::ScriptWarning;
use crate::memory::source::{MemoryMap, RegionSource};
use crate::memory::{Region, Reservation};
use crate::report::{Report, Warning, REPORT_SCHEMA};

pub mod attribution;
mod placement;
pub mod rollup;
mod stack_heap;
mod symbols;
pub mod treemap;

pub use placement::infer_regions;

/// What to analyse an image against.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Regions to account against; empty means infer them from the ELF.
    pub regions: Vec<Region>,
    /// Where `regions` came from (reported as `regions_source`).
    pub region_source: Option<RegionSource>,
    /// Ranges the image must leave alone (counted as reserved, overlaps reported).
    pub reservations: Vec<Reservation>,
    /// DWARF and linker map for source attribution (none: symbol table only).
    pub sources: attribution::Sources,
    /// Warnings about the linker script the regions came from, passed on to the report.
    pub script_warnings: Vec<ScriptWarning>,
}

impl From<MemoryMap> for Options {
    fn from(map: MemoryMap) -> Self {
        Options {
            regions: map.regions,
            region_source: map.source,
            reservations: map.reservations,
            sources: attribution::Sources::default(),
            script_warnings: map.script_warnings,
        }
    }
}

/// Analyse an image against the given regions.
pub fn analyze(image: &Image, opts: &Options) -> Result<Report, Error> {
    let mut warnings: Vec<Warning> = opts.script_warnings.iter().map(Warning::from).collect();
    let (regions, source, inferred) =
        if let (true, Some(dev)) = (opts.regions.is_empty(), &image.avr_device) {
            let source = RegionSource {
                kind: "device-note".into(),
                name: Some(dev.name.clone()),
            };
            (placement::avr_regions(dev), source, false)
        } else if opts.regions.is_empty() {
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
    let lookup = placement::RegionLookup::new(&regions);
    let alloc: Vec<&Section> = image
        .sections
        .iter()
        .filter(|s| s.kind.occupies_memory())
        .collect();
    let mut placed = placement::place_sections(&alloc, &regions, &lookup, &mut warnings);
    let mut symbols = symbols::attribute_symbols(image, &mut placed.sections, &regions, &lookup);
    attribution::apply(
        &opts.sources,
        &mut symbols,
        &mut placed.sections,
        &mut warnings,
    );
    let stack = stack_heap::find_stack(image, &regions, &lookup, &opts.reservations);
    let heap = stack_heap::find_heap(image, &symbols, &regions, &lookup);
    if let Some(s) = stack.as_ref().filter(|s| s.size == 0) {
        warnings.push(Warning::NoStackRoom { top: s.top });
    }
    if source.kind == "chip" {
        warnings.extend(stack_heap::linked_for_less(image, stack.as_ref(), &regions));
    }
    let reservations = placement::reservation_usage(&opts.reservations, &alloc, &regions, &lookup);
    let reserved = placement::Reserved {
        stack: stack.as_ref(),
        heap: &heap,
        external: &opts.reservations,
    };
    let region_usage = placement::region_usage(&regions, inferred, &mut placed, &reserved);
    for r in region_usage.iter().filter(|r| r.overflow > 0) {
        warnings.push(Warning::RegionOverflow {
            region: r.name.clone(),
            bytes: r.overflow,
        });
    }
    if !image.info.has_symbols {
        warnings.push(Warning::NoSymbols);
    }
    let report = Report {
        schema: REPORT_SCHEMA.to_string(),
        file: image.file_name.clone(),
        labels: Default::default(),
        elf: image.info.clone(),
        regions_source: source,
        regions: region_usage,
        sections: placed.sections,
        symbols,
        stack,
        heap,
        reservations,
        unmapped: placed.unmapped,
        warnings,
        stack_need: None,
    };
    check_totals(&report)?;
    Ok(report)
}

/// Every byte must be accounted for exactly once; if not, that is a bug in this file. Sums
/// are taken in u128, so that a sum that wrapped or saturated in the analysis shows here.
fn check_totals(report: &Report) -> Result<(), Error> {
    let wide = u128::from;
    for r in &report.regions {
        let occupied = wide(r.used) + wide(r.reserved);
        // An overflowing region has no free bytes: its gaps (alignment) are not room.
        let fits = if r.overflow > 0 {
            r.free == 0 && occupied <= wide(r.length)
        } else {
            occupied + wide(r.free) == wide(r.length)
        };
        if !fits {
            return Err(Error::Internal(format!(
                "region {}: used {} + reserved {} + free {} != length {}",
                r.name, r.used, r.reserved, r.free, r.length
            )));
        }
        // `used` is the union of the region's section bytes (less reservations); the bytes
        // per kind add those sections up, overlaps included, so they can only be more.
        if wide(r.used) > r.by_kind.total_wide() {
            return Err(Error::Internal(format!(
                "region {}: used {} exceeds the {} bytes of its sections",
                r.name,
                r.used,
                r.by_kind.total_wide()
            )));
        }
    }
    // Per section position, not name: names repeat (unnamed sections, COMDAT groups).
    let mut per_section: BTreeMap<usize, u128> = BTreeMap::new();
    for s in &report.symbols {
        if let Some(pos) = rollup::section_of(report, s) {
            *per_section.entry(pos).or_default() += wide(s.bytes);
        }
    }
    for (pos, s) in report.sections.iter().enumerate() {
        let sym = per_section.get(&pos).copied().unwrap_or(0);
        if sym + wide(s.unattributed) != wide(s.size) {
            return Err(Error::Internal(format!(
                "section {}: symbols {} + unattributed {} != size {}",
                s.name, sym, s.unattributed, s.size
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small real image (`fuzz/seeds/src/`): code and rodata in FLASH, `.data` in RAM with
    /// its image in FLASH.
    fn report() -> Report {
        let bytes = include_bytes!("../../fuzz/seeds/elf_report/cortex-m4-tiny.elf");
        let image = crate::elf::load_bytes(bytes, "tiny.elf").expect("seed loads");
        let opts = Options {
            regions: vec![
                Region::new("FLASH", 0x0800_0000, 0x1_0000),
                Region::new("RAM", 0x2000_0000, 0x2000),
            ],
            ..Default::default()
        };
        analyze(&image, &opts).expect("seed analyses")
    }

    fn is_internal(r: Result<(), Error>) -> bool {
        matches!(r, Err(Error::Internal(_)))
    }

    #[test]
    fn totals_check_catches_wrapped_sums() {
        let good = report();
        check_totals(&good).expect("a real report adds up");
        let flash = good.regions.iter().position(|r| r.name == "FLASH").unwrap();
        assert!(good.regions[flash].used > 0);

        // Issue 9: two 2^63-byte sections wrapped the bytes per kind to 0.
        let mut r = good.clone();
        r.regions[flash].by_kind = Default::default();
        assert!(is_internal(check_totals(&r)));

        // A reserved figure whose u64 sum with `used` wraps to `length - free`.
        let mut r = good.clone();
        let g = &mut r.regions[flash];
        g.reserved = u64::MAX;
        g.free = g.length - (g.used - 1);
        assert_eq!(
            g.used.wrapping_add(g.reserved).wrapping_add(g.free),
            g.length
        );
        assert!(is_internal(check_totals(&r)));

        // A symbol's bytes that do not add up with its section's.
        let mut r = good.clone();
        r.symbols[0].bytes = r.symbols[0].bytes.wrapping_add(u64::MAX);
        assert!(is_internal(check_totals(&r)));
    }
}
