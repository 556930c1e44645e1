//! The budget file: its format (`schema/budget.schema.json`, documented in
//! `schema/budget.md`), loading with `file:line:column` errors, semantic validation, and
//! rewriting its baseline part in place without touching a byte of the human part.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::memory::Region;

use super::snapshot::Snapshot;

/// Version of the budget file layout. Bump on any incompatible change.
pub const BUDGET_SCHEMA: &str = "membudget.budget/1";

/// Symbols smaller than this are left out of the baseline unless the budget says otherwise.
pub const DEFAULT_SYMBOL_THRESHOLD: u64 = 64;

// ---------------------------------------------------------------------------------------
// Values: sizes, addresses, amounts.

/// A byte count or address: a JSON number, or a string such as `"32K"`, `"1.5M"` is not
/// allowed (sizes are whole bytes), `"32 KiB"`, `"0x8000"`, `"4M"`. K, M and G are binary
/// (1024-based), as in linker scripts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Size(pub u64);

/// A limit: bytes (`"400K"`, `409600`) or a percentage of the region (`"90%"`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Amount {
    Bytes(u64),
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

/// Parse `"32K"`, `"32 KiB"`, `"0x8000"`, `"32768"`.
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let bad =
        || format!("invalid size '{s}' (expected bytes like 4096, \"0x1000\", \"4K\", \"1 MiB\")");
    if let Some(hex) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        return u64::from_str_radix(&hex.replace('_', ""), 16).map_err(|_| bad());
    }
    let digits_end = t
        .find(|c: char| !(c.is_ascii_digit() || c == '_'))
        .unwrap_or(t.len());
    if digits_end == 0 {
        return Err(bad());
    }
    let n: u64 = t[..digits_end]
        .replace('_', "")
        .parse()
        .map_err(|_| bad())?;
    let unit = t[digits_end..].trim();
    let mult: u64 = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        _ => return Err(bad()),
    };
    n.checked_mul(mult).ok_or_else(bad)
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

impl<'de> Deserialize<'de> for Size {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Size;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(
                    "a byte count: a non-negative integer or a string like \"4K\" or \"0x1000\"",
                )
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Size, E> {
                Ok(Size(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Size, E> {
                u64::try_from(v)
                    .map(Size)
                    .map_err(|_| E::custom(format!("size {v} is negative")))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Size, E> {
                parse_size(v).map(Size).map_err(E::custom)
            }
        }
        d.deserialize_any(V)
    }
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

/// One glob or a list of them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Globs(pub Vec<String>);

impl<'de> Deserialize<'de> for Globs {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
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
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    #[default]
    Fail,
    Warn,
    Ignore,
}

// ---------------------------------------------------------------------------------------
// The human part.

/// The whole file as read.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(rename = "$schema", default)]
    _json_schema: Option<String>,
    schema: String,
    budget: Human,
    #[serde(default)]
    baseline: Option<Snapshot>,
}

/// The part people write. `bless` never rewrites it.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Human {
    #[serde(default)]
    pub description: Option<String>,
    /// GNU ld script whose MEMORY command declares the regions, relative to the budget file.
    #[serde(default)]
    pub linker_script: Option<String>,
    #[serde(default)]
    pub regions: Vec<RegionDecl>,
    #[serde(default)]
    pub reservations: Vec<ReservationDecl>,
    #[serde(default)]
    pub limits: Vec<LimitDecl>,
    #[serde(default)]
    pub stack: Option<StackDecl>,
    #[serde(default)]
    pub groups: Vec<GroupDecl>,
    #[serde(default)]
    pub tolerance: Option<ToleranceDecl>,
    /// Symbols at least this large are recorded in the baseline.
    #[serde(default)]
    pub symbol_threshold: Option<Size>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegionDecl {
    pub name: String,
    pub origin: Size,
    pub length: Size,
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReservationDecl {
    pub name: String,
    /// Region the reservation must lie in (checked when given).
    #[serde(default)]
    pub region: Option<String>,
    pub origin: Size,
    pub length: Size,
    #[serde(default)]
    pub note: Option<String>,
}

/// Occupancy limit of a region: `used + reserved` (everything but free space).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitDecl {
    pub region: String,
    #[serde(default)]
    pub warn: Option<Amount>,
    #[serde(default)]
    pub fail: Option<Amount>,
    #[serde(default)]
    pub note: Option<String>,
}

/// Minimum room for the stack (the sized stack, or the free space it grows into).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StackDecl {
    #[serde(default)]
    pub warn_below: Option<Size>,
    #[serde(default)]
    pub fail_below: Option<Size>,
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupDecl {
    pub name: String,
    #[serde(rename = "match")]
    pub matcher: MatchDecl,
    #[serde(default)]
    pub warn: Option<Size>,
    #[serde(default)]
    pub fail: Option<Size>,
    /// Regions the group's symbols may live in.
    #[serde(default)]
    pub regions: Option<Vec<String>>,
    #[serde(default)]
    pub note: Option<String>,
}

/// A symbol matches when, for every key given, one of its globs matches.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MatchDecl {
    #[serde(default)]
    pub symbol: Globs,
    #[serde(rename = "crate", default)]
    pub krate: Globs,
    #[serde(default)]
    pub section: Globs,
    #[serde(default)]
    pub file: Globs,
}

#[derive(Debug, Clone, Default, Deserialize)]
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
}

/// Growth allowed against the baseline. With both given, growth fails only past the
/// larger of the two (a byte floor for small things, a percentage for big ones).
#[derive(Debug, Clone, Copy, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Growth {
    #[serde(default)]
    pub bytes: Option<Size>,
    #[serde(default)]
    pub percent: Option<f64>,
    #[serde(default)]
    pub level: Level,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegionGrowth {
    pub region: String,
    #[serde(default)]
    pub bytes: Option<Size>,
    #[serde(default)]
    pub percent: Option<f64>,
    #[serde(default)]
    pub level: Level,
}

impl RegionGrowth {
    pub fn growth(&self) -> Growth {
        Growth {
            bytes: self.bytes,
            percent: self.percent,
            level: self.level,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SymbolGrowth {
    #[serde(rename = "match")]
    pub pattern: String,
    #[serde(default)]
    pub bytes: Option<Size>,
    #[serde(default)]
    pub percent: Option<f64>,
    #[serde(default)]
    pub level: Level,
}

impl SymbolGrowth {
    pub fn growth(&self) -> Growth {
        Growth {
            bytes: self.bytes,
            percent: self.percent,
            level: self.level,
        }
    }
}

// ---------------------------------------------------------------------------------------
// Loading.

/// A loaded, validated budget file.
#[derive(Debug, Clone)]
pub struct BudgetFile {
    /// The path as given (for messages).
    pub path: PathBuf,
    /// File name without directories (for output).
    pub label: String,
    pub text: String,
    pub human: Human,
    pub baseline: Option<Snapshot>,
    /// Regions the budget declares (inline or from its linker script); empty if neither.
    pub regions: Vec<Region>,
}

impl BudgetFile {
    pub fn symbol_threshold(&self) -> u64 {
        self.human
            .symbol_threshold
            .map(|s| s.0)
            .unwrap_or(DEFAULT_SYMBOL_THRESHOLD)
    }

    /// An error located at a JSON path of this file: `file:line:column: path: message`.
    pub fn error_at(&self, path: &[Seg], msg: impl fmt::Display) -> Error {
        located(&self.path, &self.text, path, msg)
    }
}

/// One step of a JSON path.
#[derive(Debug, Clone, Copy)]
pub enum Seg<'a> {
    Key(&'a str),
    Index(usize),
}

pub fn path_string(path: &[Seg]) -> String {
    let mut s = String::new();
    for seg in path {
        match seg {
            Seg::Key(k) => {
                if !s.is_empty() {
                    s.push('.');
                }
                s.push_str(k);
            }
            Seg::Index(i) => s.push_str(&format!("[{i}]")),
        }
    }
    s
}

fn located(file: &Path, text: &str, path: &[Seg], msg: impl fmt::Display) -> Error {
    // Point at the deepest part of the path that exists.
    let mut offset = None;
    for n in (0..=path.len()).rev() {
        if let Some(o) = locate(text, &path[..n]) {
            offset = Some(o);
            break;
        }
    }
    let (line, col) = line_col(text, offset.unwrap_or(0));
    let p = path_string(path);
    if p.is_empty() {
        Error::Budget(format!("{}:{line}:{col}: {msg}", file.display()))
    } else {
        Error::Budget(format!("{}:{line}:{col}: {p}: {msg}", file.display()))
    }
}

/// Read and validate a budget file. Regions from its `linker_script` are read too.
pub fn load(path: &Path) -> Result<BudgetFile, Error> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
        path: path.display().to_string(),
        source,
    })?;
    let raw: RawFile = serde_json::from_str(&text).map_err(|e| serde_error(path, &e))?;
    let label = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string());
    let mut file = BudgetFile {
        path: path.to_path_buf(),
        label,
        text,
        human: raw.budget,
        baseline: raw.baseline,
        regions: Vec::new(),
    };
    if raw.schema != BUDGET_SCHEMA {
        return Err(file.error_at(
            &[Seg::Key("schema")],
            format!(
                "unsupported schema '{}' (expected '{BUDGET_SCHEMA}')",
                raw.schema
            ),
        ));
    }
    file.regions = declared_regions(&file)?;
    validate(&file)?;
    Ok(file)
}

/// `serde_json` errors carry the position; say it the way compilers do.
fn serde_error(path: &Path, e: &serde_json::Error) -> Error {
    let msg = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    let msg = msg.strip_suffix(&suffix).unwrap_or(&msg);
    Error::Budget(format!(
        "{}:{}:{}: {msg}",
        path.display(),
        e.line(),
        e.column()
    ))
}

fn declared_regions(file: &BudgetFile) -> Result<Vec<Region>, Error> {
    let h = &file.human;
    if let Some(script) = &h.linker_script {
        if !h.regions.is_empty() {
            return Err(file.error_at(
                &[Seg::Key("budget"), Seg::Key("regions")],
                "give either regions or linker_script, not both",
            ));
        }
        let dir = file.path.parent().unwrap_or(Path::new(""));
        let script_path = dir.join(script);
        if !script_path.is_file() {
            return Err(file.error_at(
                &[Seg::Key("budget"), Seg::Key("linker_script")],
                format!("linker script {} not found", script_path.display()),
            ));
        }
        let regions = crate::memory::linker::parse_memory_file(&script_path)?;
        return Ok(regions);
    }
    let mut out: Vec<Region> = Vec::new();
    for (i, r) in h.regions.iter().enumerate() {
        let at = |k| {
            [
                Seg::Key("budget"),
                Seg::Key("regions"),
                Seg::Index(i),
                Seg::Key(k),
            ]
        };
        if r.name.is_empty() {
            return Err(file.error_at(&at("name"), "region name is empty"));
        }
        if out.iter().any(|o| o.name == r.name) {
            return Err(file.error_at(
                &at("name"),
                format!("region '{}' is declared twice", r.name),
            ));
        }
        if r.length.0 == 0 {
            return Err(file.error_at(&at("length"), "region length is 0"));
        }
        if r.origin.0.checked_add(r.length.0).is_none() {
            return Err(file.error_at(
                &at("length"),
                "region runs past the end of the address space",
            ));
        }
        out.push(Region::new(r.name.clone(), r.origin.0, r.length.0));
    }
    Ok(out)
}

fn region_names(regions: &[Region]) -> String {
    regions
        .iter()
        .map(|r| r.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Check that a region name exists (when the regions are known).
pub fn check_region_name(
    file: &BudgetFile,
    regions: &[Region],
    name: &str,
    path: &[Seg],
) -> Result<(), Error> {
    if regions.is_empty() || regions.iter().any(|r| r.name == name) {
        return Ok(());
    }
    Err(file.error_at(
        path,
        format!(
            "unknown region '{name}' (regions: {})",
            region_names(regions)
        ),
    ))
}

/// Region references in reservations, limits, groups and tolerances, against `regions`
/// (the declared ones at load time, the analysed ones when `--memory` overrides them).
pub fn check_region_refs(file: &BudgetFile, regions: &[Region]) -> Result<(), Error> {
    let h = &file.human;
    for (i, r) in h.reservations.iter().enumerate() {
        let at = |k| {
            [
                Seg::Key("budget"),
                Seg::Key("reservations"),
                Seg::Index(i),
                Seg::Key(k),
            ]
        };
        if let Some(name) = &r.region {
            check_region_name(file, regions, name, &at("region"))?;
            if let Some(reg) = regions.iter().find(|x| &x.name == name) {
                let end = r.origin.0.saturating_add(r.length.0);
                if r.origin.0 < reg.origin || end > reg.end() {
                    return Err(file.error_at(
                        &at("origin"),
                        format!(
                            "reservation '{}' [{:#x}, {:#x}) is not inside region {} [{:#x}, {:#x})",
                            r.name,
                            r.origin.0,
                            end,
                            reg.name,
                            reg.origin,
                            reg.end()
                        ),
                    ));
                }
            }
        }
    }
    for (i, l) in h.limits.iter().enumerate() {
        check_region_name(
            file,
            regions,
            &l.region,
            &[
                Seg::Key("budget"),
                Seg::Key("limits"),
                Seg::Index(i),
                Seg::Key("region"),
            ],
        )?;
    }
    for (i, g) in h.groups.iter().enumerate() {
        for (j, name) in g.regions.iter().flatten().enumerate() {
            check_region_name(
                file,
                regions,
                name,
                &[
                    Seg::Key("budget"),
                    Seg::Key("groups"),
                    Seg::Index(i),
                    Seg::Key("regions"),
                    Seg::Index(j),
                ],
            )?;
        }
    }
    if let Some(t) = &h.tolerance {
        for (i, r) in t.regions.iter().enumerate() {
            check_region_name(
                file,
                regions,
                &r.region,
                &[
                    Seg::Key("budget"),
                    Seg::Key("tolerance"),
                    Seg::Key("regions"),
                    Seg::Index(i),
                    Seg::Key("region"),
                ],
            )?;
        }
    }
    Ok(())
}

fn check_growth(file: &BudgetFile, g: &Growth, path: &[Seg]) -> Result<(), Error> {
    if let Some(p) = g.percent {
        if !p.is_finite() || p < 0.0 {
            let mut at = path.to_vec();
            at.push(Seg::Key("percent"));
            return Err(file.error_at(&at, format!("percent must be 0 or more, not {p}")));
        }
    }
    Ok(())
}

fn validate(file: &BudgetFile) -> Result<(), Error> {
    let h = &file.human;
    check_region_refs(file, &file.regions)?;
    let mut names: Vec<&str> = Vec::new();
    for (i, r) in h.reservations.iter().enumerate() {
        let at = |k| {
            [
                Seg::Key("budget"),
                Seg::Key("reservations"),
                Seg::Index(i),
                Seg::Key(k),
            ]
        };
        if r.length.0 == 0 {
            return Err(file.error_at(&at("length"), "reservation length is 0"));
        }
        if names.contains(&r.name.as_str()) {
            return Err(file.error_at(
                &at("name"),
                format!("reservation '{}' is declared twice", r.name),
            ));
        }
        names.push(&r.name);
        if r.region.is_none()
            && !file.regions.is_empty()
            && !file.regions.iter().any(|g| g.contains(r.origin.0))
        {
            return Err(file.error_at(
                &at("origin"),
                format!(
                    "reservation '{}' at {:#x} is in no region",
                    r.name, r.origin.0
                ),
            ));
        }
    }
    for (i, l) in h.limits.iter().enumerate() {
        let at = |k| {
            [
                Seg::Key("budget"),
                Seg::Key("limits"),
                Seg::Index(i),
                Seg::Key(k),
            ]
        };
        if l.warn.is_none() && l.fail.is_none() {
            return Err(file.error_at(&at("region"), "limit needs warn, fail or both"));
        }
        if let (Some(w), Some(f)) = (l.warn, l.fail) {
            let higher = match (w, f) {
                (Amount::Bytes(a), Amount::Bytes(b)) => a > b,
                (Amount::Percent(a), Amount::Percent(b)) => a > b,
                _ => false,
            };
            if higher {
                return Err(file.error_at(
                    &at("warn"),
                    format!("warn level {w} is above fail level {f}"),
                ));
            }
        }
    }
    if let Some(s) = &h.stack {
        if s.warn_below.is_none() && s.fail_below.is_none() {
            return Err(file.error_at(
                &[Seg::Key("budget"), Seg::Key("stack")],
                "stack needs warn_below, fail_below or both",
            ));
        }
    }
    let mut group_names: Vec<&str> = Vec::new();
    for (i, g) in h.groups.iter().enumerate() {
        let at = |k| {
            [
                Seg::Key("budget"),
                Seg::Key("groups"),
                Seg::Index(i),
                Seg::Key(k),
            ]
        };
        if group_names.contains(&g.name.as_str()) {
            return Err(file.error_at(&at("name"), format!("group '{}' is declared twice", g.name)));
        }
        group_names.push(&g.name);
        let m = &g.matcher;
        if m.symbol.0.is_empty()
            && m.krate.0.is_empty()
            && m.section.0.is_empty()
            && m.file.0.is_empty()
        {
            return Err(file.error_at(
                &at("match"),
                "match needs at least one of symbol, crate, section, file",
            ));
        }
        for (key, globs) in [
            ("symbol", &m.symbol),
            ("crate", &m.krate),
            ("section", &m.section),
            ("file", &m.file),
        ] {
            for (j, pat) in globs.0.iter().enumerate() {
                if let Err(e) = super::eval::compile_glob(pat) {
                    let path = [
                        Seg::Key("budget"),
                        Seg::Key("groups"),
                        Seg::Index(i),
                        Seg::Key("match"),
                        Seg::Key(key),
                        Seg::Index(j),
                    ];
                    return Err(file.error_at(&path, e));
                }
            }
        }
        if g.warn.is_none() && g.fail.is_none() && g.regions.is_none() {
            return Err(file.error_at(
                &at("name"),
                format!("group '{}' needs warn, fail or regions", g.name),
            ));
        }
        if let (Some(w), Some(f)) = (g.warn, g.fail) {
            if w.0 > f.0 {
                return Err(file.error_at(
                    &at("warn"),
                    format!("warn level {} is above fail level {}", w.0, f.0),
                ));
            }
        }
    }
    if let Some(t) = &h.tolerance {
        let base = [Seg::Key("budget"), Seg::Key("tolerance")];
        if let Some(g) = &t.region {
            check_growth(file, g, &[base[0], base[1], Seg::Key("region")])?;
        }
        if let Some(g) = &t.symbol {
            check_growth(file, g, &[base[0], base[1], Seg::Key("symbol")])?;
        }
        for (i, r) in t.regions.iter().enumerate() {
            check_growth(
                file,
                &r.growth(),
                &[base[0], base[1], Seg::Key("regions"), Seg::Index(i)],
            )?;
        }
        for (i, s) in t.symbols.iter().enumerate() {
            let at = [base[0], base[1], Seg::Key("symbols"), Seg::Index(i)];
            check_growth(file, &s.growth(), &at)?;
            if let Err(e) = super::eval::compile_glob(&s.pattern) {
                return Err(file.error_at(&[at[0], at[1], at[2], at[3], Seg::Key("match")], e));
            }
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// A minimal scanner over already-valid JSON text: where a path's value starts (for error
// positions) and where the top-level members are (to replace the baseline in place).

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && matches!(b[i], b' ' | b'\t' | b'\n' | b'\r') {
        i += 1;
    }
    i
}

/// `i` at the opening quote; returns the index after the closing quote.
fn string_end(b: &[u8], mut i: usize) -> usize {
    i += 1;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'"' => return i + 1,
            _ => i += 1,
        }
    }
    b.len()
}

/// `i` at the first byte of a value; returns the index after it.
fn value_end(b: &[u8], i: usize) -> usize {
    match b.get(i) {
        Some(b'"') => string_end(b, i),
        Some(b'{') | Some(b'[') => {
            let mut depth = 0usize;
            let mut j = i;
            while j < b.len() {
                match b[j] {
                    b'"' => {
                        j = string_end(b, j);
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return j + 1;
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
            b.len()
        }
        _ => {
            let mut j = i;
            while j < b.len() && !matches!(b[j], b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r')
            {
                j += 1;
            }
            j
        }
    }
}

/// A member of an object: key, and the value's byte range.
struct Member {
    key: String,
    value: (usize, usize),
}

/// `i` at `{`.
fn members(text: &str, i: usize) -> Vec<Member> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut j = skip_ws(b, i + 1);
    while j < b.len() && b[j] == b'"' {
        let kend = string_end(b, j);
        let key: String = serde_json::from_str(&text[j..kend]).unwrap_or_default();
        let colon = skip_ws(b, kend);
        let vstart = skip_ws(b, colon + 1);
        let vend = value_end(b, vstart);
        out.push(Member {
            key,
            value: (vstart, vend),
        });
        j = skip_ws(b, vend);
        if j < b.len() && b[j] == b',' {
            j = skip_ws(b, j + 1);
        } else {
            break;
        }
    }
    out
}

/// `i` at `[`.
fn elements(b: &[u8], i: usize) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut j = skip_ws(b, i + 1);
    while j < b.len() && b[j] != b']' {
        let end = value_end(b, j);
        out.push((j, end));
        j = skip_ws(b, end);
        if j < b.len() && b[j] == b',' {
            j = skip_ws(b, j + 1);
        } else {
            break;
        }
    }
    out
}

/// Byte offset of the value at `path`, if the text has it.
pub fn locate(text: &str, path: &[Seg]) -> Option<usize> {
    let b = text.as_bytes();
    let mut at = skip_ws(b, 0);
    for seg in path {
        match (seg, b.get(at)) {
            (Seg::Key(k), Some(b'{')) => {
                at = members(text, at).into_iter().find(|m| m.key == *k)?.value.0;
            }
            (Seg::Index(n), Some(b'[')) => {
                at = elements(b, at).get(*n)?.0;
            }
            // A glob list given as a single string: point at the string.
            (Seg::Index(0), Some(b'"')) => {}
            _ => return None,
        }
    }
    Some(at)
}

/// 1-based line and column (in characters) of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before
        .rsplit('\n')
        .next()
        .map(|l| l.chars().count())
        .unwrap_or(0)
        + 1;
    (line, col)
}

/// The file's text with the baseline replaced (or appended as the last member). Everything
/// else, the human part included, is kept byte for byte.
pub fn splice_baseline(text: &str, baseline_json: &str) -> String {
    let b = text.as_bytes();
    let start = skip_ws(b, 0);
    let ms = members(text, start);
    if let Some(m) = ms.iter().find(|m| m.key == "baseline") {
        let mut out = String::with_capacity(text.len() + baseline_json.len());
        out.push_str(&text[..m.value.0]);
        out.push_str(baseline_json);
        out.push_str(&text[m.value.1..]);
        return out;
    }
    let last_end = ms.last().map(|m| m.value.1).unwrap_or(start + 1);
    let mut out = String::with_capacity(text.len() + baseline_json.len() + 20);
    out.push_str(&text[..last_end]);
    if !ms.is_empty() {
        out.push(',');
    }
    out.push_str("\n  \"baseline\": ");
    out.push_str(baseline_json);
    out.push_str(&text[last_end..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("4096"), Ok(4096));
        assert_eq!(parse_size("4K"), Ok(4096));
        assert_eq!(parse_size("32 KiB"), Ok(32768));
        assert_eq!(parse_size("1M"), Ok(1 << 20));
        assert_eq!(parse_size("0x1005B000"), Ok(0x1005_B000));
        assert_eq!(parse_size("1_000"), Ok(1000));
        assert!(parse_size("1.5M").is_err());
        assert!(parse_size("K").is_err());
        assert!(parse_size("12 parsecs").is_err());
        assert_eq!(parse_amount("90%"), Ok(Amount::Percent(90.0)));
        assert!(parse_amount("120%").is_err());
        assert_eq!(Amount::Percent(50.0).bytes_of(1001), 500);
    }

    #[test]
    fn locate_paths() {
        let text = "{\n  \"a\": [1, {\"b\": \"x\"}],\n  \"c\": \"y\"\n}\n";
        let o = locate(text, &[Seg::Key("a"), Seg::Index(1), Seg::Key("b")]).unwrap();
        assert_eq!(&text[o..o + 3], "\"x\"");
        assert_eq!(line_col(text, o), (2, 18));
        assert!(locate(text, &[Seg::Key("zz")]).is_none());
        assert_eq!(
            path_string(&[Seg::Key("budget"), Seg::Key("limits"), Seg::Index(2)]),
            "budget.limits[2]"
        );
    }

    #[test]
    fn splice_keeps_everything_else() {
        let text = "{\n  \"schema\": \"s\",\n  \"budget\": {\"x\":   1, \"s\": \"}\\\"\"}\n}\n";
        let once = splice_baseline(text, "{\"n\": 1}");
        assert_eq!(once, "{\n  \"schema\": \"s\",\n  \"budget\": {\"x\":   1, \"s\": \"}\\\"\"},\n  \"baseline\": {\"n\": 1}\n}\n");
        let twice = splice_baseline(&once, "{\"n\": 2}");
        assert_eq!(twice, once.replace("\"n\": 1", "\"n\": 2"));
    }
}
