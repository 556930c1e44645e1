//! The list of chip presets (`membudget chips`).

use std::io::{self, Write};

use crate::memory::chips::ChipPreset;

use super::table::human;

/// One block per preset: name and description, then its regions and reservations.
pub fn render_chips(presets: &[ChipPreset], out: &mut dyn Write) -> io::Result<()> {
    for p in presets {
        writeln!(out, "{:<12} {}", p.name, p.description)?;
        for (name, origin, length) in p.regions {
            writeln!(out, "    {name:<12} {origin:#010x} {:>10}", human(*length))?;
        }
        for r in p.reservations {
            writeln!(
                out,
                "    reserved: {} in {} {:#010x} {:>10} ({})",
                r.range.name,
                r.region,
                r.range.origin,
                human(r.range.length),
                r.note
            )?;
        }
    }
    Ok(())
}
