//! Strategy 4: fixed-block pool.
//!
//! Trade-off: O(1) alloc and free, no fragmentation (all blocks are the same size), and the
//! worst case is known at link time, so it is safe in interrupts and real-time paths. The
//! price is internal waste (every request takes a whole BLOCK) and a hard limit of N blocks:
//! exhaustion is an expected, handled `None`, not a crash.

use core::cell::{Cell, UnsafeCell};
use core::hint::black_box;
use core::ptr::NonNull;

#[repr(C, align(8))]
struct Block<const BLOCK: usize>([u8; BLOCK]);

/// `N` blocks of `BLOCK` bytes. Free blocks form an intrusive singly linked list (the next
/// link is stored in the free block itself); never-used blocks are handed out by a watermark,
/// so the pool needs no initialisation pass and, being all-zero, lives in `.bss`.
/// Links are stored as `index + 1`, so 0 means "end of list".
pub struct Pool<const N: usize, const BLOCK: usize> {
    blocks: UnsafeCell<[Block<BLOCK>; N]>,
    free_head: Cell<u32>, // index + 1 of the first free block, 0 = empty
    watermark: Cell<u32>,
    in_use: Cell<u32>,
    peak: Cell<u32>,
    exhausted: Cell<u32>,
}

// SAFETY: single core; the pool is only used from thread mode (never from an interrupt).
unsafe impl<const N: usize, const BLOCK: usize> Sync for Pool<N, BLOCK> {}

impl<const N: usize, const BLOCK: usize> Pool<N, BLOCK> {
    pub const fn new() -> Self {
        assert!(BLOCK >= 4 && N < u32::MAX as usize);
        Self {
            blocks: UnsafeCell::new([const { Block([0; BLOCK]) }; N]),
            free_head: Cell::new(0),
            watermark: Cell::new(0),
            in_use: Cell::new(0),
            peak: Cell::new(0),
            exhausted: Cell::new(0),
        }
    }

    fn block_ptr(&self, i: u32) -> *mut u8 {
        // SAFETY: i < N is checked by callers.
        unsafe { (*self.blocks.get()).as_mut_ptr().add(i as usize) as *mut u8 }
    }

    /// O(1): pop the free list, else take the next never-used block.
    pub fn alloc(&self) -> Option<NonNull<[u8; BLOCK]>> {
        let head = self.free_head.get();
        let idx = if head != 0 {
            // SAFETY: a free block stores the link (index + 1) of the next one in its first word.
            let next = unsafe { (self.block_ptr(head - 1) as *const u32).read() };
            self.free_head.set(next);
            head - 1
        } else if (self.watermark.get() as usize) < N {
            let w = self.watermark.get();
            self.watermark.set(w + 1);
            w
        } else {
            self.exhausted.set(self.exhausted.get() + 1);
            return None;
        };
        let used = self.in_use.get() + 1;
        self.in_use.set(used);
        self.peak.set(self.peak.get().max(used));
        NonNull::new(self.block_ptr(idx) as *mut [u8; BLOCK])
    }

    /// O(1): push the block on the free list.
    ///
    /// # Safety
    /// `p` must come from `self.alloc()` and not be used afterwards.
    pub unsafe fn free(&self, p: NonNull<[u8; BLOCK]>) {
        let base = self.block_ptr(0) as usize;
        let idx = ((p.as_ptr() as usize - base) / core::mem::size_of::<Block<BLOCK>>()) as u32;
        debug_assert!((idx as usize) < N);
        (p.as_ptr() as *mut u32).write(self.free_head.get());
        self.free_head.set(idx + 1);
        self.in_use.set(self.in_use.get() - 1);
    }

    pub const fn capacity(&self) -> usize {
        N
    }
    pub fn peak(&self) -> usize {
        self.peak.get() as usize
    }
    pub fn in_use(&self) -> usize {
        self.in_use.get() as usize
    }
    pub fn exhausted_count(&self) -> u32 {
        self.exhausted.get()
    }
}

pub const POOL_BLOCKS: usize = 16;
pub const POOL_BLOCK_SIZE: usize = 64;

/// The pool (storage + bookkeeping), in `.bss`.
pub static POOL: Pool<POOL_BLOCKS, POOL_BLOCK_SIZE> = Pool::new();

pub struct PoolReport {
    pub capacity: usize,
    pub peak: usize,
    pub exhausted_seen: bool,
    pub ok: bool,
}

/// Exhaust the pool, free a few blocks in a different order, reuse them.
pub fn run() -> PoolReport {
    let mut ok = true;
    let mut held: [Option<NonNull<[u8; POOL_BLOCK_SIZE]>>; POOL_BLOCKS] = [None; POOL_BLOCKS];
    for (i, slot) in held.iter_mut().enumerate() {
        *slot = POOL.alloc();
        match slot {
            // SAFETY: fresh block owned by us.
            Some(p) => unsafe { p.as_ptr().write([i as u8; POOL_BLOCK_SIZE]) },
            None => ok = false,
        }
    }
    // Exhausted: must fail cleanly.
    ok &= POOL.alloc().is_none();
    let exhausted_seen = POOL.exhausted_count() > 0;

    // Free every third block, then reallocate the same number (LIFO reuse, O(1)).
    let mut freed = 0;
    for i in (0..POOL_BLOCKS).step_by(3) {
        // SAFETY: each block is freed once and the slot cleared.
        unsafe { POOL.free(held[i].take().unwrap()) };
        freed += 1;
    }
    ok &= POOL.in_use() == POOL_BLOCKS - freed;
    for slot in held.iter_mut().filter(|s| s.is_none()) {
        *slot = POOL.alloc();
        ok &= slot.is_some();
    }
    ok &= POOL.alloc().is_none();
    // Blocks that were never freed kept their contents.
    for (i, slot) in held.iter().enumerate() {
        if i % 3 != 0 {
            // SAFETY: block still owned.
            ok &= unsafe { black_box(&*slot.unwrap().as_ptr()) }
                .iter()
                .all(|&b| b == i as u8);
        }
    }
    // Return everything.
    for slot in held.iter_mut() {
        // SAFETY: each block freed once.
        unsafe { POOL.free(slot.take().unwrap()) };
    }
    ok &= POOL.in_use() == 0;
    PoolReport {
        capacity: POOL.capacity(),
        peak: POOL.peak(),
        exhausted_seen,
        ok: ok && exhausted_seen,
    }
}
