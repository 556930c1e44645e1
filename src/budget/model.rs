//! The budget file model: what people write (regions, reservations, limits, groups,
//! tolerances; `schema/budget.md`) and the blessed baseline. Plain data: parsing and
//! validation are in [`super::file`], evaluation in [`super::eval`].

use std::borrow::Cow;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize};

use crate::diff::Snapshot;
use crate::memory::{Region, Reservation};

pub use crate::memory::size::{parse_size, Size};

/// Version of the budget file layout. Bump on any incompatible change.
pub const BUDGET_SCHEMA: &str = "membudget.budget/2";

/// Version 1 of the budget file layout: the baseline was a member of the budget file.
/// Still read; `bless` migrates it to version 2.
pub const BUDGET_SCHEMA_V1: &str = "membudget.budget/1";

/// Version of the baseline file layout (`X.baseline.json` beside `X.budget.json`).
pub const BASELINE_SCHEMA: &str = "membudget.baseline/1";

/// The baseline file: what `bless` recorded, written by serde alone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BaselineFile {
    /// [`BASELINE_SCHEMA`].
    #[schemars(extend("const" = BASELINE_SCHEMA))]
    pub schema: String,
    /// The image as it was accepted.
    pub baseline: Snapshot,
}

/// Where the baseline of a budget file lives: `X.baseline.json` beside `X.budget.json`
/// (or beside `X.json`).
pub fn baseline_path(budget: &Path) -> PathBuf {
    let name = budget
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let stem = name
        .strip_suffix(".budget.json")
        .or_else(|| name.strip_suffix(".json"))
        .unwrap_or(&name);
    budget.with_file_name(format!("{stem}.baseline.json"))
}

/// Symbols smaller than this are left out of the baseline unless the budget says otherwise.
pub const DEFAULT_SYMBOL_THRESHOLD: u64 = 64;

// ---------------------------------------------------------------------------------------
// Values: sizes, addresses, amounts.

/// A limit: bytes (`"400K"`, `409600`) or a percentage of the region (`"90%"`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Amount {
    /// A number of bytes.
    Bytes(u64),
    /// A percentage of the region.
    Percent(f64),
}

impl Amount {
    /// The limit in bytes for a region of `length` bytes (percentages round down).
    pub fn bytes_of(self, length: u64) -> u64 {
        match self {
            Amount::Bytes(b) => b,
            Amount::Percent(p) => ((length as f64) * p / 100.0).floor() as u64,
        }
    }
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Amount::Bytes(b) => write!(f, "{b}"),
            Amount::Percent(p) => write!(f, "{p}%"),
        }
    }
}

/// Parse a limit: a size, or a percentage `"0%"`..`"100%"`.
pub fn parse_amount(s: &str) -> Result<Amount, String> {
    let t = s.trim();
    if let Some(p) = t.strip_suffix('%') {
        let v: f64 = p
            .trim()
            .parse()
            .map_err(|_| format!("invalid percentage '{s}'"))?;
        if !(0.0..=100.0).contains(&v) || !v.is_finite() {
            return Err(format!("percentage '{s}' is not between 0% and 100%"));
        }
        return Ok(Amount::Percent(v));
    }
    parse_size(t).map(Amount::Bytes)
}

impl<'de> Deserialize<'de> for Amount {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Amount;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a byte count (4096, \"4K\") or a percentage (\"90%\")")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Amount, E> {
                Ok(Amount::Bytes(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Amount, E> {
                u64::try_from(v)
                    .map(Amount::Bytes)
                    .map_err(|_| E::custom(format!("limit {v} is negative")))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Amount, E> {
                parse_amount(v).map_err(E::custom)
            }
        }
        d.deserialize_any(V)
    }
}

impl schemars::JsonSchema for Amount {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Amount".into()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let size = generator.subschema_for::<Size>();
        schemars::json_schema!({
            "description": "A limit: a size or a percentage of the region's length, \"0%\" to \"100%\".",
            "oneOf": [
                size,
                { "type": "string", "pattern": r"^\s*[0-9]+(\.[0-9]+)?\s*%\s*$" }
            ]
        })
    }
}

impl schemars::JsonSchema for Globs {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Globs".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "A glob or a list of globs. '*' and '?' match any character, '::' and '/' included; '[abc]' classes; '\\' escapes.",
            "oneOf": [
                { "type": "string" },
                { "type": "array", "items": { "type": "string" } }
            ]
        })
    }
}

/// One glob or a list of them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Globs(pub Vec<String>);

impl<'de> Deserialize<'de> for Globs {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize, schemars::JsonSchema)]
        #[serde(untagged)]
        enum OneOrMany {
            One(String),
            Many(Vec<String>),
        }
        Ok(
            match OneOrMany::deserialize(d).map_err(|_| {
                de::Error::custom("expected a glob string or an array of glob strings")
            })? {
                OneOrMany::One(s) => Globs(vec![s]),
                OneOrMany::Many(v) => Globs(v),
            },
        )
    }
}

/// What exceeding a tolerance does.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Fail the check.
    #[default]
    Fail,
    /// Warn only.
    Warn,
    /// Do nothing.
    Ignore,
}

/// The whole budget file (`schema/budget.schema.json`).
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BudgetDocument {
    /// Optional: path or URL of the JSON Schema, for editors.
    #[serde(rename = "$schema", default)]
    pub json_schema: Option<String>,
    /// Layout version: [`BUDGET_SCHEMA`], or [`BUDGET_SCHEMA_V1`].
    #[schemars(extend("enum" = ["membudget.budget/2", "membudget.budget/1"]))]
    pub schema: String,
    /// What people write.
    pub budget: Human,
    /// Version 1 only: the baseline, now in its own file.
    #[serde(default)]
    pub baseline: Option<Snapshot>,
}

/// The part people write. `bless` never rewrites it.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Human {
    /// Free text for people.
    #[serde(default)]
    pub description: Option<String>,
    /// GNU ld script whose MEMORY command declares the regions, relative to the budget file.
    #[serde(default)]
    pub linker_script: Option<String>,
    /// Regions, when there is no linker script.
    #[serde(default)]
    pub regions: Vec<RegionDecl>,
    /// Ranges the image must leave alone.
    #[serde(default)]
    pub reservations: Vec<ReservationDecl>,
    /// Sections (glob patterns) expected outside every region, e.g. a debug ring buffer
    /// at a fixed address; any other allocated section outside every region fails.
    #[serde(default)]
    pub outside_regions: Vec<String>,
    /// Occupancy limits per region.
    #[serde(default)]
    pub limits: Vec<LimitDecl>,
    /// Minimum room for the stack.
    #[serde(default)]
    pub stack: Option<StackDecl>,
    /// Budgets of groups of symbols.
    #[serde(default)]
    pub groups: Vec<GroupDecl>,
    /// Growth allowed since the baseline.
    #[serde(default)]
    pub tolerance: Option<ToleranceDecl>,
    /// Symbols at least this large are recorded in the baseline.
    #[serde(default)]
    pub symbol_threshold: Option<Size>,
}

/// A region declared in the budget.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RegionDecl {
    /// Region name.
    pub name: String,
    /// First address.
    pub origin: Size,
    /// Size.
    pub length: Size,
    /// Free text.
    #[serde(default)]
    pub note: Option<String>,
}

/// A reservation as the budget file declares it.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReservationDecl {
    /// Name shown in findings.
    pub name: String,
    /// Region the reservation must lie in (checked when given).
    #[serde(default)]
    pub region: Option<String>,
    /// First reserved address.
    pub origin: Size,
    /// Reserved bytes.
    pub length: Size,
    /// Who reserves it, and why.
    #[serde(default)]
    pub note: Option<String>,
}

impl ReservationDecl {
    /// The reserved range.
    pub fn reservation(&self) -> Reservation {
        Reservation {
            name: Cow::Owned(self.name.clone()),
            origin: self.origin.0,
            length: self.length.0,
        }
    }
}

/// Occupancy limit of a region: `used + reserved` (everything but free space).
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LimitDecl {
    /// Region name.
    pub region: String,
    /// Warning level.
    #[serde(default)]
    pub warn: Option<Amount>,
    /// Failure limit.
    #[serde(default)]
    pub fail: Option<Amount>,
    /// Free text.
    #[serde(default)]
    pub note: Option<String>,
}

/// Minimum room for the stack (the sized stack, or the free space it grows into).
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StackDecl {
    /// Warn when the stack has less room.
    #[serde(default)]
    pub warn_below: Option<Size>,
    /// Fail when the stack has less room.
    #[serde(default)]
    pub fail_below: Option<Size>,
    /// Headroom `check` demands above the analysed worst case: bytes, or a percentage of
    /// the worst case.
    #[serde(default)]
    pub margin: Option<Amount>,
    /// Turns on the static stack analysis in `check` and `bless`, with what the machine
    /// code cannot tell (indirect-call targets, recursion depths, threads...).
    #[serde(default)]
    pub analysis: Option<crate::stack::annotate::Annotations>,
    /// Free text.
    #[serde(default)]
    pub note: Option<String>,
}

/// A budget for a group of symbols.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GroupDecl {
    /// Group name.
    pub name: String,
    /// Which symbols belong to it.
    #[serde(rename = "match")]
    pub matcher: MatchDecl,
    /// Warning level of its bytes.
    #[serde(default)]
    pub warn: Option<Size>,
    /// Failure limit of its bytes.
    #[serde(default)]
    pub fail: Option<Size>,
    /// Regions the group's symbols may live in.
    #[serde(default)]
    pub regions: Option<Vec<String>>,
    /// How much the group's bytes may grow over the baseline (a per-component growth
    /// tolerance; the baseline records every group's bytes).
    #[serde(default)]
    pub growth: Option<Growth>,
    /// Free text.
    #[serde(default)]
    pub note: Option<String>,
}

/// A symbol matches when, for every key given, one of its globs matches.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MatchDecl {
    /// Globs on the demangled name (or an alias).
    #[serde(default)]
    pub symbol: Globs,
    /// Globs on the crate.
    #[serde(rename = "crate", default)]
    pub krate: Globs,
    /// Globs on the section name.
    #[serde(default)]
    pub section: Globs,
    /// Globs on the source file (DWARF declaration file with `--dwarf`, else `STT_FILE`).
    #[serde(default)]
    pub file: Globs,
    /// Globs on the source file's directory (`drivers/display/**`).
    #[serde(default)]
    pub dir: Globs,
    /// Globs on the compile unit (DWARF).
    #[serde(default)]
    pub cu: Globs,
    /// Globs on the library archive (linker map, `--map`).
    #[serde(default)]
    pub archive: Globs,
    /// Globs on the object file (linker map, `--map`).
    #[serde(default)]
    pub object: Globs,
}

/// Growth tolerances against the baseline.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ToleranceDecl {
    /// Default growth tolerance of every region's `used + reserved`.
    #[serde(default)]
    pub region: Option<Growth>,
    /// Per-region overrides.
    #[serde(default)]
    pub regions: Vec<RegionGrowth>,
    /// Default growth tolerance of every baseline symbol.
    #[serde(default)]
    pub symbol: Option<Growth>,
    /// Per-symbol overrides, first matching glob (on the demangled name) wins.
    #[serde(default)]
    pub symbols: Vec<SymbolGrowth>,
    /// What a baseline symbol moving to another region does (default: warn).
    #[serde(default)]
    pub moved: Option<Level>,
    /// Growth tolerance of each root's worst-case stack (with `stack.analysis`).
    #[serde(default)]
    pub stack: Option<Growth>,
}

/// Growth allowed against the baseline. With both given, growth fails only past the
/// larger of the two (a byte floor for small things, a percentage for big ones).
#[derive(Debug, Clone, Copy, Default, PartialEq, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Growth {
    /// Byte allowance.
    #[serde(default)]
    pub bytes: Option<Size>,
    /// Percentage allowance.
    #[serde(default)]
    pub percent: Option<f64>,
    /// What exceeding it does.
    #[serde(default)]
    pub level: Level,
}

/// A region's own growth tolerance. (Its fields repeat [`Growth`]'s rather than
/// `#[serde(flatten)]` it: serde does not support `flatten` with `deny_unknown_fields`, and
/// a misspelt key in a budget must be an error.)
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RegionGrowth {
    /// Region name.
    pub region: String,
    /// Byte allowance.
    #[serde(default)]
    pub bytes: Option<Size>,
    /// Percentage allowance.
    #[serde(default)]
    pub percent: Option<f64>,
    /// What exceeding it does.
    #[serde(default)]
    pub level: Level,
}

impl RegionGrowth {
    /// The tolerance.
    pub fn growth(&self) -> Growth {
        Growth {
            bytes: self.bytes,
            percent: self.percent,
            level: self.level,
        }
    }
}

/// A growth tolerance for symbols matching a glob.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SymbolGrowth {
    /// Glob on the demangled name.
    #[serde(rename = "match")]
    pub pattern: String,
    /// Byte allowance.
    #[serde(default)]
    pub bytes: Option<Size>,
    /// Percentage allowance.
    #[serde(default)]
    pub percent: Option<f64>,
    /// What exceeding it does.
    #[serde(default)]
    pub level: Level,
}

impl SymbolGrowth {
    /// The tolerance.
    pub fn growth(&self) -> Growth {
        Growth {
            bytes: self.bytes,
            percent: self.percent,
            level: self.level,
        }
    }
}

/// A loaded, validated budget file.
#[derive(Debug, Clone)]
pub struct BudgetFile {
    /// The path as given (for messages).
    pub path: PathBuf,
    /// File name without directories (for output).
    pub label: String,
    /// The text as read (for error positions).
    pub text: String,
    /// Layout version: 1 (baseline inside the file) or 2 (baseline in its own file).
    pub version: u32,
    /// What people write.
    pub human: Human,
    /// What `bless` recorded.
    pub baseline: Option<Snapshot>,
    /// Regions the budget declares (inline or from its linker script); empty if neither.
    pub regions: Vec<Region>,
}

impl BudgetFile {
    /// Symbols at least this large are recorded in the baseline.
    pub fn symbol_threshold(&self) -> u64 {
        self.human
            .symbol_threshold
            .map(|s| s.0)
            .unwrap_or(DEFAULT_SYMBOL_THRESHOLD)
    }

    /// The declared reservations, as the analysis takes them.
    pub fn reservations(&self) -> Vec<Reservation> {
        self.human
            .reservations
            .iter()
            .map(ReservationDecl::reservation)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts() {
        assert_eq!(parse_amount("90%"), Ok(Amount::Percent(90.0)));
        assert!(parse_amount("120%").is_err());
        assert_eq!(Amount::Percent(50.0).bytes_of(1001), 500);
    }
}
