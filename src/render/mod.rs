//! Renderers: they format a [`Report`], a [`CheckResult`](crate::budget::CheckResult) or a
//! [`Delta`](crate::diff::Delta), and compute nothing. One [`Format`] enum for all of
//! them; table, Markdown, CSV and JSON each come from the same value.
//!
//! A new view goes in a module of its own here, using the helpers of [`table`].

use std::io::{self, Write};

use serde::Serialize;

use crate::analyze::rollup::{self, By, Rollup};
use crate::report::Report;

pub mod check;
pub mod chips;
mod csv;
pub mod diff;
pub mod html;
mod report;
pub mod stack;
pub mod table;

pub use check::{render_check, JsonCheck};
pub use diff::{render_diff, JsonDiff};
pub use table::{bar, human};

/// Output format of every command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Box-drawing tables for a terminal.
    Table,
    /// Pretty JSON (one document, a `schema` tag at the top).
    Json,
    /// Comma-separated rows (reports only).
    Csv,
    /// GitHub-flavoured Markdown (PR comments, job summaries).
    Markdown,
    /// One self-contained HTML page: the JSON view embedded, drawn in the browser
    /// (reports and checks).
    Html,
}

impl Format {
    /// Every format, with its command-line name.
    pub const ALL: [(&'static str, Format); 5] = [
        ("table", Format::Table),
        ("json", Format::Json),
        ("csv", Format::Csv),
        ("markdown", Format::Markdown),
        ("html", Format::Html),
    ];
}

/// What a report view shows besides the report itself.
#[derive(Debug, Clone, Copy)]
pub struct View {
    /// Largest symbols per region in the table views; 0 for all.
    pub top: usize,
    /// The rollup to add, if any.
    pub by: Option<By>,
    /// Directory components of `By::Dir` keys (0: whole directories).
    pub depth: usize,
}

impl Default for View {
    fn default() -> Self {
        View {
            top: 20,
            by: None,
            depth: 0,
        }
    }
}

/// The report as JSON (`schema/report.schema.json`): the report, plus the requested rollup.
#[derive(Serialize, schemars::JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct JsonReport<'a> {
    #[serde(flatten)]
    report: &'a Report,
    /// The rollup, with `--by`.
    #[serde(skip_serializing_if = "Option::is_none")]
    rollup: Option<Rollup>,
}

/// Write a report in `format`.
pub fn render_report(
    report: &Report,
    view: &View,
    format: Format,
    out: &mut dyn Write,
) -> io::Result<()> {
    let rollup = view
        .by
        .map(|by| rollup::rollup_at_depth(report, by, view.depth));
    match format {
        Format::Json => {
            let doc = JsonReport { report, rollup };
            write_json(&doc, out)
        }
        Format::Csv => csv::write(report, rollup.as_ref(), out),
        Format::Table => report::write(report, rollup.as_ref(), view, false, out),
        Format::Markdown => {
            let most = report.symbols.len();
            markdown_within_limit(view.top, most, out, |top, buf| {
                let view = View { top, ..*view };
                report::write(report, rollup.as_ref(), &view, true, buf)
            })
        }
        Format::Html => html::write_report(&JsonReport { report, rollup }, &[], out),
    }
}

/// The HTML report with a budget's region limits drawn on the region bars.
pub fn render_report_html(
    report: &Report,
    view: &View,
    limits: &[crate::dashboard::Limit],
    out: &mut dyn Write,
) -> io::Result<()> {
    let rollup = view
        .by
        .map(|by| rollup::rollup_at_depth(report, by, view.depth));
    html::write_report(&JsonReport { report, rollup }, limits, out)
}

/// GitHub's limit on a comment (and a job summary's step), in characters; a Markdown view
/// stays under it in bytes, which are never fewer.
pub const MARKDOWN_LIMIT: usize = 65_536;

/// Room kept for the note that says what was cut.
const CUT_NOTE_ROOM: usize = 512;

/// Write a Markdown view drawn by `draw(top, buf)` (`top` rows per list, 0 for all) within
/// [`MARKDOWN_LIMIT`]. Too long, it is drawn again with ever fewer rows per list (`most`:
/// the longest list), so the long tails go first and the verdict, the failures and the
/// regions stay; if even that is too long, the end is cut at a line. A note says what was
/// cut.
pub(crate) fn markdown_within_limit(
    top: usize,
    most: usize,
    out: &mut dyn Write,
    draw: impl Fn(usize, &mut Vec<u8>) -> io::Result<()>,
) -> io::Result<()> {
    let limit = MARKDOWN_LIMIT - CUT_NOTE_ROOM;
    let mut buf = Vec::new();
    draw(top, &mut buf)?;
    if buf.len() <= MARKDOWN_LIMIT {
        return out.write_all(&buf);
    }
    let mut rows = if top == 0 { most } else { top.min(most) };
    while rows > 1 {
        rows /= 2;
        buf.clear();
        draw(rows, &mut buf)?;
        if buf.len() <= limit {
            out.write_all(&buf)?;
            return writeln!(
                out,
                "\n_Cut to fit GitHub's {MARKDOWN_LIMIT}-character limit: the {rows} largest of each list are shown; `--format json` has everything._"
            );
        }
    }
    // Still too long with one row per list: keep the beginning, whole lines.
    let text = String::from_utf8_lossy(&buf);
    let mut end = limit.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let end = text[..end].rfind('\n').map_or(0, |i| i + 1);
    let kept = &text[..end];
    out.write_all(kept.as_bytes())?;
    if kept.matches("<details>").count() > kept.matches("</details>").count() {
        writeln!(out, "\n</details>")?;
    }
    writeln!(
        out,
        "\n_Cut here to fit GitHub's {MARKDOWN_LIMIT}-character limit ({} more lines); `--format json` has everything._",
        text[end..].lines().count()
    )
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
