//! Strategy 3: `heapless` fixed-capacity collections.
//!
//! Trade-off: the familiar Vec/String/map/queue API with capacity fixed at compile time, stored
//! inline (in a static or on the stack): deterministic, no fragmentation, no allocator; the
//! worst case is reserved up front (RAM cost = capacity, not usage) and "full" becomes a
//! `Result` every call site must handle. The lock-free `spsc::Queue` moves data from an
//! interrupt to thread mode without critical sections.

use core::hint::black_box;
use core::ptr::addr_of_mut;
use core::sync::atomic::{AtomicU32, Ordering};
use heapless::index_map::FnvIndexMap;
use heapless::spsc::{Consumer, Producer, Queue};
use heapless::{LinearMap, String, Vec};

/// SysTick -> main queue. heapless 0.9: `Queue<T, N>` holds at most N - 1 items.
pub const TICK_QUEUE_N: usize = 16;
pub static mut TICK_QUEUE: Queue<u32, TICK_QUEUE_N> = Queue::new();
static mut TICK_PRODUCER: Option<Producer<'static, u32>> = None;

static TICKS: AtomicU32 = AtomicU32::new(0);
/// Items the interrupt could not enqueue because the queue was full.
pub static DROPPED: AtomicU32 = AtomicU32::new(0);
/// Highest queue fill level seen by the producer.
static PEAK: AtomicU32 = AtomicU32::new(0);

pub struct QueueReport {
    pub capacity: usize,
    pub peak: u32,
    pub dropped: u32,
    pub ok: bool,
}

/// Called from the SysTick exception.
pub fn on_tick() {
    let n = TICKS.fetch_add(1, Ordering::Relaxed);
    // SAFETY: after `run_queue` stored it (inside a critical section) the producer is only
    // touched here, by this one exception; before that it is `None` and nothing happens.
    let prod = unsafe { &mut *addr_of_mut!(TICK_PRODUCER) };
    if let Some(p) = prod.as_mut() {
        match p.enqueue(n) {
            Ok(()) => {
                let len = p.len() as u32;
                if len > PEAK.load(Ordering::Relaxed) {
                    PEAK.store(len, Ordering::Relaxed);
                }
            }
            Err(_) => {
                DROPPED.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

/// Vec, String, FnvIndexMap, LinearMap including their "full" paths.
pub fn run_collections() -> bool {
    let mut ok = true;

    let mut v: Vec<u16, 32> = Vec::new();
    for i in 0..32u16 {
        ok &= v.push(i * i).is_ok();
    }
    ok &= v.push(1).is_err(); // full
    ok &= black_box(&v).iter().map(|&x| x as u32).sum::<u32>() == 10416;

    let mut s: String<32> = String::new();
    ok &= core::fmt::write(&mut s, format_args!("layout={}", crate::LAYOUT)).is_ok();
    ok &= s.starts_with("layout=");
    ok &= s.push_str("-----------------------------------").is_err(); // would exceed 32

    let mut m: FnvIndexMap<&'static str, u32, 8> = FnvIndexMap::new();
    for (i, k) in ["rx", "tx", "err", "ovr", "crc", "frm", "brk", "idle"]
        .iter()
        .enumerate()
    {
        ok &= m.insert(*k, i as u32).is_ok();
    }
    ok &= m.insert("extra", 9).is_err(); // full
    ok &= m.get("crc") == Some(&4);
    if let Some(e) = m.get_mut("err") {
        *e += 10;
    }
    ok &= m["err"] == 12;

    let mut lm: LinearMap<u8, u16, 4> = LinearMap::new();
    for k in 0..4u8 {
        ok &= lm.insert(k, k as u16 * 100).is_ok();
    }
    ok &= lm.insert(9, 0).is_err();
    ok &= lm.remove(&2) == Some(200) && lm.len() == 3;
    black_box(&lm);
    ok
}

/// Split the queue, let SysTick overfill it while main is "busy", then drain it.
/// Requires SysTick to be running.
pub fn run_queue() -> QueueReport {
    // SAFETY: the queue is split exactly once; the producer goes to the interrupt.
    let mut cons: Consumer<'static, u32> = unsafe {
        let (p, c) = (*addr_of_mut!(TICK_QUEUE)).split();
        cortex_m::interrupt::free(|_| *addr_of_mut!(TICK_PRODUCER) = Some(p));
        c
    };
    let capacity = cons.capacity();
    let mut ok = true;

    // Main is "busy": wait (bounded) until the interrupt reports a full queue.
    let mut waits = 0;
    while DROPPED.load(Ordering::Relaxed) == 0 && waits < 10_000 {
        cortex_m::asm::wfi();
        waits += 1;
    }
    ok &= DROPPED.load(Ordering::Relaxed) > 0;

    // Drain: items are consecutive tick numbers, and there are `capacity` of them
    // (modulo a tick racing with the drain).
    let mut drained = 0;
    let mut last: Option<u32> = None;
    let mut in_order = true;
    while let Some(n) = cons.dequeue() {
        if let Some(l) = last {
            in_order &= n > l;
        }
        last = Some(n);
        drained += 1;
        if drained > 4 * capacity {
            break;
        }
    }
    ok &= in_order && drained >= capacity;

    // After draining, the queue accepts items again.
    let before = TICKS.load(Ordering::Relaxed);
    let mut waits = 0;
    while TICKS.load(Ordering::Relaxed) < before + 2 && waits < 10_000 {
        cortex_m::asm::wfi();
        waits += 1;
    }
    ok &= cons.dequeue().is_some();

    QueueReport {
        capacity,
        peak: PEAK.load(Ordering::Relaxed),
        dropped: DROPPED.load(Ordering::Relaxed),
        ok: ok && PEAK.load(Ordering::Relaxed) as usize == capacity,
    }
}
