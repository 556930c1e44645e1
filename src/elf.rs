//! Loading an ELF file into the intermediate representation the analyses work on.
//!
//! Everything the later passes need is read here, once, from a memory map: section
//! headers (with load addresses worked out the way BFD does), program headers and the
//! static symbol table. Any ELF is accepted: 32/64-bit, either endianness, any machine.

use std::collections::HashMap;
use std::path::Path;

use object::elf;
use object::read::elf::{FileHeader, ProgramHeader, SectionHeader, Sym};
use object::read::{ReadRef, StringTable};
use object::Endianness;
use serde::{Deserialize, Serialize};

use crate::error::Error;

/// The raw values of the `object::elf` constants, usable in patterns.
mod c {
    use object::elf;
    pub const ELFCLASS32: u8 = elf::ELFCLASS32.0;
    pub const ELFCLASS64: u8 = elf::ELFCLASS64.0;
    pub const EM_386: u16 = elf::EM_386.0;
    pub const EM_68K: u16 = elf::EM_68K.0;
    pub const EM_AARCH64: u16 = elf::EM_AARCH64.0;
    pub const EM_ARM: u16 = elf::EM_ARM.0;
    pub const EM_AVR: u16 = elf::EM_AVR.0;
    pub const EM_BPF: u16 = elf::EM_BPF.0;
    pub const EM_LOONGARCH: u16 = elf::EM_LOONGARCH.0;
    pub const EM_MIPS: u16 = elf::EM_MIPS.0;
    pub const EM_MSP430: u16 = elf::EM_MSP430.0;
    pub const EM_PPC: u16 = elf::EM_PPC.0;
    pub const EM_PPC64: u16 = elf::EM_PPC64.0;
    pub const EM_RISCV: u16 = elf::EM_RISCV.0;
    pub const EM_SH: u16 = elf::EM_SH.0;
    pub const EM_SPARC: u16 = elf::EM_SPARC.0;
    pub const EM_X86_64: u16 = elf::EM_X86_64.0;
    pub const EM_XTENSA: u16 = elf::EM_XTENSA.0;
    pub const ET_CORE: u16 = elf::ET_CORE.0;
    pub const SHT_NOTE: u32 = elf::SHT_NOTE.0;
    pub const ET_DYN: u16 = elf::ET_DYN.0;
    pub const ET_EXEC: u16 = elf::ET_EXEC.0;
    pub const ET_REL: u16 = elf::ET_REL.0;
    pub const PT_LOAD: u32 = elf::PT_LOAD.0;
    pub const SHF_ALLOC: u64 = elf::SHF_ALLOC.0;
    pub const SHF_EXECINSTR: u64 = elf::SHF_EXECINSTR.0;
    pub const SHF_TLS: u64 = elf::SHF_TLS.0;
    pub const SHF_WRITE: u64 = elf::SHF_WRITE.0;
    pub const SHN_ABS: u16 = elf::SHN_ABS.0;
    pub const SHN_COMMON: u16 = elf::SHN_COMMON.0;
    pub const SHN_LORESERVE: u16 = elf::SHN_LORESERVE;
    pub const SHN_UNDEF: u16 = elf::SHN_UNDEF.0;
    pub const SHN_XINDEX: u16 = elf::SHN_XINDEX.0;
    pub const SHT_DYNSYM: u32 = elf::SHT_DYNSYM.0;
    pub const SHT_NOBITS: u32 = elf::SHT_NOBITS.0;
    pub const SHT_NULL: u32 = elf::SHT_NULL.0;
    pub const SHT_REL: u32 = elf::SHT_REL.0;
    pub const SHT_RELA: u32 = elf::SHT_RELA.0;
    pub const SHT_STRTAB: u32 = elf::SHT_STRTAB.0;
    pub const SHT_SYMTAB: u32 = elf::SHT_SYMTAB.0;
    pub const SHT_SYMTAB_SHNDX: u32 = elf::SHT_SYMTAB_SHNDX.0;
    pub const STB_LOCAL: u8 = elf::STB_LOCAL.0;
    pub const STB_WEAK: u8 = elf::STB_WEAK.0;
    pub const STT_COMMON: u8 = elf::STT_COMMON.0;
    pub const STT_FILE: u8 = elf::STT_FILE.0;
    pub const STT_FUNC: u8 = elf::STT_FUNC.0;
    pub const STT_GNU_IFUNC: u8 = elf::STT_GNU_IFUNC.0;
    pub const STT_OBJECT: u8 = elf::STT_OBJECT.0;
    pub const STT_SECTION: u8 = elf::STT_SECTION.0;
    pub const STT_TLS: u8 = elf::STT_TLS.0;
}

/// What a section holds, as far as memory accounting is concerned.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum SectionKind {
    /// Executable code.
    Code,
    /// Read-only data (constants, string literals, vector tables...).
    Rodata,
    /// Initialised writable data: costs its size where it runs and where its image is stored.
    Data,
    /// Zero-initialised data (`.bss`): costs run-region space only.
    Bss,
    /// NOBITS that start-up code does not zero (NOLOAD, `.uninit`, `.noinit`, stacks, heaps).
    Uninit,
    /// Thread-local NOBITS template (`.tbss`): occupies no address space of its own.
    Tls,
    /// NOBITS that reserves addresses, not memory: ESP-IDF's `*dummy` sections (the DRAM
    /// alias of code in IRAM, the flash-rodata window shared with code),
    /// `*reserved_for_iram` and `*noload` dumps. esp-idf-size leaves them out by the same
    /// names.
    Placeholder,
    /// Not allocated at run time (debug info, comments, attributes).
    Other,
}

impl SectionKind {
    /// How reports name the kind.
    pub fn label(self) -> &'static str {
        match self {
            SectionKind::Code => "code",
            SectionKind::Rodata => "read-only data",
            SectionKind::Data => "initialised data",
            SectionKind::Bss => "zeroed data",
            SectionKind::Uninit => "uninitialised",
            SectionKind::Tls => "thread-local",
            SectionKind::Placeholder => "address placeholder",
            SectionKind::Other => "not allocated",
        }
    }

    /// Whether the section occupies bytes of target memory at its run address.
    pub fn occupies_memory(self) -> bool {
        !matches!(
            self,
            SectionKind::Other | SectionKind::Tls | SectionKind::Placeholder
        )
    }
}

/// A section as GNU `size -A` lists it.
#[derive(Debug, Clone)]
pub struct Section {
    /// Index in the section header table.
    pub index: usize,
    /// Section name.
    pub name: String,
    /// `sh_type`.
    pub sh_type: u32,
    /// `sh_flags`.
    pub flags: u64,
    /// Run address (VMA).
    pub addr: u64,
    /// Load address (LMA): where the section's bytes are stored in the image. Equal to
    /// `addr` unless a load segment places it elsewhere (`.data` in flash).
    pub load_addr: u64,
    /// Size in bytes (NOBITS sections too: they occupy memory, not file space).
    pub size: u64,
    /// `sh_addralign`.
    pub align: u64,
    /// What it holds.
    pub kind: SectionKind,
}

impl Section {
    /// `SHF_ALLOC`.
    pub fn is_alloc(&self) -> bool {
        self.flags & c::SHF_ALLOC != 0
    }

    /// `SHT_NOBITS` (no bytes in the file).
    pub fn is_nobits(&self) -> bool {
        self.sh_type == c::SHT_NOBITS
    }

    /// True when the section's contents are copied from a load image elsewhere at
    /// start-up, so it costs space at `load_addr` too.
    pub fn has_load_copy(&self) -> bool {
        self.kind.occupies_memory()
            && !self.is_nobits()
            && self.size > 0
            && self.load_addr != self.addr
    }

    /// One past the last byte at the run address.
    pub fn end(&self) -> u64 {
        self.addr.saturating_add(self.size)
    }
}

/// What a symbol is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum SymbolKind {
    /// `STT_FUNC`.
    Func,
    /// `STT_OBJECT`.
    Object,
    /// `STT_TLS`.
    Tls,
    /// Anything else.
    Other,
}

/// A symbol of the static symbol table, as `nm` shows it.
#[derive(Debug, Clone)]
pub struct Symbol {
    /// The name as stored.
    pub raw: String,
    /// Address with the Thumb bit cleared on ARM code.
    pub addr: u64,
    /// `st_size`.
    pub size: u64,
    /// Its type.
    pub kind: SymbolKind,
    /// `STB_GLOBAL` (or weak).
    pub global: bool,
    /// `STB_WEAK`.
    pub weak: bool,
    /// Index of the section the symbol is defined in; `None` for absolute, common and
    /// undefined symbols.
    pub section: Option<usize>,
    /// Absolute (`SHN_ABS`): linker-defined values such as `_stack_start` or `_stack_size`.
    pub absolute: bool,
    /// Source file from the nearest preceding `STT_FILE` entry (local symbols; the ELF
    /// symbol table order gives globals none, except on ARM where a mapping symbol at the
    /// global's address gives its own).
    pub file: Option<String>,
}

/// A program header.
#[derive(Debug, Clone)]
pub struct Segment {
    /// `p_type`.
    pub p_type: u32,
    /// `p_offset`.
    pub offset: u64,
    /// `p_vaddr`.
    pub vaddr: u64,
    /// `p_paddr` (where BFD puts load images).
    pub paddr: u64,
    /// `p_filesz`.
    pub filesz: u64,
    /// `p_memsz`.
    pub memsz: u64,
    /// `p_flags`.
    pub flags: u32,
}

impl Segment {
    /// `PT_LOAD`.
    pub fn is_load(&self) -> bool {
        self.p_type == c::PT_LOAD
    }
}

/// What the ELF header and tables say about the file.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct ElfInfo {
    /// 32 or 64.
    pub class: u8,
    /// `little` or `big`.
    #[serde(deserialize_with = "known::endian")]
    pub endian: known::Name,
    /// Architecture name.
    pub machine: String,
    /// `REL`, `EXEC`, `DYN`, `CORE` or `OTHER`.
    #[serde(rename = "type")]
    #[serde(deserialize_with = "known::file_type")]
    pub file_type: known::Name,
    /// Entry point.
    pub entry: u64,
    /// Whether there is a non-empty symbol table.
    pub has_symbols: bool,
    /// Whether there are `.debug_*` sections.
    pub has_debug_info: bool,
}

/// The whole ELF, read once.
#[derive(Debug, Clone)]
pub struct Image {
    /// File name without directories, so that output does not depend on where it was run.
    pub file_name: String,
    /// Header facts.
    pub info: ElfInfo,
    /// `e_machine`.
    pub machine: u16,
    /// Sections `size -A` lists, in section header order.
    pub sections: Vec<Section>,
    /// Program headers.
    pub segments: Vec<Segment>,
    /// The `.symtab` symbols `nm` lists (no section, file or ARM mapping symbols).
    pub symbols: Vec<Symbol>,
    /// The memories of the AVR device the image was linked for (`.note.gnu.avr.deviceinfo`).
    pub avr_device: Option<AvrDevice>,
}

/// `e_machine` of AVR.
pub const EM_AVR: u16 = c::EM_AVR;
/// AVR's data space as the linker sees it: RAM addresses carry this offset.
pub const AVR_DATA_OFFSET: u64 = 0x80_0000;
/// AVR's EEPROM as the linker sees it.
pub const AVR_EEPROM_OFFSET: u64 = 0x81_0000;

/// The device note avr-gcc's linker writes: the sizes `avr-size -C` compares against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AvrDevice {
    /// Device name (`atmega328p`).
    pub name: String,
    /// Flash start and size (program space).
    pub flash: (u64, u64),
    /// SRAM start and size (data space, without the linker's offset).
    pub ram: (u64, u64),
    /// EEPROM start and size.
    pub eeprom: (u64, u64),
}

/// Parse `.note.gnu.avr.deviceinfo` (binutils `include/elf/avr.h`): six 32-bit words
/// (flash, SRAM, EEPROM start and size), the offset table's length in bytes counted
/// from itself, the offset of the device name, then the string table.
fn avr_device(desc: &[u8], big: bool) -> Option<AvrDevice> {
    let word = |i: usize| -> Option<u64> {
        let b: [u8; 4] = desc.get(i * 4..i * 4 + 4)?.try_into().ok()?;
        Some(if big {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        } as u64)
    };
    let strtab = 24 + word(6)? as usize;
    let name_at = strtab + word(7)? as usize;
    let name = desc.get(name_at..)?;
    let name = &name[..name.iter().position(|&b| b == 0).unwrap_or(name.len())];
    Some(AvrDevice {
        name: String::from_utf8_lossy(name).into_owned(),
        flash: (word(0)?, word(1)?),
        ram: (word(2)?, word(3)?),
        eeprom: (word(4)?, word(5)?),
    })
}

impl Image {
    /// The section with this header index.
    pub fn section_by_index(&self, index: usize) -> Option<&Section> {
        // Sections are kept in header order with a few hidden, so search by index.
        self.sections
            .binary_search_by_key(&index, |s| s.index)
            .ok()
            .map(|i| &self.sections[i])
    }

    /// The value of the first defined symbol with this exact name (linker-defined symbols
    /// such as `_stack_start`, `__sheap`, `__sidata`).
    pub fn symbol_value(&self, name: &str) -> Option<u64> {
        self.symbols.iter().find(|s| s.raw == name).map(|s| s.addr)
    }
}

/// Read an ELF file from disk (memory-mapped).
pub fn load_path(path: &Path) -> Result<Image, Error> {
    let wrong = |what| Error::WrongInput {
        path: path.display().to_string(),
        what,
    };
    let meta = std::fs::metadata(path).map_err(|source| Error::Io {
        path: path.display().to_string(),
        source,
    })?;
    if meta.is_dir() {
        return Err(wrong("a directory"));
    }
    if !meta.is_file() {
        return Err(wrong("not a regular file (a device or a pipe)"));
    }
    if meta.len() == 0 {
        return Err(wrong("an empty file"));
    }
    let file = std::fs::File::open(path).map_err(|source| Error::Io {
        path: path.display().to_string(),
        source,
    })?;
    // SAFETY: the map is read-only and private to this process; a file truncated under us
    // would fault, which is the accepted trade-off of every mmap-based binary tool.
    let map = unsafe { memmap2::Mmap::map(&file) }.map_err(|source| Error::Io {
        path: path.display().to_string(),
        source,
    })?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string());
    load_bytes(&map, &name).map_err(|e| e.with_path(&path.display().to_string()))
}

/// Read an ELF from bytes. `file_name` is only used as a label in the output.
pub fn load_bytes(data: &[u8], file_name: &str) -> Result<Image, Error> {
    let bad = |msg: String| Error::BadElf {
        path: file_name.to_string(),
        msg,
    };
    if data.len() < 16 || &data[..4] != b"\x7fELF" {
        // A GNU ld map file is the likeliest mix-up: say so.
        let head = &data[..data.len().min(64 * 1024)];
        let has = |needle: &[u8]| head.windows(needle.len()).any(|w| w == needle);
        if has(b"Memory Configuration") || head.starts_with(b"Archive member included") {
            return Err(Error::WrongInput {
                path: file_name.to_string(),
                what: "a GNU ld map file (give the ELF it was linked with)",
            });
        }
        return Err(Error::NotElf {
            path: file_name.to_string(),
        });
    }
    match data[4] {
        c if c == c::ELFCLASS32 => load_generic::<elf::FileHeader32<Endianness>>(data, file_name),
        c if c == c::ELFCLASS64 => load_generic::<elf::FileHeader64<Endianness>>(data, file_name),
        other => Err(bad(format!("unknown ELF class {other}"))),
    }
}

fn load_generic<H: FileHeader<Endian = Endianness>>(
    data: &[u8],
    file_name: &str,
) -> Result<Image, Error> {
    let bad = |what: &str, e: object::read::Error| Error::BadElf {
        path: file_name.to_string(),
        msg: format!("{what}: {}", e.to_string().to_lowercase()),
    };
    let header = H::parse(data).map_err(|e| bad("truncated or corrupt ELF header", e))?;
    let endian = header.endian().map_err(|e| bad("ELF header", e))?;
    let shdrs = header
        .section_headers(endian, data)
        .map_err(|e| bad("section headers", e))?;
    let shstr = header
        .section_strings(endian, data, shdrs)
        .map_err(|e| bad("section name table", e))?;
    let phdrs = header
        .program_headers(endian, data)
        .map_err(|e| bad("program headers", e))?;

    let machine = header.e_machine(endian).0;
    let e_type = header.e_type(endian).0;
    if e_type == c::ET_CORE {
        return Err(Error::WrongInput {
            path: file_name.to_string(),
            what: "a core dump (ET_CORE)",
        });
    }

    let segments: Vec<Segment> = phdrs
        .iter()
        .map(|p| Segment {
            p_type: p.p_type(endian).0,
            offset: p.p_offset(endian).into(),
            vaddr: p.p_vaddr(endian).into(),
            paddr: p.p_paddr(endian).into(),
            filesz: p.p_filesz(endian).into(),
            memsz: p.p_memsz(endian).into(),
            flags: p.p_flags(endian).0,
        })
        .collect();

    let symtab_index = shdrs
        .iter()
        .position(|s| s.sh_type(endian).0 == c::SHT_SYMTAB);
    let dynsym_index = shdrs
        .iter()
        .position(|s| s.sh_type(endian).0 == c::SHT_DYNSYM);
    let shstrndx = header.shstrndx(endian, data).unwrap_or(0) as usize;
    let tables = Tables {
        endian,
        shdrs,
        shstr,
        symtab_index,
        dynsym_index,
        shstrndx,
        exec_or_dyn: e_type == c::ET_EXEC || e_type == c::ET_DYN,
    };
    let (sections, has_debug_info) = read_sections::<H>(&tables, &segments);
    check_address_space(&sections, header.is_class_64()).map_err(|msg| Error::BadElf {
        path: file_name.to_string(),
        msg,
    })?;

    let symbols = match symtab_index {
        Some(i) => read_symtab::<H>(&shdrs[i], shdrs, data, endian, machine)
            .map_err(|e| bad("symbol table", e))?,
        None => Vec::new(),
    };

    let info = ElfInfo {
        class: if header.is_class_64() { 64 } else { 32 },
        endian: if header.is_big_endian() {
            "big"
        } else {
            "little"
        },
        machine: machine_name(machine),
        file_type: file_type_name(e_type),
        entry: header.e_entry(endian).into(),
        has_symbols: symtab_index.is_some() && !symbols.is_empty(),
        has_debug_info,
    };

    let avr_device = shdrs
        .iter()
        .find(|sh| {
            sh.sh_type(endian).0 == c::SHT_NOTE
                && sh.name(endian, shstr).ok() == Some(&b".note.gnu.avr.deviceinfo"[..])
        })
        .and_then(|sh| sh.notes(endian, data).ok().flatten())
        .and_then(|mut notes| notes.next().ok().flatten())
        .filter(|n| n.name() == b"AVR")
        .and_then(|n| avr_device(n.desc(), header.is_big_endian()));

    Ok(Image {
        file_name: file_name.to_string(),
        info,
        machine,
        sections,
        segments,
        symbols,
        avr_device,
    })
}

/// `e_type` as `readelf` abbreviates it.
fn file_type_name(e_type: u16) -> &'static str {
    match e_type {
        c::ET_REL => "REL",
        c::ET_EXEC => "EXEC",
        c::ET_DYN => "DYN",
        c::ET_CORE => "CORE",
        _ => "OTHER",
    }
}

/// The symbols of the `SHT_SYMTAB` section `sh`.
fn read_symtab<H: FileHeader<Endian = Endianness>>(
    sh: &H::SectionHeader,
    shdrs: &[H::SectionHeader],
    data: &[u8],
    endian: Endianness,
    machine: u16,
) -> Result<Vec<Symbol>, object::read::Error> {
    let syms: &[H::Sym] = sh.data_as_array(endian, data)?;
    let strings = match shdrs.get(sh.sh_link(endian) as usize) {
        Some(strsh) => match strsh.file_range(endian) {
            Some((off, len)) => StringTable::new(data, off, off.saturating_add(len)),
            None => StringTable::default(),
        },
        None => StringTable::default(),
    };
    let mut symbols = Vec::with_capacity(syms.len());
    read_symbols::<H, _>(syms, strings, endian, machine, &mut symbols);
    Ok(symbols)
}

/// What reading the section headers needs from the ELF header.
struct Tables<'data, H: FileHeader> {
    endian: Endianness,
    shdrs: &'data [H::SectionHeader],
    shstr: StringTable<'data>,
    symtab_index: Option<usize>,
    dynsym_index: Option<usize>,
    shstrndx: usize,
    exec_or_dyn: bool,
}

/// The sections BFD presents, with their load addresses; and whether there is DWARF.
fn read_sections<H: FileHeader<Endian = Endianness>>(
    t: &Tables<'_, H>,
    segments: &[Segment],
) -> (Vec<Section>, bool) {
    let (endian, shdrs, shstr) = (t.endian, t.shdrs, t.shstr);
    let (symtab_index, dynsym_index, shstrndx, exec_or_dyn) =
        (t.symtab_index, t.dynsym_index, t.shstrndx, t.exec_or_dyn);
    let mut sections = Vec::with_capacity(shdrs.len());
    let mut has_debug_info = false;
    for (index, sh) in shdrs.iter().enumerate() {
        if index == 0 {
            continue;
        }
        let sh_type = sh.sh_type(endian).0;
        let flags: u64 = sh.sh_flags(endian).0;
        let name = match sh.name(endian, shstr) {
            Ok(n) => utf8_name(n),
            Err(_) => String::new(),
        };
        if name.starts_with(".debug_info") || name.starts_with(".zdebug_info") {
            has_debug_info = true;
        }
        if bfd_hides(
            index,
            sh_type,
            flags,
            sh.sh_link(endian) as usize,
            sh.sh_info(endian) as usize,
            shdrs.len(),
            symtab_index,
            dynsym_index,
            shstrndx,
            exec_or_dyn,
            |i| {
                shdrs
                    .get(i)
                    .map(|s| (s.sh_type(endian).0, s.sh_link(endian) as usize))
            },
        ) {
            continue;
        }
        let addr: u64 = sh.sh_addr(endian).into();
        let size: u64 = sh.sh_size(endian).into();
        let offset: u64 = sh.sh_offset(endian).into();
        let load_addr = if flags & c::SHF_ALLOC != 0 {
            load_address(segments, sh_type, addr, offset, size)
        } else {
            addr
        };
        let kind = classify(sh_type, flags, &name);
        sections.push(Section {
            index,
            name,
            sh_type,
            flags,
            addr,
            load_addr,
            size,
            align: sh.sh_addralign(endian).into(),
            kind,
        });
    }
    (sections, has_debug_info)
}

/// Rejects sections that end past the top of the address space, or that together hold
/// more bytes (run ranges plus load images) than the address space has. No linker
/// produces either; accepting them would let the analysis' byte sums wrap around.
fn check_address_space(sections: &[Section], class64: bool) -> Result<(), String> {
    let bits = if class64 { 64 } else { 32 };
    let space: u128 = 1 << bits;
    let mut total: u128 = 0;
    for s in sections.iter().filter(|s| s.kind.occupies_memory()) {
        let copies: &[u64] = if s.has_load_copy() {
            &[s.addr, s.load_addr]
        } else {
            &[s.addr]
        };
        for &start in copies {
            if u128::from(start) + u128::from(s.size) > space {
                return Err(format!(
                    "section {} ({:#x} bytes at {start:#x}) runs past the end of the {bits}-bit address space",
                    s.name, s.size
                ));
            }
            total += u128::from(s.size);
        }
    }
    if total >= space {
        return Err(format!(
            "sections hold {total:#x} bytes, more than the {bits}-bit address space"
        ));
    }
    Ok(())
}

/// BFD (and so `size -A`, `objdump -h`) does not present every section header as a
/// section: the symbol table, its string table, the section name table, extended index
/// tables, inactive (`SHT_NULL`) headers and relocation sections that really relocate
/// another section are hidden. This mirrors `bfd_section_from_shdr` in binutils' elf.c.
#[allow(clippy::too_many_arguments)]
fn bfd_hides(
    index: usize,
    sh_type: u32,
    flags: u64,
    link: usize,
    info: usize,
    num_sections: usize,
    symtab: Option<usize>,
    dynsym: Option<usize>,
    shstrndx: usize,
    exec_or_dyn: bool,
    header: impl Fn(usize) -> Option<(u32, usize)>,
) -> bool {
    match sh_type {
        c::SHT_NULL | c::SHT_SYMTAB | c::SHT_SYMTAB_SHNDX => true,
        c::SHT_STRTAB => {
            if index == shstrndx {
                return true;
            }
            if let Some(st) = symtab {
                if header(st).map(|h| h.1) == Some(index) {
                    return true;
                }
            }
            // The dynamic string table stays visible, like any other string table.
            let _ = dynsym;
            false
        }
        c::SHT_REL | c::SHT_RELA => {
            let alloc = flags & c::SHF_ALLOC != 0;
            if (exec_or_dyn && alloc)
                || link == 0
                || Some(link) != symtab
                || info == 0
                || info >= num_sections
            {
                return false;
            }
            !matches!(header(info), Some((t, _)) if t == c::SHT_REL || t == c::SHT_RELA)
        }
        _ => false,
    }
}

/// The load address BFD gives a section: the physical address of the `PT_LOAD` segment
/// that holds it, offset like its virtual address.
fn load_address(segments: &[Segment], sh_type: u32, addr: u64, offset: u64, size: u64) -> u64 {
    // Some linkers leave every p_paddr zero. With more than one non-empty PT_LOAD, BFD
    // then keeps LMA = VMA rather than stack every section's load image at 0.
    if segments.iter().all(|s| s.paddr == 0)
        && segments
            .iter()
            .filter(|s| s.is_load() && s.memsz != 0)
            .count()
            > 1
    {
        return addr;
    }
    for seg in segments.iter().filter(|s| s.is_load()) {
        let in_vaddr =
            addr >= seg.vaddr && addr.saturating_add(size) <= seg.vaddr.saturating_add(seg.memsz);
        if !in_vaddr {
            continue;
        }
        let in_file = sh_type == c::SHT_NOBITS
            || (offset >= seg.offset
                && offset.saturating_add(size) <= seg.offset.saturating_add(seg.filesz));
        if in_file {
            return seg.paddr.wrapping_add(addr - seg.vaddr);
        }
    }
    addr
}

fn classify(sh_type: u32, flags: u64, name: &str) -> SectionKind {
    let has = |f: u64| flags & f != 0;
    if !has(c::SHF_ALLOC) {
        return SectionKind::Other;
    }
    if sh_type == c::SHT_NOBITS {
        if has(c::SHF_TLS) {
            return SectionKind::Tls;
        }
        if ["dummy", "reserved_for_iram", "noload"]
            .iter()
            .any(|p| name.ends_with(p))
        {
            return SectionKind::Placeholder;
        }
        // Start-up code zeroes `.bss` (cortex-m-rt __sbss..__ebss, newlib
        // __bss_start__..__bss_end__) and, by convention, other `*.bss` output sections
        // (`.dma.bss`); NOLOAD sections such as `.uninit`, `.noinit`, stacks and heaps keep
        // whatever was there. The ELF cannot say which, so this goes by name.
        let lower = name.to_ascii_lowercase();
        let zeroed = (lower.contains("bss") || lower == "common")
            && !lower.contains("noinit")
            && !lower.contains("uninit")
            && !lower.contains("no_init");
        return if zeroed {
            SectionKind::Bss
        } else {
            SectionKind::Uninit
        };
    }
    if has(c::SHF_EXECINSTR) {
        SectionKind::Code
    } else if has(c::SHF_WRITE) {
        SectionKind::Data
    } else {
        SectionKind::Rodata
    }
}

fn read_symbols<'data, H: FileHeader<Endian = Endianness>, R: ReadRef<'data>>(
    syms: &'data [H::Sym],
    strings: StringTable<'data, R>,
    endian: Endianness,
    machine: u16,
    out: &mut Vec<Symbol>,
) {
    let arm = machine == c::EM_ARM;
    let mut current_file: Option<String> = None;
    let mut mapping_files: HashMap<(u16, u64), String> = HashMap::new();
    let first = out.len();
    out.reserve(syms.len());
    for (i, sym) in syms.iter().enumerate() {
        if i == 0 {
            continue;
        }
        let st_type = sym.st_type().0;
        let name = match sym.name(endian, strings) {
            Ok(n) => utf8_name(n),
            Err(_) => continue,
        };
        if st_type == c::STT_FILE {
            current_file = if name.is_empty() { None } else { Some(name) };
            continue;
        }
        if st_type == c::STT_SECTION || name.is_empty() {
            continue;
        }
        // ARM ELF mapping symbols ($a, $t, $d, optionally with a suffix) mark code/data
        // boundaries; nm hides them and they are not objects. Being local, they carry the
        // STT_FILE of the object that emitted them, which globals lack (see below).
        if arm && is_arm_mapping_symbol(&name) {
            if let Some(f) = &current_file {
                let addr: u64 = sym.st_value(endian).into();
                mapping_files.insert((sym.st_shndx(endian).0, addr), f.clone());
            }
            continue;
        }
        let shndx = sym.st_shndx(endian).0;
        if shndx == c::SHN_UNDEF {
            continue;
        }
        let mut addr: u64 = sym.st_value(endian).into();
        if arm && st_type == c::STT_FUNC {
            addr &= !1;
        }
        let bind = sym.st_bind().0;
        let local = bind == c::STB_LOCAL;
        let (section, absolute) = if shndx == c::SHN_ABS {
            (None, true)
        } else if shndx == c::SHN_COMMON || shndx == c::SHN_XINDEX || shndx >= c::SHN_LORESERVE {
            (None, false)
        } else {
            (Some(shndx as usize), false)
        };
        out.push(Symbol {
            raw: name,
            addr,
            size: sym.st_size(endian).into(),
            kind: match st_type {
                c::STT_FUNC | c::STT_GNU_IFUNC => SymbolKind::Func,
                c::STT_OBJECT | c::STT_COMMON => SymbolKind::Object,
                c::STT_TLS => SymbolKind::Tls,
                _ => SymbolKind::Other,
            },
            global: !local,
            weak: bind == c::STB_WEAK,
            section,
            absolute,
            file: if local { current_file.clone() } else { None },
        });
    }
    // The ELF symbol table lists globals after every STT_FILE group, so they have no file;
    // on ARM the mapping symbol that opens a global's code (`$t` at `DefaultHandler`) does,
    // and rustc names it after the codegen unit (`CRATE.HASH-cgu.N`): `#[no_mangle]`
    // handlers and `compiler_builtins`' intrinsics get their crate from it.
    if !mapping_files.is_empty() {
        for s in out[first..]
            .iter_mut()
            .filter(|s| s.global && s.file.is_none())
        {
            if let Some(shndx) = s.section.and_then(|i| u16::try_from(i).ok()) {
                s.file = mapping_files.get(&(shndx, s.addr)).cloned();
            }
        }
    }
}

fn is_arm_mapping_symbol(name: &str) -> bool {
    let b = name.as_bytes();
    b.len() >= 2
        && b[0] == b'$'
        && matches!(b[1], b'a' | b't' | b'd' | b'x')
        && (b.len() == 2 || b[2] == b'.')
}

fn machine_name(machine: u16) -> String {
    let name = match machine {
        c::EM_ARM => "ARM",
        c::EM_AARCH64 => "AArch64",
        c::EM_RISCV => "RISC-V",
        c::EM_XTENSA => "Xtensa",
        c::EM_AVR => "AVR",
        c::EM_386 => "x86",
        c::EM_X86_64 => "x86-64",
        c::EM_MIPS => "MIPS",
        c::EM_PPC => "PowerPC",
        c::EM_PPC64 => "PowerPC64",
        c::EM_MSP430 => "MSP430",
        c::EM_SPARC => "SPARC",
        c::EM_SH => "SuperH",
        c::EM_68K => "m68k",
        c::EM_LOONGARCH => "LoongArch",
        c::EM_BPF => "BPF",
        _ => return format!("machine {machine}"),
    };
    name.to_string()
}

/// Names are almost always valid UTF-8: take the fast validated path and fall back to
/// lossy decoding only when needed.
fn utf8_name(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_owned(),
        Err(_) => String::from_utf8_lossy(bytes).into_owned(),
    }
}

/// `ElfInfo`'s closed sets of strings, read back from report JSON as the same `'static`
/// values the loader uses.
mod known {
    use serde::{de, Deserialize, Deserializer};

    /// An alias, because serde_derive would make a `&'static str` field borrow from the
    /// input (requiring `'de: 'static`) even with `deserialize_with`.
    pub type Name = &'static str;

    fn one_of<'de, D: Deserializer<'de>>(
        d: D,
        values: &'static [&'static str],
    ) -> Result<&'static str, D::Error> {
        let s = String::deserialize(d)?;
        values
            .iter()
            .copied()
            .find(|v| *v == s)
            .ok_or_else(|| de::Error::unknown_variant(&s, values))
    }

    pub fn endian<'de, D: Deserializer<'de>>(d: D) -> Result<&'static str, D::Error> {
        one_of(d, &["little", "big"])
    }

    pub fn file_type<'de, D: Deserializer<'de>>(d: D) -> Result<&'static str, D::Error> {
        one_of(d, &["REL", "EXEC", "DYN", "CORE", "OTHER"])
    }
}
