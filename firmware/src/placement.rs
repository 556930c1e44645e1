//! Strategy 2: `#[link_section]` placement into named memory regions beyond main RAM.
//!
//! Trade-off: deterministic (link-time) like plain statics, and lets each buffer sit in the
//! memory that suits it: hot state in 0-wait-state TCM (fast, but usually NOT reachable by
//! DMA), DMA buffers in bus-master-reachable SRAM (cache-line aligned), big buffers in slow
//! external SDRAM/PSRAM (cheap, but not available until its controller is up), and a NOLOAD
//! region that survives reset and costs no start-up time because it is never zeroed. The price:
//! per-board linker scripts, and start-up code must copy/zero these sections itself because
//! cortex-m-rt only handles `.data`/`.bss` (see `init_sections`).

use core::hint::black_box;
use core::mem::MaybeUninit;
use core::ptr::{addr_of, addr_of_mut};

/// Region names (as in this layout's memory.x), from build.rs.
pub const REGION_DTCM: &str = env!("MEMBUDGET_REGION_DTCM");
pub const REGION_DMA: &str = env!("MEMBUDGET_REGION_DMA");
pub const REGION_EXT: &str = env!("MEMBUDGET_REGION_EXT");

/// Control-loop state touched on every tick: lives in TCM, initialised from flash.
#[repr(C)]
pub struct HotState {
    pub gain_q15: [i16; 16],
    pub integrator: [i32; 16],
    pub magic: u32,
}

const HOT_INIT: HotState = HotState {
    gain_q15: [
        1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, -1000, -2000, -3000, -4000, -5000, -6000,
        -7000, -8000,
    ],
    integrator: [0x1111_1111; 16],
    magic: 0x5EED_1234,
};

#[link_section = ".dtcm.data"]
pub static mut DTCM_STATE: HotState = HOT_INIT;

/// Ping-pong DMA buffer: the DMA fills one half while the CPU processes the other.
pub const DMA_HALF_WORDS: usize = 512;
#[link_section = ".dma.bss"]
pub static mut DMA_BUF: [[u32; DMA_HALF_WORDS]; 2] = [[0; DMA_HALF_WORDS]; 2];

/// A large buffer in external RAM (zeroed at start-up). Feature `p2-moved` puts it in plain
/// `.bss` (internal SRAM) instead, same symbol.
pub const EXT_BUF_SIZE: usize = 128 * 1024;
#[cfg_attr(not(feature = "p2-moved"), link_section = ".extram.bss")]
pub static mut EXT_BUF: [u8; EXT_BUF_SIZE] = [0; EXT_BUF_SIZE];

/// External RAM that is not zeroed at start-up (`NOLOAD`, like `.psram.bss`).
pub const NOINIT_BUF_SIZE: usize = 16 * 1024;
#[link_section = ".extram.noinit"]
pub static mut NOINIT_BUF: MaybeUninit<[u8; NOINIT_BUF_SIZE]> = MaybeUninit::uninit();

extern "C" {
    static __sdtcm_data: u32;
    static __edtcm_data: u32;
    static __sidtcm_data: u32;
    static __sdma_bss: u32;
    static __edma_bss: u32;
    static __sextram_bss: u32;
    static __eextram_bss: u32;
    static __sextram_noinit: u32;
    static __eextram_noinit: u32;
    #[cfg(feature = "p2-overflow")]
    static __sbss_tail: u32;
    #[cfg(feature = "p2-overflow")]
    static __ebss_tail: u32;
}

fn bounds(s: *const u32, e: *const u32) -> (usize, usize) {
    (s as usize, e as usize)
}

/// Copy `.dtcm.data` from its load address in flash and zero `.dma.bss` / `.extram.bss`.
/// `.extram.noinit` is deliberately left alone.
///
/// # Safety
/// Call once at the very top of `main`, before any of these statics is accessed.
#[inline(never)]
pub unsafe fn init_sections() {
    let (s, e) = bounds(addr_of!(__sdtcm_data), addr_of!(__edtcm_data));
    let lma = addr_of!(__sidtcm_data) as usize;
    let mut i = 0;
    while i < e - s {
        core::ptr::write_volatile(
            (s + i) as *mut u32,
            core::ptr::read_volatile((lma + i) as *const u32),
        );
        i += 4;
    }
    zero(bounds(addr_of!(__sdma_bss), addr_of!(__edma_bss)));
    zero(bounds(addr_of!(__sextram_bss), addr_of!(__eextram_bss)));
    #[cfg(feature = "p2-overflow")]
    zero(bounds(addr_of!(__sbss_tail), addr_of!(__ebss_tail)));
}

unsafe fn zero((s, e): (usize, usize)) {
    let mut p = s;
    while p < e {
        core::ptr::write_volatile(p as *mut u32, 0);
        p += 4;
    }
}

fn within<T>(x: *const T, (s, e): (usize, usize)) -> bool {
    let a = x as usize;
    a >= s && a + core::mem::size_of::<T>() <= e
}

/// Self-check: every buffer sits in its section, initial contents are right, writes read back.
pub fn run() -> bool {
    let mut ok = true;
    // SAFETY: single-threaded use from main; DMA is simulated by the CPU.
    unsafe {
        ok &= within(
            addr_of!(DTCM_STATE),
            bounds(addr_of!(__sdtcm_data), addr_of!(__edtcm_data)),
        );
        ok &= within(
            addr_of!(DMA_BUF),
            bounds(addr_of!(__sdma_bss), addr_of!(__edma_bss)),
        );
        #[cfg(not(feature = "p2-moved"))]
        {
            ok &= within(
                addr_of!(EXT_BUF),
                bounds(addr_of!(__sextram_bss), addr_of!(__eextram_bss)),
            );
        }
        ok &= within(
            addr_of!(NOINIT_BUF),
            bounds(addr_of!(__sextram_noinit), addr_of!(__eextram_noinit)),
        );
        ok &= (addr_of!(DMA_BUF) as usize).is_multiple_of(32);

        // Hot state: initial values come from the flash image.
        let hot = &mut *addr_of_mut!(DTCM_STATE);
        ok &= black_box(hot.magic) == 0x5EED_1234;
        ok &= black_box(&hot.gain_q15)[7] == 8000 && hot.gain_q15[15] == -8000;
        ok &= hot.integrator.iter().all(|&v| v == 0x1111_1111);
        for (acc, g) in hot.integrator.iter_mut().zip(hot.gain_q15.iter()) {
            *acc = acc.wrapping_add(*g as i32);
        }

        // DMA double buffer: zeroed at start-up, then "DMA" fills the halves alternately.
        let dma = &mut *addr_of_mut!(DMA_BUF);
        ok &= black_box(&*dma).iter().flatten().all(|&w| w == 0);
        for round in 0..4u32 {
            let half = (round & 1) as usize;
            for (i, w) in dma[half].iter_mut().enumerate() {
                *w = round << 16 | i as u32;
            }
            let other = &dma[half ^ 1];
            ok &= black_box(other)[DMA_HALF_WORDS - 1]
                == if round == 0 {
                    0
                } else {
                    (round - 1) << 16 | (DMA_HALF_WORDS as u32 - 1)
                };
        }

        // External buffer: zeroed, write a pattern, read it back.
        let ext = &mut *addr_of_mut!(EXT_BUF);
        ok &= black_box(&*ext).iter().all(|&b| b == 0);
        for (i, b) in ext.iter_mut().enumerate() {
            *b = (i as u32).wrapping_mul(31) as u8;
        }
        ok &= black_box(&*ext)
            .iter()
            .enumerate()
            .all(|(i, &b)| b == (i as u32).wrapping_mul(31) as u8);

        // NOLOAD buffer: contents undefined at boot; write then read back.
        let noinit = (*addr_of_mut!(NOINIT_BUF)).as_mut_ptr() as *mut u8;
        for i in 0..NOINIT_BUF_SIZE {
            noinit.add(i).write_volatile((i ^ 0xA5) as u8);
        }
        for i in (0..NOINIT_BUF_SIZE).step_by(61) {
            ok &= noinit.add(i).read_volatile() == (i ^ 0xA5) as u8;
        }
    }
    ok
}
