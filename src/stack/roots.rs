//! Where execution starts: the Cortex-M vector table (reset handler, exceptions,
//! interrupts), or the ELF entry point when there is none.

use crate::elf::Image;

use super::code::Code;

/// One vector-table entry that points at code.
#[derive(Debug, Clone, Copy)]
pub struct Vector {
    /// Exception number: 1 = reset, 2 = NMI, ..., 16 + n = IRQ n.
    pub number: u32,
    pub target: u64,
}

/// Section names toolchains and SDKs give the vector table.
pub(crate) const TABLE_SECTIONS: [&str; 6] = [
    ".vector_table",
    ".isr_vector",
    ".vectors",
    ".isr_vectors",
    ".intvecs",
    ".interrupt_vector",
];

/// The vector table, and where it was found.
pub fn vector_table(image: &Image, code: &Code) -> Option<(String, Vec<Vector>)> {
    if let Some(v) = cortex_m_rt(image, code) {
        return Some((
            "symbols __RESET_VECTOR, __EXCEPTIONS, __INTERRUPTS".into(),
            v,
        ));
    }
    for name in TABLE_SECTIONS {
        if let Some(s) = image
            .sections
            .iter()
            .find(|s| s.name == name && s.size >= 8)
        {
            let v = read_table(code, s.addr, s.size / 4, false);
            if v.iter().any(|v| v.number == 1) {
                return Some((format!("section {name}"), v));
            }
        }
    }
    // VTOR resets to 0: a table there starts with the initial SP and a Thumb pointer to a
    // function. Stop at the first word that is not a handler.
    let reset = code.data32(4)?;
    if reset & 1 == 1 && code.func_values.contains(&(reset as u64)) {
        let v = read_table(code, 0, 16 + 496, true);
        let at = code
            .chunks
            .iter()
            .find(|c| c.addr == 0)
            .map_or("address 0".to_string(), |c| {
                format!("section {} at address 0", c.name)
            });
        return Some((at, v));
    }
    None
}

/// cortex-m-rt names the three parts of the table.
fn cortex_m_rt(image: &Image, code: &Code) -> Option<Vec<Vector>> {
    let reset = image.symbols.iter().find(|s| s.raw == "__RESET_VECTOR")?;
    let mut out = Vec::new();
    if let Some(t) = code.data32(reset.addr).filter(|t| is_handler(code, *t)) {
        out.push(Vector {
            number: 1,
            target: (t & !1) as u64,
        });
    }
    for (name, first) in [("__EXCEPTIONS", 2u32), ("__INTERRUPTS", 16)] {
        if let Some(s) = image.symbols.iter().find(|s| s.raw == name) {
            for i in 0..s.size / 4 {
                if let Some(t) = code.data32(s.addr + i * 4).filter(|t| is_handler(code, *t)) {
                    out.push(Vector {
                        number: first + i as u32,
                        target: (t & !1) as u64,
                    });
                }
            }
        }
    }
    Some(out)
}

fn is_handler(code: &Code, word: u32) -> bool {
    word & 1 == 1 && code.code_range((word & !1) as u64).is_some()
}

fn read_table(code: &Code, base: u64, words: u64, stop_at_junk: bool) -> Vec<Vector> {
    let mut out = Vec::new();
    for i in 1..words {
        let Some(w) = code.data32(base + i * 4) else {
            break;
        };
        if is_handler(code, w) {
            out.push(Vector {
                number: i as u32,
                target: (w & !1) as u64,
            });
        } else if w != 0 && stop_at_junk {
            break;
        }
    }
    out
}

/// The architectural name of an exception number.
pub fn vector_name(number: u32) -> String {
    let name = match number {
        1 => "Reset",
        2 => "NMI",
        3 => "HardFault",
        4 => "MemManage",
        5 => "BusFault",
        6 => "UsageFault",
        7 => "SecureFault",
        11 => "SVCall",
        12 => "DebugMonitor",
        14 => "PendSV",
        15 => "SysTick",
        n if n >= 16 => return format!("IRQ{}", n - 16),
        n => return format!("exception {n}"),
    };
    name.to_string()
}
