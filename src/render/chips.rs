//! The list of chip presets (`membudget chips`).

use std::io::{self, Write};

use crate::memory::chips::ChipPreset;

use super::table::human;

/// One block per preset: name and description, then its regions and reservations.
pub fn render_chips(presets: &[ChipPreset], out: &mut dyn Write) -> io::Result<()> {
    for p in presets {
        writeln!(out, "{:<12} {}", p.name, p.description)?;
        // ESP-IDF's segment names run longer than the usual FLASH/RAM.
        let width = p
            .regions
            .iter()
            .map(|r| r.0.len())
            .max()
            .unwrap_or(0)
            .max(12);
        for (name, origin, length) in p.regions {
            writeln!(
                out,
                "    {name:<width$} {origin:#010x} {:>10}",
                human(*length)
            )?;
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
