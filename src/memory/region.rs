//! Memory regions: where they come from and how they are looked up.

use serde::Serialize;

/// A named, fixed-size memory region (a GNU ld `MEMORY` entry, a chip preset entry,
/// a budget file entry, or one inferred from the ELF's load segments).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Region {
    pub name: String,
    pub origin: u64,
    pub length: u64,
    /// GNU ld attribute string (`rx`, `rwx`, `!r`...) when the region came from a linker script.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attributes: Option<String>,
}

impl Region {
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

    pub fn contains(&self, addr: u64) -> bool {
        addr >= self.origin && addr < self.end()
    }
}
