//! Renderers: they format a [`Report`] (or a rollup of it) and compute nothing.
//! Table, Markdown, CSV and JSON all come from the same value.

use std::io::{self, Write};

use serde::Serialize;

use crate::report::Report;
use crate::rollup::{self, By, Rollup};

mod csv_out;
pub mod html;
mod table;

pub use table::{bar, human};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Table,
    Json,
    Csv,
    Markdown,
    /// One self-contained HTML page (the JSON view embedded, drawn in the browser).
    Html,
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
        Format::Html => {
            let doc = JsonReport { report, rollup };
            html::write_page(html::Page::Report, &[html::block("report", &doc)], out)
        }
    }
}

/// Pretty JSON with a trailing newline; byte-identical for equal values.
pub fn write_json<T: Serialize>(value: &T, out: &mut dyn Write) -> io::Result<()> {
    // Serialising into memory first avoids a dynamic `write` call per token, which
    // costs more than the formatting itself on images with tens of thousands of symbols.
    let mut buf = serde_json::to_vec_pretty(value).map_err(io::Error::other)?;
    buf.push(b'\n');
    out.write_all(&buf)
}
