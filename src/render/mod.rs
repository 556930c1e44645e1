//! Renderers: they format a [`Report`] (or a rollup of it) and compute nothing.
//! Table, Markdown, CSV and JSON all come from the same value.

use std::io::{self, Write};

use serde::Serialize;

use crate::report::Report;
use crate::rollup::{self, By, Rollup};

mod csv_out;
mod table;

pub use table::{bar, human};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Table,
    Json,
    Csv,
    Markdown,
}

#[derive(Debug, Clone, Copy)]
pub struct View {
    /// Largest symbols per region in the table views; 0 for all.
    pub top: usize,
    pub by: Option<By>,
}

impl Default for View {
    fn default() -> Self {
        View { top: 20, by: None }
    }
}

/// The JSON document: the report, plus the requested rollup.
#[derive(Serialize)]
struct JsonReport<'a> {
    #[serde(flatten)]
    report: &'a Report,
    #[serde(skip_serializing_if = "Option::is_none")]
    rollup: Option<Rollup>,
}

pub fn render_report(
    report: &Report,
    view: &View,
    format: Format,
    out: &mut dyn Write,
) -> io::Result<()> {
    let rollup = view.by.map(|by| rollup::rollup(report, by));
    match format {
        Format::Json => {
            let doc = JsonReport { report, rollup };
            write_json(&doc, out)
        }
        Format::Csv => csv_out::write(report, rollup.as_ref(), out),
        Format::Table => table::write(report, rollup.as_ref(), view, false, out),
        Format::Markdown => table::write(report, rollup.as_ref(), view, true, out),
    }
}

/// Pretty JSON with a trailing newline; byte-identical for equal values.
pub fn write_json<T: Serialize>(value: &T, out: &mut dyn Write) -> io::Result<()> {
    // Streamed through a buffer: the serializer's many small writes land in it, not in a
    // dynamic `write` call each, and the document (12 MB for 30,000 symbols) is never held
    // in memory whole (growing a Vec that large costs page faults and copies).
    let mut w = io::BufWriter::with_capacity(1 << 16, out);
    serde_json::to_writer_pretty(&mut w, value)?;
    w.write_all(b"\n")?;
    w.flush()
}
