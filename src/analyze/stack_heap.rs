//! Stack and heap: read from linker-defined symbols, `.stack`/`.heap` sections, or static
//! arenas handed to an allocator, by the conventions of common start-up code.

use crate::elf::{Image, Section, SymbolKind, AVR_DATA_OFFSET, EM_AVR};
use crate::memory::{Region, Reservation};
use crate::report::{HeapArena, Stack, SymbolUsage, Warning};

use super::placement::RegionLookup;

/// Linker-script conventions for the initial stack pointer, the lowest stack address and
/// the stack size, most specific first.
pub(crate) const STACK_TOP: &[&str] = &[
    "_stack_start", // cortex-m-rt
    "__StackTop",   // CMSIS / ARM GCC startup
    "_estack",      // STM32Cube
    "__stack_end__",
    "__stack_top",
    "_stack_top",
    "__stack",
    "_sp",
];
pub(crate) const STACK_BOTTOM: &[&str] = &[
    "_stack_end",
    "__StackLimit",
    "_sstack",
    "__stack_start__",
    "__stack_bottom",
    "_stack_bottom",
];
const STACK_SIZE: &[&str] = &[
    "_stack_size",
    "__stack_size",
    "__STACK_SIZE",
    "_Min_Stack_Size",
    "__stack_size__",
    "STACK_SIZE",
];
/// The end of statics; cortex-m-rt's default `_stack_end` is this, i.e. an unsized stack.
pub(crate) const END_OF_STATICS: &[&str] =
    &["__euninit", "__ebss", "_ebss", "__bss_end__", "_end", "end"];

/// The initial stack pointer as an address of the image's memory map, and the symbol
/// that gives it.
pub(crate) fn stack_top(image: &Image) -> Option<(&'static str, u64)> {
    let (name, value) = STACK_TOP
        .iter()
        .find_map(|n| image.symbol_value(n).map(|v| (*n, v)))?;
    if image.machine == EM_AVR {
        // avr-libc's `__stack` is RAMEND, a data-space address without the linker's
        // offset, and AVR's SP points at the next free byte: the stack's top is one above.
        return Some((name, data_address(image, value).saturating_add(1)));
    }
    Some((name, value))
}

/// A data-space value as the linker places it: on AVR, symbols such as `__stack` are
/// plain numbers while RAM sections carry the 0x800000 offset.
fn data_address(image: &Image, value: u64) -> u64 {
    if image.machine == EM_AVR && value < AVR_DATA_OFFSET {
        value + AVR_DATA_OFFSET
    } else {
        value
    }
}

/// The highest end (clipped at `top`) of the non-empty sections starting below `top` that
/// `keep` accepts.
fn highest_end_below(image: &Image, top: u64, keep: impl Fn(&Section) -> bool) -> Option<u64> {
    image
        .sections
        .iter()
        .filter(|s| s.kind.occupies_memory() && s.size > 0 && s.addr < top && keep(s))
        .map(|s| s.end().min(top))
        .max()
}

/// A non-empty `.stack` (or CMSIS `.stack_dummy`) section.
fn stack_section(image: &Image) -> Option<&Section> {
    image.sections.iter().find(|s| {
        s.kind.occupies_memory() && s.size > 0 && (s.name == ".stack" || s.name == ".stack_dummy")
    })
}

/// The stack: a `.stack` section, or the linker symbols of common start-up code.
pub(crate) fn find_stack(
    image: &Image,
    regions: &[Region],
    lookup: &RegionLookup,
    reservations: &[Reservation],
) -> Option<Stack> {
    let stack = declared_stack(image, regions, lookup)?;
    Some(below_reservations(stack, reservations))
}

/// The stack grows down from its top until it meets something that is not its own: a
/// reservation in its way ends its room there, and a stack whose first byte is reserved
/// has no room at all.
fn below_reservations(mut stack: Stack, reservations: &[Reservation]) -> Stack {
    let floor = reservations
        .iter()
        .filter(|r| r.length > 0 && r.origin < stack.top && r.end() > stack.bottom)
        .map(|r| r.end().min(stack.top))
        .max();
    if let Some(floor) = floor.filter(|f| *f > stack.bottom) {
        stack.bottom = floor;
        stack.size = stack.top - floor;
    }
    stack
}

/// The stack as the image declares it, before reservations.
fn declared_stack(image: &Image, regions: &[Region], lookup: &RegionLookup) -> Option<Stack> {
    let region_of = |a: u64| {
        lookup
            .find(a.saturating_sub(1), 1)
            .map(|r| regions[r].name.clone())
    };
    // A `.stack` section is the most explicit declaration.
    if let Some(s) = stack_section(image) {
        return Some(Stack {
            bottom: s.addr,
            top: s.end(),
            size: s.size,
            region: region_of(s.end()),
            sized: true,
            source: format!("section {}", s.name),
        });
    }
    let (top_name, top) = stack_top(image)?;
    let explicit_size = STACK_SIZE.iter().find_map(|n| {
        image
            .symbols
            .iter()
            .find(|s| s.raw == *n && s.absolute)
            .map(|s| (*n, s.addr))
    });
    let bottom = STACK_BOTTOM
        .iter()
        .find_map(|n| image.symbol_value(n).map(|v| (*n, data_address(image, v))));
    let end_of_statics = END_OF_STATICS.iter().find_map(|n| image.symbol_value(n));
    let (bottom, sized, source) = match (bottom, explicit_size) {
        (Some((bn, b)), _) if b <= top => {
            let sized = Some(b) != end_of_statics || explicit_size.is_some();
            (b, sized, format!("{top_name}..{bn}"))
        }
        (_, Some((sn, size))) if size <= top => (top - size, true, format!("{top_name} - {sn}")),
        _ => {
            // Nothing bounds the stack but what lies below it in the region.
            let r = lookup.find(top.saturating_sub(1), 1)?;
            match highest_end_below(image, top, |s| regions[r].contains(s.addr)) {
                Some(floor) => (floor, false, format!("{top_name} down to the statics")),
                // flip-link: the statics lie above the stack, which ends at the region's
                // origin: a stack of its own size, not free space.
                None => (
                    regions[r].origin,
                    true,
                    format!("{top_name} down to the origin of {}", regions[r].name),
                ),
            }
        }
    };
    // An unsized stack can only grow down to the first thing above it: a section placed
    // after `_stack_end` (e.g. a buffer in a section of its own) takes that room.
    let bottom = if sized {
        bottom
    } else {
        highest_end_below(image, top, |s| s.addr >= bottom).map_or(bottom, |b| b.max(bottom))
    };
    Some(Stack {
        bottom,
        top,
        size: top - bottom,
        region: region_of(top),
        sized,
        source,
    })
}

/// A stack that starts below the end of its (preset) region with nothing of the image
/// above it: the ELF was linked for a smaller memory than the preset declares, and what
/// lies above the stack is not the image's to use.
pub(crate) fn linked_for_less(
    image: &Image,
    stack: Option<&Stack>,
    regions: &[Region],
) -> Option<Warning> {
    let st = stack?;
    let reg = regions
        .iter()
        .find(|r| r.contains(st.top.saturating_sub(1)) && st.top < r.end())?;
    let above = image
        .sections
        .iter()
        .any(|s| s.kind.occupies_memory() && s.size > 0 && s.end() > st.top && s.addr < reg.end());
    (!above).then(|| Warning::StackBelowRegionEnd {
        region: reg.name.clone(),
        top: st.top,
        end: reg.end(),
    })
}

const HEAP_RANGES: &[(&str, &str)] = &[
    ("__HeapBase", "__HeapLimit"),
    ("__heap_start", "__heap_end"),
    ("_sheap", "_eheap"),
    ("__heap_start__", "__heap_end__"),
    ("_heap_start", "_heap_end"),
];

/// Heap ranges the linker symbols of common start-up code declare: source, start, end.
pub(crate) fn heap_symbol_ranges(image: &Image) -> impl Iterator<Item = (String, u64, u64)> + '_ {
    HEAP_RANGES.iter().filter_map(|(lo, hi)| {
        let (a, b) = (image.symbol_value(lo)?, image.symbol_value(hi)?);
        (b > a).then(|| (format!("{lo}..{hi}"), a, b))
    })
}

pub(crate) fn find_heap(
    image: &Image,
    symbols: &[SymbolUsage],
    regions: &[Region],
    lookup: &RegionLookup,
) -> Vec<HeapArena> {
    let region_of = |a: u64| lookup.find(a, 1).map(|r| regions[r].name.clone());
    let mut out = Vec::new();
    for s in image.sections.iter().filter(|s| {
        s.kind.occupies_memory()
            && s.size > 0
            && (s.name == ".heap" || s.name.starts_with(".heap."))
    }) {
        out.push(HeapArena {
            name: s.name.clone(),
            addr: s.addr,
            size: s.size,
            region: region_of(s.addr),
            source: format!("section {}", s.name),
        });
    }
    if out.is_empty() {
        // A heap that ends in another region than it starts is no heap: ESP-IDF's
        // `_heap_end = 0x40000000` is a placeholder (the heap is laid out at run time from
        // the chip's memory map), not the end of DRAM.
        if let Some((source, a, b)) = heap_symbol_ranges(image).find(|&(_, a, b)| {
            let start = region_of(a);
            start.is_some() && start == region_of(b - 1)
        }) {
            out.push(HeapArena {
                name: "heap".into(),
                addr: a,
                size: b - a,
                region: region_of(a),
                source,
            });
        }
    }
    // Static arenas handed to an allocator: data objects named like a heap
    // (`HEAP_MEM`, FreeRTOS `ucHeap`, `heap_area`...).
    for s in symbols {
        if s.kind != SymbolKind::Object || s.size < 64 {
            continue;
        }
        let last = s
            .name
            .rsplit("::")
            .next()
            .unwrap_or(&s.name)
            .to_ascii_lowercase();
        if !last.contains("heap") {
            continue;
        }
        if out
            .iter()
            .any(|h| s.addr >= h.addr && s.addr < h.addr.saturating_add(h.size))
        {
            continue;
        }
        out.push(HeapArena {
            name: s.name.clone(),
            addr: s.addr,
            size: s.size,
            region: s.region.clone(),
            source: format!("static {}", s.name),
        });
    }
    out.sort_by(|a, b| a.addr.cmp(&b.addr).then(a.name.cmp(&b.name)));
    out
}
