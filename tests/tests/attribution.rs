//! Source attribution (`src/dwarf.rs`) and linker maps (`src/mapfile.rs`) against GNU
//! binutils and GNU ld.
//!
//! * `dwarf_functions_match_addr2line`: the file of every sized function symbol equals the
//!   file `addr2line -f` gives for its address (the line-table row at the entry), on the C++
//!   fixture, the firmware fixtures and every DWARF-bearing corpus ELF.
//! * `dwarf_variables_match_objdump`: the file of every sized data symbol equals the
//!   `DW_AT_decl_file` that `objdump --dwarf=info` shows for the `DW_TAG_variable` whose
//!   `DW_OP_addr` is the symbol's address, resolved through the file table that
//!   `objdump --dwarf=rawline` prints.
//!
//! Differences are sorted into classes; every class that is not an agreement is explained
//! next to its name below, and anything unexplained fails the test. A missing tool prints a
//! SKIP line (and fails under `CI=true`).

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use membudget::dwarf::{self, EntryKind, Source};
use membudget::elf::{self, Image, SymbolKind};

use crate::support::trials;

trials![
    dwarf_functions_match_addr2line,
    dwarf_variables_match_llvm_dwarfdump,
    map_sections_agree_with_the_elf_and_pieces_tile_them,
    map_objects_and_archives,
    malformed_map_is_one_line_with_file_and_line,
    dwarf_versions_endianness_and_compression,
    cross_unit_references_of_lto,
    broken_debug_info_degrades_to_a_note,
    rollups_of_every_view_add_up_and_json_carries_the_fields,
    plain_report_reads_no_dwarf_and_dwarf_output_is_deterministic,
    rust_crates_for_unmangled_symbols,
    rust_crates_without_dwarf_from_codegen_unit_names,
    trait_impls_and_incremental_units_get_their_crate,
    bad_map_is_exit_2_with_file_and_line,
    component_groups_and_their_growth,
    diff_by_component_adds_up_to_the_report_rollups,
    diff_by_notes_a_side_without_attribution,
    archive_and_object_groups_with_a_map,
];

fn corpus_dir() -> Option<PathBuf> {
    let dir = std::env::var("MEMBUDGET_CORPUS").unwrap_or_else(|_| "../shared/corpus".into());
    if dir == "skip" {
        return None;
    }
    let p = PathBuf::from(dir);
    p.is_dir().then_some(p)
}

fn skip(what: &str) {
    println!("SKIP: {what}");
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("skipped under CI=true: {what}");
    }
}

/// Every ELF the oracle tests run on: fixtures and the corpus (those with `.debug_info`).
fn dwarf_elves() -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir("fixtures")
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "elf"))
        .collect();
    match corpus_dir() {
        Some(c) => out.extend(
            std::fs::read_dir(c)
                .unwrap()
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|e| e == "elf")),
        ),
        None => skip("corpus not found (MEMBUDGET_CORPUS): oracle tests run on fixtures only"),
    }
    out.sort();
    out
}

/// The binutils program for this machine, if installed.
fn tool(image: &Image, name: &str) -> Option<String> {
    // e_machine: EM_ARM 40, EM_AVR 83, EM_RISCV 243.
    let prefix = match image.machine {
        40 => "arm-none-eabi-",
        83 => "avr-",
        243 => "riscv64-unknown-elf-",
        // The host binutils read DWARF of any ELF through the generic elf32/64 targets.
        _ => "",
    };
    let cmd = format!("{prefix}{name}");
    tool_exists(&cmd).then_some(cmd)
}

fn tool_exists(cmd: &str) -> bool {
    Command::new(cmd)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn load(path: &Path) -> (Image, dwarf::Dwarf) {
    let image = elf::load_path(path).unwrap();
    let data = std::fs::read(path).unwrap();
    (image, dwarf::read(&data))
}

/// Counts per class, with a few examples each.
#[derive(Default)]
struct Tally {
    counts: BTreeMap<&'static str, usize>,
    examples: BTreeMap<&'static str, Vec<String>>,
}

impl Tally {
    fn add(&mut self, class: &'static str, example: impl FnOnce() -> String) {
        *self.counts.entry(class).or_default() += 1;
        let ex = self.examples.entry(class).or_default();
        if ex.len() < 5 {
            ex.push(example());
        }
    }
    fn count(&self, class: &str) -> usize {
        self.counts.get(class).copied().unwrap_or(0)
    }
    fn print(&self, title: &str) {
        println!("{title}");
        for (class, n) in &self.counts {
            println!("  {class}: {n}");
            if *class != AGREE {
                for e in &self.examples[class] {
                    println!("      {e}");
                }
            }
        }
    }
}

const AGREE: &str = "agree (DIE decl file = addr2line row file)";
/// No DIE; both fall back to the symbol table's `STT_FILE` (BFD does when DWARF has no
/// function for the address, e.g. the Arduino image whose DWARF is only avr-libc's).
const AGREE_SYMTAB: &str = "agree (no DIE: STT_FILE = addr2line's symbol-table fallback)";
/// addr2line has no line row at the entry address (`??:0`), e.g. assembler without `-g`
/// or precompiled libraries without debug info. Nothing to compare.
const ORACLE_NO_LINE: &str = "oracle has no line row at the entry";
/// The entry's line row belongs to code inlined from another function: addr2line -f then
/// names the inlined callee, and the row's file is the callee's while the decl file is the
/// symbol's own. Checked: the function addr2line names differs from the symbol, and
/// llvm-dwarfdump prints our decl file.
const INLINED_AT_ENTRY: &str = "entry row is inlined code of another function";
/// addr2line names a function whose code the linker discarded: its DIE keeps low_pc 0 and
/// its size, so BFD thinks it spans this low address. Checked: we hold such a DIE at 0, and
/// llvm-dwarfdump prints our decl file (or neither reader has a DIE for the symbol).
const DISCARDED_SPAN: &str = "oracle names a discarded function spanning the address";
/// Artificial functions (`_GLOBAL__sub_I_*`, `__tcf_0`) have a DIE without
/// `DW_AT_decl_file`: we give the unit's primary file, addr2line the entry row's file
/// (often an inlined header). Checked: the source is `DieUnit`.
const ARTIFICIAL: &str = "artificial function without decl file: unit's primary file";
/// The DIE's decl file is not the file of the entry's line row, for the symbol's own
/// code: functions generated by a macro (compiler_builtins' `intrinsics!`: decl file
/// `macros.rs`, rows in `arm.rs`), C functions whose decl location GCC 13 (ESP-IDF) puts
/// at the prototype in a header (`pthread_setcancelstate` at `sys-include/pthread.h`),
/// rows of a discarded sequence overlapping low addresses, and BFD 2.40's off-by-one
/// numbering of DWARF 5 file entries (`objdump --dwarf=decodedline` prints our file).
/// Checked: llvm-dwarfdump, an independent reader, prints the same decl file as ours.
const DECL_NOT_ROW: &str =
    "decl file is not the entry row's file; llvm-dwarfdump's decl file agrees";
/// The image's debug info for these is STABS (`.stab`, the Arduino AVR core), which BFD
/// reads and we do not (DWARF only): we have the `STT_FILE` name (BFD prints the STABS
/// directory too) or nothing. Checked: `.stab` exists and we found no DIE.
const STABS: &str = "STABS-only debug info (oracle reads .stab)";
/// No DIE, and the `STT_FILE` addr2line falls back to names a compile unit (rustc names
/// both after the codegen unit, `CRATE.HASH-cgu.N`): we give that unit's primary source
/// file instead of the codegen-unit name. Checked: the oracle's file names our unit.
const STT_FILE_UNIT: &str = "STT_FILE is a codegen-unit name: we give the unit's primary file";
/// Unexplained: a failure.
const DIFFER: &str = "DIFFERENT FILE";
const MISSING: &str = "NO DIE FOUND (oracle has a file)";

fn same_function(a: &str, b: &str) -> bool {
    let strip = |s: &str| s.split_once(['.', '$']).map_or(s, |(x, _)| x).to_string();
    strip(a) == strip(b)
}

fn addr2line(cmd: &str, elf: &Path, addrs: &[u64]) -> Vec<(String, String)> {
    if addrs.is_empty() {
        return Vec::new();
    }
    let mut child = Command::new(cmd)
        .arg("-f")
        .arg("-e")
        .arg(elf)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let input: String = addrs.iter().map(|a| format!("{a:#x}\n")).collect();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        use std::io::Write;
        stdin.write_all(input.as_bytes()).unwrap();
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines.len(),
        2 * addrs.len(),
        "{cmd} output for {}",
        elf.display()
    );
    lines
        .chunks(2)
        .map(|c| {
            let loc = c[1].split(" (discriminator").next().unwrap();
            let file = loc.rsplit_once(':').map_or(loc, |(f, _)| f);
            (c[0].to_string(), file.to_string())
        })
        .collect()
}

fn dwarf_functions_match_addr2line() {
    let mut total = Tally::default();
    for path in dwarf_elves() {
        let (image, dw) = load(&path);
        if dw.entries.is_empty() {
            println!("{}: no DWARF ({:?})", image.file_name, dw.note);
            continue;
        }
        let Some(cmd) = tool(&image, "addr2line") else {
            skip(&format!(
                "{}: no addr2line for this machine",
                image.file_name
            ));
            continue;
        };
        let funcs: Vec<_> = image
            .symbols
            .iter()
            .filter(|s| s.kind == SymbolKind::Func && s.size > 0 && s.section.is_some())
            .collect();
        let addrs: Vec<u64> = funcs.iter().map(|s| s.addr).collect();
        let oracle = addr2line(&cmd, &path, &addrs);
        let has_stabs = image.sections.iter().any(|s| s.name == ".stab");
        let Some(dies) = dwarfdump(&path) else {
            skip("llvm-dwarfdump not installed");
            return;
        };
        let index = dump_index(&dies);
        let mut tally = Tally::default();
        let mut classes = Vec::new();
        for (sym, (ofunc, ofile)) in funcs.iter().zip(&oracle) {
            let found = dw.lookup_symbol(sym);
            let ours = found.and_then(|f| f.file);
            let die = found.filter(|f| f.source == Source::Die);
            let llvm_agrees = die.is_some_and(|f| {
                let theirs = oracle_decl(&index, sym.addr, true, &sym.raw);
                theirs.and_then(|d| d.decl_file.as_deref()).map(normal) == f.file.map(normal)
            });
            let discarded = dw
                .entries
                .iter()
                .take_while(|e| e.addr == 0)
                .any(|e| e.kind == EntryKind::Function && e.size > sym.addr);
            let class = if ours.map(normal) == Some(normal(ofile)) {
                match found.map(|f| f.source) {
                    Some(Source::SymbolTable) => AGREE_SYMTAB,
                    _ => AGREE,
                }
            } else if ofile == "??" {
                ORACLE_NO_LINE
            } else if found.is_some_and(|f| {
                f.source == Source::SymbolTableUnit
                    && dw.unit_named(ofile).is_some_and(|u| Some(u) == f.unit)
            }) {
                STT_FILE_UNIT
            } else if has_stabs && found.is_none_or(|f| f.source == Source::SymbolTable) {
                STABS
            } else if found.is_some_and(|f| f.source == Source::DieUnit) {
                ARTIFICIAL
            } else if !same_function(ofunc, &sym.raw) && discarded && (die.is_none() || llvm_agrees)
            {
                DISCARDED_SPAN
            } else if !same_function(ofunc, &sym.raw) && llvm_agrees {
                INLINED_AT_ENTRY
            } else if llvm_agrees {
                DECL_NOT_ROW
            } else if found.is_some() {
                DIFFER
            } else {
                MISSING
            };
            classes.push(class);
        }
        for ((sym, (ofunc, ofile)), class) in funcs.iter().zip(&oracle).zip(classes) {
            let ours = dw.lookup_symbol(sym).map(|f| (f.file, f.source));
            let ex = || {
                format!(
                    "{} @{:#x}: ours {ours:?}, addr2line {ofunc} {ofile}",
                    sym.raw, sym.addr
                )
            };
            tally.add(class, ex);
            total.add(class, || format!("{}: {}", image.file_name, ex()));
        }
        tally.print(&format!("{} (functions)", image.file_name));
        println!();
    }
    total.print("ALL (functions)");
    assert_eq!(total.count(DIFFER) + total.count(MISSING), 0);
    assert!(total.count(AGREE) > 0, "no function compared");
}

// ---------------------------------------------------------------------------------------
// llvm-dwarfdump: an independent DWARF reader that prints decl files as resolved paths.

#[derive(Debug, Default, Clone)]
struct DumpDie {
    tag: String,
    addr: Option<u64>,
    decl_file: Option<String>,
    origin: Option<u64>,
    name: Option<String>,
    linkage: Option<String>,
    declaration: bool,
    /// Offset of the enclosing subprogram (function-local statics).
    parent: Option<u64>,
}

/// `llvm-dwarfdump --debug-info`, as DIEs by offset (only subprograms and variables).
fn dwarfdump(path: &Path) -> Option<BTreeMap<u64, DumpDie>> {
    if !tool_exists("llvm-dwarfdump") {
        return None;
    }
    let out = Command::new("llvm-dwarfdump")
        .arg("--debug-info")
        .arg(path)
        .stderr(Stdio::null())
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let mut dies = BTreeMap::new();
    let mut cur: Option<(u64, DumpDie)> = None;
    // Enclosing subprograms by nesting depth (the dump indents two spaces per level).
    let mut scopes: Vec<(usize, u64)> = Vec::new();
    let quoted = |v: &str| v.split('"').nth(1).map(str::to_string);
    let hex = |v: &str| u64::from_str_radix(v.trim_start_matches("0x"), 16).ok();
    for line in text.lines() {
        let t = line.trim();
        if let Some((off, tag)) = t.split_once(":") {
            if off.starts_with("0x") && tag.trim().starts_with("DW_TAG") {
                if let Some((o, d)) = cur.take() {
                    dies.insert(o, d);
                }
                let depth = tag.len() - tag.trim_start().len();
                let tag = tag.trim().to_string();
                let offset = hex(off).unwrap();
                while scopes.last().is_some_and(|&(d, _)| d >= depth) {
                    scopes.pop();
                }
                // Members too: a static data member's definition (DWARF <= 4) points at one.
                if tag == "DW_TAG_subprogram" || tag == "DW_TAG_variable" || tag == "DW_TAG_member"
                {
                    let parent = scopes.last().map(|&(_, o)| o);
                    cur = Some((
                        offset,
                        DumpDie {
                            tag: tag.clone(),
                            parent,
                            ..Default::default()
                        },
                    ));
                }
                if tag == "DW_TAG_subprogram" {
                    scopes.push((depth, offset));
                }
                continue;
            }
        }
        let Some((_, d)) = cur.as_mut() else { continue };
        let Some((attr, value)) = t.split_once('\t') else {
            continue;
        };
        let value = value.trim().trim_start_matches('(').trim_end_matches(')');
        match attr {
            "DW_AT_low_pc" => d.addr = hex(value),
            "DW_AT_location" => {
                if let Some(a) = value.strip_prefix("DW_OP_addr ") {
                    d.addr = hex(a);
                }
            }
            "DW_AT_decl_file" => d.decl_file = quoted(value),
            "DW_AT_specification" | "DW_AT_abstract_origin" => {
                d.origin = value.split_whitespace().next().and_then(hex)
            }
            "DW_AT_name" => d.name = quoted(value),
            "DW_AT_linkage_name" | "DW_AT_MIPS_linkage_name" => d.linkage = quoted(value),
            "DW_AT_declaration" => d.declaration = true,
            _ => {}
        }
    }
    if let Some((o, d)) = cur.take() {
        dies.insert(o, d);
    }
    Some(dies)
}

/// The decl file of every address-bearing DIE per (address, tag), following
/// specification/abstract_origin for what the concrete DIE leaves out, plus its names.
fn dump_index(dies: &BTreeMap<u64, DumpDie>) -> HashMap<(u64, bool), Vec<DumpDie>> {
    let resolve = |d: &DumpDie| {
        let mut full = d.clone();
        let mut next = d.origin;
        for _ in 0..4 {
            let Some(o) = next.and_then(|o| dies.get(&o)) else {
                break;
            };
            full.decl_file = full.decl_file.or(o.decl_file.clone());
            full.name = full.name.or(o.name.clone());
            full.linkage = full.linkage.or(o.linkage.clone());
            next = o.origin;
        }
        full
    };
    let mut index: HashMap<(u64, bool), Vec<DumpDie>> = HashMap::new();
    for d in dies.values().filter(|d| d.tag != "DW_TAG_member") {
        let Some(addr) = d.addr else { continue };
        let mut full = resolve(d);
        if full.decl_file.is_none() {
            // A static without its own decl file (`__func__`) gets its function's.
            full.decl_file = d
                .parent
                .and_then(|p| dies.get(&p))
                .and_then(|p| resolve(p).decl_file);
        }
        index
            .entry((addr, d.tag == "DW_TAG_subprogram"))
            .or_default()
            .push(full);
    }
    index
}

/// Paths as two readers print them can differ in separators only (`/tmp/app//src`).
fn normal(p: &str) -> String {
    let mut s = p.replace("/./", "/");
    while s.contains("//") {
        s = s.replace("//", "/");
    }
    s
}

/// The oracle's decl file for a symbol: the DIE at its address whose linkage name or name
/// is the symbol's (GCC's `.N` suffixes dropped), else the only DIE there.
fn oracle_decl<'a>(
    index: &'a HashMap<(u64, bool), Vec<DumpDie>>,
    addr: u64,
    func: bool,
    raw: &str,
) -> Option<&'a DumpDie> {
    let c = index.get(&(addr, func))?;
    let base = raw.split_once(['.', '$']).map_or(raw, |(b, _)| b);
    c.iter()
        .find(|d| d.linkage.as_deref() == Some(raw) || d.name.as_deref() == Some(raw))
        .or_else(|| c.iter().find(|d| d.name.as_deref() == Some(base)))
        .or_else(|| (addr != 0).then(|| c.first()).flatten())
}

/// Agreement classes for variables (llvm-dwarfdump's decl file vs ours).
const VAR_AGREE: &str = "agree (decl file = llvm-dwarfdump's)";
/// No DIE on either side: the symbol table's `STT_FILE` (or nothing) is used, nothing to
/// compare (linker-script and assembler data, precompiled libraries without -g).
const VAR_NO_DIE: &str = "no DIE on either side";
/// A DIE that only declares the variable: neither reader has a definition with an address.
const VAR_DIFFER: &str = "DIFFERENT FILE";
const VAR_MISSING: &str = "WE FOUND NO DIE (llvm-dwarfdump has one)";
const VAR_EXTRA: &str = "WE FOUND A DIE (llvm-dwarfdump has none)";

fn dwarf_variables_match_llvm_dwarfdump() {
    let mut total = Tally::default();
    for path in dwarf_elves() {
        let (image, dw) = load(&path);
        if dw.entries.is_empty() {
            continue;
        }
        let Some(dies) = dwarfdump(&path) else {
            skip("llvm-dwarfdump not installed");
            return;
        };
        let index = dump_index(&dies);
        let mut tally = Tally::default();
        for sym in image
            .symbols
            .iter()
            .filter(|s| s.kind == SymbolKind::Object && s.size > 0 && s.section.is_some())
        {
            let ours = dw.lookup_symbol(sym).filter(|f| f.source == Source::Die);
            let theirs = oracle_decl(&index, sym.addr, false, &sym.raw);
            let class = match (
                ours.and_then(|f| f.file),
                theirs.and_then(|d| d.decl_file.as_deref()),
            ) {
                (Some(a), Some(b)) if normal(a) == normal(b) => VAR_AGREE,
                (None, None) => VAR_NO_DIE,
                (Some(_), Some(_)) => VAR_DIFFER,
                (None, Some(_)) => VAR_MISSING,
                (Some(_), None) => VAR_EXTRA,
            };
            let ex = || {
                format!(
                    "{} @{:#x}: ours {:?}, llvm {:?}",
                    sym.raw,
                    sym.addr,
                    ours.and_then(|f| f.file),
                    theirs.and_then(|d| d.decl_file.clone())
                )
            };
            tally.add(class, ex);
            total.add(class, || format!("{}: {}", image.file_name, ex()));
        }
        tally.print(&format!("{} (variables)", image.file_name));
        println!();
    }
    total.print("ALL (variables)");
    assert_eq!(
        total.count(VAR_DIFFER) + total.count(VAR_MISSING) + total.count(VAR_EXTRA),
        0
    );
    assert!(total.count(VAR_AGREE) > 0, "no variable compared");
}

// ---------------------------------------------------------------------------------------
// Linker maps against the ELF they describe.

/// Every `.map` with its ELF: the C++ fixture's and the corpus's.
fn maps() -> Vec<(PathBuf, PathBuf)> {
    let mut out = vec![(
        PathBuf::from("fixtures/cpp-m4.map"),
        PathBuf::from("fixtures/cpp-m4.elf"),
    )];
    if let Some(c) = corpus_dir() {
        for e in std::fs::read_dir(c).unwrap().filter_map(|e| e.ok()) {
            let p = e.path();
            if p.extension().is_some_and(|x| x == "map") {
                let elf = p.with_extension("elf");
                assert!(elf.exists(), "{}: no ELF beside the map", p.display());
                out.push((p, elf));
            }
        }
    } else {
        skip("corpus not found: map tests run on the C++ fixture only");
    }
    out.sort();
    out
}

fn map_sections_agree_with_the_elf_and_pieces_tile_them() {
    let mut checked = 0;
    for (map_path, elf_path) in maps() {
        let map = membudget::mapfile::load_path(&map_path).unwrap();
        let image = elf::load_path(&elf_path).unwrap();
        assert!(
            !map.regions.is_empty(),
            "{}: no regions",
            map_path.display()
        );
        for s in image.sections.iter().filter(|s| s.is_alloc() && s.size > 0) {
            let m = map
                .section(&s.name)
                .unwrap_or_else(|| panic!("{}: no output section {}", map_path.display(), s.name));
            assert_eq!(
                (m.addr, m.size),
                (s.addr, s.size),
                "{}: {}",
                map_path.display(),
                s.name
            );
            if s.load_addr != s.addr {
                assert_eq!(
                    m.load_addr,
                    Some(s.load_addr),
                    "{}: {} LMA",
                    map_path.display(),
                    s.name
                );
            }
            // The pieces tile the section: contiguous from its start to its end.
            let mut at = m.addr;
            for p in m.pieces.iter().filter(|p| p.size > 0) {
                assert_eq!(
                    p.addr,
                    at,
                    "{}: {} gap or overlap before {:?}",
                    map_path.display(),
                    s.name,
                    p
                );
                at += p.size;
            }
            assert_eq!(
                at,
                m.addr + m.size,
                "{}: {} pieces end early",
                map_path.display(),
                s.name
            );
            checked += 1;
        }
        println!(
            "{}: {} regions, {} output sections",
            map_path.display(),
            map.regions.len(),
            map.sections.len()
        );
    }
    assert!(checked > 0);
}

fn map_objects_and_archives() {
    let map = membudget::mapfile::load_path(Path::new("fixtures/cpp-m4.map")).unwrap();
    let text = map.section(".text").unwrap();
    let memcpy = text
        .pieces
        .iter()
        .find(|p| matches!(&p.piece, membudget::mapfile::Piece::Input { object, .. } if object == "lib_a-memcpy.o"))
        .expect("memcpy's object");
    // nm: memcpy is at the start of that input section.
    let image = elf::load_path(Path::new("fixtures/cpp-m4.elf")).unwrap();
    let sym = image.symbols.iter().find(|s| s.raw == "memcpy").unwrap();
    assert_eq!(memcpy.addr, sym.addr);
    match &memcpy.piece {
        membudget::mapfile::Piece::Input { archive, .. } => {
            assert_eq!(archive.as_deref(), Some("libc_nano.a"))
        }
        _ => unreachable!(),
    }
}

fn malformed_map_is_one_line_with_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string("fixtures/cpp-m4.map").unwrap();
    let lineno = text
        .lines()
        .position(|l| l.starts_with(" .text.Reset_Handler"))
        .unwrap()
        + 2;
    let bad: String = text
        .lines()
        .enumerate()
        .map(|(i, l)| {
            if i + 1 == lineno {
                l.replace("0x08", "0xZZ") + "\n"
            } else {
                format!("{l}\n")
            }
        })
        .collect();
    let p = dir.path().join("bad.map");
    std::fs::write(&p, bad).unwrap();
    let e = membudget::mapfile::load_path(&p).unwrap_err().to_string();
    assert!(e.contains(&format!("bad.map:{lineno}: ")), "{e}");
    assert!(!e.contains('\n'));
}

// ---------------------------------------------------------------------------------------
// DWARF versions, big-endian and compressed sections, built with the installed toolchain.

const VARIANT_SOURCE: &str = "int counter = 3;
static int hidden[4];
int get(void) { static int calls; calls++; hidden[calls & 3] = calls; return counter + hidden[counter & 3]; }
void _start(void) { for (;;) get(); }
";

/// (name, extra gcc flags, objcopy flag)
const VARIANTS: &[(&str, &str, &str)] = &[
    ("dwarf2", "-gdwarf-2", ""),
    ("dwarf3", "-gdwarf-3", ""),
    ("dwarf4", "-gdwarf-4", ""),
    ("dwarf5", "-gdwarf-5", ""),
    ("big-endian", "-gdwarf-4 -mbig-endian", ""),
    ("zlib", "-gdwarf-4", "--compress-debug-sections=zlib"),
    ("zstd", "-gdwarf-5", "--compress-debug-sections=zstd"),
];

fn dwarf_versions_endianness_and_compression() {
    if !tool_exists("arm-none-eabi-gcc") || !tool_exists("arm-none-eabi-objcopy") {
        skip("arm-none-eabi-gcc/objcopy not installed: DWARF variant test");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("t.c");
    std::fs::write(&src, VARIANT_SOURCE).unwrap();
    for (name, flags, objcopy) in VARIANTS {
        let elf_path = dir.path().join(format!("{name}.elf"));
        let status = Command::new("arm-none-eabi-gcc")
            .args(["-mcpu=cortex-m4", "-mthumb", "-O1", "-g", "-nostdlib"])
            .args(flags.split_whitespace())
            .arg("-o")
            .arg(&elf_path)
            .arg(&src)
            .status()
            .unwrap();
        assert!(status.success(), "{name}: gcc failed");
        if !objcopy.is_empty() {
            let st = Command::new("arm-none-eabi-objcopy")
                .arg(objcopy)
                .arg(&elf_path)
                .status()
                .unwrap();
            if !st.success() {
                skip(&format!("{name}: objcopy {objcopy} unsupported"));
                continue;
            }
        }
        let (image, dw) = load(&elf_path);
        assert!(dw.note.is_none(), "{name}: {:?}", dw.note);
        let mut seen = Vec::new();
        for sym in image
            .symbols
            .iter()
            .filter(|s| s.size > 0 && s.section.is_some())
        {
            let f = dw
                .lookup_symbol(sym)
                .unwrap_or_else(|| panic!("{name}: {} not found", sym.raw));
            assert_eq!(f.source, Source::Die, "{name}: {}", sym.raw);
            assert_eq!(
                f.file.map(normal),
                Some(normal(&src.display().to_string())),
                "{name}: {}",
                sym.raw
            );
            assert!(f.line > 0, "{name}: {} has no line", sym.raw);
            seen.push(sym.raw.as_str());
        }
        seen.sort_unstable();
        // `calls` is a function-local static: GCC names it `calls.0`.
        assert_eq!(
            seen,
            ["_start", "calls.0", "counter", "get", "hidden"],
            "{name}"
        );
    }
}

/// GCC's LTO output describes each function in an `<artificial>` unit whose DIEs point at
/// their declarations in the source units with `DW_FORM_ref_addr`: the declaration file
/// and line are those of the source unit, resolved through its own file table.
fn cross_unit_references_of_lto() {
    if !tool_exists("arm-none-eabi-gcc") {
        skip("arm-none-eabi-gcc not installed: LTO cross-unit references");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a.c"), dir.path().join("b.c"));
    std::fs::write(
        &a,
        VARIANT_SOURCE.replace("void _start(void) { for (;;) get(); }\n", ""),
    )
    .unwrap();
    std::fs::write(
        &b,
        "int get(void);\nvoid _start(void) { for (;;) get(); }\n",
    )
    .unwrap();
    let elf_path = dir.path().join("lto.elf");
    let status = Command::new("arm-none-eabi-gcc")
        .args([
            "-mcpu=cortex-m4",
            "-mthumb",
            "-O2",
            "-g",
            "-flto",
            "-nostdlib",
            "-o",
        ])
        .arg(&elf_path)
        .arg(&a)
        .arg(&b)
        .status()
        .unwrap();
    assert!(status.success(), "gcc -flto failed");
    let (image, dw) = load(&elf_path);
    let mut seen = BTreeMap::new();
    for sym in image
        .symbols
        .iter()
        .filter(|s| s.size > 0 && s.section.is_some())
    {
        let f = dw
            .lookup_symbol(sym)
            .unwrap_or_else(|| panic!("{} not found", sym.raw));
        assert_eq!(f.source, Source::Die, "{}", sym.raw);
        seen.insert(sym.raw.clone(), (f.file.map(normal), f.line));
    }
    let file = |p: &Path| Some(normal(&p.display().to_string()));
    assert_eq!(seen["_start"], (file(&b), 2));
    assert_eq!(seen["hidden"], (file(&a), 2));
    assert_eq!(seen["calls.0"], (file(&a), 3));
}

fn broken_debug_info_degrades_to_a_note() {
    use object::{Object, ObjectSection};
    let data = std::fs::read("fixtures/cpp-m4.elf").unwrap();
    let file = object::File::parse(&*data).unwrap();
    let ranges: Vec<(usize, usize)> = file
        .sections()
        .filter(|s| s.name().is_ok_and(|n| n.starts_with(".debug_")))
        .filter_map(|s| s.file_range())
        .map(|(o, l)| (o as usize, l as usize))
        .collect();
    let (info_off, info_len) = file
        .section_by_name(".debug_info")
        .and_then(|s| s.file_range())
        .map(|(o, l)| (o as usize, l as usize))
        .unwrap();
    // A unit length pointing past the section: that unit (and the rest) is unreadable.
    let mut bad = data.clone();
    bad[info_off..info_off + 4].copy_from_slice(&0xfff0_0000u32.to_le_bytes());
    let d = dwarf::read(&bad);
    assert!(d.note.is_some(), "no note for a corrupt unit length");
    // Random corruption of every debug section never panics (deterministic generator).
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    for _ in 0..300 {
        let mut m = data.clone();
        for _ in 0..8 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let (o, l) = ranges[(x as usize) % ranges.len()];
            if l > 0 {
                m[o + (x as usize >> 8) % l] = (x >> 32) as u8;
            }
        }
        let _ = dwarf::read(&m);
    }
    // Truncated inside .debug_info.
    let _ = dwarf::read(&data[..info_off + info_len / 2]);
}

// ---------------------------------------------------------------------------------------
// End to end: the command line.

const BIN: &str = env!("CARGO_BIN_EXE_membudget");

fn membudget(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(BIN).args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn json(args: &[&str]) -> serde_json::Value {
    let (code, out, err) = membudget(args);
    assert_eq!(code, 0, "{args:?}: {err}");
    serde_json::from_str(&out).unwrap()
}

/// Every `--by` key's rows add up, per region, to the region's `used + reserved`; and the
/// rows without a region to the bytes past region ends.
fn assert_rollup_adds_up(v: &serde_json::Value, what: &str) {
    let rollup = &v["rollup"];
    assert!(rollup.is_object(), "{what}: no rollup in the JSON");
    let mut per_region: BTreeMap<String, u64> = BTreeMap::new();
    for row in rollup["rows"].as_array().unwrap() {
        if let Some(r) = row["region"].as_str() {
            *per_region.entry(r.to_string()).or_default() += row["bytes"].as_u64().unwrap();
        }
    }
    for r in v["regions"].as_array().unwrap() {
        let name = r["name"].as_str().unwrap();
        let want = r["used"].as_u64().unwrap() + r["reserved"].as_u64().unwrap();
        let got = per_region.get(name).copied().unwrap_or(0);
        // Bytes past a region's end are in rows without a region, and `used` counts them.
        let overflow = r["overflow"].as_u64().unwrap_or(0);
        assert!(
            got == want || got + overflow == want,
            "{what}: region {name}: rows {got} != used + reserved {want}"
        );
    }
}

fn rollups_of_every_view_add_up_and_json_carries_the_fields() {
    let mut inputs: Vec<(PathBuf, Option<PathBuf>)> =
        maps().into_iter().map(|(m, e)| (e, Some(m))).collect();
    for e in dwarf_elves() {
        if !inputs.iter().any(|(x, _)| *x == e) {
            inputs.push((e, None));
        }
    }
    let mut with_cu = 0;
    for (elf_path, map) in &inputs {
        let elf_s = elf_path.to_str().unwrap();
        // Every view: the keys that need no DWARF as well (they must agree on the gap
        // bytes that DWARF unit ranges or map pieces split), and archive/object also
        // without a map (everything is then "not in the linker map").
        let keys = [
            "region", "section", "symbol", "file", "dir", "cu", "crate", "archive", "object",
        ];
        let mut base = vec!["report", elf_s, "--format", "json", "--dwarf"];
        if let Some(m) = map {
            base.extend(["--map", m.to_str().unwrap()]);
        }
        for by in keys {
            let mut args = base.clone();
            args.extend(["--by", by, "--depth", "2"]);
            let v = json(&args);
            assert_rollup_adds_up(&v, &format!("{} --by {by}", elf_path.display()));
            if by == "cu" {
                with_cu += v["symbols"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|s| s["cu"].is_string())
                    .count();
            }
        }
    }
    assert!(with_cu > 0, "no symbol got a compile unit");
}

fn plain_report_reads_no_dwarf_and_dwarf_output_is_deterministic() {
    let plain = json(&["report", "fixtures/cpp-m4.elf", "--format", "json"]);
    assert!(plain["symbols"]
        .as_array()
        .unwrap()
        .iter()
        .all(|s| s.get("cu").is_none() && s.get("line").is_none()));
    assert!(plain["sections"]
        .as_array()
        .unwrap()
        .iter()
        .all(|s| s.get("gaps").is_none()));
    let args = [
        "report",
        "fixtures/cpp-m4.elf",
        "--dwarf",
        "--map",
        "fixtures/cpp-m4.map",
        "--format",
        "json",
    ];
    let (_, a, _) = membudget(&args);
    let (_, b, _) = membudget(&args);
    assert_eq!(a, b, "JSON differs between two runs");
    let v: serde_json::Value = serde_json::from_str(&a).unwrap();
    let driver = v["symbols"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "maco::system::GetDisplayDriver()::driver")
        .expect("function-local static");
    assert_eq!(driver["file"], "display.cpp");
    assert_eq!(driver["cu"], "display.cpp");
    assert_eq!(driver["object"], "display.o");
    let memcpy = v["symbols"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "memcpy")
        .unwrap();
    assert_eq!(memcpy["archive"], "libc_nano.a");
    assert_eq!(memcpy["object"], "lib_a-memcpy.o");
    assert!(!a.contains("/work/"), "absolute local path in the JSON");
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string("schema/report.schema.json").unwrap())
            .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&v)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{}", errors.join("\n"));
}

fn rust_crates_for_unmangled_symbols() {
    let v = json(&[
        "report",
        "fixtures/qemu-an386.elf",
        "--dwarf",
        "--format",
        "json",
    ]);
    let syms = v["symbols"].as_array().unwrap();
    let krate = |name: &str| {
        syms.iter()
            .find(|s| s["name"] == name)
            .unwrap_or_else(|| panic!("{name} missing"))["crate"]
            .clone()
    };
    // #[no_mangle] handlers and compiler_builtins' unmangled intrinsics.
    assert_eq!(krate("__aeabi_memcpy"), "compiler_builtins");
    assert_eq!(krate("DefaultHandler"), "membudget_firmware");
    assert_eq!(krate("__RESET_VECTOR"), "cortex_m_rt");
}

/// Without DWARF, `#[no_mangle]` handlers and `compiler_builtins`' unmangled intrinsics get
/// their crate from the codegen unit (`CRATE.HASH-cgu.N`) named by the `STT_FILE` of
/// their ARM mapping symbol. The copy drops the `.debug_*` sections only:
/// `objcopy --strip-debug` would also drop the `STT_FILE` symbols, leaving nothing to
/// read the crate from.
fn rust_crates_without_dwarf_from_codegen_unit_names() {
    if !tool_exists("arm-none-eabi-objcopy") {
        skip("arm-none-eabi-objcopy not installed: crates without DWARF");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let stripped = dir.path().join("no-debug.elf");
    let st = Command::new("arm-none-eabi-objcopy")
        .arg("--remove-section=.debug*")
        .arg("fixtures/qemu-an386.elf")
        .arg(&stripped)
        .status()
        .unwrap();
    assert!(st.success());
    let stripped_s = stripped.to_str().unwrap();
    let with = json(&[
        "report",
        "fixtures/qemu-an386.elf",
        "--dwarf",
        "--format",
        "json",
    ]);
    let without = json(&["report", stripped_s, "--format", "json"]);
    assert!(
        without["warnings"].to_string().contains("DWARF")
            || !without.to_string().contains("\"cu\""),
        "the copy still has DWARF"
    );
    let crates = |v: &serde_json::Value| -> BTreeMap<String, Option<String>> {
        v["symbols"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                (
                    s["name"].as_str().unwrap().to_string(),
                    s["crate"].as_str().map(str::to_string),
                )
            })
            .collect()
    };
    let (a, b) = (crates(&with), crates(&without));
    for name in [
        "DefaultHandler",
        "HardFault",
        "__aeabi_memcpy",
        "__aeabi_memset",
        "main",
    ] {
        assert!(b[name].is_some(), "{name}: no crate without DWARF");
        assert_eq!(
            a[name], b[name],
            "{name}: crate differs with and without DWARF"
        );
    }
    assert_eq!(b["__aeabi_memcpy"].as_deref(), Some("compiler_builtins"));
    assert_eq!(b["DefaultHandler"].as_deref(), Some("membudget_firmware"));
    // Every function the DWARF gives a crate gets the same one from the symbol table (the
    // vector tables are data, with no mapping symbol of their own).
    let funcs: Vec<&serde_json::Value> = without["symbols"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["kind"] == "func")
        .collect();
    assert!(!funcs.is_empty());
    for s in funcs {
        let name = s["name"].as_str().unwrap();
        assert_eq!(a[name], b[name], "{name}");
    }
    let (_, csv, _) = membudget(&["report", stripped_s, "--by", "crate", "--format", "csv"]);
    let no_crate: u64 = csv
        .lines()
        .filter(|l| l.contains("(no crate"))
        .filter_map(|l| l.split(',').nth(2)?.parse::<u64>().ok())
        .sum();
    assert!(no_crate <= 1020, "{no_crate} bytes without a crate:\n{csv}");
}

/// `<u32 as core::fmt::Display>::fmt` belongs to `core` (the trait's crate: the type is no
/// path), and the units of an incremental build (`src/main.rs/@/<random token>`) to the
/// crate their symbols name, never to the token.
fn trait_impls_and_incremental_units_get_their_crate() {
    for (elf, dwarf) in [
        ("fixtures/qemu-an386-o0.elf", false),
        ("fixtures/qemu-an386-o0.elf", true),
        ("fixtures/qemu-an505-o3.elf", true),
    ] {
        let mut args = vec!["report", elf, "--format", "json"];
        if dwarf {
            args.push("--dwarf");
        }
        let v = json(&args);
        let syms = v["symbols"].as_array().unwrap();
        let impls: Vec<_> = syms
            .iter()
            .filter(|s| s["name"].as_str().unwrap().starts_with('<'))
            .collect();
        assert!(!impls.is_empty(), "{elf}: no trait impls");
        for s in &impls {
            assert!(s["crate"].is_string(), "{elf}: {} has no crate", s["name"]);
        }
        if let Some(s) = syms.iter().find(|s| {
            s["name"]
                .as_str()
                .unwrap()
                .starts_with("<u32 as core::fmt::")
        }) {
            assert_eq!(s["crate"], "core", "{elf}");
        }
        for s in syms {
            let (Some(k), Some(cu)) = (s["crate"].as_str(), s["cu"].as_str()) else {
                continue;
            };
            // Crate names are identifiers; incremental tokens are 25 base-36 characters.
            let looks_random = k.len() >= 20 && k.chars().any(|c| c.is_ascii_digit());
            assert!(!looks_random, "{elf}: crate {k} of {}", s["name"]);
            let token = cu.rsplit_once("/@/").map_or("", |(_, t)| t);
            assert!(
                !(token.len() >= 20 && token.chars().any(|c| c.is_ascii_digit())),
                "{elf}: unit {cu} carries a build token"
            );
        }
        if dwarf && elf.contains("o0") {
            let main = syms.iter().find(|s| s["name"] == "main").unwrap();
            assert_eq!(main["crate"], "membudget_firmware");
            assert_eq!(main["cu"], "src/main.rs/@/membudget_firmware");
        }
    }
}

fn bad_map_is_exit_2_with_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("broken.map");
    std::fs::write(&p, "Memory Configuration\n\nName Origin Length\nFLASH 0xZZ 0x100\n\nLinker script and memory map\n").unwrap();
    let (code, out, err) = membudget(&[
        "report",
        "fixtures/cpp-m4.elf",
        "--map",
        p.to_str().unwrap(),
    ]);
    assert_eq!(code, 2, "{out}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("broken.map:4: "), "{err}");
}

// ---------------------------------------------------------------------------------------
// Component budgets: groups by file, directory, crate, archive and object, with growth
// tolerances against the baseline.

fn component_groups_and_their_growth() {
    let dir = tempfile::tempdir().unwrap();
    let budget = dir.path().join("fw.budget.json");
    std::fs::write(
        &budget,
        r#"{
  "schema": "membudget.budget/2",
  "budget": {
    "groups": [
      { "name": "statics", "match": { "file": "src/statics.rs" }, "growth": { "bytes": 256 } },
      { "name": "firmware sources", "match": { "dir": "src" }, "warn": "16M" },
      { "name": "registry crates", "match": { "dir": "<cargo-registry>/*" }, "warn": "16M" },
      { "name": "compiler_builtins", "match": { "crate": "compiler_builtins" }, "growth": { "bytes": 0 } }
    ]
  }
}"#,
    )
    .unwrap();
    let b = budget.to_str().unwrap();
    let mem = "firmware/layouts/p2/memory.x";
    let (code, out, err) = membudget(&["bless", "fixtures/p2.elf", "--budget", b, "--memory", mem]);
    assert_eq!(code, 0, "{out}{err}");
    let baseline: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("fw.baseline.json")).unwrap(),
    )
    .unwrap();
    let groups = baseline["baseline"]["groups"]
        .as_array()
        .expect("group totals in the baseline");
    assert_eq!(groups.len(), 4);
    assert!(
        groups.iter().all(|g| g["bytes"].as_u64().unwrap() > 0),
        "{groups:?}"
    );
    // Same image: within budget, deltas 0.
    let (code, out, err) = membudget(&[
        "check",
        "fixtures/p2.elf",
        "--budget",
        b,
        "--memory",
        mem,
        "--format",
        "json",
    ]);
    assert_eq!(code, 0, "{out}{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    for g in v["groups"].as_array().unwrap() {
        assert_eq!(g["delta"], 0, "{g}");
    }
    // The overflow variant's log buffer (src/statics.rs) grows: the component fails.
    let (code, out, _) = membudget(&[
        "check",
        "fixtures/p2-overflow.elf",
        "--budget",
        b,
        "--memory",
        mem,
        "--format",
        "json",
    ]);
    assert_eq!(code, 1, "{out}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let failures = v["failures"].as_array().unwrap();
    let growth: Vec<_> = failures
        .iter()
        .filter(|f| f["kind"] == "group-growth")
        .collect();
    assert_eq!(growth.len(), 1, "{failures:?}");
    assert!(growth[0].to_string().contains("statics"), "{growth:?}");
    let statics = v["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["name"] == "statics")
        .unwrap();
    assert!(statics["delta"].as_i64().unwrap() > 256, "{statics}");
    // A tolerance of exactly the growth passes (the image fails elsewhere: it overflows).
    let grown = statics["delta"].as_i64().unwrap();
    let text = std::fs::read_to_string(&budget)
        .unwrap()
        .replace(r#""bytes": 256"#, &format!(r#""bytes": {grown}"#));
    std::fs::write(&budget, text).unwrap();
    let (_, out, err) = membudget(&[
        "check",
        "fixtures/p2-overflow.elf",
        "--budget",
        b,
        "--memory",
        mem,
        "--format",
        "json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&out).expect(&err);
    let kinds: Vec<_> = v["failures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| &f["kind"])
        .collect();
    assert!(!kinds.iter().any(|k| *k == "group-growth"), "{kinds:?}");
}

fn archive_and_object_groups_with_a_map() {
    let dir = tempfile::tempdir().unwrap();
    let budget = dir.path().join("cpp.budget.json");
    std::fs::write(
        &budget,
        r#"{
  "schema": "membudget.budget/2",
  "budget": {
    "groups": [
      { "name": "libc", "match": { "archive": "libc*.a" }, "fail": "100" },
      { "name": "display", "match": { "object": "display.o" }, "regions": ["FLASH"] }
    ]
  }
}"#,
    )
    .unwrap();
    let b = budget.to_str().unwrap();
    let (code, out, _) = membudget(&[
        "check",
        "fixtures/cpp-m4.elf",
        "--budget",
        b,
        "--map",
        "fixtures/cpp-m4.map",
        "--format",
        "json",
    ]);
    assert_eq!(code, 1, "{out}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let kinds: Vec<&str> = v["failures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["kind"].as_str().unwrap())
        .collect();
    // memcpy + memset (472 bytes) from libc_nano.a; display.o's framebuffer is in RAM.
    assert!(kinds.contains(&"group-limit"), "{kinds:?}");
    assert!(kinds.contains(&"group-region"), "{kinds:?}");
    let libc = v["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["name"] == "libc")
        .unwrap();
    // memcpy and memset: the bytes nm gives them (their input sections hold 308 + 164).
    let sizes: u64 = v["groups"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|g| g["name"] == "libc")
        .map(|g| g["bytes"].as_u64().unwrap())
        .sum();
    assert!(sizes > 100 && sizes <= 308 + 164, "{libc}");
}

// ---------------------------------------------------------------------------------------
// `diff --by`: per-component deltas.

/// `report --by VIEW --format json` rows as (region, key) -> bytes.
fn rollup_rows(elf: &str, by: &str, extra: &[&str]) -> BTreeMap<(String, String), u64> {
    let mut args = vec!["report", elf, "--by", by, "--format", "json"];
    args.extend_from_slice(extra);
    let (code, out, err) = membudget(&args);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    v["rollup"]["rows"]
        .as_array()
        .expect("rollup rows")
        .iter()
        .map(|r| {
            (
                (
                    r["region"].as_str().unwrap_or("").to_string(),
                    r["key"].as_str().unwrap().to_string(),
                ),
                r["bytes"].as_u64().unwrap(),
            )
        })
        .collect()
}

fn diff_by_component_adds_up_to_the_report_rollups() {
    let (a, b) = ("fixtures/qemu-an386-o0.elf", "fixtures/qemu-an386-o3.elf");
    for by in ["crate", "file", "dir"] {
        let (code, out, err) = membudget(&["diff", a, b, "--by", by, "--format", "json"]);
        assert_eq!(code, 0, "{err}");
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        let c = &v["components"];
        assert_eq!(c["by"], by);
        assert!(c.get("unattributed_sides").is_none(), "{c}");
        let old = rollup_rows(a, by, &[]);
        let new = rollup_rows(b, by, &[]);
        let rows = c["rows"].as_array().unwrap();
        assert_eq!(
            rows.len(),
            old.keys()
                .chain(new.keys())
                .collect::<std::collections::BTreeSet<_>>()
                .len()
        );
        let mut changed = 0;
        for r in rows {
            let key = (
                r["region"].as_str().unwrap_or("").to_string(),
                r["key"].as_str().unwrap().to_string(),
            );
            assert_eq!(r["old"].as_u64(), old.get(&key).copied(), "{r}");
            assert_eq!(r["new"].as_u64(), new.get(&key).copied(), "{r}");
            let delta = new.get(&key).copied().unwrap_or(0) as i64
                - old.get(&key).copied().unwrap_or(0) as i64;
            assert_eq!(r["delta"].as_i64().unwrap(), delta, "{r}");
            changed += usize::from(delta != 0);
        }
        assert!(changed > 0, "-O0 and -O3 differ per {by}");
        // Per region, the component deltas add up to the region's delta.
        for region in v["regions"].as_array().unwrap() {
            let sum: i64 = rows
                .iter()
                .filter(|r| r["region"] == region["name"])
                .map(|r| r["delta"].as_i64().unwrap())
                .sum();
            assert_eq!(sum, region["delta"].as_i64().unwrap(), "{by} {region}");
        }
        // CSV: the same rows, exact bytes.
        let (code, csv, err) = membudget(&["diff", a, b, "--by", by, "--format", "csv"]);
        assert_eq!(code, 0, "{err}");
        assert_eq!(csv.lines().count(), rows.len() + 1);
        assert_eq!(csv.lines().next(), Some("region,key,before,after,change"));
        // Table and Markdown: a section per view, with exact bytes of the largest change.
        let top = &rows[0];
        let exact = format!("{:+} B", top["delta"].as_i64().unwrap());
        for fmt in ["table", "markdown"] {
            let (code, text, err) = membudget(&["diff", a, b, "--by", by, "--format", fmt]);
            assert_eq!(code, 0, "{err}");
            assert!(text.contains(&format!("By {by}")), "{text}");
            assert!(text.contains(&exact), "{exact} in {text}");
        }
    }
    // Without --by there is no component list; CSV needs --by.
    let (_, out, _) = membudget(&["diff", a, b, "--format", "json"]);
    assert!(!out.contains("\"components\""));
    let (code, _, err) = membudget(&["diff", a, b, "--format", "csv"]);
    assert_eq!(code, 2, "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
}

fn diff_by_notes_a_side_without_attribution() {
    let dir = tempfile::tempdir().unwrap();
    let with_map = dir.path().join("with-map.json");
    let without = dir.path().join("without.json");
    let elf = "fixtures/cpp-m4.elf";
    let (code, out, err) = membudget(&[
        "report",
        elf,
        "--map",
        "fixtures/cpp-m4.map",
        "--format",
        "json",
    ]);
    assert_eq!(code, 0, "{err}");
    std::fs::write(&with_map, out).unwrap();
    let (code, out, err) = membudget(&["report", elf, "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    std::fs::write(&without, out).unwrap();
    let (w, wo) = (with_map.to_str().unwrap(), without.to_str().unwrap());
    let (code, out, err) = membudget(&["diff", wo, w, "--by", "object", "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        v["components"]["unattributed_sides"],
        serde_json::json!(["old"])
    );
    let (_, table, _) = membudget(&["diff", wo, w, "--by", "object"]);
    assert!(
        table.contains("no symbol of the old side has object attribution"),
        "{table}"
    );
    // Both sides with the map: no note, and no change.
    let (_, out, _) = membudget(&["diff", w, w, "--by", "archive", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(v["components"].get("unattributed_sides").is_none());
    assert!(v["components"]["rows"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["delta"] == 0));
    // A baseline keeps no attribution: one-line usage error.
    let (code, _, err) = membudget(&["diff", "golden/p2.budget.json", w, "--by", "file"]);
    assert_eq!(code, 2, "{err}");
}
