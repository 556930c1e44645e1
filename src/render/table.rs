//! The table helpers every view uses: comfy-table set up one way, sizes and addresses
//! formatted one way.

use std::io::{self, Write};

use comfy_table::{presets, Attribute, Cell, CellAlignment, ContentArrangement, Table};

/// `1536` → `1.5 KiB`.
pub fn human(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    format!("{v:.1} {}", UNITS[u])
}

/// `512 B`, or `2048 B (2.0 KiB)`: exact bytes, and a readable size when it helps.
pub fn bytes(n: u64) -> String {
    if n < 1024 {
        format!("{n} B")
    } else {
        format!("{n} B ({})", human(n))
    }
}

/// `+12 B` / `-3 B`.
pub fn signed_bytes(d: i64) -> String {
    if d >= 0 {
        format!("+{d} B")
    } else {
        format!("{d} B")
    }
}

/// `+1.5 KiB` / `-12 B` / `0`.
pub fn signed(d: i64) -> String {
    match d {
        0 => "0".into(),
        d if d > 0 => format!("+{}", human(d as u64)),
        d => format!("-{}", human(d.unsigned_abs())),
    }
}

/// [`signed`], or nothing.
pub fn opt_signed(d: Option<i64>) -> String {
    d.map(signed).unwrap_or_default()
}

/// A usage bar: `#` used, `=` reserved, `.` free (ASCII so that it survives any terminal,
/// CI log or Markdown renderer).
pub fn bar(used: u64, reserved: u64, length: u64, width: usize) -> String {
    if length == 0 {
        return String::new();
    }
    let cells = |n: u64| ((n as u128 * width as u128).div_ceil(length as u128) as usize).min(width);
    let u = cells(used);
    let r = cells(used + reserved).saturating_sub(u).min(width - u);
    format!(
        "[{}{}{}]",
        "#".repeat(u),
        "=".repeat(r),
        ".".repeat(width - u - r)
    )
}

/// An address, zero-padded to 32 bits.
pub fn hex(v: u64) -> String {
    format!("{v:#010x}")
}

/// `s` for plurals.
pub fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// Markdown cells must not contain `|`; C++ names can.
pub fn cell(text: &str, markdown: bool) -> String {
    if markdown {
        text.replace('|', "\\|")
    } else {
        text.to_string()
    }
}

/// A name as code in Markdown.
pub fn code(text: &str, markdown: bool) -> String {
    if markdown {
        format!("`{}`", text.replace('|', "\\|").replace('`', "'"))
    } else {
        text.to_string()
    }
}

/// An empty table: a Markdown table, or a condensed box-drawing one for terminals.
pub fn new_table(markdown: bool) -> Table {
    let mut t = Table::new();
    if markdown {
        t.load_style(presets::ASCII_MARKDOWN);
    } else {
        t.load_style(presets::UTF8_FULL_CONDENSED);
    }
    t.set_content_arrangement(ContentArrangement::Disabled);
    t
}

/// A bold header (bold only shows on a terminal).
pub fn header(t: &mut Table, cols: &[&str], markdown: bool) {
    t.set_header(cols.iter().map(|c| {
        let cell = Cell::new(c);
        if markdown {
            cell
        } else {
            cell.add_attribute(Attribute::Bold)
        }
    }));
}

/// Right-align these columns (numbers).
pub fn right(t: &mut Table, cols: &[usize]) {
    for &c in cols {
        if let Some(col) = t.column_mut(c) {
            col.set_cell_alignment(CellAlignment::Right);
        }
    }
}

/// A table with a plain header and right-aligned number columns.
pub fn table(markdown: bool, cols: &[&str], right_cols: &[usize]) -> Table {
    let mut t = new_table(markdown);
    t.set_header(cols.iter().map(Cell::new));
    right(&mut t, right_cols);
    t
}

/// A section title: a Markdown heading of `depth`, or a blank line and the text.
pub fn title(out: &mut dyn Write, depth: usize, text: &str, markdown: bool) -> io::Result<()> {
    if markdown {
        writeln!(out, "\n{} {text}\n", "#".repeat(depth))
    } else {
        writeln!(out, "\n{text}")
    }
}

/// A table with trailing spaces trimmed (comfy-table pads lines in some styles).
pub fn print_table(out: &mut dyn Write, t: &Table) -> io::Result<()> {
    for line in t.to_string().lines() {
        writeln!(out, "{}", line.trim_end())?;
    }
    Ok(())
}
