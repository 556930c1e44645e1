//! Stack scenarios: small programs whose worst-case stack path is exactly the path that runs,
//! each measured on its own, so a static analyzer's bound can be compared with the truth.
//!
//! For every scenario `measure` (assembly, see there) repaints the free stack below its own SP,
//! records the SP at the scenario's entry, calls the entry function and scans up from
//! `_stack_end` for the first word that is no longer paint. The high-water mark is then the
//! bytes below the entry SP that the scenario (and any exception taken meanwhile) wrote.
//!
//! Rules that keep the measured path equal to the static worst path, in every build (opt-level
//! 0..3, s, z, with and without LTO):
//! - Every frame is written in full (`[x; N]` + `black_box(&mut buf)`), so painting sees it.
//! - No code that can panic (no indexing, no checked arithmetic, no iterator adapters that
//!   inherit overflow checks): a panic path would be part of the static graph but never run.
//! - Branches are chosen by run-time values (`black_box`), and the run always takes the
//!   deepest one; functions are `#[inline(never)]` and have distinct bodies (LLVM's function
//!   merging would otherwise alias them).
//! - Interrupts are pended (ICSR, NVIC) from the deepest thread frame, followed by `dsb; isb`,
//!   so the exception is taken right there; SysTick's counter is off while scenarios run.

use core::arch::asm;
use core::hint::black_box;

/// One scenario as run: entry function, argument, and the exception it provokes (if any).
struct Scenario {
    name: &'static str,
    entry_name: &'static str,
    entry: extern "C" fn(u32) -> u32,
    arg: u32,
    expected: u32,
    interrupt: Option<&'static str>,
}

/// What one scenario measured.
pub struct Measured {
    pub name: &'static str,
    /// Demangled path of the entry function (as `membudget stack` names it).
    pub entry: &'static str,
    /// Exception handler symbol taken at the deepest point, if any.
    pub interrupt: Option<&'static str>,
    /// SP at the entry of `entry` (the value after the caller's `blx`).
    pub entry_sp: u32,
    /// Bytes below `entry_sp` written while the scenario ran.
    pub high_water: u32,
    /// CONTROL.FPCA at the deepest point (true: the exception frame is the 104-byte FP one).
    pub fp_context: bool,
    pub ok: bool,
}

/// Number of scenarios (`run` returns one `Measured` each).
pub const COUNT: usize = 5;

/// How many activations of `recurse` are on the stack at the deepest point of
/// `bounded_recursion` (the recursion bound a budget annotation has to give).
pub const RECURSION_DEPTH: u32 = 12;

// ---------------------------------------------------------------------------------------------
// 1. A deep call chain with large frames, one of three chains selected at run time.

#[inline(never)]
pub extern "C" fn deep_chain(sel: u32) -> u32 {
    match black_box(sel) {
        0 => shallow_1(sel),
        1 => medium_1(sel),
        _ => deep_1(sel),
    }
}

#[inline(never)]
fn shallow_1(x: u32) -> u32 {
    let mut buf = [x ^ 0x5A5A_0001; 16];
    black_box(&mut buf);
    let r = leaf_small(x.wrapping_add(1));
    black_box(&buf);
    r.wrapping_add(1)
}

#[inline(never)]
fn leaf_small(x: u32) -> u32 {
    let mut buf = [x ^ 0x5A5A_0002; 8];
    black_box(&mut buf);
    x.wrapping_mul(3)
}

#[inline(never)]
fn medium_1(x: u32) -> u32 {
    let mut buf = [x ^ 0x5A5A_0003; 256];
    black_box(&mut buf);
    let r = leaf_small(x.wrapping_add(2));
    black_box(&buf);
    r.wrapping_add(2)
}

#[inline(never)]
fn deep_1(x: u32) -> u32 {
    let mut buf = [x ^ 0x5A5A_0004; 64];
    black_box(&mut buf);
    let r = deep_2(x.wrapping_add(3));
    black_box(&buf);
    r.wrapping_add(3)
}

#[inline(never)]
fn deep_2(x: u32) -> u32 {
    let mut buf = [x ^ 0x5A5A_0005; 128];
    black_box(&mut buf);
    let r = deep_3(x.wrapping_add(4));
    black_box(&buf);
    r.wrapping_add(4)
}

#[inline(never)]
fn deep_3(x: u32) -> u32 {
    let mut buf = [x ^ 0x5A5A_0006; 192];
    black_box(&mut buf);
    let r = deep_leaf(x.wrapping_add(5));
    black_box(&buf);
    r.wrapping_add(5)
}

#[inline(never)]
fn deep_leaf(x: u32) -> u32 {
    let mut buf = [x ^ 0x5A5A_0007; 96];
    black_box(&mut buf);
    x.wrapping_mul(5)
}

// ---------------------------------------------------------------------------------------------
// 2. Dispatch through a table of function pointers (the call site is `blx rN`).

type Op = fn(u32) -> u32;

/// The call targets of `fn_pointer_dispatch`; a budget annotation names them.
static OPS: [Op; 3] = [op_small, op_mid, op_big];

#[inline(never)]
pub extern "C" fn fn_pointer_dispatch(sel: u32) -> u32 {
    // black_box hides the table's contents, so the call stays indirect.
    let ops = black_box(&OPS);
    match ops.get(sel as usize) {
        Some(op) => op(sel).wrapping_add(7),
        None => 0,
    }
}

#[inline(never)]
fn op_small(x: u32) -> u32 {
    x.wrapping_mul(7)
}

#[inline(never)]
fn op_mid(x: u32) -> u32 {
    let mut buf = [x ^ 0x5A5A_0010; 128];
    black_box(&mut buf);
    x.wrapping_mul(11)
}

#[inline(never)]
fn op_big(x: u32) -> u32 {
    let mut buf = [x ^ 0x5A5A_0011; 320];
    black_box(&mut buf);
    x.wrapping_mul(13)
}

// ---------------------------------------------------------------------------------------------
// 3. Bounded recursion: `recurse(n)` is on the stack n times at the deepest point.

#[inline(never)]
pub extern "C" fn bounded_recursion(depth: u32) -> u32 {
    let mut buf = [depth ^ 0x5A5A_0020; 8];
    black_box(&mut buf);
    let r = recurse(depth);
    black_box(&buf);
    r
}

#[inline(never)]
fn recurse(n: u32) -> u32 {
    let mut buf = [n ^ 0x5A5A_0021; 30];
    black_box(&mut buf);
    // Not a tail call (the buffer is used after it), so every level keeps its frame.
    let r = if n <= 1 {
        n
    } else {
        recurse(n.wrapping_sub(1))
    };
    black_box(&buf);
    r.wrapping_add(1)
}

// ---------------------------------------------------------------------------------------------
// 4. An interrupt (PendSV, integer only) taken while the thread is at its deepest point.
//
// The flags below are plain `static mut`s, read and written only through the asm helpers:
// atomics and `read/write_volatile` carry panicking checks in a debug build (an ordering match,
// alignment preconditions), and a panic path in a handler's graph would be part of its static
// bound without ever running. Single core: the handler cannot run in the middle of a store.

/// 1 while a scenario's deepest frame is live; the handlers check it.
static mut AT_DEPTH: u32 = 0;
/// Handler runs that found the thread at its deepest point.
static mut PENDSV_AT_DEPTH: u32 = 0;
static mut IRQ_AT_DEPTH: u32 = 0;
/// CONTROL.FPCA seen at the deepest point of the last interrupt scenario.
static mut FP_CONTEXT: u32 = 0;

const ICSR: u32 = 0xE000_ED04;
const ICSR_PENDSVSET: u32 = 1 << 28;
const ICSR_PENDSTCLR: u32 = 1 << 25;
/// NVIC set-enable / set-pending register and bit of the scenario IRQ (32 IRQs per word).
/// Constants, so no run-time arithmetic (with a debug build's overflow checks) is left.
const IRQ_WORD: u32 = 4 * (crate::vectors::SCENARIO_IRQ / 32);
const IRQ_BIT: u32 = 1 << (crate::vectors::SCENARIO_IRQ % 32);
const NVIC_ISER: u32 = 0xE000_E100 + IRQ_WORD;
const NVIC_ISPR: u32 = 0xE000_E200 + IRQ_WORD;

/// `*addr = value`, a compiler barrier on both sides (no panicking checks in any build).
#[inline(always)]
fn store(addr: u32, value: u32) {
    // SAFETY: callers pass the address of one of the statics above or an SCB/NVIC register.
    unsafe { asm!("str {v}, [{a}]", a = in(reg) addr, v = in(reg) value, options(nostack)) };
}

/// `*addr`, a compiler barrier on both sides.
#[inline(always)]
fn load(addr: u32) -> u32 {
    let v: u32;
    // SAFETY: as for `store`.
    unsafe { asm!("ldr {v}, [{a}]", a = in(reg) addr, v = out(reg) v, options(nostack)) };
    v
}

macro_rules! addr {
    ($s:ident) => {
        core::ptr::addr_of_mut!($s) as u32
    };
}

/// Pend an exception (`reg` = ICSR or an NVIC ISPR word) and take it before the caller's
/// next instruction.
#[inline(always)]
fn pend_now(reg: u32, bit: u32) {
    store(addr!(AT_DEPTH), 1);
    store(addr!(FP_CONTEXT), fpca());
    store(reg, bit);
    // SAFETY: barriers only.
    unsafe { asm!("dsb", "isb", options(nostack, preserves_flags)) };
    store(addr!(AT_DEPTH), 0);
}

/// CONTROL.FPCA (1: the thread has live FP context, so exception entry stacks the extended
/// frame).
#[inline(always)]
fn fpca() -> u32 {
    let control: u32;
    // SAFETY: reading CONTROL has no side effects.
    unsafe { asm!("mrs {}, CONTROL", out(reg) control, options(nomem, nostack, preserves_flags)) };
    (control >> 2) & 1
}

#[inline(never)]
pub extern "C" fn irq_at_depth(x: u32) -> u32 {
    let mut buf = [x ^ 0x5A5A_0030; 128];
    black_box(&mut buf);
    let r = irq_leaf(x.wrapping_add(1));
    black_box(&buf);
    r
}

#[inline(never)]
fn irq_leaf(x: u32) -> u32 {
    let mut buf = [x ^ 0x5A5A_0031; 160];
    black_box(&mut buf);
    pend_now(ICSR, ICSR_PENDSVSET);
    black_box(&buf);
    x.wrapping_mul(17)
}

/// PendSV's work (the `PendSV` exception handler in main.rs calls it).
#[inline(never)]
pub fn on_pendsv() {
    let n = load(addr!(PENDSV_AT_DEPTH));
    store(
        addr!(PENDSV_AT_DEPTH),
        n.wrapping_add(load(addr!(AT_DEPTH))),
    );
    let mut buf = [0x5A5A_0040u32; 48];
    black_box(&mut buf);
    let r = pendsv_leaf(black_box(3));
    black_box(&buf);
    black_box(r);
}

#[inline(never)]
fn pendsv_leaf(x: u32) -> u32 {
    let mut buf = [x ^ 0x5A5A_0041; 32];
    black_box(&mut buf);
    x.wrapping_mul(19)
}

// ---------------------------------------------------------------------------------------------
// 5. FP context: the thread has live FP registers at its deepest point and pends a device IRQ
// (NVIC) whose handler uses the FPU too: the exception frame is the 104-byte extended one, and
// lazy stacking fills its FP part when the handler's first FP instruction runs.

#[inline(never)]
pub extern "C" fn irq_fp(x: u32) -> u32 {
    let mut buf = [x ^ 0x5A5A_0050; 64];
    black_box(&mut buf);
    let r = irq_fp_leaf(x.wrapping_add(1));
    black_box(&buf);
    r
}

#[inline(never)]
fn irq_fp_leaf(x: u32) -> u32 {
    let mut buf = [x ^ 0x5A5A_0051; 192];
    black_box(&mut buf);
    // FP values live across the exception: the thread's FP context is active (FPCA = 1).
    let a = black_box(x as f32);
    let b = black_box(a * 1.5 + 0.25);
    pend_now(NVIC_ISPR, IRQ_BIT);
    let c = black_box(a * b - 2.0);
    black_box(&buf);
    c as u32
}

/// The FP work of the scenario IRQ's handler (`vectors::ScenarioIrq`).
#[inline(never)]
pub fn on_irq_fp() {
    let n = load(addr!(IRQ_AT_DEPTH));
    store(addr!(IRQ_AT_DEPTH), n.wrapping_add(load(addr!(AT_DEPTH))));
    let mut buf = [0.5f32; 40];
    black_box(&mut buf);
    let a = black_box(1.25f32);
    let b = black_box(a * a + 0.75);
    black_box(b / a);
    black_box(&buf);
}

// ---------------------------------------------------------------------------------------------
// The measurement.

/// Run every scenario. Called with SysTick's counter and interrupt off, so only the scenarios'
/// own pends interrupt them.
pub fn run() -> [Measured; COUNT] {
    // A SysTick that may still be pending from the counter must not fire in a scenario.
    store(ICSR, ICSR_PENDSTCLR);
    store(NVIC_ISER, IRQ_BIT);
    let scenarios = [
        Scenario {
            name: "deep_chain",
            entry_name: core::any::type_name_of_val(&deep_chain),
            entry: deep_chain,
            arg: 2,
            expected: (2u32 + 3 + 4 + 5).wrapping_mul(5) + 5 + 4 + 3,
            interrupt: None,
        },
        Scenario {
            name: "fn_pointer_dispatch",
            entry_name: core::any::type_name_of_val(&fn_pointer_dispatch),
            entry: fn_pointer_dispatch,
            arg: 2,
            expected: 2 * 13 + 7,
            interrupt: None,
        },
        Scenario {
            name: "bounded_recursion",
            entry_name: core::any::type_name_of_val(&bounded_recursion),
            entry: bounded_recursion,
            arg: RECURSION_DEPTH,
            // recurse(1) = 1 + 1, each further level adds 1.
            expected: RECURSION_DEPTH + 1,
            interrupt: None,
        },
        Scenario {
            name: "irq_at_depth",
            entry_name: core::any::type_name_of_val(&irq_at_depth),
            entry: irq_at_depth,
            arg: 4,
            expected: 5 * 17,
            interrupt: Some("PendSV"),
        },
        Scenario {
            name: "irq_fp",
            entry_name: core::any::type_name_of_val(&irq_fp),
            entry: irq_fp,
            arg: 4,
            // a = 5.0, b = 7.75, c = 36.75
            expected: 36,
            interrupt: Some("ScenarioIrq"),
        },
    ];
    scenarios.map(|s| run_one(&s))
}

fn run_one(s: &Scenario) -> Measured {
    let (pendsv0, irq0) = (load(addr!(PENDSV_AT_DEPTH)), load(addr!(IRQ_AT_DEPTH)));
    let mut out = [0u32; 3];
    // SAFETY: `measure` only writes below its own SP (dead stack) and the three words of `out`.
    unsafe { measure(s.arg, s.entry, &mut out) };
    let [entry_sp, high_water, result] = out;
    let fired = (
        load(addr!(PENDSV_AT_DEPTH)).wrapping_sub(pendsv0),
        load(addr!(IRQ_AT_DEPTH)).wrapping_sub(irq0),
    );
    let irq_ok = match s.interrupt {
        None => fired == (0, 0),
        Some("PendSV") => fired == (1, 0),
        Some(_) => fired == (0, 1),
    };
    let size = crate::stack::top() - crate::stack::bottom();
    Measured {
        name: s.name,
        entry: s.entry_name,
        interrupt: s.interrupt,
        entry_sp,
        high_water,
        fp_context: s.interrupt.is_some() && load(addr!(FP_CONTEXT)) == 1,
        ok: result == s.expected && irq_ok && high_water > 0 && (high_water as usize) < size,
    }
}

/// Repaint the free stack, call `f(arg)`, and measure: `out = [SP at f's entry, bytes written
/// below it, f's return value]`.
///
/// Assembly, because no compiled code may run between painting and the call (its frame would
/// be below the paint line or count as the scenario's), and the scan must not disturb what it
/// scans. Painting stops at this function's own SP, so live stack is never touched.
///
/// # Safety
/// `out` must be valid for three `u32` writes; the stack must be `[_stack_end, _stack_start)`.
#[unsafe(naked)]
unsafe extern "C" fn measure(arg: u32, f: extern "C" fn(u32) -> u32, out: *mut [u32; 3]) {
    core::arch::naked_asm!(
        "push {{r4, r5, r6, lr}}",
        "mov r4, r1",
        "mov r5, r0",
        "mov r6, r2",
        // Paint [_stack_end, sp) with 0xCCCCCCCC (cortex-m-rt's paint value).
        "movw r0, #:lower16:_stack_end",
        "movt r0, #:upper16:_stack_end",
        "mov r1, sp",
        "mov.w r2, #0xCCCCCCCC",
        "2:",
        "cmp r0, r1",
        "bhs 3f",
        "str r2, [r0], #4",
        "b 2b",
        "3:",
        "mov r1, sp",
        "str r1, [r6]",
        "mov r0, r5",
        "blx r4",
        "str r0, [r6, #8]",
        // Scan up from _stack_end for the first word that is not paint.
        "movw r0, #:lower16:_stack_end",
        "movt r0, #:upper16:_stack_end",
        "mov.w r2, #0xCCCCCCCC",
        "ldr r1, [r6]",
        "4:",
        "cmp r0, r1",
        "bhs 5f",
        "ldr r3, [r0]",
        "cmp r3, r2",
        "bne 5f",
        "adds r0, #4",
        "b 4b",
        "5:",
        "subs r0, r1, r0",
        "str r0, [r6, #4]",
        "pop {{r4, r5, r6, pc}}",
    )
}
