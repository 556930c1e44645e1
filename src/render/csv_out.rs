use std::io::{self, Write};

use crate::report::Report;
use crate::rollup::Rollup;

/// With a rollup, its rows; otherwise one row per symbol and one per unattributed
/// remainder, so that a spreadsheet sum per region equals the region's used bytes
/// (load images appear under their load region).
pub fn write(report: &Report, rollup: Option<&Rollup>, out: &mut dyn Write) -> io::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    let err = |e: csv::Error| io::Error::other(e);
    if let Some(r) = rollup {
        w.write_record(["region", "key", "bytes", "symbols"]).map_err(err)?;
        for row in &r.rows {
            w.write_record([
                row.region.as_deref().unwrap_or(""),
                &row.key,
                &row.bytes.to_string(),
                &row.symbols.to_string(),
            ])
            .map_err(err)?;
        }
    } else {
        w.write_record([
            "region", "load_region", "section", "name", "raw", "addr", "size", "bytes", "kind", "crate", "file",
        ])
        .map_err(err)?;
        for s in &report.symbols {
            w.write_record([
                s.region.as_deref().unwrap_or(""),
                s.load_region.as_deref().unwrap_or(""),
                &s.section,
                &s.name,
                &s.raw,
                &format!("{:#x}", s.addr),
                &s.size.to_string(),
                &s.bytes.to_string(),
                &format!("{:?}", s.kind).to_lowercase(),
                s.krate.as_deref().unwrap_or(""),
                s.file.as_deref().unwrap_or(""),
            ])
            .map_err(err)?;
        }
        for s in report.sections.iter().filter(|s| s.unattributed > 0) {
            w.write_record([
                s.region.as_deref().unwrap_or(""),
                s.load_region.as_deref().unwrap_or(""),
                &s.name,
                &format!("{} {}", crate::rollup::UNATTRIBUTED, s.name),
                "",
                "",
                "",
                &s.unattributed.to_string(),
                "unattributed",
                "",
                "",
            ])
            .map_err(err)?;
        }
    }
    w.flush()
}
