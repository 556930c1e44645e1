//! Choosing the region list: a linker script, a budget file, a chip preset, or inference.

use std::path::Path;

use crate::error::Error;
use crate::memory::chips;
use crate::memory::linker;
use crate::memory::Region;
use crate::report::{Options, RegionSource, Reservation};

/// Regions (and reservations) a budget file declares, already resolved to addresses.
#[derive(Debug, Clone, Default)]
pub struct BudgetRegions {
    pub regions: Vec<Region>,
    pub reservations: Vec<Reservation>,
    /// Budget file name, for the report's `regions_source`.
    pub label: String,
}

/// Build analysis options from, in priority order: `--memory FILE`, the budget file's
/// regions, `--chip NAME`; with none of them the analysis infers regions from the ELF.
/// Reservations from the budget and the chip preset apply whichever source wins.
pub fn resolve(
    memory: Option<&Path>,
    defsyms: &[String],
    budget: Option<&BudgetRegions>,
    chip: Option<&str>,
) -> Result<Options, Error> {
    let preset = match chip {
        Some(name) => Some(chips::find(name).ok_or_else(|| Error::UnknownChip(name.to_string()))?),
        None => None,
    };
    let mut opts = Options::default();
    if let Some(path) = memory {
        let script = linker::ScriptOptions {
            search_dirs: Vec::new(),
            defsyms: defsyms
                .iter()
                .map(|d| linker::Defsym::parse(d))
                .collect::<Result<_, _>>()?,
        };
        opts.regions = linker::read_memory_file(path, &script)?.regions;
        opts.region_source = Some(RegionSource {
            kind: "linker-script".into(),
            name: path.file_name().map(|n| n.to_string_lossy().into_owned()),
        });
    } else if let Some(b) = budget.filter(|b| !b.regions.is_empty()) {
        opts.regions = b.regions.clone();
        opts.region_source = Some(RegionSource {
            kind: "budget".into(),
            name: Some(b.label.clone()),
        });
    } else if let Some(p) = preset {
        opts.regions = p.regions();
        opts.region_source = Some(RegionSource {
            kind: "chip".into(),
            name: Some(p.name.to_string()),
        });
    }
    if let Some(b) = budget {
        opts.reservations.extend(b.reservations.iter().cloned());
    }
    if let Some(p) = preset {
        for r in p.reservations {
            if !opts.reservations.iter().any(|x| x.name == r.name) {
                opts.reservations.push(Reservation {
                    name: r.name.to_string(),
                    origin: r.origin,
                    length: r.length,
                });
            }
        }
    }
    Ok(opts)
}
