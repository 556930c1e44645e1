//! Memory regions, and ranges inside them reserved by someone else.

use std::borrow::Cow;

use serde::Serialize;

/// A named, fixed-size memory region (a GNU ld `MEMORY` entry, a chip preset entry,
/// a budget file entry, or one inferred from the ELF's load segments).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Region {
    /// Region name as the linker script (or preset, or budget) spells it.
    pub name: String,
    /// First address.
    pub origin: u64,
    /// Size in bytes.
    pub length: u64,
    /// GNU ld attribute string (`rx`, `rwx`, `!r`...) when the region came from a linker script.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attributes: Option<String>,
}

impl Region {
    /// A region without attributes.
    pub fn new(name: impl Into<String>, origin: u64, length: u64) -> Self {
        Region {
            name: name.into(),
            origin,
            length,
            attributes: None,
        }
    }

    /// One past the last byte; saturates so that a region ending at the top of the
    /// address space does not wrap.
    pub fn end(&self) -> u64 {
        self.origin.saturating_add(self.length)
    }

    /// Whether `addr` lies inside the region.
    pub fn contains(&self, addr: u64) -> bool {
        addr >= self.origin && addr < self.end()
    }
}

/// A region's name and bounds, whether declared ([`Region`]) or analysed
/// ([`crate::report::RegionUsage`]), for checks that need only those.
pub trait RegionBounds {
    /// Region name.
    fn name(&self) -> &str;
    /// First address.
    fn origin(&self) -> u64;
    /// One past the last byte.
    fn end(&self) -> u64;
}

impl RegionBounds for Region {
    fn name(&self) -> &str {
        &self.name
    }
    fn origin(&self) -> u64 {
        self.origin
    }
    fn end(&self) -> u64 {
        Region::end(self)
    }
}

/// A range the image must leave alone (Particle Device OS's RAM, a bootloader, a
/// filesystem...). The one reservation type of the crate: chip presets
/// ([`crate::memory::chips::PresetReservation`]) and budget files declare them, the analysis
/// counts them. `name` is a `Cow` so that presets can be `static` tables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reservation {
    /// Name shown in reports and findings.
    pub name: Cow<'static, str>,
    /// First reserved address.
    pub origin: u64,
    /// Reserved bytes.
    pub length: u64,
}

impl Reservation {
    /// One past the last reserved byte.
    pub fn end(&self) -> u64 {
        self.origin.saturating_add(self.length)
    }
}
