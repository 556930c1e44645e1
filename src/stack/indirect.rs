//! The opt-in resolution of indirect calls (`resolve_indirect`): which functions the image
//! takes the address of, and which of them sit in which slot of a vtable.
//!
//! Address-taken: a Thumb function address (bit 0 set, pointing at a function start) stored
//! as a word in data (`.rodata`, `.data` initialisers, `.data.rel.ro`...), in a literal pool
//! of code, or built by `movw`/`movt`. A call through a pointer can only reach those (unless
//! the program computes addresses, which is why this is an assumption).
//!
//! Vtables: C++ `_ZTV*` objects (offset-to-top, typeinfo, then one word per virtual
//! function; secondary vtables of multiple inheritance repeat the two header words), and
//! Rust trait-object vtables, which have no symbol but a fixed layout (`drop_in_place`, size,
//! align, then the methods). A call that loads its target from `[rX, #off]` gets the
//! functions at offset `off` of every vtable, when there are any.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use crate::elf::{Image, SymbolKind};

use super::code::Code;
use super::roots::TABLE_SECTIONS;

/// What the heuristic knows about the image.
#[derive(Debug, Default)]
pub struct Targets {
    /// Entry addresses of address-taken functions.
    pub address_taken: BTreeSet<u64>,
    /// Functions by slot offset (from the address a vtable pointer points at).
    pub slots: BTreeMap<u32, BTreeSet<u64>>,
}

/// Scan the image. `is_function` says whether an address is a function's entry;
/// `constants` are the values code builds with `movw`/`movt`.
pub fn scan(
    image: &Image,
    code: &Code,
    is_function: &dyn Fn(u64) -> bool,
    constants: &[u32],
) -> Targets {
    let func_of = |w: u32| -> Option<u64> {
        let a = (w & !1) as u64;
        (w & 1 == 1 && is_function(a)).then_some(a)
    };
    let mut out = Targets::default();
    for c in &code.chunks {
        // The vector table's handlers are roots, not targets of calls through pointers.
        if TABLE_SECTIONS.contains(&c.name.as_str()) || c.name == ".eh_frame" {
            continue;
        }
        if c.exec && !code.has_mapping() {
            continue; // no way to tell literal pools from instructions
        }
        let mut a = (c.addr + 3) & !3;
        while a + 4 <= c.addr + c.bytes.len() as u64 {
            if !c.exec || !code.is_code(a) {
                if let Some(f) = code.data32(a).and_then(func_of) {
                    out.address_taken.insert(f);
                }
            }
            a += 4;
        }
        if !c.exec {
            rust_vtables(code, c.addr, c.bytes.len() as u64, &func_of, &mut out);
        }
    }
    out.address_taken
        .extend(constants.iter().filter_map(|&c| func_of(c)));
    cpp_vtables(image, code, &func_of, &mut out);
    out
}

/// `_ZTV*` objects: groups of offset-to-top, typeinfo, then function words; the vtable
/// pointer points after the two header words.
fn cpp_vtables(
    image: &Image,
    code: &Code,
    func_of: &dyn Fn(u32) -> Option<u64>,
    out: &mut Targets,
) {
    for s in image
        .symbols
        .iter()
        .filter(|s| s.kind != SymbolKind::Func && s.raw.starts_with("_ZTV") && s.size >= 12)
    {
        let end = s.addr + s.size;
        let mut base = s.addr + 8;
        let mut a = base;
        while a + 4 <= end {
            let Some(w) = code.data32(a) else { break };
            match func_of(w) {
                Some(f) => {
                    out.slots.entry((a - base) as u32).or_default().insert(f);
                    out.address_taken.insert(f);
                    a += 4;
                }
                None => {
                    // A secondary vtable: its own offset-to-top and typeinfo, then slots.
                    base = a + 8;
                    a = base;
                }
            }
        }
    }
}

/// Rust trait-object vtables: `drop_in_place` (a function, or 0 for types without drop
/// glue in newer compilers), size, align (a power of two), then at least one method.
fn rust_vtables(
    code: &Code,
    start: u64,
    len: u64,
    func_of: &dyn Fn(u32) -> Option<u64>,
    out: &mut Targets,
) {
    let mut seen: HashSet<u64> = HashSet::new();
    let mut a = (start + 3) & !3;
    while a + 16 <= start + len {
        let w = |i: u64| code.data32(a + 4 * i);
        let (Some(drop), Some(size), Some(align)) = (w(0), w(1), w(2)) else {
            break;
        };
        let header = (drop == 0 || func_of(drop).is_some())
            && size < 1 << 24
            && align.is_power_of_two()
            && align <= 4096
            && (size == 0 || size % align == 0);
        if !header || seen.contains(&a) {
            a += 4;
            continue;
        }
        let mut i = 3;
        while a + 4 * i + 4 <= start + len {
            let Some(f) = w(i).and_then(func_of) else {
                break;
            };
            out.slots.entry((4 * i) as u32).or_default().insert(f);
            seen.insert(a + 4 * i);
            i += 1;
        }
        if i > 3 {
            if let Some(f) = func_of(drop) {
                out.slots.entry(0).or_default().insert(f);
            }
        }
        a += 4;
    }
}
