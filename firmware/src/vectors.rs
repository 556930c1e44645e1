//! The device-interrupt part of the vector table (`__INTERRUPTS`, cortex-m-rt's `device`
//! feature): every IRQ goes to `DefaultHandler` (which reports it and fails the run) except
//! [`SCENARIO_IRQ`], whose handler is the FP stack scenario's (`scenarios::on_irq_fp`).
//!
//! Own table instead of cortex-m-rt's all-default one: a device IRQ pended through the NVIC is
//! what a real firmware's interrupts look like, and a static stack analyzer has to find its
//! handler in `__INTERRUPTS`. No IRQ source of the QEMU boards is enabled, so only the pend in
//! `scenarios` raises it.

/// The IRQ number the FP stack scenario pends (unused by the firmware otherwise; it exists on
/// both QEMU machines).
pub const SCENARIO_IRQ: u32 = 30;

/// Entries in the table: the architecture's maximum, as cortex-m-rt's default table has.
#[cfg(armv8m_main)]
const IRQS: usize = 480;
#[cfg(not(armv8m_main))]
const IRQS: usize = 240;

extern "C" {
    fn DefaultHandler();
}

/// Device interrupt handler for IRQ [`SCENARIO_IRQ`].
#[no_mangle]
pub unsafe extern "C" fn ScenarioIrq() {
    crate::scenarios::on_irq_fp();
}

const fn table() -> [unsafe extern "C" fn(); IRQS] {
    let mut t = [DefaultHandler as unsafe extern "C" fn(); IRQS];
    t[SCENARIO_IRQ as usize] = ScenarioIrq;
    t
}

#[link_section = ".vector_table.interrupts"]
#[no_mangle]
#[used]
pub static __INTERRUPTS: [unsafe extern "C" fn(); IRQS] = table();
