use std::io::{self, Write};

use crate::analyze::rollup::{labelled_bytes, Label, Rollup, UNATTRIBUTED};
use crate::report::Report;

/// With a rollup, its rows; otherwise one row per labelled run of bytes (symbols,
/// unattributed remainders, load images under their load region, reservations outside
/// sections), so that a spreadsheet sum per region equals the region's `used + reserved`.
pub fn write(report: &Report, rollup: Option<&Rollup>, out: &mut dyn Write) -> io::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    // Keep I/O errors as they are, so that a closed pipe is still recognised as one.
    let err = |e: csv::Error| match e.kind() {
        csv::ErrorKind::Io(io) => io::Error::new(io.kind(), io.to_string()),
        _ => io::Error::other(e),
    };
    if let Some(r) = rollup {
        w.write_record(["region", "key", "bytes", "symbols"])
            .map_err(err)?;
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
            "region", "section", "name", "raw", "addr", "size", "bytes", "kind", "crate", "file",
        ])
        .map_err(err)?;
        let mut result = Ok(());
        labelled_bytes(report, |region, label, bytes| {
            if result.is_err() {
                return;
            }
            let region = region.unwrap_or("");
            let rec: [String; 10] = match label {
                Label::Symbol(s) => {
                    let load = s.load_region.as_deref() == Some(region)
                        && s.region.as_deref() != Some(region);
                    [
                        region.to_string(),
                        s.section.clone(),
                        s.name.clone(),
                        s.raw.clone(),
                        format!(
                            "{:#x}",
                            if load {
                                s.load_addr.unwrap_or(s.addr)
                            } else {
                                s.addr
                            }
                        ),
                        s.size.to_string(),
                        bytes.to_string(),
                        if load {
                            "load image".into()
                        } else {
                            format!("{:?}", s.kind).to_lowercase()
                        },
                        s.krate.clone().unwrap_or_default(),
                        s.file.clone().unwrap_or_default(),
                    ]
                }
                Label::Gap(s, g) => {
                    // In the load region the gap's bytes are part of the load image: its
                    // address there is the load address (LMA), as for symbols.
                    let load = s.load_region.as_deref() == Some(region)
                        && s.region.as_deref() != Some(region);
                    let addr = if load {
                        g.addr.wrapping_sub(s.addr).wrapping_add(s.load_addr)
                    } else {
                        g.addr
                    };
                    [
                        region.to_string(),
                        s.name.clone(),
                        format!("{UNATTRIBUTED} {}", s.name),
                        String::new(),
                        format!("{addr:#x}"),
                        g.size.to_string(),
                        bytes.to_string(),
                        if load { "load image" } else { "unattributed" }.into(),
                        g.origin.krate.clone().unwrap_or_default(),
                        g.origin.file.clone().unwrap_or_default(),
                    ]
                }
                Label::Unattributed(s) => [
                    region.to_string(),
                    s.name.clone(),
                    format!("{UNATTRIBUTED} {}", s.name),
                    String::new(),
                    String::new(),
                    String::new(),
                    bytes.to_string(),
                    "unattributed".into(),
                    String::new(),
                    String::new(),
                ],
                Label::Reserved(p) => [
                    region.to_string(),
                    String::new(),
                    p.owner.key(),
                    String::new(),
                    format!("{:#x}", p.origin),
                    p.length.to_string(),
                    bytes.to_string(),
                    "reserved".into(),
                    String::new(),
                    String::new(),
                ],
            };
            result = w.write_record(&rec).map_err(err);
        });
        result?;
    }
    w.flush()
}
