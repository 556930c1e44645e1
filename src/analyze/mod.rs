//! The analysis: attribute every byte of an [`Image`] to a region, a section and a
//! symbol (or a labelled remainder), find stack and heap reservations, and produce one
//! [`Report`] value that every renderer formats. Rollups ([`rollup`]) are computed here
//! too, from the report.

use std::collections::BTreeMap;

use crate::elf::{Image, Section};
use crate::error::Error;
use crate::memory::source::{MemoryMap, RegionSource};
use crate::memory::{Region, Reservation};
use crate::report::{Report, Warning, REPORT_SCHEMA};

pub mod attribution;
mod placement;
pub mod rollup;
mod stack_heap;
mod symbols;

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
}

impl From<MemoryMap> for Options {
    fn from(map: MemoryMap) -> Self {
        Options {
            regions: map.regions,
            region_source: map.source,
            reservations: map.reservations,
            sources: attribution::Sources::default(),
        }
    }
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
    let stack = stack_heap::find_stack(image, &regions, &lookup);
    let heap = stack_heap::find_heap(image, &symbols, &regions, &lookup);
    if let Some(s) = stack.as_ref().filter(|s| s.size == 0) {
        warnings.push(Warning::NoStackRoom { top: s.top });
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
