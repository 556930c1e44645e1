//! The bytes of an image as the stack analysis reads them: executable sections, ARM
//! mapping symbols (`$t`/`$a`/`$d`: where code and literal pools are), raw symbol values
//! (the Thumb bit) and the ARM build attributes.

use object::read::elf::{FileHeader, SectionHeader, Sym};
use object::read::StringTable;
use object::{Endian, Endianness};

use crate::error::Error;

/// One allocated section with contents (code or data), for reading literals and vectors.
#[derive(Debug, Clone)]
pub struct Chunk<'a> {
    /// Run address.
    pub addr: u64,
    /// Contents.
    pub bytes: &'a [u8],
    /// `SHF_EXECINSTR`.
    pub exec: bool,
    /// `SHF_WRITE`.
    pub writable: bool,
    /// Section name.
    pub name: String,
}

/// Raw ELF facts the [`crate::elf::Image`] does not keep.
#[derive(Debug)]
pub struct Code<'a> {
    /// Allocated sections with contents, by address.
    pub chunks: Vec<Chunk<'a>>,
    /// Mapping symbols sorted by address: `true` for code (`$t`, `$a`), `false` for data.
    mapping: Vec<(u64, bool)>,
    /// `$a` seen: the image contains A32 code.
    pub has_arm_code: bool,
    /// Data byte order.
    pub big_endian: bool,
    /// Instructions are little-endian (always, except legacy BE32 images).
    pub insn_le: bool,
    /// ELF header flags.
    pub e_flags: u32,
    /// ELF file type.
    pub e_type: u16,
    /// Entry point.
    pub entry: u64,
    /// `.ARM.attributes` contents.
    pub attributes: Option<&'a [u8]>,
    /// `.debug_frame` contents.
    pub debug_frame: Option<&'a [u8]>,
    /// `.eh_frame` address and contents.
    pub eh_frame: Option<(u64, &'a [u8])>,
    /// Raw values of function symbols (with the Thumb bit), for telling Thumb from A32.
    pub func_values: Vec<u64>,
}

impl<'a> Code<'a> {
    /// Read the sections, mapping symbols and attributes of a 32-bit ELF (`label` names
    /// it in errors).
    pub fn parse(data: &'a [u8], label: &str) -> Result<Code<'a>, Error> {
        let bad = |msg: String| Error::BadElf {
            path: label.to_string(),
            msg,
        };
        if data.len() < 16 || &data[..4] != b"\x7fELF" {
            return Err(Error::NotElf {
                path: label.to_string(),
            });
        }
        if data[4] != object::elf::ELFCLASS32.0 {
            // Only 32-bit machines are supported; the caller names the machine.
            return Ok(Code::empty());
        }
        let header = object::elf::FileHeader32::<Endianness>::parse(data)
            .map_err(|e| bad(format!("elf header: {e}")))?;
        let endian = header
            .endian()
            .map_err(|e| bad(format!("elf header: {e}")))?;
        let shdrs = header
            .section_headers(endian, data)
            .map_err(|e| bad(format!("section headers: {e}")))?;
        let strings = header
            .section_strings(endian, data, shdrs)
            .map_err(|e| bad(format!("section names: {e}")))?;
        let e_flags = header.e_flags(endian).0;
        let big_endian = !endian.is_little_endian();
        let mut code = Code::empty();
        code.big_endian = big_endian;
        code.insn_le = !big_endian || e_flags & object::elf::EF_ARM_BE8.0 != 0;
        code.e_flags = e_flags;
        code.e_type = header.e_type(endian).0;
        code.entry = header.e_entry(endian) as u64;
        for sh in shdrs.iter() {
            let name = sh
                .name(endian, strings)
                .map(|n| String::from_utf8_lossy(n).into_owned())
                .unwrap_or_default();
            let sh_type = sh.sh_type(endian);
            let flags = sh.sh_flags(endian).0;
            if sh_type == object::elf::SHT_ARM_ATTRIBUTES {
                code.attributes = sh.data(endian, data).ok();
                continue;
            }
            if name == ".debug_frame" {
                code.debug_frame = sh.data(endian, data).ok();
                continue;
            }
            if flags & object::elf::SHF_ALLOC.0 == 0 || sh_type == object::elf::SHT_NOBITS {
                continue;
            }
            let Ok(bytes) = sh.data(endian, data) else {
                continue;
            };
            let addr = sh.sh_addr(endian) as u64;
            if name == ".eh_frame" {
                code.eh_frame = Some((addr, bytes));
            }
            code.chunks.push(Chunk {
                addr,
                bytes,
                exec: flags & object::elf::SHF_EXECINSTR.0 != 0,
                writable: flags & object::elf::SHF_WRITE.0 != 0,
                name,
            });
        }
        code.chunks.sort_by_key(|c| c.addr);
        code.read_symbols(endian, data, shdrs);
        Ok(code)
    }

    /// Raw function symbol values and the ARM mapping symbols.
    fn read_symbols(
        &mut self,
        endian: Endianness,
        data: &'a [u8],
        shdrs: &[object::elf::SectionHeader32<Endianness>],
    ) {
        let code = self;
        let symtab = shdrs
            .iter()
            .find(|sh| sh.sh_type(endian) == object::elf::SHT_SYMTAB);
        if let Some(sh) = symtab {
            let syms: &[object::elf::Sym32<Endianness>] =
                sh.data_as_array(endian, data).unwrap_or(&[]);
            let strings = match shdrs.get(sh.sh_link(endian) as usize) {
                Some(strsh) => match strsh.file_range(endian) {
                    Some((off, len)) => StringTable::new(data, off, off.saturating_add(len)),
                    None => StringTable::default(),
                },
                None => StringTable::default(),
            };
            for sym in syms.iter().skip(1) {
                let Ok(name) = sym.name(endian, strings) else {
                    continue;
                };
                let value = sym.st_value(endian) as u64;
                if sym.st_shndx(endian) == object::elf::SHN_UNDEF {
                    continue;
                }
                if sym.st_type() == object::elf::STT_FUNC {
                    code.func_values.push(value);
                }
                if name.len() >= 2 && name[0] == b'$' && (name.len() == 2 || name[2] == b'.') {
                    match name[1] {
                        b't' => code.mapping.push((value, true)),
                        b'a' => {
                            code.has_arm_code = true;
                            code.mapping.push((value, true));
                        }
                        b'd' => code.mapping.push((value, false)),
                        _ => {}
                    }
                }
            }
        }
        code.mapping.sort();
        code.mapping.dedup_by_key(|m| m.0);
    }

    fn empty() -> Code<'a> {
        Code {
            chunks: Vec::new(),
            mapping: Vec::new(),
            has_arm_code: false,
            big_endian: false,
            insn_le: true,
            e_flags: 0,
            e_type: 0,
            entry: 0,
            attributes: None,
            debug_frame: None,
            eh_frame: None,
            func_values: Vec::new(),
        }
    }

    fn chunk(&self, addr: u64) -> Option<&Chunk<'a>> {
        let i = self.chunks.partition_point(|c| c.addr <= addr);
        let c = self.chunks.get(i.checked_sub(1)?)?;
        (addr - c.addr < c.bytes.len() as u64).then_some(c)
    }

    /// The executable section holding `addr`, as `(start, end)`.
    pub fn code_range(&self, addr: u64) -> Option<(u64, u64)> {
        self.chunk(addr)
            .filter(|c| c.exec)
            .map(|c| (c.addr, c.addr + c.bytes.len() as u64))
    }

    fn bytes_at(&self, addr: u64, n: usize) -> Option<&'a [u8]> {
        let c = self.chunk(addr)?;
        let off = (addr - c.addr) as usize;
        c.bytes.get(off..off.checked_add(n)?)
    }

    /// An instruction halfword.
    pub fn insn16(&self, addr: u64) -> Option<u16> {
        let b = self.bytes_at(addr, 2)?;
        Some(if self.insn_le {
            u16::from_le_bytes([b[0], b[1]])
        } else {
            u16::from_be_bytes([b[0], b[1]])
        })
    }

    /// A data word (literal pool, vector table) in the image's byte order.
    pub fn data32(&self, addr: u64) -> Option<u32> {
        let b: [u8; 4] = self.bytes_at(addr, 4)?.try_into().ok()?;
        Some(if self.big_endian {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        })
    }

    /// A data halfword in the image's byte order.
    pub fn data16(&self, addr: u64) -> Option<u16> {
        let b: [u8; 2] = self.bytes_at(addr, 2)?.try_into().ok()?;
        Some(if self.big_endian {
            u16::from_be_bytes(b)
        } else {
            u16::from_le_bytes(b)
        })
    }

    /// A data byte.
    pub fn data8(&self, addr: u64) -> Option<u8> {
        self.bytes_at(addr, 1).map(|b| b[0])
    }

    /// Whether `addr` lies in a section the program cannot write (code, `.rodata`): a
    /// value read there at analysis time is the value at run time.
    pub fn is_read_only(&self, addr: u64) -> bool {
        self.chunk(addr).is_some_and(|c| !c.writable)
    }

    /// Whether the image has ARM mapping symbols (`$t`/`$a`/`$d`).
    pub fn has_mapping(&self) -> bool {
        !self.mapping.is_empty()
    }

    /// Whether `addr` holds code according to the mapping symbols (true when there are
    /// none: then nothing marks literal pools).
    pub fn is_code(&self, addr: u64) -> bool {
        let i = self.mapping.partition_point(|m| m.0 <= addr);
        match i.checked_sub(1) {
            Some(j) => self.mapping[j].1,
            None => true,
        }
    }
}

/// What `.ARM.attributes` says about the target, when present.
#[derive(Debug, Default, Clone, Copy)]
pub struct ArmAttributes {
    /// Tag_CPU_arch.
    pub cpu_arch: Option<u64>,
    /// Tag_CPU_arch_profile: b'A', b'R', b'M', b'S'.
    pub profile: Option<u8>,
    /// Tag_FP_arch (non-zero: an FPU is used).
    pub fp_arch: Option<u64>,
    /// Tag_ARM_ISA_use.
    pub arm_isa: Option<u64>,
}

/// Read the `aeabi` file-scope attributes. Hand-written because neither `object` nor
/// `gimli` parses build attributes; the format is a short tag/ULEB128 list.
pub fn arm_attributes(data: &[u8], big_endian: bool) -> ArmAttributes {
    let mut out = ArmAttributes::default();
    if data.first() != Some(&b'A') {
        return out;
    }
    let u32_at = |b: &[u8], i: usize| -> Option<usize> {
        let w: [u8; 4] = b.get(i..i + 4)?.try_into().ok()?;
        Some(if big_endian {
            u32::from_be_bytes(w)
        } else {
            u32::from_le_bytes(w)
        } as usize)
    };
    let mut pos = 1;
    while let Some(len) = u32_at(data, pos) {
        let Some(sub) = data.get(pos..pos.saturating_add(len)) else {
            break;
        };
        if len < 5 {
            break;
        }
        pos += len;
        let Some(nul) = sub[4..].iter().position(|&b| b == 0) else {
            continue;
        };
        if &sub[4..4 + nul] != b"aeabi" {
            continue;
        }
        let mut p = 4 + nul + 1;
        while p + 5 <= sub.len() {
            let tag = sub[p];
            let Some(size) = u32_at(sub, p + 1) else {
                break;
            };
            let end = p.saturating_add(size).min(sub.len());
            if size < 5 {
                break;
            }
            if tag == 1 {
                read_file_attributes(&sub[p + 5..end], &mut out);
            }
            p = end;
        }
    }
    out
}

fn uleb(b: &[u8], p: &mut usize) -> Option<u64> {
    let mut v: u64 = 0;
    let mut shift = 0;
    loop {
        let byte = *b.get(*p)?;
        *p += 1;
        if shift < 64 {
            v |= ((byte & 0x7f) as u64) << shift;
        }
        shift += 7;
        if byte & 0x80 == 0 {
            return Some(v);
        }
    }
}

fn read_file_attributes(b: &[u8], out: &mut ArmAttributes) {
    let mut p = 0;
    let skip_string = |p: &mut usize| {
        while *p < b.len() && b[*p] != 0 {
            *p += 1;
        }
        *p += 1;
    };
    while p < b.len() {
        let Some(tag) = uleb(b, &mut p) else { return };
        match tag {
            4 | 5 | 67 => skip_string(&mut p),
            32 => {
                if uleb(b, &mut p).is_none() {
                    return;
                }
                skip_string(&mut p);
            }
            t if t > 32 && t % 2 == 1 => skip_string(&mut p),
            _ => {
                let Some(v) = uleb(b, &mut p) else { return };
                match tag {
                    6 => out.cpu_arch = Some(v),
                    7 => out.profile = Some(v as u8),
                    8 => out.arm_isa = Some(v),
                    10 => out.fp_arch = Some(v),
                    _ => {}
                }
            }
        }
    }
}
