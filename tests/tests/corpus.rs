//! Conformance against GNU binutils, one named trial per file and check.
//!
//! * `corpus::CHECK::NAME.elf`: every `*.elf` in `$MEMBUDGET_CORPUS` (default
//!   `../shared/corpus`) against the binutils outputs recorded beside it:
//!   - `size_a`: sections (name, size, address) and the total equal `size -A`;
//!   - `lma`: every allocated section's VMA, size and load address equal what `objdump -h`
//!     prints (BFD's own LMA, the oracle for the `.data`-in-flash rule): recorded
//!     `NAME.elf.objdump-h.txt` when there is one, else the installed `objdump`;
//!   - `nm_s`: sized symbols equal `nm -S`; `nm_c`: C++ and Rust names demangle as `nm -SC`
//!     prints them;
//!   - `analyze`: the analysis on inferred regions succeeds and maps every section;
//!   - `mutations`: truncated and bit-flipped copies load (or fail) and analyse without a panic.
//! * `fixture::CHECK::cpp-m4.elf`: the same checks on the project's C++ Cortex-M4 fixture
//!   (`scripts/build-cpp-fixture.sh`) and its committed binutils outputs, plus
//!   `fixture::cpp_m4_expectations` (demangled names, `STT_FILE` attribution).
//! * `toolchain::NAME`: objects and images freshly built with `arm-none-eabi-gcc` (COMDAT
//!   groups, `--emit-relocs`, shared, PIE, `ld -r`, zeroed `p_paddr`) against the live
//!   `size -A`, `objdump -h`, `nm -S` and `nm -SC`.
//!
//! A missing corpus, reference output or tool is a loud skip (a failure with `CI=true`).

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use libtest_mimic::Trial;
use membudget::elf::{self, Image};
use membudget::{analyze as report, demangle};

use crate::support::{quietly, root, sibling, tool, tool_output, trial, trial_name, Skip};

/// At most this many mismatch lines are printed per file and check.
const MAX_LINES: usize = 25;

// ---------------------------------------------------------------------------------------
// C++ names where cpp_demangle and libiberty legitimately disagree and that no
// post-processing in `demangle.rs` can reasonably fix. Each entry: (raw name, why).
// Keep this list empty unless a difference is understood and reported.
const DEMANGLE_ALLOWLIST: &[(&str, &str)] = &[
    // cpp_demangle 0.5.1 applies the substitution `S1_` inside `RNS1_15__upcast_resultE`
    // to the reference instead of the nested name: "__class_type_info&::__upcast_result"
    // for libiberty's "__class_type_info::__upcast_result&". A parser bug, not a style
    // difference; no safe textual fix. (libsupc++, in both ESP-IDF images.)
    (
        "_ZNK10__cxxabiv120__si_class_type_info11__do_upcastEPKNS_17__class_type_infoEPKvRNS1_15__upcast_resultE",
        "cpp_demangle substitution bug",
    ),
    (
        "_ZNK10__cxxabiv121__vmi_class_type_info11__do_upcastEPKNS_17__class_type_infoEPKvRNS1_15__upcast_resultE",
        "cpp_demangle substitution bug",
    ),
];

// ---------------------------------------------------------------------------------------
// Parsing the binutils reference outputs.

#[derive(Debug, Clone, PartialEq, Eq)]
struct SizeRow {
    name: String,
    size: u64,
    addr: u64,
}

/// `size -A` output (decimal): rows and the Total line.
fn parse_size_a(text: &str) -> Result<(Vec<SizeRow>, u64), String> {
    let mut rows = Vec::new();
    let mut total = None;
    let mut in_table = false;
    for line in text.lines() {
        let t = line.trim();
        if !in_table {
            if t.starts_with("section") && t.ends_with("addr") {
                in_table = true;
            }
            continue;
        }
        if t.is_empty() {
            continue;
        }
        if let Some(rest) = t.strip_prefix("Total") {
            if rest.starts_with(char::is_whitespace) {
                total = Some(
                    rest.trim()
                        .parse::<u64>()
                        .map_err(|e| format!("Total: {e}"))?,
                );
                break;
            }
        }
        // The name may in principle contain spaces: the last two fields are numbers.
        let mut it = t.rsplitn(3, char::is_whitespace).filter(|s| !s.is_empty());
        let (addr, size, name) = (it.next(), it.next(), it.next());
        let (Some(addr), Some(size), Some(name)) = (addr, size, name) else {
            return Err(format!("bad size -A line {line:?}"));
        };
        // rsplitn on single whitespace: trim the name's trailing padding.
        let name = name.trim_end();
        let size = size
            .trim()
            .parse::<u64>()
            .map_err(|e| format!("{line:?}: {e}"))?;
        let addr = addr
            .trim()
            .parse::<u64>()
            .map_err(|e| format!("{line:?}: {e}"))?;
        rows.push(SizeRow {
            name: name.to_string(),
            size,
            addr,
        });
    }
    let total = total.ok_or("no Total line")?;
    Ok((rows, total))
}

/// `size -A` separates fields by runs of spaces; `rsplitn(3, ws)` would split inside a run,
/// so normalise first.
fn parse_size_a_text(text: &str) -> Result<(Vec<SizeRow>, u64), String> {
    let norm: String = text
        .lines()
        .map(|l| {
            let toks: Vec<&str> = l.split_whitespace().collect();
            toks.join(" ")
        })
        .collect::<Vec<_>>()
        .join("\n");
    parse_size_a(&norm)
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct NmLine {
    addr: Option<u64>,
    size: Option<u64>,
    ty: char,
    name: String,
}

/// `nm -S` / `nm -SC` output in BSD format. Names may contain spaces (`vtable for Foo`).
fn parse_nm(text: &str) -> Result<Vec<NmLine>, String> {
    let mut out = Vec::new();
    for line in text.lines() {
        if line.is_empty() || line.contains(": no symbols") {
            continue;
        }
        if line.starts_with(' ') {
            // Undefined / weak undefined: "         U name".
            let t = line.trim_start();
            let mut ch = t.chars();
            let ty = ch.next().ok_or_else(|| format!("bad nm line {line:?}"))?;
            let name = t.get(2..).unwrap_or("").to_string();
            out.push(NmLine {
                addr: None,
                size: None,
                ty,
                name,
            });
            continue;
        }
        let (addr_s, rest) = line
            .split_once(' ')
            .ok_or_else(|| format!("bad nm line {line:?}"))?;
        let width = addr_s.len();
        let addr = u64::from_str_radix(addr_s, 16).map_err(|e| format!("{line:?}: {e}"))?;
        let mut rest = rest;
        let mut size = None;
        if rest.len() > width + 2
            && rest.as_bytes()[width] == b' '
            && rest[..width].bytes().all(|b| b.is_ascii_hexdigit())
        {
            size = Some(
                u64::from_str_radix(&rest[..width], 16).map_err(|e| format!("{line:?}: {e}"))?,
            );
            rest = &rest[width + 1..];
        }
        let mut ch = rest.chars();
        let ty = ch.next().ok_or_else(|| format!("bad nm line {line:?}"))?;
        let name = rest.get(2..).unwrap_or("").to_string();
        out.push(NmLine {
            addr: Some(addr),
            size,
            ty,
            name,
        });
    }
    Ok(out)
}

/// One section of `objdump -h`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ObjdumpRow {
    name: String,
    size: u64,
    vma: u64,
    lma: u64,
    alloc: bool,
}

/// `objdump -h`: a row per section (`Idx Name Size VMA LMA File-off Algn`, hex), then a line
/// of flags.
fn parse_objdump_h(text: &str) -> Result<Vec<ObjdumpRow>, String> {
    let mut rows: Vec<ObjdumpRow> = Vec::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        let toks: Vec<&str> = line.split_whitespace().collect();
        let is_row = toks.len() >= 7
            && toks[0].bytes().all(|b| b.is_ascii_digit())
            && toks[toks.len() - 1].starts_with("2**");
        if !is_row {
            continue;
        }
        let n = toks.len();
        let hex = |s: &str| u64::from_str_radix(s, 16).map_err(|e| format!("{line:?}: {e}"));
        let flags = lines
            .next()
            .ok_or_else(|| format!("no flags after {line:?}"))?;
        rows.push(ObjdumpRow {
            name: toks[1..n - 5].join(" "),
            size: hex(toks[n - 5])?,
            vma: hex(toks[n - 4])?,
            lma: hex(toks[n - 3])?,
            alloc: flags.split(',').any(|f| f.trim() == "ALLOC"),
        });
    }
    if rows.is_empty() && !text.contains("Sections:") {
        return Err("no `Sections:` table".into());
    }
    Ok(rows)
}

// ---------------------------------------------------------------------------------------
// Comparisons. Each returns mismatch lines ("what: expected X, got Y").

fn compare_sections(image: &Image, size_a: &str) -> Vec<String> {
    let mut out = Vec::new();
    let (rows, total) = match parse_size_a_text(size_a) {
        Ok(v) => v,
        Err(e) => return vec![format!("cannot parse size -A output: {e}")],
    };
    let ours: Vec<SizeRow> = image
        .sections
        .iter()
        .map(|s| SizeRow {
            name: s.name.clone(),
            size: s.size,
            addr: s.addr,
        })
        .collect();
    if ours != rows {
        let n = ours.len().max(rows.len());
        for i in 0..n {
            let (e, a) = (rows.get(i), ours.get(i));
            if e != a {
                out.push(format!(
                    "section #{i}: expected {}, got {}",
                    e.map(|r| format!("{} size {} addr {:#x}", r.name, r.size, r.addr))
                        .unwrap_or_else(|| "nothing".into()),
                    a.map(|r| format!("{} size {} addr {:#x}", r.name, r.size, r.addr))
                        .unwrap_or_else(|| "nothing".into()),
                ));
            }
        }
    }
    let our_total: u64 = image.sections.iter().map(|s| s.size).sum();
    if our_total != total {
        out.push(format!("size -A Total: expected {total}, got {our_total}"));
    }
    out
}

/// Every allocated section `objdump -h` lists has our VMA, size and load address. BFD lists
/// sections in section-header order without the symbol/string tables and relocations, so
/// sections of one name pair up in order.
fn compare_lma(image: &Image, objdump_h: &str) -> Vec<String> {
    let rows = match parse_objdump_h(objdump_h) {
        Ok(r) => r,
        Err(e) => return vec![format!("cannot parse objdump -h output: {e}")],
    };
    let mut ours: HashMap<&str, VecDeque<&elf::Section>> = HashMap::new();
    for s in &image.sections {
        ours.entry(s.name.as_str()).or_default().push_back(s);
    }
    let mut out = Vec::new();
    for row in rows.iter().filter(|r| r.alloc) {
        let Some(s) = ours
            .get_mut(row.name.as_str())
            .and_then(VecDeque::pop_front)
        else {
            out.push(format!(
                "objdump lists allocated section {}, we have none",
                row.name
            ));
            continue;
        };
        let (want, got) = ((row.vma, row.size, row.lma), (s.addr, s.size, s.load_addr));
        if want != got {
            out.push(format!(
                "{}: objdump VMA {:#x} size {} LMA {:#x}, ours VMA {:#x} size {} LMA {:#x}",
                row.name, want.0, want.1, want.2, got.0, got.1, got.2
            ));
        }
    }
    if !rows.iter().any(|r| r.alloc) {
        out.push("objdump -h lists no allocated section".into());
    }
    out
}

type SymKey = (String, u64, u64);

fn multiset<I: IntoIterator<Item = SymKey>>(it: I) -> BTreeMap<SymKey, usize> {
    let mut m = BTreeMap::new();
    for k in it {
        *m.entry(k).or_insert(0) += 1;
    }
    m
}

fn compare_symbols(image: &Image, nm_s: &str) -> Vec<String> {
    let nm = match parse_nm(nm_s) {
        Ok(v) => v,
        Err(e) => return vec![format!("cannot parse nm -S output: {e}")],
    };
    let expected = multiset(
        nm.iter()
            .filter_map(|l| Some((l.name.clone(), l.addr?, l.size?)))
            .filter(|k| k.2 != 0),
    );
    let ours = multiset(
        image
            .symbols
            .iter()
            .filter(|s| s.size > 0)
            .map(|s| (s.raw.clone(), s.addr, s.size)),
    );
    let mut out = Vec::new();
    for (k, &n) in &expected {
        let have = ours.get(k).copied().unwrap_or(0);
        if have < n {
            let near: Vec<String> = image
                .symbols
                .iter()
                .filter(|s| s.raw == k.0)
                .map(|s| format!("{:#x}/{}", s.addr, s.size))
                .take(3)
                .collect();
            out.push(format!(
                "nm symbol {} addr {:#x} size {} (x{n}): we have {have}{}",
                k.0,
                k.1,
                k.2,
                if near.is_empty() {
                    String::new()
                } else {
                    format!(" (same name at {})", near.join(", "))
                }
            ));
        }
    }
    for (k, &n) in &ours {
        let want = expected.get(k).copied().unwrap_or(0);
        if want < n {
            out.push(format!(
                "extra symbol {} addr {:#x} size {} (x{n}): nm has {want}",
                k.0, k.1, k.2
            ));
        }
    }
    out
}

/// Binutils' own demangling vs ours, for C++ (`_Z`) and Rust (legacy `_ZN..17h<hash>E`, v0
/// `_R`) names. `nm -S` and `nm -SC` list the same symbols in the same order (sorted by raw
/// name), so they pair up line by line.
fn compare_demangled(nm_s: &str, nm_sc: &str) -> (Vec<String>, usize) {
    let (raw, dem) = match (parse_nm(nm_s), parse_nm(nm_sc)) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => return (vec![format!("cannot parse nm output: {e}")], 0),
    };
    if raw.len() != dem.len() {
        return (
            vec![format!(
                "nm -S has {} lines, nm -SC {}: cannot pair them",
                raw.len(),
                dem.len()
            )],
            0,
        );
    }
    let mut out = Vec::new();
    let mut checked = 0;
    for (r, d) in raw.iter().zip(&dem) {
        if r.addr != d.addr || r.ty != d.ty {
            out.push(format!("nm -S/-SC lines do not pair: {r:?} vs {d:?}"));
            break;
        }
        let mangled = ["_Z", "__Z", "_R"].iter().any(|p| r.name.starts_with(p));
        if r.name == d.name || !mangled {
            continue;
        }
        checked += 1;
        let ours = demangle::demangle(&r.name);
        if ours != d.name
            && !DEMANGLE_ALLOWLIST.iter().any(|(n, _)| *n == r.name)
            && !keeps_llvm_suffix(&r.name, &d.name, &ours)
        {
            out.push(format!(
                "demangle {}: expected {:?}, got {:?}",
                r.name, d.name, ours
            ));
        }
    }
    (out, checked)
}

/// libiberty drops the `.N` that LLVM appends to a local copy of a legacy Rust symbol
/// (`..PANICKED17h<hash>E.0` -> `..::PANICKED`); we keep it, so that the copies stay apart in
/// a report. Any other difference still counts.
fn keeps_llvm_suffix(raw: &str, binutils: &str, ours: &str) -> bool {
    let Some((_, suffix)) = raw.rsplit_once("E.") else {
        return false;
    };
    !suffix.is_empty()
        && suffix.bytes().all(|b| b.is_ascii_digit())
        && demangle::is_rust(raw)
        && ours.strip_suffix(suffix).and_then(|o| o.strip_suffix('.')) == Some(binutils)
}

/// `report::analyze` on inferred regions: no error, and every allocated non-empty
/// section (and its load image) lies inside some region.
fn check_analyze(image: &Image) -> Vec<String> {
    let rep = match quietly(|| report::analyze(image, &report::Options::default())) {
        Ok(Ok(r)) => r,
        Ok(Err(e)) => return vec![format!("analyze failed: {e}")],
        Err(_) => return vec!["analyze panicked".into()],
    };
    let mut out = Vec::new();
    let regions = report::infer_regions(image);
    let covered = |lo: u64, size: u64| {
        regions
            .iter()
            .any(|r| lo >= r.origin && lo.saturating_add(size) <= r.end())
    };
    for s in image
        .sections
        .iter()
        .filter(|s| s.is_alloc() && s.size > 0 && s.kind.occupies_memory())
    {
        if !covered(s.addr, s.size) {
            out.push(format!(
                "section {} [{:#x}, +{}) is in no inferred region",
                s.name, s.addr, s.size
            ));
        }
        if s.has_load_copy() && !covered(s.load_addr, s.size) {
            out.push(format!(
                "load image of {} [{:#x}, +{}) is in no inferred region",
                s.name, s.load_addr, s.size
            ));
        }
    }
    if !rep.unmapped.is_empty() {
        out.push(format!(
            "unmapped sections with inferred regions: {:?}",
            rep.unmapped
        ));
    }
    out
}

// ---------------------------------------------------------------------------------------
// Reporting.

/// Mismatch lines of one or more files and checks; a trial fails with all of them.
#[derive(Default)]
struct Failures {
    text: String,
    count: usize,
}

impl Failures {
    fn add(&mut self, file: &str, what: &str, lines: Vec<String>) {
        if lines.is_empty() {
            return;
        }
        self.count += lines.len();
        self.text += &format!("\n{file}: {what}: {} mismatch(es)\n", lines.len());
        for l in lines.iter().take(MAX_LINES) {
            self.text += &format!("    {l}\n");
        }
        if lines.len() > MAX_LINES {
            self.text += &format!("    ... and {} more\n", lines.len() - MAX_LINES);
        }
    }

    fn finish(self, title: &str) {
        if self.count > 0 {
            panic!("{title}: {} mismatch(es)\n{}", self.count, self.text);
        }
    }
}

// ---------------------------------------------------------------------------------------
// One trial per file and check.

/// The checks every corpus file (and the C++ fixture) gets, each a trial of its own.
#[derive(Debug, Clone, Copy)]
enum Check {
    SizeA,
    Lma,
    NmS,
    NmC,
    Analyze,
}

impl Check {
    const ALL: [Check; 5] = [
        Check::SizeA,
        Check::Lma,
        Check::NmS,
        Check::NmC,
        Check::Analyze,
    ];

    /// The middle part of the trial name.
    fn name(self) -> &'static str {
        match self {
            Check::SizeA => "size_a",
            Check::Lma => "lma",
            Check::NmS => "nm_s",
            Check::NmC => "nm_c",
            Check::Analyze => "analyze",
        }
    }

    fn what(self) -> &'static str {
        match self {
            Check::SizeA => "sections vs size -A",
            Check::Lma => "sections and load addresses vs objdump -h",
            Check::NmS => "symbols vs nm -S",
            Check::NmC => "C++ and Rust names vs nm -SC",
            Check::Analyze => "analysis on inferred regions",
        }
    }

    /// The mismatches of `image` (read from `elf`) with the reference this check uses.
    fn mismatches(self, elf: &Path, image: &Image) -> Result<Vec<String>, Skip> {
        Ok(match self {
            Check::SizeA => compare_sections(image, &reference(elf, ".size-A.txt")?),
            Check::Lma => compare_lma(image, &objdump_h(elf)?),
            Check::NmS => compare_symbols(image, &reference(elf, ".nm-S.txt")?),
            Check::NmC => {
                let (nm_s, nm_sc) = (reference(elf, ".nm-S.txt")?, reference(elf, ".nm-SC.txt")?);
                compare_demangled(&nm_s, &nm_sc).0
            }
            Check::Analyze => check_analyze(image),
        })
    }
}

fn file_name(path: &Path) -> String {
    path.file_name().unwrap().to_string_lossy().into_owned()
}

/// A binutils output recorded beside the ELF (`NAME.elf.size-A.txt`...).
fn reference(elf: &Path, suffix: &str) -> Result<String, Skip> {
    let path = sibling(elf, suffix);
    std::fs::read_to_string(&path)
        .map_err(|e| Skip::new(format!("no reference output {}: {e}", path.display())))
}

/// `objdump -h ELF`: recorded beside it, or from the first installed objdump that reads it
/// (Debian's host `objdump` reads every ELF machine with BFD's generic backend; the cross
/// ones read their own).
fn objdump_h(elf: &Path) -> Result<String, Skip> {
    if let Ok(text) = reference(elf, ".objdump-h.txt") {
        return Ok(text);
    }
    let names = [
        "objdump",
        "arm-none-eabi-objdump",
        "riscv64-unknown-elf-objdump",
        "avr-objdump",
    ];
    let mut tried = Vec::new();
    for name in names {
        match Command::new(name).arg("-h").arg(elf).output() {
            Ok(o) if o.status.success() => {
                return Ok(String::from_utf8_lossy(&o.stdout).into_owned())
            }
            Ok(o) => tried.push(format!(
                "{name}: {}",
                String::from_utf8_lossy(&o.stderr).trim()
            )),
            Err(_) => tried.push(format!("{name}: not installed")),
        }
    }
    Err(Skip::new(format!(
        "no objdump reads {} and no {} is recorded ({})",
        file_name(elf),
        file_name(&sibling(elf, ".objdump-h.txt")),
        tried.join("; ")
    )))
}

/// Loads an ELF that must load, without panicking.
fn load(path: &Path) -> Image {
    match quietly(|| elf::load_path(path)) {
        Ok(Ok(image)) => image,
        Ok(Err(e)) => panic!("{}: load_path failed: {e}", file_name(path)),
        Err(_) => panic!("{}: load_path panicked", file_name(path)),
    }
}

fn run_check(elf: &Path, check: Check) -> Result<(), Skip> {
    let image = load(elf);
    let mut failures = Failures::default();
    failures.add(
        &file_name(elf),
        check.what(),
        check.mismatches(elf, &image)?,
    );
    failures.finish(&format!("{} {}", file_name(elf), check.name()));
    Ok(())
}

/// `GROUP::CHECK::FILE` for every check of `elf`.
fn file_trials(group: &str, elf: &Path) -> Vec<Trial> {
    Check::ALL
        .iter()
        .map(|&check| {
            let path = elf.to_path_buf();
            let name = format!("{group}::{}::{}", check.name(), file_name(elf));
            trial(name, move || run_check(&path, check))
        })
        .collect()
}

// ---------------------------------------------------------------------------------------
// The corpus.

/// The corpus directory, or why there is none.
pub fn corpus_dir() -> Result<PathBuf, Skip> {
    let dir = match std::env::var("MEMBUDGET_CORPUS") {
        Ok(v) if v == "skip" => return Err(Skip::new("MEMBUDGET_CORPUS=skip")),
        Ok(v) if !v.is_empty() => PathBuf::from(v),
        _ => root().join("../shared/corpus"),
    };
    if !dir.is_dir() {
        return Err(Skip::new(format!(
            "conformance corpus not found at {} (set MEMBUDGET_CORPUS to its directory)",
            dir.display()
        )));
    }
    Ok(dir)
}

fn corpus_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read corpus {}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "elf") && p.is_file())
        .collect();
    files.sort();
    files
}

/// Files at most this large also get a `mutations` trial: every mutant is a full load and
/// analysis, and the smaller files already cover ARM (LE and BE), AVR, Rust and C, `ET_EXEC`
/// and `ET_DYN`.
const MUTATION_MAX_SIZE: u64 = 900_000;

/// Every trial of this module.
pub fn trials() -> Vec<Trial> {
    let mut trials = Vec::new();
    match corpus_dir() {
        Err(skip) => trials.push(trial("corpus::files", move || Err::<(), Skip>(skip))),
        Ok(dir) => {
            let files = corpus_files(&dir);
            if files.is_empty() {
                let dir = dir.display().to_string();
                trials.push(trial("corpus::files", move || -> () {
                    panic!("no *.elf files in the corpus {dir}")
                }));
            }
            for f in files {
                trials.extend(file_trials("corpus", &f));
                if std::fs::metadata(&f).is_ok_and(|m| m.len() <= MUTATION_MAX_SIZE) {
                    let name = format!("corpus::mutations::{}", file_name(&f));
                    trials.push(trial(name, move || mutations(&f)));
                }
            }
        }
    }
    trials.extend(file_trials("fixture", &root().join("fixtures/cpp-m4.elf")));
    let named = |test: &str| trial_name(module_path!(), test);
    trials.push(trial("fixture::cpp_m4_expectations", cpp_fixture));
    for name in TOOLCHAIN_OUTPUTS {
        trials.push(trial(format!("toolchain::{name}"), move || {
            toolchain_file(name)
        }));
    }
    trials.push(trial(named("parsers"), parsers));
    trials.push(trial(
        named("lma_oracle_sees_a_wrong_load_address"),
        lma_oracle_sees_a_wrong_load_address,
    ));
    trials.push(trial(
        named("demangle_like_libiberty"),
        demangle_like_libiberty,
    ));
    trials
}

/// Loading and analysing must return Ok or Err for any input, never panic.
fn survives(bytes: &[u8]) -> bool {
    quietly(|| {
        if let Ok(image) = elf::load_bytes(bytes, "mutant.elf") {
            let _ = report::analyze(&image, &report::Options::default());
        }
    })
    .is_ok()
}

/// Byte ranges of the ELF header, program header table and section header table, and
/// interesting truncation points (table boundaries, start, middle and end of every
/// section's data), read by hand so that a bug in the loader cannot hide them.
struct Layout {
    cuts: Vec<usize>,
    header_spots: Vec<usize>,
}

/// Long: both header layouts (32- and 64-bit) spelled out field by field.
fn layout(data: &[u8]) -> Layout {
    let mut cuts = vec![0, 4, 16, 52, 64];
    let mut spots: Vec<usize> = (0..64.min(data.len())).collect();
    let is64 = data.get(4) == Some(&2);
    let le = data.get(5) == Some(&1);
    let rd = |off: usize, n: usize| -> Option<u64> {
        let b = data.get(off..off + n)?;
        let mut v = 0u64;
        for i in 0..n {
            let byte = if le { b[n - 1 - i] } else { b[i] } as u64;
            v = (v << 8) | byte;
        }
        Some(v)
    };
    let fields = if is64 {
        (
            rd(32, 8),
            rd(40, 8),
            rd(54, 2),
            rd(56, 2),
            rd(58, 2),
            rd(60, 2),
        )
    } else {
        (
            rd(28, 4),
            rd(32, 4),
            rd(42, 2),
            rd(44, 2),
            rd(46, 2),
            rd(48, 2),
        )
    };
    let (Some(phoff), Some(shoff), Some(phentsize), Some(phnum), Some(shentsize), Some(shnum)) =
        fields
    else {
        return Layout {
            cuts,
            header_spots: spots,
        };
    };
    let (phoff, shoff, phentsize, shentsize) = (
        phoff as usize,
        shoff as usize,
        phentsize as usize,
        shentsize as usize,
    );
    for i in 0..=phnum as usize {
        cuts.push(phoff + i * phentsize);
        if i < phnum as usize {
            spots.extend(phoff + i * phentsize..phoff + (i + 1) * phentsize);
        }
    }
    for i in 0..=shnum as usize {
        let sh = shoff + i * shentsize;
        cuts.push(sh);
        if i == shnum as usize {
            break;
        }
        // Every byte of the first section headers, and the type/offset/size/link fields
        // of all of them.
        if i < 8 {
            spots.extend(sh..sh + shentsize);
        } else {
            spots.extend([sh + 4, sh + 16, sh + 20, sh + 24, sh + 28, sh + 32]);
        }
        let (off, size) = if is64 {
            (rd(sh + 24, 8), rd(sh + 32, 8))
        } else {
            (rd(sh + 16, 4), rd(sh + 20, 4))
        };
        if let (Some(off), Some(size)) = (off, size) {
            let (off, size) = (off as usize, size as usize);
            cuts.extend([off, off.saturating_add(size / 2), off.saturating_add(size)]);
        }
    }
    spots.retain(|&i| i < data.len());
    spots.sort_unstable();
    spots.dedup();
    cuts.retain(|&c| c < data.len());
    cuts.sort_unstable();
    cuts.dedup();
    Layout {
        cuts,
        header_spots: spots,
    }
}

/// Truncated and bit-flipped copies of one corpus file: each loads (or fails) and analyses
/// without a panic.
fn mutations(path: &Path) {
    let name = file_name(path);
    let data = std::fs::read(path).unwrap();
    let lay = layout(&data);
    let mut bad = Vec::new();
    // Truncations: every len/150 bytes, and around every structural boundary.
    let step = (data.len() / 150).max(1);
    let mut cuts: Vec<usize> = (0..data.len()).step_by(step).collect();
    for &c in &lay.cuts {
        cuts.extend([c.saturating_sub(1), c, c + 1]);
    }
    cuts.sort_unstable();
    cuts.dedup();
    let mut runs = 0usize;
    for &c in cuts.iter().filter(|&&c| c < data.len()) {
        runs += 1;
        if !survives(&data[..c]) {
            bad.push(format!("panics when truncated to {c} bytes"));
        }
    }
    // Header bytes: flip bits, and set to 0 and 0xff (counts of zero, huge sizes and
    // offsets). One buffer, mutated in place and restored.
    let mut m = data.clone();
    for &i in &lay.header_spots {
        let orig = m[i];
        for val in [orig ^ 0xff, orig ^ 0x80, orig ^ 0x01, 0, 0xff] {
            if val == orig {
                continue;
            }
            m[i] = val;
            runs += 1;
            if !survives(&m) {
                bad.push(format!(
                    "panics with byte {i:#x} = {val:#04x} (was {orig:#04x})"
                ));
            }
        }
        m[i] = orig;
    }
    let mut failures = Failures::default();
    failures.add(&name, &format!("robustness ({runs} mutants)"), bad);
    failures.finish("corpus mutations");
}

// ---------------------------------------------------------------------------------------
// The project's own C++ fixture: what its sources promise, beyond the binutils checks.

fn cpp_fixture() {
    let elf_path = root().join("fixtures/cpp-m4.elf");
    assert!(
        elf_path.is_file(),
        "{} missing: run scripts/build-cpp-fixture.sh",
        elf_path.display()
    );
    let image = load(&elf_path);
    let nm_sc =
        std::fs::read_to_string(sibling(&elf_path, ".nm-SC.txt")).expect("cpp-m4.elf.nm-SC.txt");
    let mut failures = Failures::default();
    failures.add("cpp-m4.elf", "C++ names", cpp_names(&image, &nm_sc));
    failures.add("cpp-m4.elf", "source files", cpp_files(&image));
    failures.add("cpp-m4.elf", "layout", cpp_layout(&image));
    failures.finish("C++ fixture");
}

/// Demangled names the sources promise, with the sizes `nm -SC` gives them.
fn cpp_names(image: &Image, nm_sc: &str) -> Vec<String> {
    let mut bad = Vec::new();
    let nm = parse_nm(nm_sc).unwrap();
    let ours: BTreeMap<String, Vec<&elf::Symbol>> =
        image.symbols.iter().fold(BTreeMap::new(), |mut m, s| {
            m.entry(demangle::demangle(&s.raw))
                .or_insert_with(Vec::new)
                .push(s);
            m
        });
    let want = [
        "maco::system::GetDisplayDriver()::driver",
        "guard variable for maco::system::GetDisplayDriver()::driver",
        "maco::system::GetDisplayDriver()",
        "vtable for maco::gfx::Circle",
        "vtable for maco::gfx::Rect",
        "maco::RingBuffer<unsigned char, 256u>::pop(unsigned char&)",
        "maco::RingBuffer<unsigned short, 64u>::pop(unsigned short&)",
        "maco::RingBuffer<unsigned char, 256u>::push(unsigned char) [clone .isra.0]",
        "maco::gfx::Circle::area() const",
        "maco::gfx::Rect::area() const",
        "maco::gfx::(anonymous namespace)::g_circle",
        "(anonymous namespace)::g_sample_log",
    ];
    for w in want {
        let Some(syms) = ours.get(w) else {
            bad.push(format!("no symbol demangles to {w:?}"));
            continue;
        };
        // nm -SC must list it with the same size.
        let sizes: Vec<u64> = nm
            .iter()
            .filter(|l| l.name == w)
            .filter_map(|l| l.size)
            .collect();
        if !syms.iter().any(|s| s.size > 0 && sizes.contains(&s.size)) {
            bad.push(format!(
                "{w}: nm -SC sizes {sizes:?}, ours {:?}",
                syms.iter().map(|s| s.size).collect::<Vec<_>>()
            ));
        }
    }
    // The function-local static has its raw Itanium name.
    if !image
        .symbols
        .iter()
        .any(|s| s.raw == "_ZZN4maco6system16GetDisplayDriverEvE6driver")
    {
        bad.push("raw _ZZN4maco6system16GetDisplayDriverEvE6driver missing".into());
    }
    bad
}

/// Local (static) symbols carry the source file of their `STT_FILE` entry; globals none.
fn cpp_files(image: &Image) -> Vec<String> {
    let mut bad = Vec::new();
    for (sym, file) in [
        ("s_tick_count", "startup.cpp"),
        ("s_frame_counter", "display.cpp"),
        ("crc8_table", "util.cpp"),
        ("s_uart_rx", "main.cpp"),
    ] {
        // File-scope statics have internal-linkage C++ names (`_ZL12s_tick_count`).
        match image
            .symbols
            .iter()
            .find(|s| demangle::demangle(&s.raw) == sym)
        {
            None => bad.push(format!("local symbol {sym} missing")),
            Some(s) if s.global => bad.push(format!("{sym} should be local")),
            Some(s) if s.file.as_deref() != Some(file) => {
                bad.push(format!("{sym}: file expected {file:?}, got {:?}", s.file))
            }
            _ => {}
        }
    }
    // Globals sit after every STT_FILE group; on Arm the `$t` mapping symbol at a global's
    // address gives it the file of the object that defines it.
    if let Some(s) = image.symbols.iter().find(|s| s.raw == "main") {
        if s.file.as_deref() != Some("main.cpp") {
            bad.push(format!("global main has file {:?}, not main.cpp", s.file));
        }
    }
    bad
}

/// The big buffer, the linker-script symbols, `.data` running in RAM and stored in flash.
fn cpp_layout(image: &Image) -> Vec<String> {
    let mut bad = Vec::new();
    match image
        .symbols
        .iter()
        .find(|s| s.raw.contains("g_framebuffer"))
    {
        Some(s) if s.size == 320 * 240 / 8 => {}
        other => bad.push(format!("g_framebuffer: {:?}", other.map(|s| s.size))),
    }
    for s in [
        "_estack",
        "_Min_Stack_Size",
        "_Min_Heap_Size",
        "_sidata",
        "_sdata",
        "_ebss",
    ] {
        if image.symbol_value(s).is_none() {
            bad.push(format!("linker symbol {s} missing"));
        }
    }
    let data = image
        .sections
        .iter()
        .find(|s| s.name == ".data")
        .expect(".data");
    if !(data.addr >= 0x2000_0000 && data.load_addr >= 0x0800_0000 && data.load_addr < 0x0808_0000)
    {
        bad.push(format!(
            ".data VMA {:#x} LMA {:#x}: expected RAM / FLASH",
            data.addr, data.load_addr
        ));
    }
    bad
}

// ---------------------------------------------------------------------------------------
// Live comparisons with the cross toolchain.

/// `arm-none-eabi-NAME`, or a skip.
fn arm(name: &str) -> Result<String, Skip> {
    tool(&[&format!("arm-none-eabi-{name}")])
}

const CPP_COMDAT: &str = r#"
namespace ns {
template <typename T> struct Box {
    T v;
    explicit Box(T x) : v(x) {}
    __attribute__((noinline)) T get() const { return v + 1; }
    virtual ~Box() {}
    virtual T twice() const { return v * 2; }
};
inline int shared_counter() { static int n; return ++n; }
}
namespace {
int hidden(int x) { return x * 3; }
}
int common_var;                 // -fcommon: SHN_COMMON
static char local_buf[100];
int use(int a) {
    ns::Box<int> b{a};
    ns::Box<short> s{(short)a};
    auto lam = [&](int y) { return y + a + local_buf[y]; };
    return b.get() + s.get() + ns::shared_counter() + hidden(a) + lam(a) + b.twice();
}
extern "C" void _exit(int) { for (;;) {} }
"#;

const C_PROG: &str = r#"
static int counter;
int table[64] = {1, 2, 3};
const char message[] = "hello";
__attribute__((noinline)) static int bump(int x) { counter += x; return counter; }
__attribute__((noinline)) int unused_fn(int x) { return x * 7; }
__attribute__((noinline)) int helper(int x) { return bump(x) + table[x & 63] + message[x & 3]; }
void Reset_Handler(void) { for (;;) { helper(3); } }
__attribute__((section(".isr_vector"), used)) void (*const vectors[])(void) = {
    (void (*)(void))0x20001000, Reset_Handler };
"#;

const C_LD: &str = r#"
MEMORY { FLASH (rx) : ORIGIN = 0x08000000, LENGTH = 64K
         RAM (rwx) : ORIGIN = 0x20000000, LENGTH = 16K }
ENTRY(Reset_Handler)
SECTIONS {
  .isr_vector : { KEEP(*(.isr_vector)) } > FLASH
  .text : { *(.text*) *(.rodata*) } > FLASH
  .data : { _sdata = .; *(.data*) _edata = .; } > RAM AT > FLASH
  .bss (NOLOAD) : { *(.bss*) *(COMMON) } > RAM
  .noinit (NOLOAD) : { *(.noinit*) } > RAM
}
"#;

/// What [`build_toolchain_outputs`] writes (and the C++ fixture, checked with the live tools
/// too): each is a `toolchain::NAME` trial.
const TOOLCHAIN_OUTPUTS: &[&str] = &[
    "comdat.o",
    "comdat-O2.o",
    "prog.elf",
    "prog-relocs.elf",
    "prog.so",
    "prog-pie.elf",
    "partial.o",
    "prog-paddr0.elf",
    "cpp-m4.elf",
];

/// The built outputs and `arm-none-eabi-` `size`, `nm`, `objdump`.
struct Built {
    dir: tempfile::TempDir,
    tools: [String; 3],
}

/// Built once, by the first `toolchain::*` trial that runs; the others wait for it.
static BUILT: OnceLock<Result<Built, String>> = OnceLock::new();

/// One toolchain output against the live `size -A`, `objdump -h`, `nm -S` and `nm -SC`.
fn toolchain_file(name: &str) -> Result<(), Skip> {
    let built = BUILT.get_or_init(|| match quietly(build_toolchain_outputs) {
        Ok(Ok(built)) => Ok(built),
        Ok(Err(Skip(reason))) => Err(reason),
        Err(panic) => Err(format!(
            "building the toolchain outputs failed: {}",
            panic
                .downcast_ref::<String>()
                .map(String::as_str)
                .or(panic.downcast_ref::<&str>().copied())
                .unwrap_or("panic")
        )),
    });
    let Built {
        dir,
        tools: [size, nm, objdump],
    } = match built {
        Ok(b) => b,
        Err(reason) if reason.ends_with("not installed") => return Err(Skip::new(reason.clone())),
        Err(e) => panic!("{e}"),
    };
    let f = match name {
        "cpp-m4.elf" => root().join("fixtures/cpp-m4.elf"),
        _ => dir.path().join(name),
    };
    let image = load(&f);
    let mut failures = Failures::default();
    let live = |tool: &str, args: &[&str]| tool_output(Command::new(tool).args(args).arg(&f));
    let objdump_h = live(objdump, &["-h"]);
    failures.add(
        name,
        "sections and load addresses vs live objdump -h",
        compare_lma(&image, &objdump_h),
    );
    let size_a = live(size, &["-A"]);
    failures.add(
        name,
        "sections vs live size -A",
        compare_sections(&image, &size_a),
    );
    let nm_s = live(nm, &["-S"]);
    failures.add(
        name,
        "symbols vs live nm -S",
        compare_symbols(&image, &nm_s),
    );
    let nm_sc = live(nm, &["-S", "-C"]);
    let (lines, checked) = compare_demangled(&nm_s, &nm_sc);
    if checked == 0 && name.starts_with("comdat") {
        failures.add(name, "C++ names", vec!["no C++ names were compared".into()]);
    }
    failures.add(name, "C++ names vs live nm -C", lines);
    failures.add(name, "analyze", check_analyze(&image));
    failures.finish(&format!("toolchain output {name}"));
    Ok(())
}

/// Builds every output of [`TOOLCHAIN_OUTPUTS`] into a temporary directory. Long, but a flat
/// script of compiler and linker calls, one per kind of output, reads best as it is.
fn build_toolchain_outputs() -> Result<Built, Skip> {
    let (gcc, gxx) = (arm("gcc")?, arm("g++")?);
    let tools = [arm("size")?, arm("nm")?, arm("objdump")?];
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    std::fs::write(d.join("comdat.cpp"), CPP_COMDAT).unwrap();
    std::fs::write(d.join("prog.c"), C_PROG).unwrap();
    std::fs::write(d.join("prog.ld"), C_LD).unwrap();
    let cpu = ["-mcpu=cortex-m4", "-mthumb"];

    // 1. Relocatable C++ object: COMDAT groups, .rel.text, .ARM.exidx + its relocations,
    //    a common symbol, debug relocations.
    for (out, extra) in [
        (
            "comdat.o",
            &["-O1", "-ffunction-sections", "-fcommon", "-g"][..],
        ),
        (
            "comdat-O2.o",
            &["-O2", "-fno-exceptions", "-fno-rtti", "-fcommon"][..],
        ),
    ] {
        tool_output(
            Command::new(&gxx)
                .args(cpu)
                .args(extra)
                .arg("-c")
                .arg(d.join("comdat.cpp"))
                .arg("-o")
                .arg(d.join(out)),
        );
    }
    // 2. A -ffunction-sections C program, garbage-collected, with a .data load image.
    tool_output(
        Command::new(&gcc)
            .args(cpu)
            .args([
                "-O2",
                "-g",
                "-ffunction-sections",
                "-fdata-sections",
                "-nostdlib",
                "-Wl,--gc-sections",
            ])
            .arg("-T")
            .arg(d.join("prog.ld"))
            .arg(d.join("prog.c"))
            .arg("-o")
            .arg(d.join("prog.elf")),
    );
    // 3. The same linked with --emit-relocs (relocation sections in an executable).
    tool_output(
        Command::new(&gcc)
            .args(cpu)
            .args([
                "-O2",
                "-ffunction-sections",
                "-nostdlib",
                "-Wl,--emit-relocs",
            ])
            .arg("-T")
            .arg(d.join("prog.ld"))
            .arg(d.join("prog.c"))
            .arg("-o")
            .arg(d.join("prog-relocs.elf")),
    );
    // 4. Dynamic objects: a shared library (.dynsym, .dynstr, allocated .rel.dyn/.rel.plt
    //    that size -A lists) and a PIE.
    tool_output(
        Command::new(&gcc)
            .args(cpu)
            .args(["-O2", "-fPIC", "-shared", "-nostdlib"])
            .arg(d.join("prog.c"))
            .arg("-o")
            .arg(d.join("prog.so")),
    );
    tool_output(
        Command::new(&gcc)
            .args(cpu)
            .args(["-O2", "-fPIE", "-pie", "-nostdlib", "-Wl,-e,Reset_Handler"])
            .arg(d.join("prog.c"))
            .arg("-o")
            .arg(d.join("prog-pie.elf")),
    );
    // 5. A partial link (ld -r) of the C++ object.
    tool_output(
        Command::new(&gcc)
            .args(cpu)
            .args(["-nostdlib", "-r"])
            .arg(d.join("comdat.o"))
            .arg("-o")
            .arg(d.join("partial.o")),
    );
    // 6. The C program with every p_paddr zeroed (as some linkers write them): BFD then
    //    keeps LMA = VMA instead of putting every load image at 0.
    {
        let mut bytes = std::fs::read(d.join("prog.elf")).unwrap();
        let rd16 = |b: &[u8], o: usize| u16::from_le_bytes([b[o], b[o + 1]]) as usize;
        let phoff = u32::from_le_bytes(bytes[28..32].try_into().unwrap()) as usize;
        let (phentsize, phnum) = (rd16(&bytes, 42), rd16(&bytes, 44));
        for i in 0..phnum {
            let at = phoff + i * phentsize + 12;
            bytes[at..at + 4].copy_from_slice(&[0; 4]);
        }
        std::fs::write(d.join("prog-paddr0.elf"), bytes).unwrap();
    }
    Ok(Built { dir: tmp, tools })
}

// ---------------------------------------------------------------------------------------
// The parsers themselves.

fn parsers() {
    let (rows, total) = parse_size_a_text(
        "x.elf  :\nsection            size   addr\n.text               452      0\n.my sec  3 7\nTotal             455\n\n\n",
    )
    .unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1].name, ".my sec");
    assert_eq!((rows[1].size, rows[1].addr), (3, 7));
    assert_eq!(total, 455);
    let nm = parse_nm(
        "000000ba 0000000a T breakpoint_test\n         U _start\n00008000 t arm\n20000000 00000010 V vtable for Foo\n",
    )
    .unwrap();
    assert_eq!(nm[0].size, Some(10));
    assert_eq!(nm[1].addr, None);
    assert_eq!(nm[2].size, None);
    assert_eq!(nm[3].name, "vtable for Foo");
    assert_eq!(nm[3].ty, 'V');
    let rows = parse_objdump_h(
        "x.elf:     file format elf32-littlearm\n\nSections:\nIdx Name          Size      VMA       LMA       File off  Algn\n  0 .text         00000452  08000000  08000000  00010000  2**2\n                  CONTENTS, ALLOC, LOAD, READONLY, CODE\n  1 .data         00000010  20000000  08000452  00020000  2**2\n                  CONTENTS, ALLOC, LOAD, DATA\n  2 .comment      0000001e  00000000  00000000  00020010  2**0\n                  CONTENTS, READONLY\n",
    )
    .unwrap();
    assert_eq!(rows.len(), 3);
    assert_eq!(
        rows[1],
        ObjdumpRow {
            name: ".data".into(),
            size: 0x10,
            vma: 0x2000_0000,
            lma: 0x0800_0452,
            alloc: true
        }
    );
    assert!(!rows[2].alloc);
}

/// The `lma` check can fail: the real `objdump -h` of a synthetic image with `.data` loaded
/// in flash agrees with us, and the same output with `.data`'s LMA moved does not.
fn lma_oracle_sees_a_wrong_load_address() -> Result<(), Skip> {
    use crate::support::elf_spec::{firmware, FLASH, RAM};
    let objdump = tool(&["objdump", "arm-none-eabi-objdump"])?;
    let dir = crate::support::tempdir();
    let path = crate::support::write(dir.path(), "fw.elf", &firmware().build());
    let image = load(&path);
    let text = tool_output(Command::new(objdump).arg("-h").arg(&path));
    assert_eq!(compare_lma(&image, &text), Vec::<String>::new());
    let (vma, lma) = (format!("{RAM:08x}"), format!("{:08x}", FLASH + 0x600));
    let row = format!("{vma}  {lma}");
    assert!(text.contains(&row), ".data row {row:?} in\n{text}");
    let wrong = text.replace(&row, &format!("{vma}  {:08x}", FLASH + 0x700));
    let lines = compare_lma(&image, &wrong);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(
        lines[0].starts_with(".data: objdump VMA 0x20000000 size 64 LMA 0x8000700"),
        "{}",
        lines[0]
    );
    Ok(())
}

/// libiberty's spelling (as `nm -C` prints it) of forms where cpp_demangle's own output
/// differs; `demangle.rs` post-processes them. Expected strings come from
/// `arm-none-eabi-c++filt -i` (binutils 2.40).
fn demangle_like_libiberty() {
    let cases = [
        ("_ZTV14HardwareSerial", "vtable for HardwareSerial"),
        ("_ZTTSd", "VTT for std::iostream"),
        ("_ZThn8_NSdD1Ev", "non-virtual thunk to std::basic_iostream<char, std::char_traits<char> >::~basic_iostream()"),
        ("_ZTv0_n12_NSdD0Ev", "virtual thunk to std::basic_iostream<char, std::char_traits<char> >::~basic_iostream()"),
        ("_ZTCSd0_Si", "construction vtable for std::istream-in-std::iostream"),
        ("_ZNSsC1EPKcRKSaIcE", "std::basic_string<char, std::char_traits<char>, std::allocator<char> >::basic_string(char const*, std::allocator<char> const&)"),
        ("_ZNSsD2Ev", "std::basic_string<char, std::char_traits<char>, std::allocator<char> >::~basic_string()"),
        ("_ZNKSs2atEj", "std::string::at(unsigned int) const"),
        ("_ZNSi4peekEv", "std::istream::peek()"),
        ("_ZNSdC1EOSd", "std::basic_iostream<char, std::char_traits<char> >::basic_iostream(std::iostream&&)"),
        ("_ZSt4endlIcSt11char_traitsIcEERSt13basic_ostreamIT_T0_ES6_", "std::basic_ostream<char, std::char_traits<char> >& std::endl<char, std::char_traits<char> >(std::basic_ostream<char, std::char_traits<char> >&)"),
        ("_ZNSolsEDn", "std::ostream::operator<<(decltype(nullptr))"),
        ("_ZZNK19CompressedEnumTableIN3nvs4Page10EntryStateELj2ELj126EE3getEjE19__PRETTY_FUNCTION__", "CompressedEnumTable<nvs::Page::EntryState, 2u, 126u>::get(unsigned int) const::__PRETTY_FUNCTION__"),
        ("_ZZN3nvs4Item8getValueIhEEvRT_E19__PRETTY_FUNCTION__", "nvs::Item::getValue<unsigned char>(unsigned char&)::__PRETTY_FUNCTION__"),
        ("_ZN12_GLOBAL__N_115print_type_infoILj15EEEvRNS_12PrintContextEPKSt9type_infoRAT__Kc.constprop.0", "void (anonymous namespace)::print_type_info<15u>((anonymous namespace)::PrintContext&, std::type_info const*, char const (&) [15u]) [clone .constprop.0]"),
        ("_ZN9__gnu_cxx10__mt_allocIcNS_20__common_pool_policyINS_6__poolELb0EEEEC5Ev", "__gnu_cxx::__mt_alloc<char, __gnu_cxx::__common_pool_policy<__gnu_cxx::__pool, false> >::__mt_alloc()"),
        ("_ZZN4maco6system16GetDisplayDriverEvE6driver", "maco::system::GetDisplayDriver()::driver"),
        ("_ZGVZN4maco6system16GetDisplayDriverEvE6driver", "guard variable for maco::system::GetDisplayDriver()::driver"),
        ("_Z3fooILb1EEvv", "void foo<true>()"),
        ("_Z3fooILl5EEvv", "void foo<5l>()"),
        ("_Z3fooILin3EEvv", "void foo<-3>()"),
    ];
    let mut bad = Vec::new();
    for (raw, want) in cases {
        let got = demangle::demangle(raw);
        if got != want {
            bad.push(format!("{raw}: expected {want:?}, got {got:?}"));
        }
    }
    assert!(
        bad.is_empty(),
        "demangling differs from libiberty:\n{}",
        bad.join("\n")
    );
}
