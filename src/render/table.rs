//! The table helpers every view uses: comfy-table set up one way, sizes and addresses
//! formatted one way.

use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use unicode_width::UnicodeWidthStr;

use comfy_table::{
    presets, Attribute, Cell, CellAlignment, ColumnConstraint, ContentArrangement, Table,
};

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

/// `512 B`, or `2048 B (2.0 KiB)`: exact bytes, and a readable size when it helps. Every
/// size column of `report`, `check` and `diff` uses it.
pub fn bytes(n: u64) -> String {
    if n < 1024 {
        format!("{n} B")
    } else {
        format!("{n} B ({})", human(n))
    }
}

/// [`bytes`], or [`ABSENT`].
pub fn opt_bytes(n: Option<u64>) -> String {
    n.map(bytes).unwrap_or_else(|| ABSENT.into())
}

/// The mark of a value that does not exist (no such section before, no baseline).
pub const ABSENT: &str = "-";

/// `+12 B` / `-3 B` / `0 B`.
pub fn signed_bytes(d: i64) -> String {
    if d > 0 {
        format!("+{d} B")
    } else {
        format!("{d} B")
    }
}

/// A change: `+1280 B (+1.2 KiB)`, `-12 B`, `0 B`; exact bytes, and a readable size
/// when it helps. Every change column uses it.
pub fn signed(d: i64) -> String {
    let sign = if d > 0 {
        "+"
    } else if d < 0 {
        "-"
    } else {
        ""
    };
    let m = d.unsigned_abs();
    if m < 1024 {
        format!("{sign}{m} B")
    } else {
        format!("{sign}{m} B ({sign}{})", human(m))
    }
}

/// [`signed`], or [`ABSENT`] (no baseline).
pub fn opt_signed(d: Option<i64>) -> String {
    d.map(signed).unwrap_or_else(|| ABSENT.into())
}

/// A percentage of a region, one decimal everywhere.
pub fn percent(p: f64) -> String {
    format!("{p:.1}")
}

/// `1 symbol`, `2 symbols`: a count and its noun (regular plurals only).
pub fn count(n: usize, noun: &str) -> String {
    format!("{n} {noun}{}", plural(n))
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

/// Markdown text that renders as written: GitHub would turn `<B>` into bold, drop `<USB>`,
/// split a table cell at `|` and read `*`, `_` or `[..]` as markup. Every character that
/// CommonMark lets a backslash escape and that means something here is escaped, except an
/// `_` inside a word (`f_rec`), which CommonMark never reads as emphasis.
pub fn md_escape(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    for (i, &c) in chars.iter().enumerate() {
        let inside_word = c == '_'
            && i > 0
            && chars[i - 1].is_alphanumeric()
            && chars.get(i + 1).is_some_and(|n| n.is_alphanumeric());
        if !inside_word
            && matches!(
                c,
                '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '~' | '&' | '#' | '!'
            )
        {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A name as a Markdown code span: the fence is one backtick longer than the longest run
/// of backticks in the name (CommonMark's rule), padded when the name starts or ends with
/// one; `|` is escaped, as GitHub splits table cells before it reads code spans.
pub fn md_code(text: &str) -> String {
    let mut longest = 0;
    let mut run = 0;
    for c in text.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    let fence = "`".repeat(longest + 1);
    let pad = if text.starts_with('`') || text.ends_with('`') || text.is_empty() {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{}{pad}{fence}", text.replace('|', "\\|"))
}

/// A name as code in Markdown ([`md_code`]), as written elsewhere.
pub fn code(text: &str, markdown: bool) -> String {
    if markdown {
        md_code(text)
    } else {
        text.to_string()
    }
}

/// User text in a sentence: escaped in Markdown ([`md_escape`]), as written elsewhere.
pub fn cell(text: &str, markdown: bool) -> String {
    if markdown {
        md_escape(text)
    } else {
        text.to_string()
    }
}

// The terminal the tables are drawn for, set once by the command line (the only reader of
// the environment). A library user gets no width limit and no colour.
static WIDTH: AtomicUsize = AtomicUsize::new(0);
static COLOR: AtomicBool = AtomicBool::new(false);

/// Draw terminal tables at most `width` columns wide (`None`: no limit), with colour and
/// bold (ANSI escapes) or without.
pub fn set_terminal(width: Option<usize>, color: bool) {
    WIDTH.store(width.unwrap_or(0), Ordering::Relaxed);
    COLOR.store(color, Ordering::Relaxed);
}

/// The width set by [`set_terminal`].
pub fn terminal_width() -> Option<usize> {
    Some(WIDTH.load(Ordering::Relaxed)).filter(|&w| w > 0)
}

/// Whether [`set_terminal`] turned colour on.
pub fn color() -> bool {
    COLOR.load(Ordering::Relaxed)
}

/// `text` in `style` when colour is on, as it is otherwise.
pub fn paint(text: &str, style: anstyle::Style) -> String {
    if color() {
        format!("{}{text}{}", style.render(), style.render_reset())
    } else {
        text.to_string()
    }
}

/// An empty table: a Markdown table, or a condensed box-drawing one for terminals, styled
/// only when colour is on.
pub fn new_table(markdown: bool) -> Table {
    let mut t = Table::new();
    if markdown {
        t.load_style(presets::ASCII_MARKDOWN);
    } else {
        t.load_style(presets::UTF8_FULL_CONDENSED);
    }
    t.set_content_arrangement(ContentArrangement::Disabled);
    // comfy-table would look at stdout itself; the command line has decided.
    t.force_no_tty();
    if color() && !markdown {
        t.enforce_styling();
    }
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

/// A section title: a Markdown heading of `depth`, or a blank line and the text.
pub fn title(out: &mut dyn Write, depth: usize, text: &str, markdown: bool) -> io::Result<()> {
    if markdown {
        writeln!(out, "\n{} {text}\n", "#".repeat(depth))
    } else {
        writeln!(out, "\n{}", paint(text, anstyle::Style::new().bold()))
    }
}

/// A table with trailing spaces trimmed (comfy-table pads lines in some styles).
pub fn print_table(out: &mut dyn Write, t: &Table) -> io::Result<()> {
    for line in t.to_string().lines() {
        writeln!(out, "{}", line.trim_end())?;
    }
    Ok(())
}

/// How a table too wide for the terminal is made narrower, one step at a time in the
/// order given, until it fits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fit {
    /// Leave this column out.
    Drop(usize),
    /// Cut the parenthesised tail of this column's cells: `2048 B (2.0 KiB)` becomes
    /// `2048 B`, `RAM (image in FLASH)` becomes `RAM`.
    Compact(usize),
    /// Shorten this column's long cells with an ellipsis in the middle (names: their start
    /// and their end say the most), down to [`MIN_SHRUNK`] characters.
    Shrink(usize),
    /// Wrap the text cells onto more lines, between words, inside their columns (for
    /// sentences that would lose their meaning cut short); numbers are never wrapped.
    Wrap,
}

/// The narrowest a [`Fit::Shrink`] column gets.
pub const MIN_SHRUNK: usize = 16;

/// A table that fits the terminal: columns with a header, an alignment and a Markdown
/// kind, and the [`Fit`] steps that narrow it. Markdown tables are never narrowed (a
/// browser wraps them); their user text is escaped and their number columns right-aligned.
pub struct Grid {
    markdown: bool,
    names: Vec<String>,
    right: Vec<bool>,
    code: Vec<bool>,
    fit: Vec<Fit>,
    rows: Vec<Vec<String>>,
}

impl Grid {
    /// A table with these column headers, every column left-aligned text.
    pub fn new(markdown: bool, cols: &[&str]) -> Self {
        Grid {
            markdown,
            names: cols.iter().map(|c| c.to_string()).collect(),
            right: vec![false; cols.len()],
            code: vec![false; cols.len()],
            fit: Vec::new(),
            rows: Vec::new(),
        }
    }

    /// Right-align these columns (numbers).
    pub fn right(mut self, cols: &[usize]) -> Self {
        for &c in cols {
            self.right[c] = true;
        }
        self
    }

    /// These columns hold names: code spans in Markdown.
    pub fn code(mut self, cols: &[usize]) -> Self {
        for &c in cols {
            self.code[c] = true;
        }
        self
    }

    /// How to narrow the table, in order.
    pub fn fit(mut self, steps: &[Fit]) -> Self {
        self.fit = steps.to_vec();
        self
    }

    /// A row of plain text, one cell per column.
    pub fn add_row(&mut self, row: Vec<String>) {
        debug_assert_eq!(row.len(), self.names.len());
        self.rows.push(row);
    }

    /// Whether no row was added.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Draw the table.
    pub fn write(&self, out: &mut dyn Write) -> io::Result<()> {
        if self.markdown {
            return self.write_markdown(out);
        }
        let mut shown = vec![true; self.names.len()];
        let mut rows = self.rows.clone();
        if let Some(width) = terminal_width() {
            self.narrow(width, &mut shown, &mut rows);
        }
        let mut t = new_table(false);
        let cols: Vec<usize> = (0..self.names.len()).filter(|&c| shown[c]).collect();
        header(
            &mut t,
            &cols
                .iter()
                .map(|&c| self.names[c].as_str())
                .collect::<Vec<_>>(),
            false,
        );
        for row in &rows {
            t.add_row(cols.iter().map(|&c| row[c].clone()));
        }
        right(
            &mut t,
            &(0..cols.len())
                .filter(|&i| self.right[cols[i]])
                .collect::<Vec<_>>(),
        );
        if let Some(width) = terminal_width() {
            if table_width(&self.names, &shown, &rows) > width {
                // `Fit::Wrap`, or the last resort when even the narrowed table is too wide
                // (a terminal of 40 columns): comfy-table wraps inside the text cells, so
                // the lines still fit and every row stays a row.
                t.set_content_arrangement(ContentArrangement::Dynamic);
                t.set_width(width.min(u16::MAX as usize) as u16);
                for (i, &c) in cols.iter().enumerate() {
                    if self.right[c] {
                        if let Some(col) = t.column_mut(i) {
                            col.set_constraint(ColumnConstraint::ContentWidth);
                        }
                    }
                }
            }
        }
        print_table(out, &t)
    }

    /// Apply the [`Fit`] steps until the table is at most `width` wide. Consecutive
    /// [`Fit::Shrink`] steps shrink their columns together, the widest first, so that no
    /// name is cut short while another stays long.
    fn narrow(&self, width: usize, shown: &mut [bool], rows: &mut [Vec<String>]) {
        let mut i = 0;
        while i < self.fit.len() && table_width(&self.names, shown, rows) > width {
            match self.fit[i] {
                // Done by comfy-table as the table is drawn.
                Fit::Wrap => return,
                Fit::Drop(c) => shown[c] = false,
                Fit::Compact(c) => {
                    for row in rows.iter_mut() {
                        row[c] = compact(&row[c]).to_string();
                    }
                }
                Fit::Shrink(_) => {
                    let mut cols = Vec::new();
                    while let Some(Fit::Shrink(c)) = self.fit.get(i) {
                        cols.push(*c);
                        i += 1;
                    }
                    self.shrink(width, &cols, shown, rows);
                    continue;
                }
            }
            i += 1;
        }
    }

    /// Narrow `cols` one character at a time, the widest first, until the table fits or
    /// each is down to [`MIN_SHRUNK`] (or its header).
    fn shrink(&self, width: usize, cols: &[usize], shown: &[bool], rows: &mut [Vec<String>]) {
        let cols: Vec<usize> = cols.iter().copied().filter(|&c| shown[c]).collect();
        let mut widths: Vec<usize> = cols
            .iter()
            .map(|&c| col_width(&self.names[c], rows, c))
            .collect();
        let floor = |k: usize| MIN_SHRUNK.max(self.names[cols[k]].width());
        let mut excess = table_width(&self.names, shown, rows).saturating_sub(width);
        while excess > 0 {
            let Some(k) = (0..cols.len())
                .filter(|&k| widths[k] > floor(k))
                .max_by_key(|&k| widths[k])
            else {
                break;
            };
            widths[k] -= 1;
            excess -= 1;
        }
        for (k, &c) in cols.iter().enumerate() {
            for row in rows.iter_mut() {
                row[c] = ellipsis(&row[c], widths[k]);
            }
        }
    }

    /// A GitHub table: escaped text, code spans for names, `---:` under numbers.
    fn write_markdown(&self, out: &mut dyn Write) -> io::Result<()> {
        let line = |cells: Vec<String>| format!("| {} |", cells.join(" | "));
        writeln!(
            out,
            "{}",
            line(self.names.iter().map(|n| md_escape(n)).collect())
        )?;
        writeln!(
            out,
            "{}",
            line(
                self.right
                    .iter()
                    .map(|&r| if r { "---:" } else { "---" }.to_string())
                    .collect()
            )
        )?;
        for row in &self.rows {
            let cells = row
                .iter()
                .enumerate()
                .map(|(c, text)| {
                    if text.is_empty() {
                        String::new()
                    } else if self.code[c] {
                        md_code(text)
                    } else {
                        md_escape(text)
                    }
                })
                .collect();
            writeln!(out, "{}", line(cells))?;
        }
        Ok(())
    }
}

/// The width of a column: its header or its widest cell.
fn col_width(name: &str, rows: &[Vec<String>], c: usize) -> usize {
    rows.iter()
        .map(|r| r.get(c).map_or(0, |s| s.width()))
        .max()
        .unwrap_or(0)
        .max(name.width())
}

/// The width of a condensed box-drawing table: `│ a ┆ b │` is the cells plus three
/// characters per column plus one.
fn table_width(names: &[String], shown: &[bool], rows: &[Vec<String>]) -> usize {
    let cols: Vec<usize> = (0..names.len()).filter(|&c| shown[c]).collect();
    cols.iter()
        .map(|&c| col_width(&names[c], rows, c) + 3)
        .sum::<usize>()
        + 1
}

/// `2048 B (2.0 KiB)` → `2048 B`: the text before a trailing parenthesised part.
fn compact(text: &str) -> &str {
    match text.strip_suffix(')').and_then(|t| t.rfind(" (")) {
        Some(i) => &text[..i],
        None => text,
    }
}

/// `text` at most `width` columns wide, its middle replaced by `…` when it is longer.
pub fn ellipsis(text: &str, width: usize) -> String {
    if text.width() <= width || width < 3 {
        return text.to_string();
    }
    let chars: Vec<char> = text.chars().collect();
    let keep = width - 1;
    let tail = keep / 2;
    let head = keep - tail;
    let mut out: String = chars[..head].iter().collect();
    out.push('…');
    out.extend(&chars[chars.len() - tail..]);
    out
}

/// A line of prose (a sentence, a warning, a verdict): in a terminal view wrapped at the
/// width the tables fit, between words (a `- ` item's next lines indented under its
/// text); as written in Markdown.
pub fn prose(out: &mut dyn Write, text: &str, markdown: bool) -> io::Result<()> {
    match terminal_width() {
        Some(width) if !markdown && text.width() > width => {
            let indent = if text.starts_with("- ") { "  " } else { "" };
            let options = textwrap::Options::new(width)
                .subsequent_indent(indent)
                .break_words(true);
            writeln!(out, "{}", textwrap::fill(text, options))
        }
        _ => writeln!(out, "{text}"),
    }
}
