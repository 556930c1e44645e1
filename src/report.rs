//! The report: what the analysis ([`crate::analyze`]) computes about one image, as plain
//! data. Every renderer formats this value, and `diff` reads a report's JSON back through
//! these same types.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::elf::{ElfInfo, SectionKind, SymbolKind};
use crate::memory::linker::ScriptWarning;
pub use crate::memory::source::RegionSource;
use crate::memory::RegionBounds;

/// Version of the JSON report layout (`schema/report.schema.json`). Bump on any
/// incompatible change.
pub const REPORT_SCHEMA: &str = "membudget.report/2";

/// Everything the analysis found about one image: the value every renderer formats.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Report {
    /// `membudget.report/2` (2: per-symbol `line`, `cu`, `archive`, `object`, and per-section
    /// `gaps`, from DWARF and linker maps).
    #[schemars(extend("const" = REPORT_SCHEMA))]
    pub schema: String,
    /// ELF file name (no directories).
    pub file: String,
    /// Provenance given with `report --label KEY=VALUE` (commit, branch, date, build id...),
    /// for the dashboard over builds; absent when none were given. Never filled in
    /// automatically, so the same command gives the same bytes.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// What the ELF header says.
    pub elf: ElfInfo,
    /// Where the regions came from.
    pub regions_source: RegionSource,
    /// Regions in declaration order.
    pub regions: Vec<RegionUsage>,
    /// Allocated sections in header order.
    pub sections: Vec<SectionUsage>,
    /// Symbols by attributed bytes, then size, then name.
    pub symbols: Vec<SymbolUsage>,
    /// The stack, when one is found.
    pub stack: Option<Stack>,
    /// Heap arenas.
    pub heap: Vec<HeapArena>,
    /// Reservations and what overlaps them.
    pub reservations: Vec<ReservationUsage>,
    /// Allocated sections that fall in no region (they still count in `sections`).
    pub unmapped: Vec<String>,
    /// What the analysis noticed.
    pub warnings: Vec<Warning>,
    /// Worst-case stack from the machine code ([`crate::stack`]), for images it supports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stack_need: Option<crate::stack::StackNeed>,
}

/// Bytes per kind of content.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct ByKind {
    /// Code.
    pub code: u64,
    /// Read-only data.
    pub rodata: u64,
    /// Initialised data.
    pub data: u64,
    /// Zeroed data.
    pub bss: u64,
    /// Uninitialised data.
    pub uninit: u64,
    /// Initialiser images of sections that run elsewhere (`.data`'s copy in flash).
    pub load_image: u64,
}

impl ByKind {
    /// Adds section bytes. Saturates instead of wrapping: the loader bounds an image's
    /// bytes by its address space, and a saturated sum fails the analysis' totals check.
    pub(crate) fn add(&mut self, kind: SectionKind, bytes: u64) {
        let field = match kind {
            SectionKind::Code => &mut self.code,
            SectionKind::Rodata => &mut self.rodata,
            SectionKind::Data => &mut self.data,
            SectionKind::Bss => &mut self.bss,
            SectionKind::Uninit => &mut self.uninit,
            SectionKind::Tls | SectionKind::Other | SectionKind::Placeholder => return,
        };
        *field = field.saturating_add(bytes);
    }

    /// All bytes (saturating; see [`ByKind::total_wide`] for the exact sum).
    pub fn total(&self) -> u64 {
        u64::try_from(self.total_wide()).unwrap_or(u64::MAX)
    }

    /// All bytes, exactly.
    pub fn total_wide(&self) -> u128 {
        [
            self.code,
            self.rodata,
            self.data,
            self.bss,
            self.uninit,
            self.load_image,
        ]
        .iter()
        .map(|&b| u128::from(b))
        .sum()
    }
}

/// A region's usage.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct RegionUsage {
    /// Region name.
    pub name: String,
    /// First address.
    pub origin: u64,
    /// Size in bytes.
    pub length: u64,
    /// True when the region was inferred from load segments, not declared: its length is
    /// what the image occupies, not the capacity of the memory.
    pub inferred: bool,
    /// Bytes occupied by sections and load images (statics, code, constants), not
    /// counting stack and heap reservations.
    pub used: u64,
    /// Bytes of the sections and load images placed in the region, per kind of content.
    /// Not a split of `used`: a heap arena or stack that is a static in a section counts
    /// here and in `reserved` (`used` leaves it out), and overlapping sections count
    /// twice, so the total is at least `used`.
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

impl RegionBounds for RegionUsage {
    fn name(&self) -> &str {
        &self.name
    }
    fn origin(&self) -> u64 {
        self.origin
    }
    fn end(&self) -> u64 {
        self.origin.saturating_add(self.length)
    }
}

/// A section and where it lies.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct SectionUsage {
    /// Section name.
    pub name: String,
    /// What it holds.
    pub kind: SectionKind,
    /// Run address.
    pub addr: u64,
    /// Load address (BFD's rule).
    pub load_addr: u64,
    /// Size.
    pub size: u64,
    /// Run region (`None`: outside every region).
    pub region: Option<String>,
    /// Region holding the load image, when the section is copied from elsewhere.
    pub load_region: Option<String>,
    /// Bytes past the end of `region`.
    pub overflow: u64,
    /// Bytes not covered by any symbol (fill, alignment padding, unnamed data).
    pub unattributed: u64,
    /// The `unattributed` bytes split by what DWARF unit ranges and linker-map input
    /// sections say they belong to, in address order (present with `--dwarf`/`--map`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub gaps: Vec<crate::analyze::attribution::Gap>,
}

/// A symbol and the bytes attributed to it.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct SymbolUsage {
    /// Demangled name (Rust hash dropped).
    pub name: String,
    /// The name as stored in the ELF.
    pub raw: String,
    /// Address (Thumb bit cleared).
    pub addr: u64,
    /// `st_size`, as `nm -S` prints it.
    pub size: u64,
    /// Bytes attributed to this symbol alone (overlaps go to the first symbol).
    pub bytes: u64,
    /// Its type.
    pub kind: SymbolKind,
    /// Its section.
    pub section: String,
    /// Run region.
    pub region: Option<String>,
    /// Load region, for sections copied from elsewhere.
    pub load_region: Option<String>,
    /// Address of the symbol's initialiser image in `load_region` (a `.data` symbol's
    /// bytes in flash), when its section is copied from elsewhere.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub load_addr: Option<u64>,
    /// Crate of a Rust symbol.
    #[serde(rename = "crate")]
    pub krate: Option<String>,
    /// Source file: the DWARF declaration file with `--dwarf`, else `STT_FILE` (local
    /// symbols only).
    pub file: Option<String>,
    /// Declaration line (DWARF).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    /// Compile unit (DWARF).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cu: Option<String>,
    /// Library archive of the object file (linker map).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub archive: Option<String>,
    /// Object file (linker map; `*fill*` for linker padding).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object: Option<String>,
    /// Other names at the same address with the same size.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    /// Position of its section in [`Report::sections`]. Section names are not unique (a
    /// relocatable object's COMDAT `.text`s, unnamed sections), so rollups need this to
    /// put a symbol's bytes in the right section. Not serialised: a report read back from
    /// JSON resolves the section by name and address (`analyze::rollup::section_of`).
    #[serde(skip)]
    #[schemars(skip)]
    pub section_pos: Option<usize>,
}

/// The stack as linker symbols or a `.stack` section declare it.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Stack {
    /// Lowest address the stack may reach.
    pub bottom: u64,
    /// Initial stack pointer (the stack grows down from here).
    pub top: u64,
    /// `top - bottom`.
    pub size: u64,
    /// Its region.
    pub region: Option<String>,
    /// False when nothing bounds the stack but the statics below it (cortex-m-rt's
    /// default): then it shares the region's free space and is not counted as reserved.
    pub sized: bool,
    /// The symbols or section it was read from.
    pub source: String,
}

/// A heap arena.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct HeapArena {
    /// Symbol or section name.
    pub name: String,
    /// First address.
    pub addr: u64,
    /// Size.
    pub size: u64,
    /// Its region.
    pub region: Option<String>,
    /// What it was read from.
    pub source: String,
}

/// A reservation and what overlaps it.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct ReservationUsage {
    /// Reservation name.
    pub name: String,
    /// Its region.
    pub region: Option<String>,
    /// First reserved address.
    pub origin: u64,
    /// Reserved bytes.
    pub length: u64,
    /// Bytes of the image's sections inside the reservation.
    pub overlap: u64,
    /// Sections inside it.
    pub sections: Vec<Overlap>,
}

/// Bytes of one section inside a reservation.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Overlap {
    /// Section name.
    pub section: String,
    /// Bytes inside.
    pub bytes: u64,
}

/// Something the analysis noticed that does not stop it. In JSON a warning is its
/// sentence (the `warnings` array of `schema/report.schema.json` holds strings); in Rust
/// it is data, so that `check` can tell the kinds apart without reading the sentence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Warning {
    /// A section copied from elsewhere whose initialiser image lies in no region.
    LoadImageUnmapped {
        /// Section name.
        section: String,
        /// Load address of its image.
        load_addr: u64,
    },
    /// An allocated, non-empty section outside every region.
    SectionUnmapped {
        /// Section name.
        section: String,
    },
    /// The stack has no room at all below its top.
    NoStackRoom {
        /// Initial stack pointer.
        top: u64,
    },
    /// Sections run past the end of a region.
    RegionOverflow {
        /// Region name.
        region: String,
        /// Bytes past the end.
        bytes: u64,
    },
    /// The ELF has no symbol table.
    NoSymbols,
    /// Source attribution is partial or absent (no or broken DWARF): one line why.
    Attribution {
        /// Why.
        note: String,
    },
    /// The initial stack pointer lies below the end of the region given on the command line
    /// (`--chip`), with nothing of the image above it: the ELF was linked for less memory.
    StackBelowRegionEnd {
        /// Region name.
        region: String,
        /// Initial stack pointer, as the ELF says.
        top: u64,
        /// End of the region.
        end: u64,
    },
    /// Two regions of the linker script share addresses `[start, end)`.
    OverlappingRegions {
        /// The region declared first.
        first: String,
        /// The region declared later.
        second: String,
        /// First shared address.
        start: u64,
        /// One past the last shared address.
        end: u64,
    },
}

impl From<&ScriptWarning> for Warning {
    fn from(w: &ScriptWarning) -> Self {
        match w {
            ScriptWarning::OverlappingRegions {
                first,
                second,
                start,
                end,
            } => Warning::OverlappingRegions {
                first: first.clone(),
                second: second.clone(),
                start: *start,
                end: *end,
            },
        }
    }
}

impl Warning {
    /// Whether the warning is about the placement of sections in regions (which `check`
    /// reports as findings of its own) rather than a remark about the analysis.
    pub fn is_placement(&self) -> bool {
        matches!(
            self,
            Warning::SectionUnmapped { .. } | Warning::RegionOverflow { .. }
        )
    }
}

const NO_SYMBOLS: &str = "no symbol table (stripped?): symbol figures are absent";
const ATTRIBUTION: &str = "source attribution: ";

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Warning::LoadImageUnmapped { section, load_addr } => {
                write!(
                    f,
                    "load image of {section} at {load_addr:#x} is in no region"
                )
            }
            Warning::SectionUnmapped { section } => {
                write!(f, "section {section} is outside every region")
            }
            Warning::NoStackRoom { top } => write!(f, "no room left for the stack below {top:#x}"),
            Warning::RegionOverflow { region, bytes } => {
                write!(f, "region {region} overflows by {bytes} bytes")
            }
            Warning::NoSymbols => f.write_str(NO_SYMBOLS),
            Warning::Attribution { note } => write!(f, "{ATTRIBUTION}{note}"),
            Warning::StackBelowRegionEnd { region, top, end } => write!(
                f,
                "the ELF's stack starts at {top:#x}, below the end of {region} at {end:#x}: \
                 it was linked for a smaller {region}"
            ),
            Warning::OverlappingRegions {
                first,
                second,
                start,
                end,
            } => write!(
                f,
                "regions {first} and {second} overlap at [{start:#x}, {end:#x})"
            ),
        }
    }
}

/// The inverse of `Display`, for report JSON read back by `diff`.
impl FromStr for Warning {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let hex = |v: &str| u64::from_str_radix(v.trim_start_matches("0x"), 16).ok();
        let parsed = if s == NO_SYMBOLS {
            Some(Warning::NoSymbols)
        } else if let Some(note) = s.strip_prefix(ATTRIBUTION) {
            Some(Warning::Attribution {
                note: note.to_string(),
            })
        } else if let Some(rest) = s.strip_prefix("load image of ") {
            rest.strip_suffix(" is in no region")
                .and_then(|r| r.rsplit_once(" at "))
                .and_then(|(section, addr)| {
                    Some(Warning::LoadImageUnmapped {
                        section: section.to_string(),
                        load_addr: hex(addr)?,
                    })
                })
        } else if let Some(rest) = s.strip_prefix("the ELF's stack starts at ") {
            rest.split_once(", below the end of ").and_then(|(top, r)| {
                let (region, r) = r.split_once(" at ")?;
                let (end, _) = r.split_once(':')?;
                Some(Warning::StackBelowRegionEnd {
                    region: region.to_string(),
                    top: hex(top)?,
                    end: hex(end)?,
                })
            })
        } else if let Some(top) = s.strip_prefix("no room left for the stack below ") {
            hex(top).map(|top| Warning::NoStackRoom { top })
        } else if let Some(rest) = s.strip_prefix("regions ").and_then(|r| r.strip_suffix(')')) {
            rest.rsplit_once(" overlap at [")
                .and_then(|(names, range)| {
                    let (first, second) = names.split_once(" and ")?;
                    let (start, end) = range.split_once(", ")?;
                    Some(Warning::OverlappingRegions {
                        first: first.to_string(),
                        second: second.to_string(),
                        start: hex(start)?,
                        end: hex(end)?,
                    })
                })
        } else if let Some(rest) = s.strip_prefix("region ") {
            rest.strip_suffix(" bytes")
                .and_then(|r| r.rsplit_once(" overflows by "))
                .and_then(|(region, bytes)| {
                    Some(Warning::RegionOverflow {
                        region: region.to_string(),
                        bytes: bytes.parse().ok()?,
                    })
                })
        } else {
            s.strip_prefix("section ")
                .and_then(|r| r.strip_suffix(" is outside every region"))
                .map(|section| Warning::SectionUnmapped {
                    section: section.to_string(),
                })
        };
        parsed.ok_or_else(|| format!("unknown warning '{s}'"))
    }
}

impl Serialize for Warning {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl schemars::JsonSchema for Warning {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Warning".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "description": "Something the analysis noticed, as one sentence."
        })
    }
}

impl<'de> Deserialize<'de> for Warning {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}
