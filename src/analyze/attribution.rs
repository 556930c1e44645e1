//! Which component each byte belongs to: source file, directory, compile unit and crate
//! (from DWARF, [`crate::dwarf`]), archive and object (from a GNU ld map,
//! [`crate::mapfile`]). The readers only read; this module decides what a symbol or a gap
//! between symbols is charged to, and how build-machine paths are shown.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::dwarf::{self, Dwarf, EntryKind};
use crate::elf::SymbolKind;
use crate::mapfile::{MapFile, Piece};
use crate::report::{SectionUsage, SymbolUsage, Warning};

/// Where a symbol comes from; every field is optional (no DWARF, no map, no match).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Origin {
    /// Source file, as shown (see [`PathStyle`]).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub file: Option<String>,
    /// Declaration line.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub line: Option<u32>,
    /// Compile unit (its primary source file, shown like `file`).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub cu: Option<String>,
    /// Rust crate.
    #[serde(rename = "crate", skip_serializing_if = "Option::is_none", default)]
    pub krate: Option<String>,
    /// Library archive the object came from (`libc_nano.a`).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub archive: Option<String>,
    /// Object file (`lib_a-memcpy.o`, `main.o`), or `*fill*` for linker padding.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub object: Option<String>,
}

/// How source paths recorded on the build machine are shown. Applied in this order:
/// the first matching `--path-map FROM=TO`, else the first matching `--strip-prefix`,
/// else a well-known group (`<rust>/library/…` for the Rust standard library under
/// `/rustc/HASH/`, `<cargo-registry>/CRATE-VER/…`, `<cargo-git>/…`), else the path relative
/// to its unit's compilation directory when it lies inside it. Paths are then normalised
/// lexically (`a/./b`, `a//b`, `a/x/../b`).
#[derive(Debug, Clone, Default)]
pub struct PathStyle {
    /// Path prefixes to rewrite, `(FROM, TO)` (`--path-map FROM=TO`).
    pub path_map: Vec<(String, String)>,
    /// Path prefixes to remove (`--strip-prefix`).
    pub strip_prefix: Vec<String>,
}

impl PathStyle {
    /// Show `path` (of a unit compiled in `comp_dir`).
    pub fn show(&self, path: &str, comp_dir: Option<&str>) -> String {
        let path = normalize(path);
        for (from, to) in &self.path_map {
            if let Some(rest) = strip_dir_prefix(&path, from) {
                return normalize(&format!("{to}/{rest}"));
            }
        }
        for p in &self.strip_prefix {
            if let Some(rest) = strip_dir_prefix(&path, p) {
                return rest.to_string();
            }
        }
        if let Some(g) = group(&path) {
            return g;
        }
        if let Some(dir) = comp_dir {
            if let Some(rest) = strip_dir_prefix(&path, &normalize(dir)) {
                return rest.to_string();
            }
        }
        path
    }
}

/// `rest` when `path` is `prefix/rest` (on a component boundary).
fn strip_dir_prefix<'a>(path: &'a str, prefix: &str) -> Option<&'a str> {
    let prefix = prefix.trim_end_matches('/');
    if prefix.is_empty() {
        return None;
    }
    let rest = path.strip_prefix(prefix)?;
    let rest = rest.strip_prefix('/')?;
    (!rest.is_empty()).then_some(rest)
}

/// Toolchain and package-manager locations, grouped so that they read the same on every
/// build machine.
fn group(path: &str) -> Option<String> {
    if let Some(rest) = path.strip_prefix("/rustc/") {
        // /rustc/<commit hash>/library/core/src/fmt/mod.rs
        let (hash, tail) = rest.split_once('/')?;
        if hash.len() >= 7 && hash.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Some(format!("<rust>/{tail}"));
        }
    }
    for (marker, name) in [
        ("/.cargo/registry/src/", "<cargo-registry>"),
        ("/.cargo/git/checkouts/", "<cargo-git>"),
        ("/cargo/registry/src/", "<cargo-registry>"),
    ] {
        if let Some(i) = path.find(marker) {
            let rest = &path[i + marker.len()..];
            // Registry paths carry the index directory (`index.crates.io-6f17d22bba15001f`).
            let rest = if name == "<cargo-registry>" {
                rest.split_once('/').map_or(rest, |(_, r)| r)
            } else {
                rest
            };
            return Some(format!("{name}/{rest}"));
        }
    }
    None
}

/// Lexical normalisation: no `.` components, no empty ones, `x/..` folded.
pub fn normalize(path: &str) -> String {
    let absolute = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for c in path.split('/') {
        match c {
            "" | "." => {}
            ".." if parts.last().is_some_and(|p| *p != "..") => {
                parts.pop();
            }
            _ => parts.push(c),
        }
    }
    let joined = parts.join("/");
    if absolute {
        format!("/{joined}")
    } else if joined.is_empty() {
        ".".to_string()
    } else {
        joined
    }
}

/// The directory of a shown file, cut to its first `depth` components (0: the whole
/// directory). `<rust>/library/core/src/fmt/mod.rs` at depth 3 is `<rust>/library/core`.
pub fn dir_key(file: &str, depth: usize) -> String {
    let dir = match file.rsplit_once('/') {
        Some(("", _)) => "/",
        Some((d, _)) => d,
        None => ".",
    };
    if depth == 0 {
        return dir.to_string();
    }
    let absolute = dir.starts_with('/');
    let parts: Vec<&str> = dir
        .split('/')
        .filter(|c| !c.is_empty())
        .take(depth)
        .collect();
    let joined = parts.join("/");
    if absolute {
        format!("/{joined}")
    } else {
        joined
    }
}

/// Attributes symbols and gaps from whichever sources are present.
#[derive(Debug, Clone, Copy)]
pub struct Attributor<'a> {
    /// Source attribution from DWARF.
    pub dwarf: Option<&'a Dwarf>,
    /// Archive/object attribution from a linker map.
    pub map: Option<&'a MapFile>,
    /// How paths are shown.
    pub paths: &'a PathStyle,
}

/// A range of a section that no symbol covers, with what it is charged to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Gap {
    /// First byte.
    pub addr: u64,
    /// Length in bytes.
    pub size: u64,
    #[serde(flatten)]
    /// What the gap is charged to.
    pub origin: Origin,
}

impl<'a> Attributor<'a> {
    fn unit_origin(&self, unit: &dwarf::CompUnit, o: &mut Origin) {
        o.cu = Some(self.unit_shown(unit));
        if o.krate.is_none() {
            o.krate = unit.krate.clone();
        }
    }

    /// How a unit is shown in the `cu` column.
    fn unit_shown(&self, unit: &dwarf::CompUnit) -> String {
        self.unit_shown_as(unit, unit.krate.as_deref())
    }

    /// [`Attributor::unit_shown`] with the unit's crate as inferred.
    fn unit_shown_as(&self, unit: &dwarf::CompUnit, krate: Option<&str>) -> String {
        if unit.is_rust() && krate.is_none() {
            // An incremental build's unit (`ROOT/@/<random token>`) whose crate is unknown.
            if let Some((root, _)) = unit.path.rsplit_once("/@/") {
                return format!("{}/@/", self.paths.show(root, unit.comp_dir.as_deref()));
            }
        }
        match (krate, unit.path.rsplit_once("/@/")) {
            // rustc's `ROOT/@/CRATE.HASH-cgu.N`: the hash and codegen-unit number change
            // from build to build, so the unit is shown as `ROOT/@/CRATE`.
            (Some(krate), Some((root, _))) => {
                format!(
                    "{}/@/{krate}",
                    self.paths.show(root, unit.comp_dir.as_deref())
                )
            }
            _ => self.paths.show(&unit.path, unit.comp_dir.as_deref()),
        }
    }

    /// [`Attributor::symbol`] for every symbol, with each unit and each (file, compilation
    /// directory) shown once: shaping paths per symbol was most of the time of `--by file`
    /// on a large debug build.
    fn symbols(&self, symbols: &mut [SymbolUsage]) {
        use rayon::prelude::*;
        use std::collections::{HashMap, HashSet};
        let Some(d) = self.dwarf else {
            symbols.par_iter_mut().for_each(|s| {
                let o = self.symbol(&SymbolParts::of(s));
                s.set_origin(o);
            });
            return;
        };
        // Units with the same compilation directory show a file the same way.
        let mut comp_dirs: HashMap<Option<&str>, u32> = HashMap::new();
        let unit_dir: Vec<u32> = d
            .units
            .iter()
            .map(|u| {
                let next = comp_dirs.len() as u32;
                *comp_dirs.entry(u.comp_dir.as_deref()).or_insert(next)
            })
            .collect();
        let found: Vec<Option<(dwarf::FileId, Option<u32>, u32)>> = symbols
            .par_iter()
            .map(|s| {
                let kind = match s.kind {
                    SymbolKind::Func => EntryKind::Function,
                    SymbolKind::Object => EntryKind::Variable,
                    _ => return None,
                };
                d.lookup(s.addr, kind, &s.raw, s.file.as_deref())
                    .map(|f| (f.file_id, f.unit_id, f.line))
            })
            .collect();
        let keys: HashSet<(dwarf::FileId, u32)> = found
            .iter()
            .flatten()
            .filter(|(f, _, _)| *f != dwarf::FileId::SymbolTable)
            .map(|(f, u, _)| (*f, u.map_or(u32::MAX, |u| unit_dir[u as usize])))
            .collect();
        let unit_of_dir: HashMap<u32, u32> = unit_dir
            .iter()
            .enumerate()
            .map(|(u, dir)| (*dir, u as u32))
            .collect();
        let comp_dir = |dir: u32| {
            unit_of_dir
                .get(&dir)
                .and_then(|u| d.units[*u as usize].comp_dir.as_deref())
        };
        let shown: HashMap<(dwarf::FileId, u32), String> = keys
            .into_par_iter()
            .map(|(f, dir)| {
                let path = match f {
                    dwarf::FileId::File(i) => d.files[i as usize].as_str(),
                    dwarf::FileId::UnitRoot(u) => d.units[u as usize].root.as_str(),
                    dwarf::FileId::SymbolTable => "",
                };
                ((f, dir), self.paths.show(path, comp_dir(dir)))
            })
            .collect();
        let unit_crates = infer_unit_crates(d, symbols, &found);
        let cus: Vec<String> = d
            .units
            .par_iter()
            .zip(&unit_crates)
            .map(|(u, k)| self.unit_shown_as(u, k.as_deref()))
            .collect();
        symbols.par_iter_mut().zip(found).for_each(|(s, found)| {
            let mut o = Origin {
                krate: s.krate.take(),
                ..Origin::default()
            };
            if let Some((file, unit, line)) = found {
                let unit = unit.map(|u| u as usize);
                o.file = Some(match file {
                    dwarf::FileId::SymbolTable => self.paths.show(
                        s.file.as_deref().unwrap_or_default(),
                        unit.and_then(|u| d.units[u].comp_dir.as_deref()),
                    ),
                    f => shown[&(f, unit.map_or(u32::MAX, |u| unit_dir[u]))].clone(),
                });
                o.line = (line > 0).then_some(line);
                if let Some(u) = unit {
                    o.cu = Some(cus[u].clone());
                    if o.krate.is_none() {
                        o.krate = unit_crates[u].clone();
                    }
                }
            }
            if o.file.is_none() {
                o.file = s.file.take();
            }
            if let Some(m) = self.map {
                if let Some((archive, object)) = map_piece(m, Some(&s.section), s.addr) {
                    o.archive = archive;
                    o.object = Some(object);
                }
            }
            s.set_origin(o);
        });
    }

    /// A symbol's origin: its DIE (by address, kind and name), else its `STT_FILE`, else
    /// the unit whose ranges cover it; its map piece. `path_crate` is the crate of its
    /// demangled Rust path, which wins over the unit's (a generic instantiated in another
    /// crate's unit still belongs to the crate that defines it); unmangled symbols
    /// (`#[no_mangle]` handlers, `compiler_builtins`' `memcpy`) get their unit's crate.
    pub fn symbol(&self, sym: &SymbolParts<'_>) -> Origin {
        let mut o = Origin {
            krate: sym.path_crate.map(str::to_string),
            ..Origin::default()
        };
        if let Some(d) = self.dwarf {
            let kind = match sym.kind {
                SymbolKind::Func => Some(EntryKind::Function),
                SymbolKind::Object => Some(EntryKind::Variable),
                _ => None,
            };
            let found = kind.and_then(|k| d.lookup(sym.addr, k, sym.raw, sym.stt_file));
            if let Some(found) = found {
                let comp_dir = found.unit.and_then(|u| u.comp_dir.as_deref());
                o.file = found.file.map(|f| self.paths.show(f, comp_dir));
                o.line = (found.line > 0).then_some(found.line);
                if let Some(u) = found.unit {
                    self.unit_origin(u, &mut o);
                }
            }
        }
        if o.file.is_none() {
            o.file = sym.stt_file.map(str::to_string);
        }
        if let Some(m) = self.map {
            if let Some((archive, object)) = map_piece(m, sym.section, sym.addr) {
                o.archive = archive;
                o.object = Some(object);
            }
        }
        o
    }

    /// Split a gap `[addr, addr + size)` of section `section` by unit ranges (DWARF) and
    /// map pieces; parts that neither covers come back with an empty origin. A gap a unit
    /// covers is charged to the unit's primary file.
    pub fn gap(&self, section: &str, addr: u64, size: u64) -> Vec<Gap> {
        let end = addr.saturating_add(size);
        // Cut points: unit range and map piece boundaries inside the gap.
        let mut cuts = vec![addr, end];
        if let Some(d) = self.dwarf {
            let i = d.ranges.partition_point(|r| r.end <= addr);
            for r in d.ranges[i..].iter().take_while(|r| r.begin < end) {
                cuts.extend(
                    [r.begin, r.end]
                        .into_iter()
                        .filter(|c| *c > addr && *c < end),
                );
            }
        }
        let pieces = self
            .map
            .and_then(|m| m.section(section))
            .map(|s| &s.pieces[..]);
        if let Some(pieces) = pieces {
            for p in pieces
                .iter()
                .filter(|p| p.addr < end && p.addr + p.size > addr)
            {
                cuts.extend(
                    [p.addr, p.addr + p.size]
                        .into_iter()
                        .filter(|c| *c > addr && *c < end),
                );
            }
        }
        cuts.sort_unstable();
        cuts.dedup();
        let mut out: Vec<Gap> = Vec::new();
        for w in cuts.windows(2) {
            let (a, b) = (w[0], w[1]);
            let mut o = Origin::default();
            if let Some(d) = self.dwarf {
                if let Some(u) = d.unit_at(a) {
                    let unit = &d.units[u as usize];
                    self.unit_origin(unit, &mut o);
                    o.file = Some(self.paths.show(&unit.root, unit.comp_dir.as_deref()));
                }
            }
            if let Some(p) =
                pieces.and_then(|ps| ps.iter().find(|p| p.addr <= a && a < p.addr + p.size))
            {
                match &p.piece {
                    Piece::Input {
                        object, archive, ..
                    } => {
                        o.archive = archive.clone();
                        o.object = Some(object.clone());
                    }
                    Piece::Fill => o.object = Some(FILL.to_string()),
                }
            }
            match out.last_mut() {
                Some(last) if last.origin == o && last.addr + last.size == a => last.size += b - a,
                _ => out.push(Gap {
                    addr: a,
                    size: b - a,
                    origin: o,
                }),
            }
        }
        out
    }
}

/// What [`Attributor::symbol`] needs to know about a symbol.
#[derive(Debug, Clone, Copy)]
pub struct SymbolParts<'a> {
    /// Address.
    pub addr: u64,
    /// Function, object...
    pub kind: SymbolKind,
    /// Name as stored in the ELF.
    pub raw: &'a str,
    /// `STT_FILE` of a local symbol.
    pub stt_file: Option<&'a str>,
    /// Its section's name.
    pub section: Option<&'a str>,
    /// Crate of its demangled Rust path.
    pub path_crate: Option<&'a str>,
}

/// Each unit's crate: from its name (`ROOT/@/CRATE.HASH-cgu.N`), else, for the units of an
/// incremental build (named by a random token), the crate that most of the symbols of the
/// units sharing its root file and compilation directory name in their demangled paths,
/// leaving out the crates that have units of their own (their generics are instantiated
/// in every crate's units). Ties go to the first name in order, so the result is stable.
fn infer_unit_crates(
    d: &Dwarf,
    symbols: &[SymbolUsage],
    found: &[Option<(dwarf::FileId, Option<u32>, u32)>],
) -> Vec<Option<String>> {
    let mut out: Vec<Option<String>> = d.units.iter().map(|u| u.krate.clone()).collect();
    if !d.units.iter().any(|u| u.is_rust() && u.krate.is_none()) {
        return out;
    }
    let named: std::collections::HashSet<&str> =
        d.units.iter().filter_map(|u| u.krate.as_deref()).collect();
    let group = |u: &dwarf::CompUnit| (u.comp_dir.clone(), u.root.clone());
    let mut votes: BTreeMap<(Option<String>, String), BTreeMap<&str, usize>> = BTreeMap::new();
    for (s, f) in symbols.iter().zip(found) {
        let Some(u) = f.and_then(|(_, u, _)| u) else {
            continue;
        };
        let unit = &d.units[u as usize];
        let Some(k) = s.krate.as_deref() else {
            continue;
        };
        if unit.is_rust() && unit.krate.is_none() && !named.contains(k) {
            *votes.entry(group(unit)).or_default().entry(k).or_default() += 1;
        }
    }
    for (u, k) in d.units.iter().zip(out.iter_mut()) {
        if k.is_none() && u.is_rust() {
            *k = votes.get(&group(u)).and_then(|v| {
                v.iter()
                    .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
                    .map(|(k, _)| k.to_string())
            });
        }
    }
    out
}

impl<'a> SymbolParts<'a> {
    fn of(s: &'a SymbolUsage) -> Self {
        SymbolParts {
            addr: s.addr,
            kind: s.kind,
            raw: &s.raw,
            stt_file: s.file.as_deref(),
            section: Some(&s.section),
            path_crate: s.krate.as_deref(),
        }
    }
}

impl SymbolUsage {
    fn set_origin(&mut self, o: Origin) {
        self.file = o.file;
        self.line = o.line;
        self.cu = o.cu;
        self.krate = o.krate;
        self.archive = o.archive;
        self.object = o.object;
    }
}

/// The inputs of attribution, as the command line gives them.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    /// DWARF of the image (`--dwarf`).
    pub dwarf: Option<Arc<Dwarf>>,
    /// GNU ld map of the image (`--map`).
    pub map: Option<Arc<MapFile>>,
    /// How paths are shown.
    pub paths: PathStyle,
}

impl Sources {
    /// Whether there is anything to attribute with.
    pub fn is_empty(&self) -> bool {
        self.dwarf.is_none() && self.map.is_none()
    }
}

/// Set every symbol's origin and split every section's unattributed bytes into gaps.
pub(crate) fn apply(
    sources: &Sources,
    symbols: &mut [SymbolUsage],
    sections: &mut [SectionUsage],
    warnings: &mut Vec<Warning>,
) {
    if sources.is_empty() {
        return;
    }
    if let Some(note) = sources.dwarf.as_ref().and_then(|d| d.note.clone()) {
        warnings.push(Warning::Attribution { note });
    }
    let a = Attributor {
        dwarf: sources.dwarf.as_deref(),
        map: sources.map.as_deref(),
        paths: &sources.paths,
    };
    a.symbols(symbols);
    let mut by_section: BTreeMap<&str, Vec<(u64, u64)>> = BTreeMap::new();
    for s in symbols.iter() {
        by_section
            .entry(s.section.as_str())
            .or_default()
            .push((s.addr, s.addr.saturating_add(s.size)));
    }
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for sec in sections.iter() {
        *seen.entry(sec.name.clone()).or_default() += 1;
    }
    for sec in sections
        .iter_mut()
        .filter(|s| s.unattributed > 0 && s.kind.occupies_memory())
    {
        if seen.get(&sec.name).copied().unwrap_or(0) > 1 {
            continue; // duplicate names (relocatable objects): symbols cannot be told apart
        }
        let end = sec.addr.saturating_add(sec.size);
        let spans = by_section
            .get(sec.name.as_str())
            .map(|v| &v[..])
            .unwrap_or(&[]);
        let holes = uncovered(sec.addr, end, spans.iter().copied());
        if holes.iter().map(|(a, b)| b - a).sum::<u64>() != sec.unattributed {
            continue; // symbols outside their section: keep the plain remainder
        }
        sec.gaps = holes
            .into_iter()
            .flat_map(|(x, y)| a.gap(&sec.name, x, y - x))
            .collect();
    }
}

/// The object key of linker fill and padding.
pub const FILL: &str = "*fill*";

/// The (archive, object) of the map piece containing `addr` in output section `section`.
fn map_piece(map: &MapFile, section: Option<&str>, addr: u64) -> Option<(Option<String>, String)> {
    let s = map.section(section?)?;
    let i = s.pieces.partition_point(|p| p.addr + p.size <= addr);
    s.pieces[i..]
        .iter()
        .take_while(|p| p.addr <= addr)
        .find(|p| p.size > 0 && addr < p.addr + p.size)
        .map(|p| match &p.piece {
            Piece::Input {
                object, archive, ..
            } => (archive.clone(), object.clone()),
            Piece::Fill => (None, FILL.to_string()),
        })
}

/// The ranges of `[start, end)` that none of `covered` (sorted or not) overlaps.
pub fn uncovered(
    start: u64,
    end: u64,
    covered: impl Iterator<Item = (u64, u64)>,
) -> Vec<(u64, u64)> {
    let mut spans: Vec<(u64, u64)> = covered
        .map(|(a, b)| (a.max(start), b.min(end)))
        .filter(|(a, b)| a < b)
        .collect();
    spans.sort_unstable();
    let mut out = Vec::new();
    let mut at = start;
    for (a, b) in spans {
        if a > at {
            out.push((at, a));
        }
        at = at.max(b);
    }
    if at < end {
        out.push((at, end));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_grouped_mapped_and_made_relative() {
        let s = PathStyle::default();
        assert_eq!(
            s.show(
                "/rustc/59807616e1fa2540724bfbac14d7976d7e4a3860/library/core/src/fmt/mod.rs",
                None
            ),
            "<rust>/library/core/src/fmt/mod.rs"
        );
        assert_eq!(
            s.show("/home/u/.cargo/registry/src/index.crates.io-6f17d22bba15001f/heapless-0.8.0/src/vec.rs", Some("/home/u/fw")),
            "<cargo-registry>/heapless-0.8.0/src/vec.rs"
        );
        assert_eq!(
            s.show("/home/u/fw/src/main.rs", Some("/home/u/fw")),
            "src/main.rs"
        );
        assert_eq!(
            s.show("/home/u/fwx/a.c", Some("/home/u/fw")),
            "/home/u/fwx/a.c"
        );
        assert_eq!(s.show("./shapes.cpp", Some(".")), "shapes.cpp");
        assert_eq!(s.show("/a/b/../../c/./d//e.c", None), "/c/d/e.c");
        let user = PathStyle {
            path_map: vec![("/builds/espressif/esp-idf".into(), "esp-idf".into())],
            strip_prefix: vec!["/opt/fwbuild/".into()],
        };
        assert_eq!(
            user.show(
                "/builds/espressif/esp-idf/components/heap/heap_caps.c",
                None
            ),
            "esp-idf/components/heap/heap_caps.c"
        );
        assert_eq!(
            user.show("/opt/fwbuild/_build/c/main.c", None),
            "_build/c/main.c"
        );
    }

    #[test]
    fn directory_keys_cut_at_depth() {
        assert_eq!(
            dir_key("<rust>/library/core/src/fmt/mod.rs", 3),
            "<rust>/library/core"
        );
        assert_eq!(dir_key("src/main.rs", 0), "src");
        assert_eq!(dir_key("main.c", 2), ".");
        assert_eq!(dir_key("/opt/x/y/z.c", 2), "/opt/x");
    }

    #[test]
    fn uncovered_ranges() {
        assert_eq!(
            uncovered(0, 10, [(2, 4), (3, 5), (8, 12)].into_iter()),
            vec![(0, 2), (5, 8)]
        );
        assert_eq!(uncovered(0, 10, std::iter::empty()), vec![(0, 10)]);
        assert_eq!(uncovered(0, 10, [(0, 10)].into_iter()), vec![]);
    }
}
