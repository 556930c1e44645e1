//! DWARF source attribution: for every function and data object the DWARF describes, its
//! declaration file and line, its compile unit and (Rust) crate; and every unit's address
//! ranges, so bytes that no symbol covers can still be charged to a unit.
//!
//! Only what attribution needs is read: the DIEs of `DW_TAG_subprogram` and
//! `DW_TAG_variable` (everything else is skipped with `skip_attributes`, which sums fixed
//! attribute sizes instead of decoding them), the line-program *header* of each unit (its
//! file table; the line program itself is never run), and the unit ranges. Units are
//! parsed in parallel. A missing or unreadable `.debug_info` is never an error: the result
//! is empty and carries a one-line note, and the report falls back to the symbol table.

use std::borrow::Cow;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};

use gimli::{AttributeValue, EndianSlice, Reader, RunTimeEndian};
use object::{Object, ObjectSection};
use rayon::prelude::*;

type R<'a> = EndianSlice<'a, RunTimeEndian>;

/// What a DIE describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    /// A `DW_TAG_subprogram` with code.
    Function,
    /// A `DW_TAG_variable` with a static address.
    Variable,
}

/// One compile unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompUnit {
    /// `DW_AT_name` of the unit, as the compiler wrote it (`src/main.c`,
    /// `src/lib.rs/@/core.1b2c-cgu.0`).
    pub name: String,
    /// The unit's primary source file: its name joined with `DW_AT_comp_dir` when relative.
    pub path: String,
    /// `DW_AT_comp_dir`.
    pub comp_dir: Option<String>,
    /// The primary source file without rustc's `/@/CRATE.HASH-cgu.N` suffix (equal to
    /// `path` for other compilers).
    pub root: String,
    /// `DW_AT_language` (`DW_LANG_*` value), 0 when absent.
    pub language: u16,
    /// For Rust units, the crate the unit belongs to (from rustc's `…/@/CRATE.hash-cgu.N`
    /// unit name).
    pub krate: Option<String>,
}

impl CompUnit {
    /// Whether rustc compiled the unit.
    pub fn is_rust(&self) -> bool {
        self.language == gimli::DW_LANG_Rust.0
    }
}

/// A function or variable DIE that has an address.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Address of the code or data.
    pub addr: u64,
    /// `DW_AT_high_pc - DW_AT_low_pc` for functions; 0 when unknown (variables).
    pub size: u64,
    /// Function or variable.
    pub kind: EntryKind,
    /// Index into [`Dwarf::files`].
    pub file: Option<u32>,
    /// `DW_AT_decl_line`, 0 when absent.
    pub line: u32,
    /// Index into [`Dwarf::units`].
    pub unit: u32,
    /// Hash of the linkage name (or of `DW_AT_name` when there is none), to tell apart
    /// DIEs at one address; only computed where several share one ([`resolve_names`]).
    name_hash: u64,
    /// Hash of `DW_AT_name`.
    short_hash: u64,
    name_key: NameKey,
    short_key: NameKey,
}

/// One contiguous address range of a unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnitRange {
    /// First address.
    pub begin: u64,
    /// One past the last address.
    pub end: u64,
    /// Index into [`Dwarf::units`].
    pub unit: u32,
}

/// Source attribution read from an ELF's DWARF.
#[derive(Debug, Clone, Default)]
pub struct Dwarf {
    /// Compile units in `.debug_info` order.
    pub units: Vec<CompUnit>,
    /// Interned source paths.
    pub files: Vec<String>,
    /// Address-bearing DIEs, sorted by address.
    pub entries: Vec<Entry>,
    /// Unit address ranges, sorted by begin address (ranges of different units may overlap
    /// in broken or LTO output; lookups take the first).
    pub ranges: Vec<UnitRange>,
    /// One line on why the result is empty or partial (no DWARF, unreadable units...).
    pub note: Option<String>,
    /// Unit by `DW_AT_name` and by rustc codegen-unit name; `u32::MAX` when ambiguous.
    unit_names: HashMap<String, u32>,
}

/// Where an attribution came from, best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Source {
    /// The symbol's DIE and its `DW_AT_decl_file`.
    Die,
    /// The symbol's DIE has no `DW_AT_decl_file` (artificial functions such as
    /// `_GLOBAL__sub_I_*`): the file is its unit's primary file.
    DieUnit,
    /// No DIE, but the symbol's `STT_FILE` names a compile unit (rustc names both after
    /// the codegen unit): the unit's primary file.
    SymbolTableUnit,
    /// No DIE, no unit range: the symbol table's `STT_FILE` entry.
    SymbolTable,
    /// No DIE and no `STT_FILE` naming a unit: the unit whose address ranges cover the
    /// symbol.
    UnitRange,
}

/// The attribution of one symbol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Found<'a> {
    /// The source file, shown as the DWARF gives it.
    pub file: Option<&'a str>,
    /// `DW_AT_decl_line`; 0 when unknown.
    pub line: u32,
    /// The unit of the DIE (or of the range that covers the symbol).
    pub unit: Option<&'a CompUnit>,
    /// Which source the attribution came from.
    pub source: Source,
    /// Where `file` comes from, as an index (to cache what is derived from it).
    pub file_id: FileId,
    /// Index of `unit` in [`Dwarf::units`].
    pub unit_id: Option<u32>,
}

/// Where a [`Found::file`] comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FileId {
    /// [`Dwarf::files`]`[i]`.
    File(u32),
    /// The `root` of [`Dwarf::units`]`[i]`.
    UnitRoot(u32),
    /// The symbol's own `STT_FILE`.
    SymbolTable,
}

fn hash_name(bytes: &[u8]) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    bytes.hash(&mut h);
    h.finish()
}

/// GCC renames function-local and file-local statics `name.N` (`counter.0`,
/// `buf.lto_priv.0`; `name$N` on targets without `.` in labels); the DIE keeps the source
/// name.
fn strip_compiler_suffix(raw: &str) -> &str {
    raw.split_once(['.', '$']).map_or(raw, |(base, _)| base)
}

impl Dwarf {
    /// Attribute a symbol of the symbol table: its DIE (a DIE of the same kind at its
    /// address, preferring one whose linkage name or name matches), else its `STT_FILE`,
    /// else the unit whose ranges cover it.
    pub fn lookup_symbol<'a>(&'a self, sym: &'a crate::elf::Symbol) -> Option<Found<'a>> {
        let kind = match sym.kind {
            crate::elf::SymbolKind::Func => EntryKind::Function,
            crate::elf::SymbolKind::Object => EntryKind::Variable,
            _ => return None,
        };
        self.lookup(sym.addr, kind, &sym.raw, sym.file.as_deref())
    }

    /// [`Dwarf::lookup_symbol`] from its parts.
    pub fn lookup<'a>(
        &'a self,
        addr: u64,
        kind: EntryKind,
        raw_name: &str,
        stt_file: Option<&'a str>,
    ) -> Option<Found<'a>> {
        if let Some(e) = self.lookup_die(addr, kind, raw_name) {
            let unit = &self.units[e.unit as usize];
            return Some(match e.file {
                Some(f) => Found {
                    file: Some(self.files[f as usize].as_str()),
                    line: e.line,
                    unit: Some(unit),
                    source: Source::Die,
                    file_id: FileId::File(f),
                    unit_id: Some(e.unit),
                },
                None => Found {
                    file: Some(unit.root.as_str()),
                    line: e.line,
                    unit: Some(unit),
                    source: Source::DieUnit,
                    file_id: FileId::UnitRoot(e.unit),
                    unit_id: Some(e.unit),
                },
            });
        }
        if let Some(i) = stt_file.and_then(|f| self.unit_index_named(f)) {
            let u = &self.units[i as usize];
            return Some(Found {
                file: Some(u.root.as_str()),
                line: 0,
                unit: Some(u),
                source: Source::SymbolTableUnit,
                file_id: FileId::UnitRoot(i),
                unit_id: Some(i),
            });
        }
        let unit_id = self.unit_at(addr);
        let unit = unit_id.map(|u| &self.units[u as usize]);
        // A unit whose ranges cover the symbol knows its source better than an `STT_FILE`
        // that names no unit (an object's base name, e.g. `lib_a-memcpy.o` for newlib's
        // assembler `memcpy`, which a global gets from its ARM mapping symbol).
        if let (Some(f), None) = (stt_file, unit) {
            return Some(Found {
                file: Some(f),
                line: 0,
                unit,
                source: Source::SymbolTable,
                file_id: FileId::SymbolTable,
                unit_id,
            });
        }
        let i = unit_id?;
        let u = &self.units[i as usize];
        Some(Found {
            file: Some(u.root.as_str()),
            line: 0,
            unit: Some(u),
            source: Source::UnitRange,
            file_id: FileId::UnitRoot(i),
            unit_id,
        })
    }

    fn lookup_die(&self, addr: u64, kind: EntryKind, raw_name: &str) -> Option<&Entry> {
        let start = self.entries.partition_point(|e| e.addr < addr);
        let candidates = self.entries[start..]
            .iter()
            .take_while(|e| e.addr == addr)
            .filter(|e| e.kind == kind);
        // A lone candidate is the answer whatever its name: skip hashing the name.
        let mut two = candidates.clone();
        if let (Some(only), None) = (two.next(), two.next()) {
            if addr != 0 {
                return Some(only);
            }
        }
        let full = hash_name(raw_name.as_bytes());
        let short = hash_name(strip_compiler_suffix(raw_name).as_bytes());
        let mut first = None;
        let mut by_short = None;
        for e in candidates {
            if e.name_hash == full || e.short_hash == full {
                return Some(e);
            }
            if by_short.is_none() && e.short_hash == short {
                by_short = Some(e);
            }
            first.get_or_insert(e);
        }
        // Discarded (garbage-collected) functions keep DW_AT_low_pc 0 in GNU ld output,
        // so an unnamed match at address 0 is more likely one of those than the symbol.
        by_short.or(if addr == 0 { None } else { first })
    }

    /// The unit an `STT_FILE` name stands for: rustc names the file symbol after the
    /// codegen unit (`CRATE.HASH-cgu.N`), the unit `ROOT/@/CRATE.HASH-cgu.N`; GCC after the
    /// source as given to the compiler, which is the unit's `DW_AT_name`. Only a unique
    /// match counts.
    pub fn unit_named(&self, stt_file: &str) -> Option<&CompUnit> {
        self.unit_index_named(stt_file)
            .map(|u| &self.units[u as usize])
    }

    /// [`Dwarf::unit_named`], as an index into [`Dwarf::units`].
    pub fn unit_index_named(&self, stt_file: &str) -> Option<u32> {
        match self.unit_names.get(stt_file) {
            Some(&u) if u != u32::MAX => Some(u),
            _ => None,
        }
    }

    /// The unit whose address ranges contain `addr`.
    pub fn unit_at(&self, addr: u64) -> Option<u32> {
        let i = self.ranges.partition_point(|r| r.begin <= addr);
        // Ranges may nest or overlap: scan back over the few that start at or before addr.
        self.ranges[..i]
            .iter()
            .rev()
            .take(8)
            .find(|r| addr < r.end)
            .map(|r| r.unit)
    }
}

/// Read the DWARF of an ELF file's bytes. Never fails: problems end up in [`Dwarf::note`].
pub fn read(data: &[u8]) -> Dwarf {
    match read_inner(data) {
        Ok(d) => d,
        Err(note) => Dwarf {
            note: Some(note),
            ..Dwarf::default()
        },
    }
}

fn read_inner(data: &[u8]) -> Result<Dwarf, String> {
    let file = object::File::parse(data).map_err(|e| format!("DWARF not read: {e}"))?;
    if file.kind() == object::ObjectKind::Relocatable {
        return Err("DWARF not read: relocatable object (unrelocated debug sections)".into());
    }
    if file.section_by_name(".debug_info").is_none() {
        return Err("no DWARF (.debug_info): file and unit from the symbol table only".into());
    }
    let endian = if file.is_little_endian() {
        RunTimeEndian::Little
    } else {
        RunTimeEndian::Big
    };
    let mut failed = Vec::new();
    let load = |id: gimli::SectionId| -> Result<Cow<'_, [u8]>, gimli::Error> {
        Ok(match file.section_by_name(id.name()) {
            // uncompressed_data() inflates SHF_COMPRESSED (zlib, zstd) and .zdebug sections.
            Some(s) => s.uncompressed_data().unwrap_or_else(|_| {
                failed.push(id.name());
                Cow::Borrowed(&[][..])
            }),
            None => Cow::Borrowed(&[][..]),
        })
    };
    let owned = gimli::DwarfSections::load(load).map_err(|e| format!("DWARF not read: {e}"))?;
    if !failed.is_empty() {
        return Err(format!(
            "DWARF not read: cannot decompress {}",
            failed.join(", ")
        ));
    }
    let dwarf = owned.borrow(|s| EndianSlice::new(s, endian));
    let aranges = read_aranges(&dwarf);

    let mut headers = Vec::new();
    let mut iter = dwarf.units();
    let mut broken = 0usize;
    loop {
        match iter.next() {
            Ok(Some(h)) => headers.push(h),
            Ok(None) => break,
            Err(_) => {
                broken += 1;
                break;
            }
        }
    }
    let all_headers = headers.clone();
    let results: Vec<Result<UnitResult, gimli::Error>> = headers
        .into_par_iter()
        .map(|h| read_unit(&dwarf, h, &all_headers, &aranges))
        .collect();

    let mut out = Dwarf::default();
    let mut interned: HashMap<String, u32> = HashMap::new();
    for r in results {
        let Ok(r) = r else {
            broken += 1;
            continue;
        };
        let unit = out.units.len() as u32;
        let remap: Vec<u32> = r
            .files
            .into_iter()
            .map(|f| {
                let next = interned.len() as u32;
                *interned.entry(f).or_insert(next)
            })
            .collect();
        out.units.push(r.unit);
        out.entries.extend(r.entries.into_iter().map(|mut e| {
            e.unit = unit;
            e.file = e.file.map(|f| remap[f as usize]);
            e
        }));
        out.ranges.extend(
            r.ranges
                .into_iter()
                .map(|(begin, end)| UnitRange { begin, end, unit }),
        );
    }
    for (i, u) in out.units.iter().enumerate() {
        let cgu = u.name.rsplit_once("/@/").map(|(_, c)| c);
        for key in std::iter::once(u.name.as_str()).chain(cgu) {
            out.unit_names
                .entry(key.to_string())
                .and_modify(|v| *v = u32::MAX)
                .or_insert(i as u32);
        }
    }
    out.files = vec![String::new(); interned.len()];
    for (path, i) in interned {
        out.files[i as usize] = path;
    }
    // Stable order: by address, then unit order (the order in .debug_info).
    out.entries.sort_by_key(|e| (e.addr, e.unit));
    resolve_names(&dwarf, &mut out.entries);
    out.ranges.sort_by_key(|r| (r.begin, r.unit));
    if broken > 0 {
        out.note = Some(format!(
            "{broken} DWARF unit(s) unreadable: their symbols fall back to the symbol table"
        ));
    }
    Ok(out)
}

/// `.debug_aranges`, per unit offset: used for units without `DW_AT_ranges`/`low_pc`.
fn read_aranges(dwarf: &gimli::Dwarf<R<'_>>) -> HashMap<usize, Vec<(u64, u64)>> {
    let mut out: HashMap<usize, Vec<(u64, u64)>> = HashMap::new();
    let mut headers = dwarf.debug_aranges.headers();
    while let Ok(Some(h)) = headers.next() {
        let mut entries = h.entries();
        let v = out.entry(h.debug_info_offset().0).or_default();
        while let Ok(Some(e)) = entries.next() {
            if e.length() > 0 {
                v.push((e.address(), e.address().saturating_add(e.length())));
            }
        }
    }
    out
}

struct UnitResult {
    unit: CompUnit,
    /// Unit-local file table (indices into it in `entries`).
    files: Vec<String>,
    entries: Vec<Entry>,
    ranges: Vec<(u64, u64)>,
}

/// Attributes of interest of one DIE.
#[derive(Default)]
struct Die<'a> {
    low_pc: Option<u64>,
    high_pc: Option<AttributeValue<R<'a>>>,
    location: Option<AttributeValue<R<'a>>>,
    decl_file: Option<u64>,
    decl_line: Option<u64>,
    name: Option<AttributeValue<R<'a>>>,
    linkage_name: Option<AttributeValue<R<'a>>>,
    /// `DW_AT_specification` or `DW_AT_abstract_origin`.
    origin: Option<OriginRef>,
    /// The declaration file, as a path, when it was inherited from a DIE of another unit
    /// (whose file numbers mean nothing in this one).
    decl_path: Option<String>,
    declaration: bool,
    ranges: Option<AttributeValue<R<'a>>>,
}

/// The attributes [`collect_attr`] reads; the others are skipped without decoding.
const WANTED: [gimli::DwAt; 12] = [
    gimli::DW_AT_ranges,
    gimli::DW_AT_low_pc,
    gimli::DW_AT_high_pc,
    gimli::DW_AT_location,
    gimli::DW_AT_decl_file,
    gimli::DW_AT_decl_line,
    gimli::DW_AT_name,
    gimli::DW_AT_linkage_name,
    gimli::DW_AT_MIPS_linkage_name,
    gimli::DW_AT_specification,
    gimli::DW_AT_abstract_origin,
    gimli::DW_AT_declaration,
];

// gimli's DW_AT_* constants are lower case by the DWARF standard's naming.
#[allow(non_upper_case_globals)]
fn collect_attr<'a>(
    unit: gimli::UnitRef<'_, R<'a>>,
    die: &mut Die<'a>,
    attr: gimli::Attribute<R<'a>>,
) {
    use gimli::constants::*;
    match attr.name() {
        DW_AT_low_pc => die.low_pc = unit.attr_address(attr.value()).ok().flatten(),
        DW_AT_high_pc => die.high_pc = Some(attr.value()),
        DW_AT_location => die.location = Some(attr.value()),
        DW_AT_decl_file => die.decl_file = attr.udata_value(),
        DW_AT_decl_line => die.decl_line = attr.udata_value(),
        DW_AT_name => die.name = Some(attr.value()),
        DW_AT_linkage_name | DW_AT_MIPS_linkage_name => die.linkage_name = Some(attr.value()),
        DW_AT_specification | DW_AT_abstract_origin => {
            die.origin = match attr.value() {
                AttributeValue::UnitRef(o) => Some(OriginRef::Unit(o)),
                // DW_FORM_ref_addr: another unit's DIE (GCC's LTO output, C++).
                AttributeValue::DebugInfoRef(o) => Some(OriginRef::Section(o)),
                _ => die.origin,
            };
        }
        DW_AT_declaration => die.declaration = true,
        DW_AT_ranges => die.ranges = Some(attr.value()),
        _ => {}
    }
}

/// Where a `DW_AT_specification` / `DW_AT_abstract_origin` points.
#[derive(Debug, Clone, Copy)]
enum OriginRef {
    /// In the same unit as the DIE that refers.
    Unit(gimli::UnitOffset),
    /// Anywhere in `.debug_info` (`DW_FORM_ref_addr`).
    Section(gimli::DebugInfoOffset),
}

/// Every unit header, to follow `DW_FORM_ref_addr` into other units; the units reached are
/// parsed once per reading unit.
struct Far<'d, 'a> {
    dwarf: &'d gimli::Dwarf<R<'a>>,
    headers: &'d [gimli::UnitHeader<R<'a>>],
    units: HashMap<usize, gimli::Unit<R<'a>>>,
}

/// Enclosing subprogram while walking the tree: its depth and file, so that a static
/// declared inside a function without its own `DW_AT_decl_file` gets the function's.
struct Scope {
    depth: isize,
    file: Option<u32>,
}

fn read_unit<'a>(
    dwarf: &gimli::Dwarf<R<'a>>,
    header: gimli::UnitHeader<R<'a>>,
    headers: &[gimli::UnitHeader<R<'a>>],
    aranges: &HashMap<usize, Vec<(u64, u64)>>,
) -> Result<UnitResult, gimli::Error> {
    let offset = header.offset().0;
    let unit = gimli::Unit::new(dwarf, header)?;
    let uref = unit.unit_ref(dwarf);
    let mut files = FileTable::new(uref);

    let name = unit
        .name
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let language = {
        let mut cursor = unit.entries();
        match cursor.next_dfs()? {
            Some(root) => match root.attr_value(gimli::DW_AT_language) {
                Some(AttributeValue::Language(l)) => l.0,
                _ => 0,
            },
            None => 0,
        }
    };
    let krate = (language == gimli::DW_LANG_Rust.0)
        .then(|| rust_unit_crate(&name))
        .flatten();
    let path = join_path(files.comp_dir.as_deref(), None, &name);
    let root = match path.rsplit_once("/@/") {
        Some((root, _)) if language == gimli::DW_LANG_Rust.0 => root.to_string(),
        _ => path.clone(),
    };

    let mut ranges = Vec::new();
    if let Ok(mut it) = uref.unit_ranges() {
        while let Ok(Some(r)) = it.next() {
            // GNU ld resolves the ranges of discarded (garbage-collected) code to 0, so a
            // range starting at 0 claims bytes of whatever really lives there.
            if r.end > r.begin && r.begin != 0 {
                ranges.push((r.begin, r.end));
            }
        }
    }
    if ranges.is_empty() {
        if let Some(a) = aranges.get(&offset) {
            ranges.extend_from_slice(a);
        }
    }

    let mut entries = Vec::new();
    let mut far = Far {
        dwarf,
        headers,
        units: HashMap::new(),
    };
    let mut walk = Walk::new(&unit)?;
    let mut scopes: Vec<Scope> = Vec::new();
    while let Some((depth, kind, mut die, has_children)) = walk.next_candidate(uref)? {
        while scopes.last().is_some_and(|s| s.depth >= depth) {
            scopes.pop();
        }
        let address = if die.declaration && die.low_pc.is_none() && die.location.is_none() {
            None
        } else {
            die_address(uref, kind, &die)
        };
        let Some((addr, size)) = address else {
            // No code or storage of its own, but statics declared inside it may need its
            // file.
            if kind == EntryKind::Function && has_children {
                let file = die.decl_file.and_then(|f| files.get(f));
                scopes.push(Scope { depth, file });
            }
            continue;
        };
        let resolved = resolve_origin(uref, &mut far, &mut die);
        let file = match die.decl_path.take() {
            Some(p) => Some(files.intern(p)),
            None => die.decl_file.and_then(|f| files.get(f)),
        }
        .or_else(|| scopes.last().and_then(|s| s.file));
        if kind == EntryKind::Function && has_children {
            scopes.push(Scope { depth, file });
        }
        let name_key = match resolved.linkage {
            NameKey::None => resolved.name,
            k => k,
        };
        entries.push(Entry {
            addr,
            size,
            kind,
            file,
            line: die.decl_line.unwrap_or(0).min(u32::MAX as u64) as u32,
            unit: 0,
            name_hash: 0,
            short_hash: 0,
            name_key,
            short_key: resolved.name,
        });
    }
    // Units that only describe ranges through their functions (no unit-level ranges, no
    // aranges): the functions' extents stand in.
    if ranges.is_empty() {
        ranges.extend(
            entries
                .iter()
                .filter(|e| e.kind == EntryKind::Function && e.size > 0)
                .map(|e| (e.addr, e.addr.saturating_add(e.size))),
        );
    }
    Ok(UnitResult {
        unit: CompUnit {
            name,
            path,
            comp_dir: files.comp_dir.clone(),
            root,
            language,
            krate,
        },
        files: files.paths,
        entries,
        ranges,
    })
}

/// A name, cheaply: most names are `DW_FORM_strp` offsets into `.debug_str`, which the
/// linker merges, so they are only read when two DIEs share an address (see
/// [`resolve_names`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum NameKey {
    #[default]
    None,
    Strp(usize),
    Hash(u64),
}

fn name_key<'a>(unit: gimli::UnitRef<'_, R<'a>>, v: Option<AttributeValue<R<'a>>>) -> NameKey {
    match v {
        None => NameKey::None,
        Some(AttributeValue::DebugStrRef(o)) => NameKey::Strp(o.0),
        Some(v) => unit
            .attr_string(v)
            .map_or(NameKey::None, |s| NameKey::Hash(hash_name(s.slice()))),
    }
}

struct Names {
    name: NameKey,
    linkage: NameKey,
}

/// Fill in what a concrete DIE inherits from its `DW_AT_specification` /
/// `DW_AT_abstract_origin` chain (decl file and line, names).
fn resolve_origin<'a>(
    home: gimli::UnitRef<'_, R<'a>>,
    far: &mut Far<'_, 'a>,
    die: &mut Die<'a>,
) -> Names {
    let mut names = Names {
        name: name_key(home, die.name),
        linkage: name_key(home, die.linkage_name),
    };
    let home_offset = home.header.debug_info_offset().map(|o| o.0);
    // The unit the chain is in: None for `home`, else an index into `far.headers`.
    let mut at: Option<usize> = None;
    let mut next = die.origin;
    // A short chain (concrete -> abstract -> declaration); the bound guards against cycles.
    for _ in 0..4 {
        let Some(target) = next else { break };
        let offset = match target {
            OriginRef::Unit(o) => o,
            OriginRef::Section(o) => {
                let i = far
                    .headers
                    .partition_point(|h| h.debug_info_offset().is_some_and(|x| x.0 <= o.0));
                let Some(h) = i.checked_sub(1).map(|i| &far.headers[i]) else {
                    break;
                };
                let Some(unit_offset) = o.to_unit_offset(h) else {
                    break;
                };
                at = (h.debug_info_offset().map(|x| x.0) != home_offset).then_some(i - 1);
                unit_offset
            }
        };
        if let Some(i) = at {
            if !far.units.contains_key(&i) {
                let Ok(u) = gimli::Unit::new(far.dwarf, far.headers[i]) else {
                    break;
                };
                far.units.insert(i, u);
            }
        }
        let unit = match at {
            Some(i) => far.units[&i].unit_ref(far.dwarf),
            None => home,
        };
        let Ok(entry) = unit.entry(offset) else { break };
        let mut origin = Die::default();
        for attr in entry.attrs() {
            collect_attr(unit, &mut origin, *attr);
        }
        let inherit_file = die.decl_file.is_none() && die.decl_path.is_none();
        if inherit_file {
            // decl_line goes with decl_file: GCC omits both on the concrete DIE when they
            // equal the declaration's, and only the line when just the file is the same.
            match at {
                None => die.decl_file = origin.decl_file,
                Some(_) => {
                    die.decl_path = origin
                        .decl_file
                        .and_then(|f| FileTable::new(unit).resolve(f));
                }
            }
            if die.decl_line.is_none() {
                die.decl_line = origin.decl_line;
            }
        } else if die.decl_line.is_none() {
            die.decl_line = origin.decl_line;
        }
        if names.name == NameKey::None {
            names.name = name_key(unit, origin.name);
        }
        if names.linkage == NameKey::None {
            names.linkage = name_key(unit, origin.linkage_name);
        }
        next = origin.origin;
    }
    names
}

/// Hash the names of DIEs that share an address with another (or sit at 0, where
/// discarded functions pile up): only there does [`Dwarf::lookup`] compare names.
fn resolve_names(dwarf: &gimli::Dwarf<R<'_>>, entries: &mut [Entry]) {
    let hash = |k: NameKey| match k {
        NameKey::None => hash_name(&[]),
        NameKey::Hash(h) => h,
        NameKey::Strp(o) => dwarf
            .debug_str
            .get_str(gimli::DebugStrOffset(o))
            .map_or(0, |s| hash_name(s.slice())),
    };
    let mut i = 0;
    while i < entries.len() {
        let addr = entries[i].addr;
        let mut j = i + 1;
        while j < entries.len() && entries[j].addr == addr {
            j += 1;
        }
        if j - i > 1 || addr == 0 {
            for e in &mut entries[i..j] {
                e.name_hash = hash(e.name_key);
                e.short_hash = hash(e.short_key);
            }
        }
        i = j;
    }
}

/// Address and size of a function (`low_pc`/`high_pc`, or the lowest of its ranges) or of
/// a static variable (a location that is exactly `DW_OP_addr`/`DW_OP_addrx`).
fn die_address<'a>(
    unit: gimli::UnitRef<'_, R<'a>>,
    kind: EntryKind,
    die: &Die<'a>,
) -> Option<(u64, u64)> {
    match kind {
        EntryKind::Function => {
            if let Some(low) = die.low_pc {
                let size = match die.high_pc {
                    Some(AttributeValue::Udata(n)) => n,
                    Some(v) => unit
                        .attr_address(v)
                        .ok()
                        .flatten()
                        .map_or(0, |h| h.saturating_sub(low)),
                    None => 0,
                };
                return Some((low, size));
            }
            let mut it = unit.attr_ranges(die.ranges?).ok()??;
            let mut best: Option<(u64, u64)> = None;
            while let Ok(Some(r)) = it.next() {
                if r.end > r.begin && best.is_none_or(|b| r.begin < b.0) {
                    best = Some((r.begin, r.end - r.begin));
                }
            }
            best
        }
        EntryKind::Variable => {
            let AttributeValue::Exprloc(expr) = die.location? else {
                return None;
            };
            let mut bytes = expr.0;
            let op = gimli::Operation::parse(&mut bytes, unit.encoding()).ok()?;
            // Anything after the address (TLS offsets, DW_OP_plus_uconst...) makes it not a
            // plain static.
            if !bytes.is_empty() {
                return None;
            }
            let addr = match op {
                gimli::Operation::Address { address } => address,
                gimli::Operation::AddressIndex { index } => unit.address(index).ok()?,
                _ => return None,
            };
            Some((addr, 0))
        }
    }
}

/// How to step over one attribute without decoding it.
#[derive(Debug, Clone, Copy)]
enum Step {
    /// A run of fixed-size attributes, merged.
    Fixed(usize),
    Leb,
    Block1,
    Block2,
    Block4,
    BlockLeb,
    CStr,
    /// Anything else (`DW_FORM_indirect`...): gimli skips it.
    Other(gimli::AttributeSpecification),
}

/// What the walk does with the DIEs of one abbreviation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    /// Cannot carry an address (its tag, or no `low_pc`/`ranges`/`location` attribute)
    /// and opens no scope: stepped over.
    Skip,
    /// Read in full.
    Read(EntryKind),
    /// A variable whose `DW_AT_location` sits at a fixed byte offset with this form: read
    /// only when the expression starts with an address operator.
    Variable { at: usize, form: gimli::DwForm },
}

struct Plan {
    role: Role,
    children: bool,
    steps: Vec<Step>,
}

/// The walk over a unit's DIEs that yields only those that may carry an address.
///
/// Why not gimli's `EntriesRaw::skip_attributes`: it derives every attribute's size from
/// its form for every DIE; a large Rust debug build has ~2 million DIEs (types, members,
/// parameters) of which a few percent matter, so the sizes are worked out once per
/// abbreviation here ([`Plan`]) and a type DIE is stepped over in one or two moves. The
/// DIEs that matter are still decoded by gimli.
struct Walk<'u, 'a> {
    unit: &'u gimli::Unit<R<'a>>,
    input: R<'a>,
    /// Unit offset of the start of `input`'s data.
    total: usize,
    root: usize,
    depth: isize,
    plans: Vec<Option<Plan>>,
    sparse: HashMap<u64, Plan>,
}

impl<'u, 'a> Walk<'u, 'a> {
    fn new(unit: &'u gimli::Unit<R<'a>>) -> Result<Self, gimli::Error> {
        let root = unit.header.root_offset();
        let input = unit.header.range_from(root..)?;
        Ok(Walk {
            unit,
            total: input.len(),
            input,
            root: root.0,
            depth: 0,
            plans: Vec::new(),
            sparse: HashMap::new(),
        })
    }

    fn offset(&self) -> usize {
        self.root + self.total - self.input.len()
    }

    #[inline]
    fn plan(&mut self, code: u64) -> Result<(), gimli::Error> {
        if let Some(Some(_)) = usize::try_from(code).ok().and_then(|i| self.plans.get(i)) {
            return Ok(());
        }
        // Codes are small and dense in practice (1, 2, 3...); a sparse huge one goes to
        // the map.
        let i = usize::try_from(code).unwrap_or(usize::MAX);
        if i < 1 << 16 {
            if i >= self.plans.len() {
                self.plans.resize_with(i + 1, || None);
            }
            if self.plans[i].is_none() {
                self.plans[i] = Some(self.make_plan(code)?);
            }
            return Ok(());
        }
        if !self.sparse.contains_key(&code) {
            let p = self.make_plan(code)?;
            self.sparse.insert(code, p);
        }
        Ok(())
    }

    fn make_plan(&self, code: u64) -> Result<Plan, gimli::Error> {
        let abbrev = self
            .unit
            .abbreviations
            .get(code)
            .ok_or(gimli::Error::InvalidAbbreviationCode(code))?;
        let has = |at: gimli::DwAt| abbrev.attributes().iter().any(|s| s.name() == at);
        let mut steps: Vec<Step> = Vec::new();
        let mut fixed_prefix = Some(0usize);
        let mut loc = None;
        for spec in abbrev.attributes() {
            if spec.name() == gimli::DW_AT_location {
                loc = fixed_prefix.map(|at| (at, spec.form()));
            }
            let step = match spec.size(&self.unit.header) {
                Some(n) => Step::Fixed(n),
                None => match spec.form() {
                    gimli::DW_FORM_udata
                    | gimli::DW_FORM_sdata
                    | gimli::DW_FORM_ref_udata
                    | gimli::DW_FORM_strx
                    | gimli::DW_FORM_GNU_str_index
                    | gimli::DW_FORM_addrx
                    | gimli::DW_FORM_GNU_addr_index
                    | gimli::DW_FORM_loclistx
                    | gimli::DW_FORM_rnglistx => Step::Leb,
                    gimli::DW_FORM_block1 => Step::Block1,
                    gimli::DW_FORM_block2 => Step::Block2,
                    gimli::DW_FORM_block4 => Step::Block4,
                    gimli::DW_FORM_block | gimli::DW_FORM_exprloc => Step::BlockLeb,
                    gimli::DW_FORM_string => Step::CStr,
                    _ => Step::Other(*spec),
                },
            };
            fixed_prefix = match (fixed_prefix, step) {
                (Some(at), Step::Fixed(n)) => Some(at + n),
                _ => None,
            };
            match (steps.last_mut(), step) {
                (Some(Step::Fixed(a)), Step::Fixed(b)) => *a += b,
                _ => steps.push(step),
            }
        }
        let role = match abbrev.tag() {
            gimli::DW_TAG_subprogram
                if has(gimli::DW_AT_low_pc)
                    || has(gimli::DW_AT_ranges)
                    || abbrev.has_children() =>
            {
                Role::Read(EntryKind::Function)
            }
            gimli::DW_TAG_variable if has(gimli::DW_AT_location) => match loc {
                Some((at, form)) => Role::Variable { at, form },
                None => Role::Read(EntryKind::Variable),
            },
            _ => Role::Skip,
        };
        Ok(Plan {
            role,
            children: abbrev.has_children(),
            steps,
        })
    }

    /// The next DIE that may carry an address: its depth, kind, attributes and whether it
    /// has children.
    fn next_candidate(
        &mut self,
        uref: gimli::UnitRef<'_, R<'a>>,
    ) -> Result<Option<(isize, EntryKind, Die<'a>, bool)>, gimli::Error> {
        while !self.input.is_empty() {
            let code = self.input.read_uleb128()?;
            if code == 0 {
                self.depth -= 1;
                continue;
            }
            let depth = self.depth;
            let at = self.offset();
            self.plan(code)?;
            let plan = planned(&self.plans, &self.sparse, code);
            if plan.children {
                self.depth += 1;
            }
            let kind = match plan.role {
                Role::Skip => None,
                Role::Read(kind) => Some(kind),
                Role::Variable { at, form } => {
                    is_static_location(&self.input, at, form).then_some(EntryKind::Variable)
                }
            };
            let children = plan.children;
            let Some(kind) = kind else {
                run_steps(&mut self.input, &plan.steps, self.unit)?;
                continue;
            };
            let abbrev = self
                .unit
                .abbreviations
                .get(code)
                .ok_or(gimli::Error::InvalidAbbreviationCode(code))?;
            let mut raw = gimli::EntriesRaw::new(
                self.input,
                self.unit.encoding(),
                &self.unit.abbreviations,
                gimli::UnitOffset(at),
            );
            let mut die = Die::default();
            for spec in abbrev.attributes() {
                if WANTED.contains(&spec.name()) {
                    let attr = raw.read_attribute(*spec)?;
                    collect_attr(uref, &mut die, attr);
                } else {
                    raw.skip_attributes(std::slice::from_ref(spec))?;
                }
            }
            self.input.skip(raw.next_offset().0 - at)?;
            return Ok(Some((depth, kind, die, children)));
        }
        Ok(None)
    }
}

/// The plan of `code`, which [`Walk::plan`] has made (a free function so that the walk's
/// input can be borrowed beside it).
#[inline]
fn planned<'p>(plans: &'p [Option<Plan>], sparse: &'p HashMap<u64, Plan>, code: u64) -> &'p Plan {
    let plan = match usize::try_from(code) {
        Ok(i) if i < 1 << 16 => plans[i].as_ref(),
        _ => sparse.get(&code),
    };
    plan.expect("planned before")
}

fn run_steps<'a>(
    input: &mut R<'a>,
    steps: &[Step],
    unit: &gimli::Unit<R<'a>>,
) -> Result<(), gimli::Error> {
    for step in steps {
        match *step {
            Step::Fixed(n) => input.skip(n)?,
            Step::Leb => input.skip_leb128()?,
            Step::Block1 => {
                let n = input.read_u8()?;
                input.skip(n as usize)?
            }
            Step::Block2 => {
                let n = input.read_u16()?;
                input.skip(n as usize)?
            }
            Step::Block4 => {
                let n = input.read_u32()?;
                input.skip(n as usize)?
            }
            Step::BlockLeb => {
                let n = input.read_uleb128()?;
                input.skip(usize::try_from(n).map_err(|_| gimli::Error::UnsupportedOffset)?)?
            }
            Step::CStr => {
                input.read_null_terminated_slice()?;
            }
            Step::Other(spec) => {
                let mut raw = gimli::EntriesRaw::new(
                    *input,
                    unit.encoding(),
                    &unit.abbreviations,
                    gimli::UnitOffset(0),
                );
                raw.skip_attributes(std::slice::from_ref(&spec))?;
                input.skip(raw.next_offset().0)?;
            }
        }
    }
    Ok(())
}

/// Whether a `DW_AT_location` of `form` at byte `at` of `input` starts with an address
/// operator (the only locations [`die_address`] accepts); location lists never do.
fn is_static_location(input: &R<'_>, at: usize, form: gimli::DwForm) -> bool {
    let mut r = *input;
    if r.skip(at).is_err() {
        return false;
    }
    let len = match form {
        gimli::DW_FORM_exprloc | gimli::DW_FORM_block => r.read_uleb128().ok(),
        gimli::DW_FORM_block1 => r.read_u8().ok().map(u64::from),
        gimli::DW_FORM_block2 => r.read_u16().ok().map(u64::from),
        gimli::DW_FORM_block4 => r.read_u32().ok().map(u64::from),
        _ => return false,
    };
    len.is_some_and(|n| n > 0)
        && r.read_u8().is_ok_and(|op| {
            op == gimli::DW_OP_addr.0
                || op == gimli::DW_OP_addrx.0
                || op == gimli::DW_OP_GNU_addr_index.0
        })
}

/// rustc names a unit `ROOT_FILE/@/CRATE.HASH-cgu.N` (older: `CRATE.HASH-cgu.N` alone).
/// Incremental builds name it `ROOT_FILE/@/` and a random base-36 token instead, which
/// names no crate.
fn rust_unit_crate(name: &str) -> Option<String> {
    let cgu = name.rsplit_once("/@/").map_or(name, |(_, c)| c);
    let (krate, rest) = cgu.split_once('.')?;
    let ok = !krate.is_empty()
        && krate.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && rest.contains("-cgu.");
    ok.then(|| krate.to_string())
}

/// A unit's line-program file table, resolved to paths on demand.
struct FileTable<'u, 'a> {
    unit: gimli::UnitRef<'u, R<'a>>,
    comp_dir: Option<String>,
    /// DWARF file index -> local path index.
    cache: HashMap<u64, Option<u32>>,
    paths: Vec<String>,
}

impl<'u, 'a> FileTable<'u, 'a> {
    fn new(unit: gimli::UnitRef<'u, R<'a>>) -> Self {
        FileTable {
            unit,
            comp_dir: unit.comp_dir.map(|d| d.to_string_lossy().into_owned()),
            cache: HashMap::new(),
            paths: Vec::new(),
        }
    }

    /// A path from elsewhere (another unit's file table).
    fn intern(&mut self, path: String) -> u32 {
        self.paths.push(path);
        (self.paths.len() - 1) as u32
    }

    fn get(&mut self, index: u64) -> Option<u32> {
        if let Some(hit) = self.cache.get(&index) {
            return *hit;
        }
        let path = self.resolve(index);
        let local = path.map(|p| {
            self.paths.push(p);
            (self.paths.len() - 1) as u32
        });
        self.cache.insert(index, local);
        local
    }

    fn resolve(&self, index: u64) -> Option<String> {
        let program = self.unit.line_program.as_ref()?;
        let header = program.header();
        // DWARF 5 counts files from 0, earlier versions from 1 with 0 meaning "none".
        if header.version() < 5 && index == 0 {
            return None;
        }
        let file = header.file(index)?;
        let name = self.string(file.path_name())?;
        let dir = if header.version() < 5 && file.directory_index() == 0 {
            None
        } else {
            file.directory(header).and_then(|d| self.string(d))
        };
        Some(join_path(self.comp_dir.as_deref(), dir.as_deref(), &name))
    }

    fn string(&self, v: AttributeValue<R<'a>>) -> Option<String> {
        self.unit
            .attr_string(v)
            .ok()
            .map(|s| s.to_string_lossy().into_owned())
    }
}

/// BFD's rule (`concat_filename`): an absolute file name stands alone; otherwise it is
/// prefixed by its directory, and a relative directory (or none) by the unit's comp_dir.
fn join_path(comp_dir: Option<&str>, dir: Option<&str>, name: &str) -> String {
    if is_absolute(name) {
        return name.to_string();
    }
    let mut parts: Vec<&str> = Vec::with_capacity(3);
    match dir {
        Some(d) if is_absolute(d) => parts.push(d),
        Some(d) => {
            if let Some(c) = comp_dir {
                parts.push(c);
            }
            if !d.is_empty() {
                parts.push(d);
            }
        }
        None => {
            if let Some(c) = comp_dir {
                parts.push(c);
            }
        }
    }
    let mut out = String::new();
    for p in parts {
        out.push_str(p);
        if !out.ends_with('/') && !out.ends_with('\\') {
            out.push('/');
        }
    }
    out.push_str(name);
    out
}

fn is_absolute(p: &str) -> bool {
    p.starts_with('/')
        || p.starts_with('\\')
        || (p.len() > 2 && p.as_bytes()[1] == b':' && p.as_bytes()[0].is_ascii_alphabetic())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_join_like_bfd() {
        assert_eq!(join_path(Some("/b"), None, "a.c"), "/b/a.c");
        assert_eq!(join_path(Some("/b"), Some("inc"), "a.h"), "/b/inc/a.h");
        assert_eq!(
            join_path(Some("/b"), Some("/usr/inc"), "a.h"),
            "/usr/inc/a.h"
        );
        assert_eq!(join_path(Some("/b/"), Some("x"), "/abs/a.h"), "/abs/a.h");
        assert_eq!(join_path(None, None, "a.c"), "a.c");
        assert_eq!(join_path(None, Some("C:\\src"), "a.c"), "C:\\src/a.c");
    }

    #[test]
    fn rust_unit_names_give_the_crate() {
        assert_eq!(
            rust_unit_crate("library/core/src/lib.rs/@/core.a1b2c3-cgu.0").as_deref(),
            Some("core")
        );
        assert_eq!(
            rust_unit_crate("src/main.rs/@/blinky.9f8e7d6c5b4a3f2e-cgu.0").as_deref(),
            Some("blinky")
        );
        assert_eq!(rust_unit_crate("foo.1a2b-cgu.3").as_deref(), Some("foo"));
        assert_eq!(rust_unit_crate("src/lib.rs").as_deref(), None);
        // Incremental builds: a random token, no crate.
        assert_eq!(
            rust_unit_crate("src/main.rs/@/0mlrazvysn6xfbmmpt5el6qf4").as_deref(),
            None
        );
    }

    #[test]
    fn gcc_suffixes_are_stripped() {
        assert_eq!(strip_compiler_suffix("counter.0"), "counter");
        assert_eq!(strip_compiler_suffix("buf.lto_priv.0"), "buf");
        assert_eq!(strip_compiler_suffix("main"), "main");
    }

    #[test]
    fn no_debug_info_is_a_note_not_an_error() {
        let d = read(b"not an elf at all");
        assert!(d.entries.is_empty());
        assert!(d.note.as_deref().unwrap().starts_with("DWARF not read"));
    }
}
