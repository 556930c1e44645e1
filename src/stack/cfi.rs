//! DWARF call frame information as a cross-check of the decoded frames. CFI records the
//! canonical frame address as SP + offset until a frame pointer takes over, so its largest
//! SP-based offset is a lower bound of the frame: everything pushed before `add r7, sp`
//! and everything allocated with plain `sub sp`. Locals allocated after the frame pointer
//! is set up never appear (rustc keeps one), which is why CFI is not the source of frames.

use std::collections::BTreeMap;

use gimli::{
    BaseAddresses, CfaRule, CieOrFde, DebugFrame, EhFrame, EndianSlice, RunTimeEndian,
    UnwindContext, UnwindSection,
};

use super::code::Code;

/// DWARF register number of SP on Arm.
const ARM_SP: u16 = 13;

/// Largest SP-based CFA offset per function start address (FDEs at address 0, left by
/// linkers for discarded functions, are skipped).
pub fn frames(code: &Code) -> BTreeMap<u64, u32> {
    let endian = if code.big_endian {
        RunTimeEndian::Big
    } else {
        RunTimeEndian::Little
    };
    let mut out = BTreeMap::new();
    if let Some(data) = code.debug_frame {
        let mut section = DebugFrame::new(data, endian);
        section.set_address_size(4);
        collect(&section, &BaseAddresses::default(), &mut out);
    }
    if let Some((addr, data)) = code.eh_frame {
        let section = EhFrame::new(data, endian);
        let bases = BaseAddresses::default().set_eh_frame(addr);
        collect(&section, &bases, &mut out);
    }
    out
}

fn collect<'a, S: UnwindSection<EndianSlice<'a, RunTimeEndian>>>(
    section: &S,
    bases: &BaseAddresses,
    out: &mut BTreeMap<u64, u32>,
) {
    let mut ctx = Box::new(UnwindContext::new());
    let mut entries = section.entries(bases);
    // A corrupt entry ends the walk: CFI is only a cross-check.
    while let Ok(Some(entry)) = entries.next() {
        let CieOrFde::Fde(partial) = entry else {
            continue;
        };
        let Ok(fde) = partial.parse(S::cie_from_offset) else {
            continue;
        };
        let start = fde.initial_address() & !1;
        if start == 0 {
            continue;
        }
        let Ok(mut rows) = fde.rows(section, bases, &mut ctx) else {
            continue;
        };
        let mut max: i64 = 0;
        while let Ok(Some(row)) = rows.next_row() {
            if let CfaRule::RegisterAndOffset { register, offset } = row.cfa() {
                if register.0 == ARM_SP {
                    max = max.max(*offset);
                }
            }
        }
        let e = out.entry(start).or_insert(0);
        *e = (*e).max(max.clamp(0, u32::MAX as i64) as u32);
    }
}
