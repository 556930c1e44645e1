//! The HTML views: one self-contained page per report, check or dashboard.
//!
//! Rust only emits the file: the page embeds the JSON value the `--format json` view of
//! the same command gives (compact, in `<script type="application/json">` blocks) and a
//! script that draws everything from it in the browser. Nothing is fetched when the page is
//! opened: the stylesheet, the script and the one library it uses (d3-hierarchy, for the
//! squarified treemap layout; ISC licence, its text is embedded beside it) are all inlined.

use std::io::{self, Write};

use serde::Serialize;

use super::{JsonCheck, JsonReport};
use crate::analyze::treemap::treemap;
use crate::budget::CheckResult;
use crate::dashboard::Dashboard;
use crate::report::Report;

const CSS: &str = include_str!("assets/membudget.css");
const SCRIPT: &str = include_str!("assets/membudget.js");
const D3_HIERARCHY: &str = include_str!("assets/d3-hierarchy.min.js");
const D3_HIERARCHY_LICENSE: &str = include_str!("assets/d3-hierarchy.LICENSE");

/// Which page the script draws; each kind reads its own data blocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Page {
    /// `report`: blocks `report` and `treemap`, and `limits` with a budget.
    Report,
    /// `check`: blocks `check` (the check result), `report` (the analysed build) and its
    /// `treemap`.
    Check,
    /// `dashboard`: blocks `dashboard` and the latest build's `treemap`.
    Dashboard,
}

impl Page {
    fn name(self) -> &'static str {
        match self {
            Page::Report => "report",
            Page::Check => "check",
            Page::Dashboard => "dashboard",
        }
    }
}

/// One JSON value to embed, under the id `membudget-NAME`.
pub struct Block<'a> {
    /// Block name: `report`, `check` or `dashboard`.
    pub name: &'static str,
    /// The value, serialised when the page is written.
    pub value: &'a dyn erased::Json,
}

/// Object-safe serialisation, so blocks of different types fit in one slice.
pub mod erased {
    /// A value that serialises to compact JSON.
    pub trait Json {
        /// The value as compact JSON bytes.
        fn to_json(&self) -> serde_json::Result<Vec<u8>>;
    }

    impl<T: serde::Serialize> Json for T {
        fn to_json(&self) -> serde_json::Result<Vec<u8>> {
            serde_json::to_vec(self)
        }
    }
}

/// Writes a page. Byte-identical for equal values: no timestamps, no paths, and the
/// embedded JSON keeps serde's field order.
pub fn write_page(page: Page, blocks: &[Block<'_>], out: &mut dyn Write) -> io::Result<()> {
    let mut html = Vec::with_capacity(1 << 16);
    write!(
        html,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"generator\" content=\"membudget {}\">\n\
         <title>membudget {}</title>\n<style>\n{CSS}</style>\n</head>\n\
         <body data-page=\"{}\">\n\
         <noscript><p>This page draws its report with JavaScript. The report itself is the \
         JSON in the script blocks of this file.</p></noscript>\n\
         <div id=\"app\"></div>\n",
        env!("CARGO_PKG_VERSION"),
        page.name(),
        page.name(),
    )?;
    for block in blocks {
        let json = block.value.to_json().map_err(io::Error::other)?;
        write!(
            html,
            "<script type=\"application/json\" id=\"membudget-{}\">",
            block.name
        )?;
        html.extend_from_slice(&escape_script(&json));
        html.extend_from_slice(b"</script>\n");
    }
    write!(
        html,
        "<script>\n/*! d3-hierarchy 3.1.3, vendored from npm (https://d3js.org/d3-hierarchy/).\n\
         {D3_HIERARCHY_LICENSE}*/\n{D3_HIERARCHY}\n</script>\n\
         <script>\n{SCRIPT}</script>\n</body>\n</html>\n"
    )?;
    out.write_all(&html)
}

/// JSON is raw text inside `<script>`: a `</script>` or `<!--` in a symbol name would end
/// or change the element. `<` only occurs inside JSON strings, where `\u003c` means the same
/// character, and it is a single byte that no UTF-8 sequence contains.
fn escape_script(json: &[u8]) -> Vec<u8> {
    let extra = json.iter().filter(|&&b| b == b'<').count() * 5;
    let mut out = Vec::with_capacity(json.len() + extra);
    for &b in json {
        if b == b'<' {
            out.extend_from_slice(b"\\u003c");
        } else {
            out.push(b);
        }
    }
    out
}

/// The report page: the report (as `report --format json` gives it), its treemap (computed
/// here, from the same report, so that the script only lays it out) and, with `--budget`,
/// the budget's region limits (as the dashboard embeds them).
pub fn write_report(
    report: &JsonReport<'_>,
    limits: &[crate::dashboard::Limit],
    out: &mut dyn Write,
) -> io::Result<()> {
    let tree = treemap(report.report);
    let mut blocks = vec![block("report", report), block("treemap", &tree)];
    if !limits.is_empty() {
        blocks.push(block("limits", &limits));
    }
    write_page(Page::Report, &blocks, out)
}

/// The check page: the check result (as `check --format json` gives it) and the report it
/// was made from (as `report --format json` gives it).
pub fn write_check(result: &CheckResult, report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let check = JsonCheck::new(result);
    let report = JsonReport {
        report,
        rollup: None,
    };
    write_page(
        Page::Check,
        &[
            block("check", &check),
            block("report", &report),
            block("treemap", &treemap(report.report)),
        ],
        out,
    )
}

/// The dashboard page.
pub fn write_dashboard(dashboard: &Dashboard, out: &mut dyn Write) -> io::Result<()> {
    let tree = treemap(&dashboard.latest);
    write_page(
        Page::Dashboard,
        &[block("dashboard", dashboard), block("treemap", &tree)],
        out,
    )
}

/// Convenience for one serialisable value.
pub fn block<'a, T: Serialize>(name: &'static str, value: &'a T) -> Block<'a> {
    Block { name, value }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_end_in_a_name_stays_inside_the_json() {
        let value = serde_json::json!({"name": "a</script><!--b"});
        let mut out = Vec::new();
        write_page(Page::Report, &[block("report", &value)], &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let start = text.find("id=\"membudget-report\">").unwrap() + 22;
        let end = start + text[start..].find("</script>").unwrap();
        let back: serde_json::Value = serde_json::from_str(&text[start..end]).unwrap();
        assert_eq!(back, value);
    }
}
