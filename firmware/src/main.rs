//! membudget demo firmware: one module per allocation strategy, each with a self-check and a
//! measurement; the results are printed as ONE line
//! `MEMBUDGET_MEASURED {json}` over semihosting, then the firmware exits via semihosting
//! (success only if every self-check passed).
#![no_std]
#![no_main]

extern crate alloc;

mod bump;
mod collections;
mod heap;
mod placement;
mod pool;
mod report;
mod scenarios;
mod stack;
mod statics;
mod vectors;

use core::fmt::Write as _;
use cortex_m::peripheral::{syst::SystClkSource, Peripherals};
use cortex_m_rt::{entry, exception, ExceptionFrame};
use cortex_m_semihosting::{debug, hio};

/// Board layout this image was linked for (set by build.rs).
pub const LAYOUT: &str = env!("MEMBUDGET_LAYOUT");

/// SysTick reload: 25 MHz (QEMU mps2 sysclk) / 10_000 = 2.5 kHz.
const SYSTICK_RELOAD: u32 = 10_000 - 1;

#[entry]
fn main() -> ! {
    // Must run before anything touches the placed statics (.dtcm.data, .dma.bss, ...).
    // SAFETY: called once, first thing, nothing references those sections yet.
    unsafe { placement::init_sections() };

    let mut cp = Peripherals::take().unwrap();

    let statics_ok = statics::run();
    let placement_ok = placement::run();
    let collections_ok = collections::run_collections();
    let pool = pool::run();
    let arena = bump::run();
    let heap = heap::run();

    // SysTick feeds the spsc queue (collections) and fires on top of the stack workload (stack).
    cp.SYST.set_clock_source(SystClkSource::Core);
    cp.SYST.set_reload(SYSTICK_RELOAD);
    cp.SYST.clear_current();
    cp.SYST.enable_counter();
    cp.SYST.enable_interrupt();

    let queue = collections::run_queue();
    let mut stack = stack::run();

    cp.SYST.disable_interrupt();
    cp.SYST.disable_counter();

    // Stack scenarios, each measured on its own (they repaint the stack). The program-wide
    // high-water mark is the deepest of what `stack::run` saw and what the scenarios reached.
    let scenarios = scenarios::run();
    for s in &scenarios {
        let reached = stack.top - (s.entry_sp as usize - s.high_water as usize);
        stack.high_water = stack.high_water.max(reached);
    }
    let scenarios_ok = scenarios.iter().all(|s| s.ok);

    let checks = [
        ("statics", statics_ok),
        ("placement", placement_ok),
        ("collections", collections_ok),
        ("queue", queue.ok),
        ("pool", pool.ok),
        ("arena", arena.ok),
        ("heap", heap.ok),
        ("stack", stack.ok),
        ("stack_scenarios", scenarios_ok),
    ];
    let ok = checks.iter().all(|(_, c)| *c);
    report::emit(
        &checks, ok, &stack, &scenarios, &heap, &pool, &arena, &queue,
    );
    debug::exit(if ok {
        debug::EXIT_SUCCESS
    } else {
        debug::EXIT_FAILURE
    });
    loop {
        cortex_m::asm::wfi();
    }
}

#[exception]
fn SysTick() {
    collections::on_tick();
}

/// Only pended by the `irq_at_depth` stack scenario.
#[exception]
fn PendSV() {
    scenarios::on_pendsv();
}

#[exception]
unsafe fn HardFault(ef: &ExceptionFrame) -> ! {
    if let Ok(mut out) = hio::hstderr() {
        let _ = writeln!(
            out,
            "MEMBUDGET_HARDFAULT pc={:#010x} lr={:#010x} r0={:#010x} xpsr={:#010x}",
            ef.pc(),
            ef.lr(),
            ef.r0(),
            ef.xpsr()
        );
    }
    debug::exit(debug::EXIT_FAILURE);
    loop {
        cortex_m::asm::wfi();
    }
}

#[exception]
unsafe fn DefaultHandler(irqn: i16) {
    if let Ok(mut out) = hio::hstderr() {
        let _ = writeln!(out, "MEMBUDGET_UNEXPECTED_EXCEPTION irqn={irqn}");
    }
    debug::exit(debug::EXIT_FAILURE);
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    cortex_m::interrupt::disable();
    if let Ok(mut out) = hio::hstderr() {
        let _ = writeln!(out, "MEMBUDGET_PANIC {info}");
    }
    debug::exit(debug::EXIT_FAILURE);
    loop {
        cortex_m::asm::wfi();
    }
}
