//! Strategy 1: plain statics.
//!
//! Trade-off: fully deterministic, sized at link time, zero run-time cost, but the RAM is
//! committed for the whole program lifetime. `.data` costs its size TWICE (RAM + its initial
//! image in flash); `.bss` costs RAM only; an immutable `static` of a `const` table lives in
//! flash (`.rodata`) and costs no RAM at all. `CRC_TABLE_RAM` is the same 4 KiB table as a
//! mutable static, so a report shows the price of writing `static mut` instead of `static`.

use core::hint::black_box;
use core::ptr::{addr_of, addr_of_mut, read_volatile};

/// Slicing-by-4 CRC-32 (IEEE, reflected) tables, computed at compile time.
pub const CRC_TABLE: [[u32; 256]; 4] = crc_tables();

/// The lookup table in flash (`.rodata`): costs flash only.
pub static CRC_TABLE_FLASH: [[u32; 256]; 4] = CRC_TABLE;

/// The same table as a mutable static: `.data`, costs 4 KiB of RAM plus 4 KiB of flash (LMA).
pub static mut CRC_TABLE_RAM: [[u32; 256]; 4] = CRC_TABLE;

/// Initialised scalar (`.data`).
pub static mut BOOT_COUNTER: u32 = 0x00C0_FFEE;

/// Zero-initialised sample buffer (`.bss`).
pub static mut SAMPLES: [u16; 512] = [0; 512];

/// A trace/log ring buffer (`.bss`). With feature `p2-overflow` it grows to 336 KiB and is
/// placed in `.bss_tail` (after `_stack_end`), running into the Device OS reservation on p2.
#[cfg(not(feature = "p2-overflow"))]
pub const LOG_BUF_SIZE: usize = 8 * 1024;
#[cfg(feature = "p2-overflow")]
pub const LOG_BUF_SIZE: usize = 336 * 1024;

#[cfg_attr(feature = "p2-overflow", link_section = ".bss_tail")]
pub static mut LOG_BUF: [u8; LOG_BUF_SIZE] = [0; LOG_BUF_SIZE];

const fn crc_tables() -> [[u32; 256]; 4] {
    let mut t = [[0u32; 256]; 4];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 {
                0xEDB8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
            k += 1;
        }
        t[0][i] = c;
        i += 1;
    }
    let mut i = 0;
    while i < 256 {
        let mut s = 1;
        while s < 4 {
            let prev = t[s - 1][i];
            t[s][i] = (prev >> 8) ^ t[0][(prev & 0xFF) as usize];
            s += 1;
        }
        i += 1;
    }
    t
}

#[inline(never)]
fn crc32_bytewise(table: &[[u32; 256]; 4], data: &[u8]) -> u32 {
    let mut c = !0u32;
    for &b in data {
        c = table[0][((c ^ b as u32) & 0xFF) as usize] ^ (c >> 8);
    }
    !c
}

#[inline(never)]
fn crc32_slice4(table: &[[u32; 256]; 4], data: &[u8]) -> u32 {
    let mut c = !0u32;
    let mut chunks = data.chunks_exact(4);
    for w in &mut chunks {
        c ^= u32::from_le_bytes([w[0], w[1], w[2], w[3]]);
        c = table[3][(c & 0xFF) as usize]
            ^ table[2][((c >> 8) & 0xFF) as usize]
            ^ table[1][((c >> 16) & 0xFF) as usize]
            ^ table[0][(c >> 24) as usize];
    }
    for &b in chunks.remainder() {
        c = table[0][((c ^ b as u32) & 0xFF) as usize] ^ (c >> 8);
    }
    !c
}

/// Self-check: `.data` was copied, `.bss` was zeroed, both tables give the reference CRC.
pub fn run() -> bool {
    let mut ok = true;
    // SAFETY: single-threaded use from main; no references escape.
    unsafe {
        ok &= read_volatile(addr_of!(BOOT_COUNTER)) == 0x00C0_FFEE;
        *addr_of_mut!(BOOT_COUNTER) += 1;
        let samples = &mut *addr_of_mut!(SAMPLES);
        ok &= black_box(&*samples).iter().all(|&s| s == 0);
        for (i, s) in samples.iter_mut().enumerate() {
            *s = (i as u16).wrapping_mul(3);
        }
        let log = &mut *addr_of_mut!(LOG_BUF);
        ok &= black_box(&*log).iter().step_by(64).all(|&b| b == 0);
        log[..12].copy_from_slice(b"boot ok\n\0\0\0\0");

        let flash: &[[u32; 256]; 4] = black_box(&CRC_TABLE_FLASH);
        let ram: &[[u32; 256]; 4] = black_box(&*addr_of!(CRC_TABLE_RAM));
        let msg = black_box(b"123456789");
        ok &= crc32_bytewise(flash, msg) == 0xCBF4_3926;
        ok &= crc32_slice4(ram, msg) == 0xCBF4_3926;
        ok &= flash == ram;
    }
    ok
}
