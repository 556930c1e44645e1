//! Shared test helpers: a synthetic ELF builder on top of `object::build::elf::Builder`.
//!
//! An [`ElfSpec`] lists sections (name, PROGBITS/NOBITS, flags, run address, load
//! address, size) and symbols; [`ElfSpec::build`] lays the PROGBITS contents out in the
//! file one after the other and derives one `PT_LOAD` segment per non-empty allocated
//! section (`p_vaddr` = run address, `p_paddr` = load address), the way a linker script
//! with `AT>FLASH` does.

#![allow(dead_code)]

use object::build::elf::{Builder, SectionData};
use object::elf;
use object::Endianness;

pub const FLASH: u64 = 0x0800_0000;
pub const FLASH_LEN: u64 = 0x10000;
pub const RAM: u64 = 0x2000_0000;
pub const RAM_LEN: u64 = 0x8000;

pub const SHF_WRITE: u64 = elf::SHF_WRITE.0;
pub const SHF_ALLOC: u64 = elf::SHF_ALLOC.0;
pub const SHF_EXECINSTR: u64 = elf::SHF_EXECINSTR.0;

pub const EM_ARM: u16 = elf::EM_ARM.0;
pub const EM_RISCV: u16 = elf::EM_RISCV.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecType {
    Progbits,
    Nobits,
}

#[derive(Debug, Clone)]
pub struct Sec {
    pub name: String,
    pub ty: SecType,
    pub flags: u64,
    /// Run address (VMA).
    pub vaddr: u64,
    /// Load address (LMA).
    pub lma: u64,
    pub size: u64,
    pub align: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SymType {
    Func,
    Object,
    NoType,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bind {
    Global,
    Local,
    Weak,
}

#[derive(Debug, Clone)]
pub struct Sym {
    pub name: String,
    /// Section name; `None` for an absolute (`SHN_ABS`) symbol.
    pub section: Option<String>,
    pub value: u64,
    pub size: u64,
    pub ty: SymType,
    pub bind: Bind,
}

#[derive(Debug, Clone)]
pub struct ElfSpec {
    pub machine: u16,
    pub is_64: bool,
    pub big_endian: bool,
    pub entry: u64,
    pub sections: Vec<Sec>,
    pub symbols: Vec<Sym>,
    /// Write a `.symtab`; false gives a stripped ELF.
    pub symtab: bool,
}

impl Default for ElfSpec {
    fn default() -> Self {
        ElfSpec {
            machine: EM_ARM,
            is_64: false,
            big_endian: false,
            entry: 0,
            sections: Vec::new(),
            symbols: Vec::new(),
            symtab: true,
        }
    }
}

impl ElfSpec {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn machine(mut self, machine: u16) -> Self {
        self.machine = machine;
        self
    }

    pub fn class64(mut self) -> Self {
        self.is_64 = true;
        self
    }

    pub fn big_endian(mut self) -> Self {
        self.big_endian = true;
        self
    }

    pub fn stripped(mut self) -> Self {
        self.symtab = false;
        self
    }

    pub fn section(
        mut self,
        name: &str,
        ty: SecType,
        flags: u64,
        vaddr: u64,
        lma: u64,
        size: u64,
    ) -> Self {
        self.sections.push(Sec {
            name: name.into(),
            ty,
            flags,
            vaddr,
            lma,
            size,
            align: 4,
        });
        self
    }

    /// Executable code running where it is stored.
    pub fn text(self, name: &str, addr: u64, size: u64) -> Self {
        self.section(
            name,
            SecType::Progbits,
            SHF_ALLOC | SHF_EXECINSTR,
            addr,
            addr,
            size,
        )
    }

    /// Read-only data running where it is stored.
    pub fn rodata(self, name: &str, addr: u64, size: u64) -> Self {
        self.section(name, SecType::Progbits, SHF_ALLOC, addr, addr, size)
    }

    /// Initialised data running at `vaddr`, its image stored at `lma`.
    pub fn data(self, name: &str, vaddr: u64, lma: u64, size: u64) -> Self {
        self.section(
            name,
            SecType::Progbits,
            SHF_ALLOC | SHF_WRITE,
            vaddr,
            lma,
            size,
        )
    }

    /// Writable NOBITS.
    pub fn nobits(self, name: &str, addr: u64, size: u64) -> Self {
        self.section(
            name,
            SecType::Nobits,
            SHF_ALLOC | SHF_WRITE,
            addr,
            addr,
            size,
        )
    }

    /// A non-allocated PROGBITS section (`.comment`, debug info).
    pub fn non_alloc(self, name: &str, size: u64) -> Self {
        self.section(name, SecType::Progbits, 0, 0, 0, size)
    }

    pub fn symbol(
        mut self,
        name: &str,
        section: Option<&str>,
        value: u64,
        size: u64,
        ty: SymType,
        bind: Bind,
    ) -> Self {
        self.symbols.push(Sym {
            name: name.into(),
            section: section.map(Into::into),
            value,
            size,
            ty,
            bind,
        });
        self
    }

    pub fn func(self, name: &str, section: &str, value: u64, size: u64) -> Self {
        self.symbol(
            name,
            Some(section),
            value,
            size,
            SymType::Func,
            Bind::Global,
        )
    }

    pub fn object(self, name: &str, section: &str, value: u64, size: u64) -> Self {
        self.symbol(
            name,
            Some(section),
            value,
            size,
            SymType::Object,
            Bind::Global,
        )
    }

    /// A linker-script symbol (`SHN_ABS`, no type, size 0).
    pub fn abs(self, name: &str, value: u64) -> Self {
        self.symbol(name, None, value, 0, SymType::NoType, Bind::Global)
    }

    /// Serialise the spec into ELF bytes.
    pub fn build(&self) -> Vec<u8> {
        let endian = if self.big_endian {
            Endianness::Big
        } else {
            Endianness::Little
        };
        let mut b = Builder::new(endian, self.is_64);
        b.header.e_type = elf::ET_EXEC;
        b.header.e_machine = elf::Machine(self.machine);
        b.header.e_entry = self.entry;
        if self.machine == EM_ARM {
            // EABI version 5, as arm-none-eabi-ld writes it.
            b.header.e_flags = elf::FileFlags(0x0500_0000);
        }

        let (ehdr_size, phdr_size) = if self.is_64 {
            (64u64, 56u64)
        } else {
            (52u64, 32u64)
        };
        let load_sections: Vec<&Sec> = self
            .sections
            .iter()
            .filter(|s| s.flags & SHF_ALLOC != 0 && s.size > 0)
            .collect();
        if !load_sections.is_empty() {
            b.header.e_phoff = ehdr_size;
        }
        let mut offset = ehdr_size + phdr_size * load_sections.len() as u64;

        let mut ids = Vec::new();
        let mut offsets = Vec::new();
        for s in &self.sections {
            let sec = b.sections.add();
            sec.name = s.name.as_bytes().to_vec().into();
            sec.sh_flags = elf::SectionFlags(s.flags);
            sec.sh_addr = s.vaddr;
            sec.sh_addralign = s.align;
            let align = s.align.max(1);
            offset = offset.div_ceil(align) * align;
            sec.sh_offset = offset;
            match s.ty {
                SecType::Progbits => {
                    sec.sh_type = elf::SHT_PROGBITS;
                    // Recognisable, non-zero filler.
                    let bytes: Vec<u8> = (0..s.size).map(|i| (i as u8) ^ 0xa5).collect();
                    sec.data = SectionData::Data(bytes.into());
                    if s.flags & SHF_ALLOC != 0 {
                        offset += s.size;
                    }
                }
                SecType::Nobits => {
                    sec.sh_type = elf::SHT_NOBITS;
                    sec.data = SectionData::UninitializedData(s.size);
                }
            }
            sec.sh_size = s.size;
            ids.push(sec.id());
            offsets.push(sec.sh_offset);
        }

        for (i, s) in self.sections.iter().enumerate() {
            if s.flags & SHF_ALLOC == 0 || s.size == 0 {
                continue;
            }
            let mut flags = elf::PF_R.0;
            if s.flags & SHF_WRITE != 0 {
                flags |= elf::PF_W.0;
            }
            if s.flags & SHF_EXECINSTR != 0 {
                flags |= elf::PF_X.0;
            }
            let seg = b.segments.add();
            seg.p_type = elf::PT_LOAD;
            seg.p_flags = elf::ProgramFlags(flags);
            seg.p_offset = offsets[i];
            seg.p_vaddr = s.vaddr;
            seg.p_paddr = s.lma;
            seg.p_filesz = if s.ty == SecType::Progbits { s.size } else { 0 };
            seg.p_memsz = s.size;
            seg.p_align = s.align.max(1);
            seg.sections.push(ids[i]);
        }

        if self.symtab {
            let symtab = b.sections.add();
            symtab.name = b".symtab".as_slice().into();
            symtab.sh_type = elf::SHT_SYMTAB;
            symtab.sh_addralign = if self.is_64 { 8 } else { 4 };
            symtab.data = SectionData::Symbol;
            let strtab = b.sections.add();
            strtab.name = b".strtab".as_slice().into();
            strtab.sh_type = elf::SHT_STRTAB;
            strtab.sh_addralign = 1;
            strtab.data = SectionData::String;
        }
        let shstrtab = b.sections.add();
        shstrtab.name = b".shstrtab".as_slice().into();
        shstrtab.sh_type = elf::SHT_STRTAB;
        shstrtab.sh_addralign = 1;
        shstrtab.data = SectionData::SectionString;

        if self.symtab {
            for sym in &self.symbols {
                let section = sym.section.as_ref().map(|name| {
                    let i = self
                        .sections
                        .iter()
                        .position(|s| &s.name == name)
                        .unwrap_or_else(|| {
                            panic!("symbol {} names unknown section {name}", sym.name)
                        });
                    ids[i]
                });
                let st = b.symbols.add();
                st.name = sym.name.as_bytes().to_vec().into();
                st.section = section;
                if section.is_none() {
                    st.st_shndx = elf::SHN_ABS;
                }
                let ty = match sym.ty {
                    SymType::Func => elf::STT_FUNC,
                    SymType::Object => elf::STT_OBJECT,
                    SymType::NoType => elf::STT_NOTYPE,
                };
                let bind = match sym.bind {
                    Bind::Global => elf::STB_GLOBAL,
                    Bind::Local => elf::STB_LOCAL,
                    Bind::Weak => elf::STB_WEAK,
                };
                st.set_st_info(bind, ty);
                st.st_value = sym.value;
                st.st_size = sym.size;
            }
        }

        let mut out = Vec::new();
        b.write(&mut out).expect("synthetic ELF must serialise");
        out
    }
}

/// A small Cortex-M-like image: vector table, code, constants, `.data` running in RAM
/// with its image in FLASH, `.bss`, `.uninit`, Rust- and C-named symbols.
///
/// Layout (sizes in bytes):
/// * FLASH: `.vector_table` 0x100 @ 0x0800_0000, `.text` 0x400 @ 0x0800_0100,
///   `.rodata` 0x100 @ 0x0800_0500, `.data` image 0x40 @ 0x0800_0600
/// * RAM: `.data` 0x40 @ 0x2000_0000, `.bss` 0x200 @ 0x2000_0040,
///   `.uninit` 0x100 @ 0x2000_0240
pub fn firmware() -> ElfSpec {
    ElfSpec::new()
        .rodata(".vector_table", FLASH, 0x100)
        .text(".text", FLASH + 0x100, 0x400)
        .rodata(".rodata", FLASH + 0x500, 0x100)
        .data(".data", RAM, FLASH + 0x600, 0x40)
        .nobits(".bss", RAM + 0x40, 0x200)
        .nobits(".uninit", RAM + 0x240, 0x100)
        .non_alloc(".comment", 0x20)
        .object("__RESET_VECTOR", ".vector_table", FLASH + 4, 4)
        .func("Reset", ".text", FLASH + 0x101, 0x80)
        .func(
            "_ZN7my_firm4main17h0123456789abcdefE",
            ".text",
            FLASH + 0x181,
            0x200,
        )
        .func(
            "_ZN4core3fmt5write17hfedcba9876543210E",
            ".text",
            FLASH + 0x381,
            0x100,
        )
        .func("memcpy", ".text", FLASH + 0x481, 0x40)
        .object(
            "_ZN7my_firm6TABLES17h00112233445566aaE",
            ".rodata",
            FLASH + 0x500,
            0x80,
        )
        .object("COUNTER", ".data", RAM, 0x10)
        .object(
            "_ZN7my_firm5STATE17h1122334455667788E",
            ".bss",
            RAM + 0x40,
            0x180,
        )
        .object("BUFFER", ".uninit", RAM + 0x240, 0x100)
        .abs("_stack_start", RAM + RAM_LEN)
}

/// `.rodata` with a global symbol and its weak alias (same address and size).
pub fn aliases() -> ElfSpec {
    ElfSpec::new()
        .rodata(".rodata", FLASH, 0x100)
        .object("a", ".rodata", FLASH, 0x20)
        .symbol(
            "b",
            Some(".rodata"),
            FLASH,
            0x20,
            SymType::Object,
            Bind::Weak,
        )
}

/// The last page of the 64-bit address space.
pub const TOP_PAGE: u64 = 0xFFFF_FFFF_FFFF_F000;

/// A 64-bit RISC-V image whose `.heap` is the last page of the address space (ends at 2^64).
pub fn top_of_address_space() -> ElfSpec {
    ElfSpec::new()
        .machine(EM_RISCV)
        .class64()
        .text(".text", TOP_PAGE - 0x1000, 0x1000)
        .nobits(".heap", TOP_PAGE, 0x1000)
}

/// Regions matching [`firmware`]: FLASH 64 KiB, RAM 32 KiB.
pub fn regions() -> Vec<membudget::memory::Region> {
    vec![
        membudget::memory::Region::new("FLASH", FLASH, FLASH_LEN),
        membudget::memory::Region::new("RAM", RAM, RAM_LEN),
    ]
}

pub fn options() -> membudget::analyze::Options {
    membudget::analyze::Options {
        regions: regions(),
        ..Default::default()
    }
}

/// Load bytes and analyse them against [`regions`].
pub fn analyze(bytes: &[u8]) -> membudget::report::Report {
    let image = membudget::elf::load_bytes(bytes, "test.elf").expect("synthetic ELF must load");
    membudget::analyze::analyze(&image, &options()).expect("analysis must succeed")
}

/// A GNU ld `MEMORY` linker script for [`regions`].
pub const MEMORY_X: &str = "MEMORY\n{\n  FLASH : ORIGIN = 0x08000000, LENGTH = 64K\n  RAM : ORIGIN = 0x20000000, LENGTH = 32K\n}\n";
