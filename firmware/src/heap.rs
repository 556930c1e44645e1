//! Strategy 6: a real heap (`embedded-alloc` as `#[global_allocator]`) over a static arena.
//!
//! Trade-off: the most flexible (`Vec`, `Box`, `String` of run-time size) but the least
//! predictable: allocation time depends on the free-list state (LLFF, linked-list first fit) or
//! is O(1) but with more overhead (TLSF, feature `tlsf`), and after an alloc/free pattern the
//! free memory FRAGMENTS: `free` can be large while the largest block that can still be
//! allocated is small. Out-of-memory is a run-time event, not a link error. The arena
//! `HEAP_MEM` itself is a plain `.bss` array, so a link-time report sees its full size.

use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;
use core::alloc::{GlobalAlloc, Layout};
use core::hint::black_box;
use core::mem::MaybeUninit;
use core::ptr::addr_of_mut;
use core::sync::atomic::{AtomicUsize, Ordering};

#[cfg(not(feature = "tlsf"))]
use embedded_alloc::LlffHeap as Heap;
#[cfg(feature = "tlsf")]
use embedded_alloc::TlsfHeap as Heap;

#[cfg(not(feature = "tlsf"))]
pub const ALLOCATOR: &str = "llff";
#[cfg(feature = "tlsf")]
pub const ALLOCATOR: &str = "tlsf";

pub const HEAP_SIZE: usize = 16 * 1024;

/// The heap arena.
pub static mut HEAP_MEM: [MaybeUninit<u8>; HEAP_SIZE] = [MaybeUninit::uninit(); HEAP_SIZE];

/// `embedded-alloc` heap plus accounting: bytes requested and live (`used`), and its peak.
pub struct TrackingHeap {
    heap: Heap,
    used: AtomicUsize,
    peak: AtomicUsize,
}

unsafe impl GlobalAlloc for TrackingHeap {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = self.heap.alloc(layout);
        if !p.is_null() {
            let u = self.used.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            self.peak.fetch_max(u, Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        self.heap.dealloc(ptr, layout);
        self.used.fetch_sub(layout.size(), Ordering::Relaxed);
    }
}

#[global_allocator]
static HEAP: TrackingHeap = TrackingHeap {
    heap: Heap::empty(),
    used: AtomicUsize::new(0),
    peak: AtomicUsize::new(0),
};

pub struct HeapReport {
    pub used: usize,
    pub free: usize,
    pub peak: usize,
    pub largest_free_block: usize,
    pub ok: bool,
}

/// Largest single allocation that still succeeds: try decreasing sizes from `start`.
fn largest_free_block(start: usize) -> usize {
    let mut size = start & !7;
    while size > 0 {
        let layout = Layout::from_size_align(size, 4).unwrap();
        // SAFETY: probe allocation, released immediately.
        unsafe {
            let p = HEAP.alloc(layout);
            if !p.is_null() {
                HEAP.dealloc(p, layout);
                return size;
            }
        }
        size -= 8;
    }
    0
}

pub fn run() -> HeapReport {
    // SAFETY: called once, before any allocation; HEAP_MEM is used by nothing else.
    unsafe { HEAP.heap.init(addr_of_mut!(HEAP_MEM) as usize, HEAP_SIZE) };
    let mut ok = true;

    // Fragmenting pattern: interleave long-lived and short-lived blocks, free the short ones.
    let mut keep: Vec<Box<[u8]>> = Vec::with_capacity(24);
    let mut temp: Vec<Box<[u8]>> = Vec::with_capacity(24);
    for i in 0..24u8 {
        let b = alloc::vec![i; 320].into_boxed_slice();
        if i % 2 == 0 {
            keep.push(b);
        } else {
            temp.push(b);
        }
    }
    let mut log = String::new();
    for (i, b) in keep.iter().enumerate() {
        ok &= b.iter().all(|&x| x as usize == 2 * i);
        let _ = core::fmt::write(&mut log, format_args!("{},", b.len()));
    }
    drop(temp); // leaves 12 holes of ~320 bytes between the kept blocks
    let boxed = Box::new([0x5A5A_5A5Au32; 32]);
    ok &= black_box(&*boxed).iter().all(|&w| w == 0x5A5A_5A5A);
    ok &= log.starts_with("320,320,");

    let used = HEAP.used.load(Ordering::Relaxed);
    let peak = HEAP.peak.load(Ordering::Relaxed);
    #[cfg(not(feature = "tlsf"))]
    let free = HEAP.heap.free();
    #[cfg(feature = "tlsf")]
    let free = HEAP_SIZE - used;
    let largest = largest_free_block(free);

    ok &= used > 0 && peak >= used && free > 0 && largest > 0;
    ok &= largest <= free; // fragmentation: largest <= total free
    ok &= peak <= HEAP_SIZE;
    black_box((&keep, &boxed, &log));
    // The kept blocks stay allocated (measured state); they are dropped here.
    drop(keep);
    drop(boxed);
    drop(log);
    HeapReport {
        used,
        free,
        peak,
        largest_free_block: largest,
        ok,
    }
}
