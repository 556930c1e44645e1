//! Reading a budget file: JSON with `file:line:column` errors, then semantic validation
//! (regions exist, levels are ordered, globs compile...), each error pointing at the value
//! it is about.

use std::fmt;
use std::path::Path;

use crate::error::Error;
use crate::memory::{Region, RegionBounds};

use super::matching::compile_glob;
use super::model::*;
use super::position::{located, Seg};

/// The path `budget.<list>[i].<key>`.
fn member(list: &'static str, i: usize, key: &'static str) -> [Seg<'static>; 4] {
    [
        Seg::Key("budget"),
        Seg::Key(list),
        Seg::Index(i),
        Seg::Key(key),
    ]
}

/// An error located at a JSON path of `file`: `file:line:column: path: message`.
pub fn error_at(file: &BudgetFile, path: &[Seg], msg: impl fmt::Display) -> Error {
    located(&file.path, &file.text, path, msg)
}

/// What the caller found for a budget's `linker_script` (resolved relative to the budget
/// file; reading files is the caller's job).
pub enum Script {
    /// The regions its MEMORY command declares.
    Regions(Vec<Region>),
    /// No such file (the path as shown in the error).
    NotFound(String),
}

/// Parse and validate the text of a budget file read from `path`. `read_script` reads the
/// budget's `linker_script`, a path relative to the budget file.
pub fn parse(
    path: &Path,
    text: String,
    read_script: &dyn Fn(&str) -> Result<Script, Error>,
) -> Result<BudgetFile, Error> {
    // serde_path_to_error gives type errors the JSON path the semantic checks give theirs.
    let mut de = serde_json::Deserializer::from_str(&text);
    let raw: BudgetDocument = serde_path_to_error::deserialize(&mut de)
        .map_err(|e| serde_error(path, &e.path().to_string(), e.inner()))?;
    let label = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string());
    let version = match raw.schema.as_str() {
        BUDGET_SCHEMA => 2,
        BUDGET_SCHEMA_V1 => 1,
        _ => 0,
    };
    let has_baseline = raw.baseline.is_some();
    let mut file = BudgetFile {
        path: path.to_path_buf(),
        label,
        text,
        version,
        human: raw.budget,
        baseline: raw.baseline,
        regions: Vec::new(),
    };
    if version == 0 {
        return Err(error_at(
            &file,
            &[Seg::Key("schema")],
            format!(
                "unsupported schema '{}' (expected '{BUDGET_SCHEMA}' or '{BUDGET_SCHEMA_V1}')",
                raw.schema
            ),
        ));
    }
    if version == 2 && has_baseline {
        let moved = baseline_path(path);
        return Err(error_at(
            &file,
            &[Seg::Key("baseline")],
            format!(
                "in {BUDGET_SCHEMA} the baseline lives in {} (run membudget bless)",
                moved.display()
            ),
        ));
    }
    file.regions = declared_regions(&file, read_script)?;
    validate(&file)?;
    Ok(file)
}

/// `serde_json` errors carry the position; say it the way compilers do.
fn serde_error(path: &Path, json_path: &str, e: &serde_json::Error) -> Error {
    let msg = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    let msg = msg.strip_suffix(&suffix).unwrap_or(&msg);
    // A syntax error's path is only where the parser stopped: the position says it.
    let at = if json_path.is_empty() || json_path == "." || e.is_syntax() || e.is_eof() {
        String::new()
    } else {
        format!("{json_path}: ")
    };
    Error::Budget(format!(
        "{}:{}:{}: {at}{msg}",
        path.display(),
        e.line(),
        e.column()
    ))
}

fn declared_regions(
    file: &BudgetFile,
    read_script: &dyn Fn(&str) -> Result<Script, Error>,
) -> Result<Vec<Region>, Error> {
    let h = &file.human;
    if let Some(script) = &h.linker_script {
        if !h.regions.is_empty() {
            return Err(error_at(
                file,
                &[Seg::Key("budget"), Seg::Key("regions")],
                "give either regions or linker_script, not both",
            ));
        }
        return match read_script(script)? {
            Script::Regions(regions) => Ok(regions),
            Script::NotFound(shown) => Err(error_at(
                file,
                &[Seg::Key("budget"), Seg::Key("linker_script")],
                format!("linker script {shown} not found"),
            )),
        };
    }
    let mut out: Vec<Region> = Vec::new();
    for (i, r) in h.regions.iter().enumerate() {
        let at = |k| member("regions", i, k);
        if r.name.is_empty() {
            return Err(error_at(file, &at("name"), "region name is empty"));
        }
        if out.iter().any(|o| o.name == r.name) {
            return Err(error_at(
                file,
                &at("name"),
                format!("region '{}' is declared twice", r.name),
            ));
        }
        if r.length.0 == 0 {
            return Err(error_at(file, &at("length"), "region length is 0"));
        }
        if r.origin.0.checked_add(r.length.0).is_none() {
            return Err(error_at(
                file,
                &at("length"),
                "region runs past the end of the address space",
            ));
        }
        out.push(Region::new(r.name.clone(), r.origin.0, r.length.0));
    }
    Ok(out)
}

fn region_names<R: RegionBounds>(regions: &[R]) -> String {
    regions
        .iter()
        .map(|r| r.name())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Check that a region name exists (when the regions are known).
pub fn check_region_name<R: RegionBounds>(
    file: &BudgetFile,
    regions: &[R],
    name: &str,
    path: &[Seg],
) -> Result<(), Error> {
    if regions.is_empty() || regions.iter().any(|r| r.name() == name) {
        return Ok(());
    }
    Err(error_at(
        file,
        path,
        format!(
            "unknown region '{name}' (regions: {})",
            region_names(regions)
        ),
    ))
}

/// Region references in reservations, limits, groups and tolerances, against `regions`
/// (the declared ones at load time, the analysed ones when `--memory` overrides them).
pub fn check_region_refs<R: RegionBounds>(file: &BudgetFile, regions: &[R]) -> Result<(), Error> {
    let h = &file.human;
    for (i, r) in h.reservations.iter().enumerate() {
        let at = |k| member("reservations", i, k);
        if let Some(name) = &r.region {
            check_region_name(file, regions, name, &at("region"))?;
            if let Some(reg) = regions.iter().find(|x| x.name() == name) {
                let end = r.origin.0.saturating_add(r.length.0);
                if r.origin.0 < reg.origin() || end > reg.end() {
                    return Err(error_at(
            file,
                        &at("origin"),
                        format!(
                            "reservation '{}' [{:#x}, {:#x}) is not inside region {} [{:#x}, {:#x})",
                            r.name,
                            r.origin.0,
                            end,
                            reg.name(),
                            reg.origin(),
                            reg.end()
                        ),
                    ));
                }
            }
        }
    }
    for (i, l) in h.limits.iter().enumerate() {
        check_region_name(file, regions, &l.region, &member("limits", i, "region"))?;
    }
    for (i, g) in h.groups.iter().enumerate() {
        for (j, name) in g.regions.iter().flatten().enumerate() {
            check_region_name(
                file,
                regions,
                name,
                &[&member("groups", i, "regions")[..], &[Seg::Index(j)]].concat(),
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
            return Err(error_at(
                file,
                &at,
                format!("percent must be 0 or more, not {p}"),
            ));
        }
    }
    Ok(())
}

fn validate(file: &BudgetFile) -> Result<(), Error> {
    check_region_refs(file, &file.regions)?;
    validate_reservations(file)?;
    validate_limits(file)?;
    validate_stack(file)?;
    validate_groups(file)?;
    validate_tolerance(file)
}

/// Reservations: not empty, named once, inside a region.
fn validate_reservations(file: &BudgetFile) -> Result<(), Error> {
    let h = &file.human;
    let mut names: Vec<&str> = Vec::new();
    for (i, r) in h.reservations.iter().enumerate() {
        let at = |k| member("reservations", i, k);
        if r.length.0 == 0 {
            return Err(error_at(file, &at("length"), "reservation length is 0"));
        }
        if names.contains(&r.name.as_str()) {
            return Err(error_at(
                file,
                &at("name"),
                format!("reservation '{}' is declared twice", r.name),
            ));
        }
        names.push(&r.name);
        if r.region.is_none()
            && !file.regions.is_empty()
            && !file.regions.iter().any(|g| g.contains(r.origin.0))
        {
            return Err(error_at(
                file,
                &at("origin"),
                format!(
                    "reservation '{}' at {:#x} is in no region",
                    r.name, r.origin.0
                ),
            ));
        }
    }
    Ok(())
}

/// Limits: at least one level, warn not above fail.
fn validate_limits(file: &BudgetFile) -> Result<(), Error> {
    let h = &file.human;
    for (i, l) in h.limits.iter().enumerate() {
        let at = |k| member("limits", i, k);
        if l.warn.is_none() && l.fail.is_none() {
            return Err(error_at(
                file,
                &at("region"),
                "limit needs warn, fail or both",
            ));
        }
        if let (Some(w), Some(f)) = (l.warn, l.fail) {
            let higher = match (w, f) {
                (Amount::Bytes(a), Amount::Bytes(b)) => a > b,
                (Amount::Percent(a), Amount::Percent(b)) => a > b,
                _ => false,
            };
            if higher {
                return Err(error_at(
                    file,
                    &at("warn"),
                    format!("warn level {w} is above fail level {f}"),
                ));
            }
        }
    }
    Ok(())
}

/// The stack rule: at least one level (in order) or the static analysis; globs of
/// expected unmapped sections.
fn validate_stack(file: &BudgetFile) -> Result<(), Error> {
    let h = &file.human;
    if let Some(s) = &h.stack {
        if s.warn_below.is_none() && s.fail_below.is_none() && s.analysis.is_none() {
            return Err(error_at(
                file,
                &[Seg::Key("budget"), Seg::Key("stack")],
                "stack needs warn_below, fail_below or analysis",
            ));
        }
        // Warning comes first as room shrinks, so its level is the larger one.
        if let (Some(w), Some(f)) = (s.warn_below, s.fail_below) {
            if w.0 < f.0 {
                return Err(error_at(
                    file,
                    &[
                        Seg::Key("budget"),
                        Seg::Key("stack"),
                        Seg::Key("warn_below"),
                    ],
                    format!("warn_below {} is below fail_below {}", w.0, f.0),
                ));
            }
        }
    }
    for (i, pat) in h.outside_regions.iter().enumerate() {
        if let Err(e) = compile_glob(pat) {
            let path = [
                Seg::Key("budget"),
                Seg::Key("outside_regions"),
                Seg::Index(i),
            ];
            return Err(error_at(file, &path, e));
        }
    }
    Ok(())
}

/// Groups: named once, something to match, globs that compile, a limit.
fn validate_groups(file: &BudgetFile) -> Result<(), Error> {
    let h = &file.human;
    let mut group_names: Vec<&str> = Vec::new();
    for (i, g) in h.groups.iter().enumerate() {
        let at = |k| member("groups", i, k);
        if group_names.contains(&g.name.as_str()) {
            return Err(error_at(
                file,
                &at("name"),
                format!("group '{}' is declared twice", g.name),
            ));
        }
        group_names.push(&g.name);
        let m = &g.matcher;
        let keys = [
            ("symbol", &m.symbol),
            ("crate", &m.krate),
            ("section", &m.section),
            ("file", &m.file),
            ("dir", &m.dir),
            ("cu", &m.cu),
            ("archive", &m.archive),
            ("object", &m.object),
        ];
        if keys.iter().all(|(_, g)| g.0.is_empty()) {
            return Err(error_at(
                file,
                &at("match"),
                "match needs at least one of symbol, crate, section, file, dir, cu, archive, object",
            ));
        }
        for (key, globs) in keys {
            for (j, pat) in globs.0.iter().enumerate() {
                if let Err(e) = compile_glob(pat) {
                    let path = [
                        Seg::Key("budget"),
                        Seg::Key("groups"),
                        Seg::Index(i),
                        Seg::Key("match"),
                        Seg::Key(key),
                        Seg::Index(j),
                    ];
                    return Err(error_at(file, &path, e));
                }
            }
        }
        if g.warn.is_none() && g.fail.is_none() && g.regions.is_none() && g.growth.is_none() {
            return Err(error_at(
                file,
                &at("name"),
                format!("group '{}' needs warn, fail, regions or growth", g.name),
            ));
        }
        if let (Some(w), Some(f)) = (g.warn, g.fail) {
            if w.0 > f.0 {
                return Err(error_at(
                    file,
                    &at("warn"),
                    format!("warn level {} is above fail level {}", w.0, f.0),
                ));
            }
        }
    }
    Ok(())
}

/// Tolerances: percentages that make sense, globs that compile.
fn validate_tolerance(file: &BudgetFile) -> Result<(), Error> {
    let h = &file.human;
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
            if let Err(e) = compile_glob(&s.pattern) {
                return Err(error_at(
                    file,
                    &[at[0], at[1], at[2], at[3], Seg::Key("match")],
                    e,
                ));
            }
        }
    }
    Ok(())
}
