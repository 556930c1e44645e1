//! Strategy 7: the stack, measured by painting.
//!
//! Trade-off: automatic, free and perfectly deterministic per call, but its worst case is the
//! hardest to know: it depends on the deepest call chain, large locals, calls through function
//! pointers (invisible to static call-graph analysis) and interrupts nesting on top. The QEMU
//! layouts give it a fixed size (`_stack_size` in memory.x); below `_stack_end` are the
//! statics. cortex-m-rt (`paint-stack`) fills [_stack_end, _stack_start) with 0xCCCCCCCC
//! before `main`; after a workload (with SysTick firing on top) we scan up from the bottom for
//! the first overwritten word: `_stack_start - that address` = high-water mark. The
//! `scenarios` module measures single call paths the same way, one at a time.

use core::hint::black_box;
use core::ptr::{addr_of, read_volatile};

pub const PAINT: u32 = 0xCCCC_CCCC;

extern "C" {
    static _stack_start: u32;
    static _stack_end: u32;
}

pub struct StackReport {
    pub top: usize,
    pub bottom: usize,
    pub size: usize,
    pub high_water: usize,
    pub ok: bool,
}

pub fn top() -> usize {
    addr_of!(_stack_start) as usize
}
pub fn bottom() -> usize {
    addr_of!(_stack_end) as usize
}

/// Scan up from the bottom for the first word that is no longer paint.
#[inline(never)]
pub fn high_water() -> usize {
    let (bottom, top) = (bottom(), top());
    let mut p = bottom;
    // SAFETY: [bottom, top) is the stack region, readable RAM.
    while p < top && unsafe { read_volatile(p as *const u32) } == PAINT {
        p += 4;
    }
    top - p
}

/// Deep, non-inlined recursion with a small frame buffer per level.
#[inline(never)]
fn recurse(depth: u32, acc: u32) -> u32 {
    let mut frame = [0u8; 48];
    frame[(depth as usize) % 48] = depth as u8;
    let frame = black_box(frame);
    if depth == 0 {
        acc
    } else {
        recurse(
            depth - 1,
            acc.wrapping_add(frame[(depth as usize) % 48] as u32),
        )
        .wrapping_add(1)
    }
}

/// A large local buffer.
#[inline(never)]
fn big_local(seed: u8) -> u32 {
    let mut buf = [0u8; 4096];
    for (i, b) in buf.iter_mut().enumerate() {
        *b = seed.wrapping_add(i as u8);
    }
    black_box(&mut buf);
    buf.iter().map(|&b| b as u32).sum()
}

#[inline(never)]
fn op_recurse(x: u32) -> u32 {
    recurse(24, x)
}
#[inline(never)]
fn op_big(x: u32) -> u32 {
    big_local(x as u8)
}
#[inline(never)]
fn op_small(x: u32) -> u32 {
    x.wrapping_mul(3)
}

/// Called through a function pointer: invisible to a static call graph.
static OPS: [fn(u32) -> u32; 3] = [op_small, op_recurse, op_big];

#[inline(never)]
fn chain_a(x: u32) -> u32 {
    let pad = black_box([x; 16]);
    chain_b(pad[3]) ^ pad[0]
}
#[inline(never)]
fn chain_b(x: u32) -> u32 {
    let pad = black_box([x; 16]);
    chain_c(pad[5]).wrapping_add(pad[1])
}
#[inline(never)]
fn chain_c(x: u32) -> u32 {
    let idx = black_box(2usize);
    let f = black_box(OPS[idx]);
    f(x)
}

pub fn run() -> StackReport {
    let mut ok = true;
    // Deep recursion: 24 levels of (48-byte buffer + saved registers).
    ok &= recurse(black_box(24), 0) == 24 + (1..=24u32).map(|d| d as u8 as u32).sum::<u32>();
    // Chain -> function pointer -> 4 KiB local buffer, with SysTick firing meanwhile.
    let expected: u32 = (0..4096u32).map(|i| 7u32.wrapping_add(i) & 0xFF).sum();
    for _ in 0..4 {
        let r = chain_a(black_box(7));
        ok &= (r ^ 7).wrapping_sub(7) == expected;
        cortex_m::asm::wfi(); // let SysTick run on top of this frame
    }
    ok &= black_box(OPS[1])(5) == recurse(24, 5);

    let (top, bottom) = (top(), bottom());
    let size = top - bottom;
    let high_water = high_water();
    ok &= high_water >= 4096 && high_water < size;
    StackReport {
        top,
        bottom,
        size,
        high_water,
        ok,
    }
}
