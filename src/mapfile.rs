//! GNU ld `-Map` files: the memory regions ("Memory Configuration") and, per output
//! section, every input section with the object and archive it came from, plus the fill
//! the linker inserted, so that every byte of a section can be charged to an object or
//! library (`lib_a-memcpy.o (libc_nano.a)`).
//!
//! No maintained crate parses GNU ld maps, so this is a small line-oriented reader of the
//! format `ld/ldlang.c` prints: output sections start in column 0, input sections and
//! `*fill*` in column 1 (a name too long for its column puts the numbers on the next
//! line), input-section patterns (`*(.text*)`, `KEEP (...)`) and symbol/assignment lines are
//! skipped.

use std::path::Path;

use thiserror::Error;

/// A malformed map file: `file:line: message`.
#[derive(Debug, Error)]
#[error("{path}:{line}: {msg}")]
pub struct MapError {
    /// The map file, as given.
    pub path: String,
    /// Line number (1-based; 0 when the file could not be read).
    pub line: usize,
    /// What is wrong.
    pub msg: String,
}

/// A `MEMORY` region as the map's "Memory Configuration" lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MapRegion {
    /// Region name.
    pub name: String,
    /// Start address.
    pub origin: u64,
    /// Length in bytes.
    pub length: u64,
    /// `xrw`, `rw !x`...; empty when none were given.
    pub attributes: String,
}

/// What occupies a range of an output section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    /// An input section of an object file.
    Input {
        /// Input section name (`.text.main`, `COMMON`).
        section: String,
        /// The object's file name (`main.o`, `lib_a-memcpy.o`); for linker-generated input
        /// (`linker stubs`) the text ld prints.
        object: String,
        /// The archive's file name when the object came from one (`libc_nano.a`).
        archive: Option<String>,
        /// The full path as the map gives it (`/usr/lib/.../libc_nano.a(lib_a-memcpy.o)`).
        path: String,
    },
    /// Fill or padding the linker inserted (`*fill*`).
    Fill,
}

/// One range of an output section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MapPiece {
    /// Start address.
    pub addr: u64,
    /// Length in bytes.
    pub size: u64,
    /// What occupies it.
    pub piece: Piece,
}

/// An output section and what fills it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputSection {
    /// Output section name.
    pub name: String,
    /// Run address.
    pub addr: u64,
    /// Size in bytes.
    pub size: u64,
    /// `load address 0x…` when it differs from `addr`.
    pub load_addr: Option<u64>,
    /// Input sections and fill, in address order.
    pub pieces: Vec<MapPiece>,
}

/// A parsed map file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MapFile {
    /// Regions of "Memory Configuration" (`*default*` excluded).
    pub regions: Vec<MapRegion>,
    /// Output sections in map order (`/DISCARD/` excluded).
    pub sections: Vec<OutputSection>,
}

impl MapFile {
    /// The output section of this name.
    pub fn section(&self, name: &str) -> Option<&OutputSection> {
        self.sections.iter().find(|s| s.name == name)
    }
}

/// Read and parse a map file.
pub fn load_path(path: &Path) -> Result<MapFile, MapError> {
    let label = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| MapError {
        path: label.clone(),
        line: 0,
        msg: e.to_string().to_lowercase(),
    })?;
    parse(&String::from_utf8_lossy(&bytes), &label)
}

/// Parse the text of a map file; `label` names it in errors.
pub fn parse(text: &str, label: &str) -> Result<MapFile, MapError> {
    let err = |line: usize, msg: String| MapError {
        path: label.to_string(),
        line,
        msg,
    };
    let lines: Vec<&str> = text.lines().collect();
    let mem = lines
        .iter()
        .position(|l| l.trim_end() == "Memory Configuration");
    let body = lines
        .iter()
        .position(|l| l.trim_end() == "Linker script and memory map");
    let (Some(mem), Some(body)) = (mem, body) else {
        return Err(err(
            1,
            "not a GNU ld map file (no \"Memory Configuration\" / \"Linker script and memory map\")"
                .into(),
        ));
    };
    let mut map = MapFile {
        regions: parse_regions(&lines, mem, body, &err)?,
        sections: Vec::new(),
    };
    parse_body(&lines, body + 1, &mut map, &err)?;
    Ok(map)
}

fn parse_regions(
    lines: &[&str],
    start: usize,
    end: usize,
    err: &impl Fn(usize, String) -> MapError,
) -> Result<Vec<MapRegion>, MapError> {
    let mut regions = Vec::new();
    for (i, line) in lines.iter().enumerate().take(end).skip(start + 1) {
        let mut f = line.split_whitespace();
        let Some(name) = f.next() else { continue };
        if name == "Name" || name == "*default*" {
            continue;
        }
        let (Some(o), Some(l)) = (f.next(), f.next()) else {
            return Err(err(
                i + 1,
                format!("memory region '{name}' without origin and length"),
            ));
        };
        let origin =
            hex(o).ok_or_else(|| err(i + 1, format!("bad origin '{o}' of region '{name}'")))?;
        let length =
            hex(l).ok_or_else(|| err(i + 1, format!("bad length '{l}' of region '{name}'")))?;
        in_address_space(
            i + 1,
            &format!("memory region '{name}'"),
            origin,
            length,
            err,
        )?;
        regions.push(MapRegion {
            name: name.to_string(),
            origin,
            length,
            attributes: f.collect::<Vec<_>>().join(" "),
        });
    }
    Ok(regions)
}

/// A map whose section, piece or region runs past the end of the 64-bit address space
/// was not written by ld: an error, rather than sums that overflow further on.
fn in_address_space(
    lineno: usize,
    what: &str,
    addr: u64,
    size: u64,
    err: &impl Fn(usize, String) -> MapError,
) -> Result<(), MapError> {
    match addr.checked_add(size) {
        Some(_) => Ok(()),
        None => Err(err(
            lineno,
            format!("{what} ({addr:#x} + {size:#x}) runs past the end of the address space"),
        )),
    }
}

fn hex(s: &str) -> Option<u64> {
    u64::from_str_radix(s.strip_prefix("0x")?, 16).ok()
}

/// Column-0 lines that are not output sections.
fn is_directive(line: &str) -> bool {
    const DIRECTIVES: &[&str] = &[
        "LOAD ",
        "START GROUP",
        "END GROUP",
        "OUTPUT(",
        "Address of section",
        "TARGET(",
        "INSERT ",
    ];
    DIRECTIVES.iter().any(|d| line.starts_with(d))
}

/// `addr size [rest]` from the start of `s` (after the name column).
fn numbers(s: &str) -> Option<(u64, u64, &str)> {
    let s = s.trim_start();
    let (a, rest) = s.split_once(char::is_whitespace)?;
    let rest = rest.trim_start();
    let (z, rest) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
    Some((hex(a)?, hex(z)?, rest.trim()))
}

fn parse_body(
    lines: &[&str],
    start: usize,
    map: &mut MapFile,
    err: &impl Fn(usize, String) -> MapError,
) -> Result<(), MapError> {
    let mut i = start;
    // None while inside /DISCARD/ or before the first output section.
    let mut current: Option<OutputSection> = None;
    let mut discard;
    while i < lines.len() {
        let line = lines[i].trim_end();
        let lineno = i + 1;
        i += 1;
        if line.is_empty() {
            continue;
        }
        if line.starts_with("Cross Reference Table") {
            break;
        }
        let first = line.as_bytes()[0];
        if first != b' ' {
            if is_directive(line) {
                continue;
            }
            // An output section: `NAME ADDR SIZE [load address X]`, or `NAME` alone with
            // the numbers on the next line, or `NAME` alone when empty and unallocated.
            if let Some(s) = current.take() {
                map.sections.push(s);
            }
            let (name, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
            discard = name == "/DISCARD/";
            let mut nums = numbers(rest);
            if rest.trim().is_empty() {
                if let Some(next) = lines.get(i) {
                    if next.starts_with("                ") {
                        if let Some(n) = numbers(next) {
                            if next.trim_start().starts_with("0x") && !n.2.contains('=') {
                                nums = Some(n);
                                i += 1;
                            }
                        }
                    }
                }
            } else if nums.is_none() {
                return Err(err(
                    lineno,
                    format!("output section '{name}': expected address and size"),
                ));
            }
            let Some((addr, size, tail)) = nums else {
                continue; // unallocated, no numbers: nothing to attribute
            };
            in_address_space(lineno, &format!("output section '{name}'"), addr, size, err)?;
            let load_addr = match tail.strip_prefix("load address ") {
                Some(l) => Some(hex(l.trim()).ok_or_else(|| {
                    err(
                        lineno,
                        format!("output section '{name}': bad load address '{l}'"),
                    )
                })?),
                None => None,
            };
            if !discard {
                current = Some(OutputSection {
                    name: name.to_string(),
                    addr,
                    size,
                    load_addr,
                    pieces: Vec::new(),
                });
            }
            continue;
        }
        // Column 1: an input section, `*fill*`, or a pattern; deeper: symbols, assignments.
        if line.as_bytes().get(1).is_some_and(|b| *b == b' ') {
            continue;
        }
        let body = &line[1..];
        if let Some(rest) = body.strip_prefix("*fill*") {
            let (addr, size, _) = numbers(rest)
                .ok_or_else(|| err(lineno, "*fill*: expected address and size".into()))?;
            in_address_space(lineno, "*fill*", addr, size, err)?;
            if let Some(s) = current.as_mut() {
                s.pieces.push(MapPiece {
                    addr,
                    size,
                    piece: Piece::Fill,
                });
            }
            continue;
        }
        let (name, rest) = body.split_once(char::is_whitespace).unwrap_or((body, ""));
        if !looks_like_input_section(name) {
            continue; // a pattern: `*(.text*)`, `KEEP (*(.isr_vector))`, `SORT(*)(.ctors)`
        }
        let (addr, size, object) = if rest.trim().is_empty() {
            let next = lines.get(i).copied().unwrap_or("");
            if !(next.starts_with("                ") && next.trim_start().starts_with("0x")) {
                continue; // a name alone: nothing was placed for it
            }
            i += 1;
            numbers(next).ok_or_else(|| {
                err(
                    i,
                    format!("input section '{name}': expected address and size"),
                )
            })?
        } else {
            numbers(rest).ok_or_else(|| {
                err(
                    lineno,
                    format!("input section '{name}': expected address and size"),
                )
            })?
        };
        in_address_space(lineno, &format!("input section '{name}'"), addr, size, err)?;
        if object.is_empty() {
            // `.text 0x… 0x…` without a file: ld's own statements (e.g. `. = ALIGN`
            // residue); nothing to attribute to.
            continue;
        }
        if let Some(s) = current.as_mut() {
            let (archive, obj) = split_archive(object);
            s.pieces.push(MapPiece {
                addr,
                size,
                piece: Piece::Input {
                    section: name.to_string(),
                    object: obj,
                    archive,
                    path: object.to_string(),
                },
            });
        }
    }
    if let Some(s) = current.take() {
        map.sections.push(s);
    }
    Ok(())
}

/// Input section names start with `.` or are `COMMON`-like words; patterns contain `*`,
/// `(` or are keywords such as `KEEP`, `SORT`, `FILL`.
fn looks_like_input_section(name: &str) -> bool {
    !name.is_empty()
        && !name.contains('*')
        && !name.contains('(')
        && !matches!(
            name,
            "KEEP"
                | "SORT"
                | "SORT_BY_NAME"
                | "SORT_BY_ALIGNMENT"
                | "SORT_BY_INIT_PRIORITY"
                | "FILL"
                | "EXCLUDE_FILE"
                | "INPUT_SECTION_FLAGS"
                | "CONSTRUCTORS"
        )
        && !name.starts_with('[')
}

/// `/path/libc.a(lib_a-memcpy.o)` → (`libc.a`, `lib_a-memcpy.o`); `dir/main.o` → (None,
/// `dir/main.o`).
fn split_archive(path: &str) -> (Option<String>, String) {
    if let Some(stripped) = path.strip_suffix(')') {
        if let Some((archive, member)) = stripped.split_once('(') {
            let archive_name = archive.rsplit(['/', '\\']).next().unwrap_or(archive);
            return (Some(archive_name.to_string()), member.to_string());
        }
    }
    (None, path.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: &str = "\
Memory Configuration

Name             Origin             Length             Attributes
FLASH            0x08000000         0x00080000         xr
RAM              0x20000000         0x00020000         xrw
*default*        0x00000000         0xffffffff

Linker script and memory map

LOAD main.o
.text           0x08000000       0x30
 *(.text*)
 .text.main     0x08000000       0x1c main.o
                0x08000000                main
 *fill*         0x0800001c        0x4 
 .text.a_function_with_a_long_name
                0x08000020       0x10 /lib/libc.a(lib_a-memcpy.o)
                0x08000020                memcpy

.data           0x20000000        0x4 load address 0x08000030
 .data.x        0x20000000        0x4 main.o

/DISCARD/
 *(.comment)
 .comment       0x00000000       0x10 main.o
OUTPUT(a.elf elf32-littlearm)
";

    #[test]
    fn reads_regions_sections_inputs_and_fill() {
        let m = parse(SMALL, "a.map").unwrap();
        assert_eq!(m.regions.len(), 2);
        assert_eq!(m.regions[1].name, "RAM");
        assert_eq!(m.regions[1].length, 0x20000);
        assert_eq!(m.regions[0].attributes, "xr");
        assert_eq!(m.sections.len(), 2);
        let text = &m.sections[0];
        assert_eq!((text.addr, text.size), (0x0800_0000, 0x30));
        assert_eq!(text.pieces.len(), 3);
        assert_eq!(text.pieces[1].piece, Piece::Fill);
        assert_eq!(
            text.pieces[2].piece,
            Piece::Input {
                section: ".text.a_function_with_a_long_name".into(),
                object: "lib_a-memcpy.o".into(),
                archive: Some("libc.a".into()),
                path: "/lib/libc.a(lib_a-memcpy.o)".into(),
            }
        );
        assert_eq!(text.pieces.iter().map(|p| p.size).sum::<u64>(), text.size);
        assert_eq!(m.sections[1].load_addr, Some(0x0800_0030));
    }

    #[test]
    fn malformed_maps_name_file_and_line() {
        let e = parse("hello\n", "x.map").unwrap_err();
        assert_eq!(e.line, 1);
        assert!(e.to_string().starts_with("x.map:1: not a GNU ld map file"));
        let bad = SMALL.replace(
            ".text.main     0x08000000       0x1c",
            ".text.main     0x0800zz00       0x1c",
        );
        let e = parse(&bad, "y.map").unwrap_err();
        assert_eq!(
            e.to_string(),
            "y.map:13: input section '.text.main': expected address and size"
        );
    }
}
