//! Emits the measurements as ONE line `MEMBUDGET_MEASURED {json}` over semihosting.
//! Hand-written JSON (no serde); all integers are plain decimal.

use core::fmt::{self, Write};
use core::mem::size_of_val;
use core::ptr::addr_of;
use cortex_m_semihosting::hio;

use crate::bump::ArenaReport;
use crate::collections::QueueReport;
use crate::heap::HeapReport;
use crate::pool::PoolReport;
use crate::scenarios::Measured;
use crate::stack::StackReport;
use crate::{bump, heap, placement, pool, statics};

/// One buffer: name, symbol path (as demangled, hash dropped), region, runtime address, size.
struct Buf {
    name: &'static str,
    module: &'static str,
    region: &'static str,
    addr: usize,
    size: usize,
}

macro_rules! buf {
    ($module:ident :: $name:ident, $region:expr) => {
        Buf {
            name: stringify!($name),
            module: stringify!($module),
            region: $region,
            addr: addr_of!($module::$name) as usize,
            // SAFETY: only the size is taken, no access.
            size: size_of_val(unsafe { &*addr_of!($module::$name) }),
        }
    };
}

const CRATE: &str = "membudget_firmware";

/// Region of main RAM and flash (same names in every layout).
const RAM: &str = "RAM";
const FLASH: &str = "FLASH";

#[cfg(not(feature = "p2-moved"))]
const EXT_REGION: &str = placement::REGION_EXT;
#[cfg(feature = "p2-moved")]
const EXT_REGION: &str = RAM;

fn buffers() -> [Buf; 11] {
    [
        buf!(placement::DTCM_STATE, placement::REGION_DTCM),
        buf!(placement::DMA_BUF, placement::REGION_DMA),
        buf!(placement::EXT_BUF, EXT_REGION),
        buf!(placement::NOINIT_BUF, placement::REGION_EXT),
        buf!(heap::HEAP_MEM, RAM),
        buf!(pool::POOL, RAM),
        buf!(bump::ARENA, RAM),
        buf!(statics::CRC_TABLE_RAM, RAM),
        buf!(statics::CRC_TABLE_FLASH, FLASH),
        buf!(statics::SAMPLES, RAM),
        buf!(statics::LOG_BUF, RAM),
    ]
}

struct Line<'a, W: Write> {
    out: &'a mut W,
}

impl<W: Write> Line<'_, W> {
    fn s(&mut self, s: &str) -> fmt::Result {
        self.out.write_str(s)
    }
    fn kv(&mut self, first: bool, k: &str, v: usize) -> fmt::Result {
        write!(self.out, "{}\"{}\":{}", if first { "" } else { "," }, k, v)
    }
}

#[allow(clippy::too_many_arguments)]
fn write_json<W: Write>(
    out: &mut W,
    checks: &[(&str, bool)],
    ok: bool,
    stack: &StackReport,
    scenarios: &[Measured],
    heap_r: &HeapReport,
    pool_r: &PoolReport,
    arena_r: &ArenaReport,
    queue_r: &QueueReport,
) -> fmt::Result {
    let mut l = Line { out };
    write!(
        l.out,
        "{{\"layout\":\"{}\",\"allocator\":\"{}\"",
        crate::LAYOUT,
        heap::ALLOCATOR
    )?;

    l.s(",\"stack\":{")?;
    l.kv(true, "top", stack.top)?;
    l.kv(false, "bottom", stack.bottom)?;
    l.kv(false, "size", stack.size)?;
    l.kv(false, "high_water", stack.high_water)?;

    l.s("},\"heap\":{")?;
    l.kv(true, "arena_addr", addr_of!(heap::HEAP_MEM) as usize)?;
    l.kv(false, "arena_size", heap::HEAP_SIZE)?;
    l.kv(false, "used", heap_r.used)?;
    l.kv(false, "free", heap_r.free)?;
    l.kv(false, "peak", heap_r.peak)?;
    l.kv(false, "largest_free_block", heap_r.largest_free_block)?;

    l.s("},\"pool\":{")?;
    l.kv(true, "addr", addr_of!(pool::POOL) as usize)?;
    l.kv(false, "size", size_of_val(&pool::POOL))?;
    l.kv(false, "block_size", pool::POOL_BLOCK_SIZE)?;
    l.kv(false, "capacity", pool_r.capacity)?;
    l.kv(false, "peak", pool_r.peak)?;
    write!(l.out, ",\"exhausted_seen\":{}", pool_r.exhausted_seen)?;

    l.s("},\"arena\":{")?;
    l.kv(true, "addr", addr_of!(bump::ARENA) as usize)?;
    l.kv(false, "size", size_of_val(&bump::ARENA))?;
    l.kv(false, "capacity", bump::ARENA_SIZE)?;
    l.kv(false, "offset", arena_r.offset)?;

    l.s("},\"queue\":{")?;
    l.kv(true, "capacity", queue_r.capacity)?;
    l.kv(false, "peak", queue_r.peak as usize)?;
    l.kv(false, "dropped", queue_r.dropped as usize)?;

    l.s("},\"buffers\":[")?;
    for (i, b) in buffers().iter().enumerate() {
        write!(
            l.out,
            "{}{{\"name\":\"{}\",\"symbol\":\"{}::{}::{}\",\"region\":\"{}\",\"addr\":{},\"size\":{}}}",
            if i == 0 { "" } else { "," },
            b.name,
            CRATE,
            b.module,
            b.name,
            b.region,
            b.addr,
            b.size
        )?;
    }
    l.s("],\"stack_scenarios\":[")?;
    for (i, s) in scenarios.iter().enumerate() {
        write!(
            l.out,
            "{}{{\"name\":\"{}\",\"entry\":\"{}\",\"interrupt\":",
            if i == 0 { "" } else { "," },
            s.name,
            s.entry
        )?;
        match s.interrupt {
            Some(h) => write!(l.out, "\"{h}\"")?,
            None => l.s("null")?,
        }
        write!(
            l.out,
            ",\"entry_sp\":{},\"high_water\":{},\"fp_context\":{},\"ok\":{}}}",
            s.entry_sp, s.high_water, s.fp_context, s.ok
        )?;
    }
    l.s("],\"checks\":{")?;
    for (i, (name, c)) in checks.iter().enumerate() {
        write!(l.out, "{}\"{}\":{}", if i == 0 { "" } else { "," }, name, c)?;
    }
    write!(l.out, "}},\"ok\":{}}}", ok)
}

/// Print the measurement line. Written piecewise straight to the host (one line, no newline
/// until the end).
#[allow(clippy::too_many_arguments)]
pub fn emit(
    checks: &[(&str, bool)],
    ok: bool,
    stack: &StackReport,
    scenarios: &[Measured],
    heap_r: &HeapReport,
    pool_r: &PoolReport,
    arena_r: &ArenaReport,
    queue_r: &QueueReport,
) {
    if let Ok(mut out) = hio::hstdout() {
        let _ = out.write_str("MEMBUDGET_MEASURED ");
        let _ = write_json(
            &mut out, checks, ok, stack, scenarios, heap_r, pool_r, arena_r, queue_r,
        );
        let _ = out.write_str("\n");
    }
}
