//! Choosing the memory map: regions from a linker script, a budget file, a chip preset, or
//! (with none of them) inference by the analysis; reservations from the budget and the preset.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::memory::{chips, linker, Region, Reservation};

/// Where the region list came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct RegionSource {
    /// `linker-script`, `chip`, `budget`, `device-note` (AVR's `.note.gnu.avr.deviceinfo`) or `inferred`.
    pub kind: String,
    /// File name (no directories) or preset name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

impl RegionSource {
    /// Regions inferred from the ELF's load segments.
    pub fn inferred() -> Self {
        RegionSource {
            kind: "inferred".into(),
            name: None,
        }
    }
}

/// Regions (and reservations) a budget file declares, already resolved to addresses.
#[derive(Debug, Clone, Default)]
pub struct BudgetRegions {
    /// Declared regions; empty when the budget declares none.
    pub regions: Vec<Region>,
    /// Declared reservations.
    pub reservations: Vec<Reservation>,
    /// Budget file name, for the report's `regions_source`.
    pub label: String,
}

/// Regions to account against, where they came from, and reserved ranges.
#[derive(Debug, Clone, Default)]
pub struct MemoryMap {
    /// Declared regions; empty means the analysis infers them from the ELF.
    pub regions: Vec<Region>,
    /// Where `regions` came from (`None` when they are to be inferred).
    pub source: Option<RegionSource>,
    /// Ranges the image must leave alone.
    pub reservations: Vec<Reservation>,
    /// What the linker script had that GNU ld accepts but is probably a mistake.
    pub script_warnings: Vec<linker::ScriptWarning>,
}

/// The memory map from, in priority order: `--memory FILE`, the budget file's regions,
/// `--chip NAME`; with none of them the analysis infers regions from the ELF.
/// Reservations from the budget and the chip preset apply whichever source wins.
pub fn resolve(
    memory: Option<&Path>,
    script: &linker::ScriptOptions,
    budget: Option<&BudgetRegions>,
    chip: Option<&str>,
) -> Result<MemoryMap, Error> {
    let preset = match chip {
        Some(name) => Some(chips::find(name).ok_or_else(|| Error::UnknownChip(name.to_string()))?),
        None => None,
    };
    let mut map = MemoryMap::default();
    if let Some(path) = memory {
        let read = linker::read_memory_file(path, script)?;
        map.regions = read.regions;
        map.script_warnings = read.warnings;
        map.source = Some(RegionSource {
            kind: "linker-script".into(),
            name: path.file_name().map(|n| n.to_string_lossy().into_owned()),
        });
    } else if let Some(b) = budget.filter(|b| !b.regions.is_empty()) {
        map.regions = b.regions.clone();
        map.source = Some(RegionSource {
            kind: "budget".into(),
            name: Some(b.label.clone()),
        });
    } else if let Some(p) = preset {
        map.regions = p.regions();
        map.source = Some(RegionSource {
            kind: "chip".into(),
            name: Some(p.name.to_string()),
        });
    }
    if let Some(b) = budget {
        map.reservations.extend(b.reservations.iter().cloned());
    }
    if let Some(p) = preset {
        for r in p.reservations {
            if !map.reservations.iter().any(|x| x.name == r.range.name) {
                map.reservations.push(r.range.clone());
            }
        }
    }
    Ok(map)
}
