//! Strategy 5: bump ("arena") allocator that never frees.
//!
//! Trade-off: the cheapest possible allocator (one add + align per allocation, no per-object
//! header, no fragmentation) and deterministic; ideal for objects created once at init and
//! kept forever (drivers, tasks, config). Nothing is ever freed, so it must not be used for
//! anything allocated repeatedly; the RAM cost is the whole arena, used or not.

use core::cell::{Cell, UnsafeCell};
use core::hint::black_box;
use core::mem::{align_of, size_of, MaybeUninit};

pub struct Bump<const N: usize> {
    mem: UnsafeCell<[MaybeUninit<u8>; N]>,
    offset: Cell<usize>,
}

// SAFETY: single core, used from thread mode only.
unsafe impl<const N: usize> Sync for Bump<N> {}

impl<const N: usize> Bump<N> {
    pub const fn new() -> Self {
        Self {
            mem: UnsafeCell::new([MaybeUninit::uninit(); N]),
            offset: Cell::new(0),
        }
    }

    /// Move `value` into the arena; `None` (value dropped) if it does not fit.
    #[allow(clippy::mut_from_ref)]
    pub fn alloc<T>(&self, value: T) -> Option<&mut T> {
        let base = self.mem.get() as usize;
        let start = (base + self.offset.get()).next_multiple_of(align_of::<T>());
        let end = start.checked_add(size_of::<T>())?;
        if end > base + N {
            return None;
        }
        self.offset.set(end - base);
        let p = start as *mut T;
        // SAFETY: [start, end) is inside the arena, aligned, and handed out exactly once.
        unsafe {
            p.write(value);
            Some(&mut *p)
        }
    }

    pub fn offset(&self) -> usize {
        self.offset.get()
    }
}

pub const ARENA_SIZE: usize = 4096;

/// The arena (storage + offset), in `.bss`.
pub static ARENA: Bump<ARENA_SIZE> = Bump::new();

pub struct ArenaReport {
    pub offset: usize,
    pub ok: bool,
}

#[derive(Clone, Copy)]
#[allow(dead_code)]
struct DriverState {
    base: u32,
    baud: u32,
    rx: [u8; 64],
}

pub fn run() -> ArenaReport {
    let mut ok = true;
    let uart = ARENA.alloc(DriverState {
        base: 0x4000_4000,
        baud: 115_200,
        rx: [0; 64],
    });
    let byte = ARENA.alloc(7u8);
    let words = ARENA.alloc([0xDEAD_BEEFu32; 100]);
    let big = ARENA.alloc([0u8; 8192]); // larger than the arena: refused
    ok &= big.is_none();
    match (uart, byte, words) {
        (Some(u), Some(b), Some(w)) => {
            u.baud *= 2;
            ok &= black_box(u.baud) == 230_400 && *b == 7 && w.iter().all(|&x| x == 0xDEAD_BEEF);
            ok &= (w.as_ptr() as usize).is_multiple_of(4);
        }
        _ => ok = false,
    }
    // Fill until it refuses.
    let mut n = 0;
    while ARENA.alloc([0u32; 16]).is_some() {
        n += 1;
    }
    ok &= n > 0 && ARENA.offset() <= ARENA_SIZE && ARENA.offset() + 64 > ARENA_SIZE;
    ArenaReport {
        offset: ARENA.offset(),
        ok,
    }
}
