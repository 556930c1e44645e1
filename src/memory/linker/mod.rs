//! Reading memory regions out of GNU ld linker scripts.
//!
//! Only the `MEMORY` commands are interpreted; everything else in a script
//! (`SECTIONS`, `ENTRY`, `PROVIDE`, `ASSERT`, ...) is tokenised and skipped, with
//! two exceptions that `MEMORY` expressions may depend on:
//!
//! * top-level symbol assignments (`FLASH_START = 0x08000000;`, `X += 4;`,
//!   `PROVIDE(X = ...)`) whose value is a constant are remembered, so that a later
//!   `ORIGIN = FLASH_START` works (Particle Device OS and Zephyr-style scripts do this);
//! * `INCLUDE file` is followed at top level and inside `MEMORY` (GNU ld also allows it
//!   inside `SECTIONS`, where it cannot contribute regions, so it is ignored there);
//!   `SEARCH_DIR(dir)` adds a directory to the include search path, and
//!   `REGION_ALIAS("alias", REGION)` makes `ORIGIN(alias)` resolve.
//!
//! The lexical rules follow binutils' `ldlex.l`: only `/* */` comments; numbers are
//! decimal, octal (leading `0`), hex (`0x`, `$` prefix, or an `h`/`x` suffix), binary
//! (`b` suffix), with an optional `K`/`M` multiplier (ld has no `G`); symbol names
//! start with a letter, `_`, `.` or `$` and continue with those or digits (no `-`, so
//! `A-B` is a subtraction as in ld's expression state).
//!
//! Arithmetic is on unsigned 64-bit values; anything that would wrap (including
//! unary minus of a non-zero value) is reported as an error rather than wrapped as
//! ld would, since a wrapped region bound is almost certainly a mistake.
//!
//! `INCLUDE` files are searched for relative to the directory of the including
//! script, then the current directory, then any `SEARCH_DIR`/extra search
//! directories. (GNU ld itself searches the current directory and `-L` paths only;
//! looking next to the including script first is what makes the tool usable from any
//! working directory.) Nesting is limited to 10 levels, as in ld, and a file that
//! (transitively) includes itself is reported as a cycle.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::memory::Region;

/// GNU ld's `MAX_INCLUDE_DEPTH`.
const MAX_INCLUDE_DEPTH: usize = 10;

#[derive(Debug, thiserror::Error)]
pub enum LinkerScriptError {
    /// The top-level script could not be read.
    #[error("cannot read {}: {reason}", path.display())]
    Read {
        path: PathBuf,
        reason: String,
        #[source]
        source: std::io::Error,
    },
    /// An `INCLUDE`d file could not be found or read.
    #[error("{file}:{line}:{column}: cannot read included file '{name}': {reason}")]
    Include {
        file: String,
        line: usize,
        column: usize,
        name: String,
        reason: String,
        #[source]
        source: std::io::Error,
    },
    /// Any lexical, syntax or evaluation error, at a 1-based line and column.
    #[error("{file}:{line}:{column}: {message}")]
    Syntax {
        file: String,
        line: usize,
        column: usize,
        message: String,
    },
    /// The script (and everything it includes) has no `MEMORY` command.
    #[error("no MEMORY command in {file}")]
    NoMemory { file: String },
}

/// Parses the linker script at `path` (following `INCLUDE`s) and returns every
/// region of every `MEMORY` command, in the order written.
pub fn parse_memory_file(path: &Path) -> Result<Vec<Region>, LinkerScriptError> {
    parse_memory_file_with_search_dirs(path, &[])
}

/// Like [`parse_memory_file`], with extra directories to search for `INCLUDE`d files
/// after the including script's directory and the current directory (the
/// equivalent of ld's `-L` options).
pub fn parse_memory_file_with_search_dirs(
    path: &Path,
    search_dirs: &[PathBuf],
) -> Result<Vec<Region>, LinkerScriptError> {
    let text = read_text(path).map_err(|source| LinkerScriptError::Read {
        path: path.to_path_buf(),
        reason: io_reason(&source),
        source,
    })?;
    let label = path.display().to_string();
    let p = Parser::new(search_dirs);
    let canonical = std::fs::canonicalize(path).ok();
    p.run(&text, &label, path.parent(), canonical)
}

/// Parses linker script text. `file_label` is used in error messages; relative
/// `INCLUDE`s are resolved against `base_dir` (when given), then the current directory.
pub fn parse_memory_str(
    text: &str,
    file_label: &str,
    base_dir: Option<&Path>,
) -> Result<Vec<Region>, LinkerScriptError> {
    Parser::new(&[]).run(text, file_label, base_dir, None)
}

fn read_text(path: &Path) -> std::io::Result<String> {
    let bytes = std::fs::read(path)?;
    Ok(match String::from_utf8(bytes) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    })
}

/// `io::Error`'s message without the " (os error N)" suffix.
fn io_reason(e: &std::io::Error) -> String {
    let s = e.to_string();
    match s.rfind(" (os error ") {
        Some(i) if s.ends_with(')') => s[..i].to_string(),
        _ => s,
    }
}

// ---------------------------------------------------------------------------
// Lexer

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Symbol / keyword / region name.
    Ident,
    /// A run of alphanumerics starting with a digit, or `$` + hex digits;
    /// its value is only worked out when an expression needs it.
    Number,
    /// `"..."` (the text excludes the quotes).
    Str,
    /// The (unquoted) file name after `INCLUDE`.
    FileName,
    Punct,
    Eof,
}

#[derive(Debug, Clone, Copy)]
struct Token {
    kind: Kind,
    /// Byte offset of the token in the source (for positions).
    start: usize,
    /// Byte range of the token's text.
    text: (usize, usize),
}

struct Source<'a> {
    label: &'a str,
    text: &'a str,
    tokens: Vec<Token>,
}

impl<'a> Source<'a> {
    /// Token `i`, or the end-of-file token past the end.
    fn tok(&self, i: usize) -> Token {
        self.tokens[i.min(self.tokens.len() - 1)]
    }

    fn tok_text(&self, t: &Token) -> &'a str {
        &self.text[t.text.0..t.text.1]
    }

    fn position(&self, offset: usize) -> (usize, usize) {
        position(self.text, offset)
    }

    fn error_at(&self, offset: usize, message: impl Into<String>) -> LinkerScriptError {
        let (line, column) = self.position(offset);
        LinkerScriptError::Syntax {
            file: self.label.to_string(),
            line,
            column,
            message: message.into(),
        }
    }

    fn error(&self, t: &Token, message: impl Into<String>) -> LinkerScriptError {
        self.error_at(t.start, message)
    }

    /// `'foo'` or `end of file`, for "found ..." messages.
    fn describe(&self, t: &Token) -> String {
        match t.kind {
            Kind::Eof => "end of file".to_string(),
            Kind::Str => format!("\"{}\"", self.tok_text(t)),
            _ => format!("'{}'", self.tok_text(t)),
        }
    }
}

fn position(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = text[line_start..offset].chars().count() + 1;
    (line, column)
}

fn is_ident_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_' || c == b'.' || c == b'$'
}

fn is_ident_continue(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'.' || c == b'$'
}

/// Characters of an unquoted file name (ld's FILENAMECHAR).
fn is_filename_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || b"/._-+$:[]\\,=&!<>~".contains(&c)
}

const PUNCT3: &[&str] = &["<<=", ">>="];
const PUNCT2: &[&str] = &[
    "<<", ">>", "<=", ">=", "==", "!=", "&&", "||", "+=", "-=", "*=", "/=", "&=", "|=",
];

fn lex<'a>(label: &'a str, text: &'a str) -> Result<Source<'a>, LinkerScriptError> {
    let b = text.as_bytes();
    let mut src = Source {
        label,
        text,
        tokens: Vec::new(),
    };
    let mut i = 0;
    let mut expect_filename = false;
    let mut at_line_start = true;
    while i < b.len() {
        let c = b[i];
        if c == b'\n' {
            at_line_start = true;
            i += 1;
            continue;
        }
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        if c == b'/' && b.get(i + 1) == Some(&b'*') {
            match text[i + 2..].find("*/") {
                Some(end) => i = i + 2 + end + 2,
                None => return Err(src.error_at(i, "unterminated comment")),
            }
            continue;
        }
        if c == b'/' && b.get(i + 1) == Some(&b'/') {
            return Err(src.error_at(
                i,
                "'//' comments are not supported by gnu ld; use /* ... */",
            ));
        }
        if c == b'#' && at_line_start {
            return Err(src.error_at(
                i,
                "unexpected '#'; this looks like a script that still needs the c preprocessor",
            ));
        }
        at_line_start = false;
        let start = i;
        let (kind, text_range);
        if c == b'"' {
            match text[i + 1..].find('"') {
                Some(end) => {
                    kind = if expect_filename {
                        Kind::FileName
                    } else {
                        Kind::Str
                    };
                    text_range = (i + 1, i + 1 + end);
                    i = i + 1 + end + 1;
                }
                None => return Err(src.error_at(i, "unterminated string")),
            }
        } else if expect_filename && is_filename_char(c) {
            while i < b.len() && is_filename_char(b[i]) {
                i += 1;
            }
            kind = Kind::FileName;
            text_range = (start, i);
        } else if c.is_ascii_digit()
            || (c == b'$' && b.get(i + 1).is_some_and(|d| d.is_ascii_hexdigit()))
        {
            i += 1;
            while i < b.len() && b[i].is_ascii_alphanumeric() {
                i += 1;
            }
            kind = Kind::Number;
            text_range = (start, i);
        } else if is_ident_start(c) {
            while i < b.len() && is_ident_continue(b[i]) {
                i += 1;
            }
            kind = Kind::Ident;
            text_range = (start, i);
        } else {
            let rest = &text[i..];
            let len = PUNCT3
                .iter()
                .chain(PUNCT2)
                .find(|p| rest.starts_with(**p))
                .map_or_else(
                    || rest.chars().next().map_or(1, char::len_utf8),
                    |p| p.len(),
                );
            i += len;
            kind = Kind::Punct;
            text_range = (start, i);
        }
        expect_filename = kind == Kind::Ident && &text[text_range.0..text_range.1] == "INCLUDE";
        src.tokens.push(Token {
            kind,
            start,
            text: text_range,
        });
    }
    src.tokens.push(Token {
        kind: Kind::Eof,
        start: b.len(),
        text: (b.len(), b.len()),
    });
    Ok(src)
}

/// Value of a number token, following ld's lexer rules.
fn parse_number(raw: &str) -> Result<u64, String> {
    let invalid = || format!("invalid number '{raw}'");
    let too_big = || format!("number '{raw}' does not fit in 64 bits");
    let (body, mult) = match raw.as_bytes().last() {
        Some(b'K' | b'k') => (&raw[..raw.len() - 1], 1024u64),
        Some(b'M' | b'm') => (&raw[..raw.len() - 1], 1024 * 1024),
        _ => (raw, 1),
    };
    let digits = |s: &str, radix: u32| -> Result<u64, String> {
        if s.is_empty() || !s.chars().all(|c| c.is_digit(radix)) {
            return Err(invalid());
        }
        u64::from_str_radix(s, radix).map_err(|_| too_big())
    };
    let value = if let Some(hex) = body.strip_prefix('$') {
        digits(hex, 16)?
    } else if let Some(hex) = body.strip_prefix("0x").or_else(|| body.strip_prefix("0X")) {
        digits(hex, 16)?
    } else if body.bytes().all(|c| c.is_ascii_digit()) {
        if body.len() > 1 && body.starts_with('0') {
            digits(&body[1..], 8)?
        } else {
            digits(body, 10)?
        }
    } else if mult == 1 {
        // ld's suffix forms: 1234h / 1234x (hex), 17o (octal), 101b (binary), 99d (decimal).
        let (head, suffix) = raw.split_at(raw.len() - 1);
        let radix = match suffix {
            "h" | "H" | "x" | "X" => 16,
            "o" | "O" => 8,
            "b" | "B" => 2,
            "d" | "D" => 10,
            _ => return Err(invalid()),
        };
        digits(head, radix)?
    } else {
        return Err(invalid());
    };
    value.checked_mul(mult).ok_or_else(too_big)
}

// ---------------------------------------------------------------------------
// Parser

#[derive(Debug, Clone, Copy)]
enum SymbolValue {
    Const(u64),
    /// Assigned something that is not a link-time constant (e.g. `.`, `ADDR()`).
    NotConstant,
}

struct RegionDef {
    region: Region,
    /// Where it was defined, for duplicate-name messages.
    defined_at: String,
}

struct Parser {
    regions: Vec<RegionDef>,
    symbols: HashMap<String, SymbolValue>,
    aliases: HashMap<String, String>,
    search_dirs: Vec<PathBuf>,
    /// Canonical paths of the files being read (outermost first), for cycle detection.
    stack: Vec<Option<PathBuf>>,
    found_memory: bool,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// A whole linker script.
    Script,
    /// A file included from inside `MEMORY`: a list of region definitions.
    MemoryList,
}

type PResult<T> = Result<T, LinkerScriptError>;

impl Parser {
    fn new(search_dirs: &[PathBuf]) -> Self {
        Parser {
            regions: Vec::new(),
            symbols: HashMap::new(),
            aliases: HashMap::new(),
            search_dirs: search_dirs.to_vec(),
            stack: Vec::new(),
            found_memory: false,
        }
    }

    fn run(
        mut self,
        text: &str,
        label: &str,
        base_dir: Option<&Path>,
        canonical: Option<PathBuf>,
    ) -> PResult<Vec<Region>> {
        self.stack.push(canonical);
        self.parse_file(text, label, base_dir, Mode::Script)?;
        if !self.found_memory {
            return Err(LinkerScriptError::NoMemory {
                file: label.to_string(),
            });
        }
        Ok(self.regions.into_iter().map(|d| d.region).collect())
    }

    fn parse_file(
        &mut self,
        text: &str,
        label: &str,
        base_dir: Option<&Path>,
        mode: Mode,
    ) -> PResult<()> {
        let src = lex(label, text)?;
        match mode {
            Mode::Script => self.parse_script(&src, base_dir),
            Mode::MemoryList => {
                let end = self.parse_memory_specs(&src, base_dir, 0, None)?;
                debug_assert_eq!(src.tokens[end].kind, Kind::Eof);
                Ok(())
            }
        }
    }

    fn parse_script(&mut self, src: &Source, base_dir: Option<&Path>) -> PResult<()> {
        let text = |i: usize| src.tok_text(&src.tok(i));
        let is = |i: usize, kind: Kind, s: &str| src.tok(i).kind == kind && text(i) == s;
        // Opening braces not yet closed, for the error at end of file.
        let mut open: Vec<usize> = Vec::new();
        let mut i = 0;
        while src.tok(i).kind != Kind::Eof {
            let t = src.tok(i);
            if t.kind == Kind::Punct {
                match text(i) {
                    "{" => open.push(i),
                    "}" if open.pop().is_none() => {
                        return Err(src.error(&t, "unexpected '}'"));
                    }
                    _ => {}
                }
                i += 1;
                continue;
            }
            if !open.is_empty() || t.kind != Kind::Ident {
                i += 1;
                continue;
            }
            // Top level, an identifier: the start of a command or an assignment.
            match text(i) {
                "MEMORY" => {
                    if !is(i + 1, Kind::Punct, "{") {
                        let next = src.tok(i + 1);
                        return Err(src.error(
                            &next,
                            format!("expected '{{' after MEMORY, found {}", src.describe(&next)),
                        ));
                    }
                    self.found_memory = true;
                    i = self.parse_memory_specs(src, base_dir, i + 2, Some(i + 1))? + 1;
                }
                "INCLUDE" => {
                    self.include(src, base_dir, i, Mode::Script)?;
                    i += 2;
                }
                "SEARCH_DIR" if is(i + 1, Kind::Punct, "(") => {
                    let arg = i + 2;
                    if matches!(src.tok(arg).kind, Kind::Ident | Kind::Str)
                        && is(arg + 1, Kind::Punct, ")")
                    {
                        let dir = PathBuf::from(text(arg));
                        let dir = match base_dir {
                            Some(b) if dir.is_relative() => b.join(dir),
                            _ => dir,
                        };
                        self.search_dirs.push(dir);
                    }
                    i += 2;
                }
                "REGION_ALIAS" if is(i + 1, Kind::Punct, "(") => {
                    let (a, c, r, e) = (i + 2, i + 3, i + 4, i + 5);
                    if matches!(src.tok(a).kind, Kind::Ident | Kind::Str)
                        && is(c, Kind::Punct, ",")
                        && matches!(src.tok(r).kind, Kind::Ident | Kind::Str)
                        && is(e, Kind::Punct, ")")
                    {
                        self.aliases
                            .insert(text(a).to_string(), text(r).to_string());
                        i = e + 1;
                    } else {
                        i += 2;
                    }
                }
                "PROVIDE" | "PROVIDE_HIDDEN" | "HIDDEN"
                    if is(i + 1, Kind::Punct, "(")
                        && src.tok(i + 2).kind == Kind::Ident
                        && is(i + 3, Kind::Punct, "=") =>
                {
                    // PROVIDE only defines the symbol if nothing else does; an
                    // earlier definition wins.
                    let skip = text(i) != "HIDDEN" && self.symbols.contains_key(text(i + 2));
                    i = self.assignment(src, i + 2, "=", ")", skip);
                }
                _ if src.tok(i + 1).kind == Kind::Punct
                    && matches!(
                        text(i + 1),
                        "=" | "+=" | "-=" | "*=" | "/=" | "<<=" | ">>=" | "&=" | "|="
                    ) =>
                {
                    i = self.assignment(src, i, text(i + 1), ";", false);
                }
                _ => i += 1,
            }
        }
        if let Some(&b) = open.last() {
            return Err(src.error(&src.tok(b), "unclosed '{'"));
        }
        Ok(())
    }

    /// A top-level `name op expr terminator`, with `name` at `i`; returns the index
    /// to continue from. Never fails: a value that cannot be worked out makes the
    /// symbol non-constant, which only matters if a MEMORY expression uses it.
    fn assignment(
        &mut self,
        src: &Source,
        i: usize,
        op: &str,
        terminator: &str,
        skip: bool,
    ) -> usize {
        let name = src.tok_text(&src.tok(i)).to_string();
        let start = i + 2;
        // Find the terminator at parenthesis depth 0.
        let mut depth = 0usize;
        let mut end = start;
        loop {
            let t = &src.tok(end);
            if t.kind == Kind::Eof {
                end = src.tokens.len() - 1;
                break;
            }
            if t.kind == Kind::Punct {
                let s = src.tok_text(t);
                if depth == 0 && s == terminator {
                    break;
                }
                match s {
                    "(" => depth += 1,
                    ")" => depth = depth.saturating_sub(1),
                    "{" | "}" | ";" => break,
                    _ => {}
                }
            }
            end += 1;
        }
        if skip {
            return end;
        }
        let value = {
            let mut ev = Eval {
                src,
                pos: start,
                end,
                parser: self,
            };
            match ev.expr() {
                Ok(v) if ev.pos == end => Some(v),
                _ => None,
            }
        };
        let value = match (op, value) {
            (_, None) => None,
            ("=", Some(v)) => Some(v),
            (_, Some(v)) => match self.symbols.get(&name) {
                Some(SymbolValue::Const(old)) => binary(&op[..op.len() - 1], *old, v).ok(),
                _ => None,
            },
        };
        self.symbols.insert(
            name,
            value.map_or(SymbolValue::NotConstant, SymbolValue::Const),
        );
        end
    }

    /// Region definitions starting at token `i`, up to the `}` closing the brace at
    /// `open` (or to end of file for an included region list). Returns the index of
    /// the closing `}` (or of the end-of-file token).
    fn parse_memory_specs(
        &mut self,
        src: &Source,
        base_dir: Option<&Path>,
        mut i: usize,
        open: Option<usize>,
    ) -> PResult<usize> {
        let text = |i: usize| src.tok_text(&src.tok(i));
        let is_punct = |i: usize, s: &str| src.tok(i).kind == Kind::Punct && text(i) == s;
        loop {
            if is_punct(i, ",") {
                i += 1;
            }
            let t = src.tok(i);
            match (t.kind, open) {
                (Kind::Punct, Some(_)) if text(i) == "}" => return Ok(i),
                (Kind::Eof, None) => return Ok(i),
                (Kind::Eof, Some(o)) => {
                    return Err(src.error(&src.tok(o), "unclosed '{' of MEMORY command"));
                }
                (Kind::Ident, _) if text(i) == "INCLUDE" => {
                    self.include(src, base_dir, i, Mode::MemoryList)?;
                    i += 2;
                    continue;
                }
                (Kind::Ident, _) => {}
                _ => {
                    return Err(src.error(
                        &t,
                        format!("expected a region name, found {}", src.describe(&t)),
                    ));
                }
            }
            let name = text(i);
            let name_tok = t;
            i += 1;

            let mut attributes = None;
            if is_punct(i, "(") {
                let open_paren = i;
                let mut j = i + 1;
                while !is_punct(j, ")") {
                    if src.tok(j).kind == Kind::Eof || is_punct(j, ":") || is_punct(j, "}") {
                        return Err(
                            src.error(&src.tok(open_paren), "unclosed '(' in region attributes")
                        );
                    }
                    j += 1;
                }
                let raw = &src.text[src.tok(open_paren).text.1..src.tok(j).start];
                let attrs: String = raw.split_whitespace().collect();
                if let Some(bad) = attrs.chars().find(|c| !"rRwWxXaAiIlL!".contains(*c)) {
                    let off = src.tok(open_paren).text.1 + raw.find(bad).unwrap_or(0);
                    return Err(src.error_at(
                        off,
                        format!(
                            "invalid memory attribute '{bad}' (expected r, w, x, a, i, l or !)"
                        ),
                    ));
                }
                attributes = Some(attrs);
                i = j + 1;
            }

            if !is_punct(i, ":") {
                let t = src.tok(i);
                return Err(src.error(
                    &t,
                    format!(
                        "expected ':' after region name '{name}', found {}",
                        src.describe(&t)
                    ),
                ));
            }
            i += 1;

            let origin;
            (origin, i) = self.region_field(src, i, &["ORIGIN", "org", "o"], "ORIGIN")?;
            if is_punct(i, ",") {
                i += 1;
            }
            let length;
            (length, i) = self.region_field(src, i, &["LENGTH", "len", "l"], "LENGTH")?;

            if let Some(prev) = self.regions.iter().find(|d| d.region.name == name) {
                return Err(src.error(
                    &name_tok,
                    format!(
                        "duplicate region '{name}' (first defined at {})",
                        prev.defined_at
                    ),
                ));
            }
            let (line, column) = src.position(name_tok.start);
            self.regions.push(RegionDef {
                region: Region {
                    name: name.to_string(),
                    origin,
                    length,
                    attributes,
                },
                defined_at: format!("{}:{line}:{column}", src.label),
            });
        }
    }

    /// `ORIGIN = expr` (any of `keywords`), returning the value and the next index.
    fn region_field(
        &mut self,
        src: &Source,
        i: usize,
        keywords: &[&str],
        what: &str,
    ) -> PResult<(u64, usize)> {
        let t = src.tok(i);
        if !(t.kind == Kind::Ident && keywords.contains(&src.tok_text(&t))) {
            return Err(src.error(&t, format!("expected {what}, found {}", src.describe(&t))));
        }
        let eq = src.tok(i + 1);
        if !(eq.kind == Kind::Punct && src.tok_text(&eq) == "=") {
            return Err(src.error(
                &eq,
                format!(
                    "expected '=' after {}, found {}",
                    src.tok_text(&t),
                    src.describe(&eq)
                ),
            ));
        }
        let mut ev = Eval {
            src,
            pos: i + 2,
            end: src.tokens.len() - 1,
            parser: self,
        };
        let value = ev.expr()?;
        Ok((value, ev.pos))
    }

    /// Follows the `INCLUDE` at token `i` (its file name is token `i + 1`).
    fn include(
        &mut self,
        src: &Source,
        base_dir: Option<&Path>,
        i: usize,
        mode: Mode,
    ) -> PResult<()> {
        let inc_tok = src.tok(i);
        let name_tok = src.tok(i + 1);
        if name_tok.kind != Kind::FileName {
            return Err(src.error(
                &name_tok,
                format!(
                    "expected a file name after INCLUDE, found {}",
                    src.describe(&name_tok)
                ),
            ));
        }
        let name = src.tok_text(&name_tok);
        let (path, text) = self.find_include(name, base_dir).map_err(|source| {
            let (line, column) = src.position(inc_tok.start);
            LinkerScriptError::Include {
                file: src.label.to_string(),
                line,
                column,
                name: name.to_string(),
                reason: io_reason(&source),
                source,
            }
        })?;
        let canonical = std::fs::canonicalize(&path).ok();
        if canonical.is_some() && self.stack.contains(&canonical) {
            return Err(src.error(
                &inc_tok,
                format!("INCLUDE cycle: '{name}' is already being read"),
            ));
        }
        if self.stack.len() > MAX_INCLUDE_DEPTH {
            return Err(src.error(
                &inc_tok,
                format!("INCLUDE nested too deeply (more than {MAX_INCLUDE_DEPTH} levels)"),
            ));
        }
        self.stack.push(canonical);
        let label = path.display().to_string();
        let result = self.parse_file(&text, &label, path.parent(), mode);
        self.stack.pop();
        result
    }

    fn find_include(
        &self,
        name: &str,
        base_dir: Option<&Path>,
    ) -> std::io::Result<(PathBuf, String)> {
        let name_path = Path::new(name);
        let mut candidates = Vec::new();
        if name_path.is_absolute() {
            candidates.push(name_path.to_path_buf());
        } else {
            if let Some(b) = base_dir {
                candidates.push(b.join(name_path));
            }
            candidates.push(name_path.to_path_buf());
            candidates.extend(self.search_dirs.iter().map(|d| d.join(name_path)));
        }
        let mut first_err = None;
        for c in candidates {
            match read_text(&c) {
                Ok(text) => return Ok((c, text)),
                Err(e) => {
                    if first_err.is_none() || e.kind() != std::io::ErrorKind::NotFound {
                        // Prefer a "real" error (permission denied, is a directory) over NotFound.
                        if first_err.as_ref().is_none_or(|f: &std::io::Error| {
                            f.kind() == std::io::ErrorKind::NotFound
                        }) {
                            first_err = Some(e);
                        }
                    }
                }
            }
        }
        Err(first_err.unwrap_or_else(|| std::io::Error::from(std::io::ErrorKind::NotFound)))
    }
}

// ---------------------------------------------------------------------------
// Expressions

struct Eval<'s, 'a, 'p> {
    src: &'s Source<'a>,
    pos: usize,
    /// Index of the first token not to read (a terminator or the end-of-file token).
    end: usize,
    parser: &'p Parser,
}

fn binary(op: &str, a: u64, b: u64) -> Result<u64, String> {
    let overflow = || format!("arithmetic overflow in '{op}'");
    let r = match op {
        "+" => a.checked_add(b).ok_or_else(overflow)?,
        "-" => a.checked_sub(b).ok_or_else(overflow)?,
        "*" => a.checked_mul(b).ok_or_else(overflow)?,
        "/" => a
            .checked_div(b)
            .ok_or_else(|| "division by zero".to_string())?,
        "%" => a
            .checked_rem(b)
            .ok_or_else(|| "division by zero".to_string())?,
        "<<" => {
            if b >= 64 || (a.leading_zeros() as u64) < b {
                return Err(overflow());
            }
            a << b
        }
        ">>" => {
            if b >= 64 {
                0
            } else {
                a >> b
            }
        }
        "&" => a & b,
        "|" => a | b,
        "^" => a ^ b,
        "==" => (a == b) as u64,
        "!=" => (a != b) as u64,
        "<" => (a < b) as u64,
        "<=" => (a <= b) as u64,
        ">" => (a > b) as u64,
        ">=" => (a >= b) as u64,
        "&&" => (a != 0 && b != 0) as u64,
        "||" => (a != 0 || b != 0) as u64,
        _ => return Err(format!("unsupported operator '{op}'")),
    };
    Ok(r)
}

/// Binary operators by precedence level, loosest first (C's order).
const LEVELS: &[&[&str]] = &[
    &["||"],
    &["&&"],
    &["|"],
    &["^"],
    &["&"],
    &["==", "!="],
    &["<", "<=", ">", ">="],
    &["<<", ">>"],
    &["+", "-"],
    &["*", "/", "%"],
];

impl Eval<'_, '_, '_> {
    fn peek(&self) -> Token {
        if self.pos < self.end {
            self.src.tokens[self.pos]
        } else {
            self.src.tokens[self.src.tokens.len() - 1]
        }
    }

    fn peek_punct(&self) -> Option<&str> {
        let t = self.peek();
        (self.pos < self.end && t.kind == Kind::Punct).then(|| self.src.tok_text(&t))
    }

    fn err(&self, t: &Token, msg: impl Into<String>) -> LinkerScriptError {
        self.src.error(t, msg)
    }

    fn expect(&mut self, p: &str, context: &str) -> PResult<()> {
        if self.peek_punct() == Some(p) {
            self.pos += 1;
            Ok(())
        } else {
            let t = self.peek();
            Err(self.err(
                &t,
                format!("expected '{p}' {context}, found {}", self.src.describe(&t)),
            ))
        }
    }

    fn expr(&mut self) -> PResult<u64> {
        let cond = self.binary_level(0)?;
        if self.peek_punct() == Some("?") {
            self.pos += 1;
            let a = self.expr()?;
            self.expect(":", "in '?:' expression")?;
            let b = self.expr()?;
            return Ok(if cond != 0 { a } else { b });
        }
        Ok(cond)
    }

    fn binary_level(&mut self, level: usize) -> PResult<u64> {
        if level == LEVELS.len() {
            return self.unary();
        }
        let mut lhs = self.binary_level(level + 1)?;
        while let Some(op) = self.peek_punct().filter(|op| LEVELS[level].contains(op)) {
            let op = op.to_string();
            let op_tok = self.peek();
            self.pos += 1;
            let rhs = self.binary_level(level + 1)?;
            lhs = binary(&op, lhs, rhs).map_err(|m| self.err(&op_tok, m))?;
        }
        Ok(lhs)
    }

    fn unary(&mut self) -> PResult<u64> {
        let t = self.peek();
        match self.peek_punct() {
            Some("-") => {
                self.pos += 1;
                let v = self.unary()?;
                if v != 0 {
                    return Err(self.err(&t, "negative value"));
                }
                Ok(0)
            }
            Some("+") => {
                self.pos += 1;
                self.unary()
            }
            Some("~") => {
                self.pos += 1;
                Ok(!self.unary()?)
            }
            Some("!") => {
                self.pos += 1;
                Ok((self.unary()? == 0) as u64)
            }
            _ => self.primary(),
        }
    }

    fn primary(&mut self) -> PResult<u64> {
        let t = self.peek();
        let text = self.src.tok_text(&t);
        if self.pos >= self.end {
            return Err(self.err(
                &t,
                format!("expected an expression, found {}", self.src.describe(&t)),
            ));
        }
        match t.kind {
            Kind::Number => {
                self.pos += 1;
                parse_number(text).map_err(|m| self.err(&t, m))
            }
            Kind::Punct if text == "(" => {
                self.pos += 1;
                let v = self.expr()?;
                self.expect(")", "to close '('")?;
                Ok(v)
            }
            Kind::Ident if text == "." => {
                Err(self.err(&t, "'.' (the location counter) is not a constant here"))
            }
            Kind::Ident | Kind::Str => {
                self.pos += 1;
                if t.kind == Kind::Ident && self.peek_punct() == Some("(") {
                    self.pos += 1;
                    let v = self.function(&t, text)?;
                    self.expect(")", &format!("to close {text}("))?;
                    return Ok(v);
                }
                match self.parser.symbols.get(text) {
                    Some(SymbolValue::Const(v)) => Ok(*v),
                    Some(SymbolValue::NotConstant) => {
                        Err(self.err(&t, format!("symbol '{text}' is not a constant")))
                    }
                    None => Err(self.err(&t, format!("unknown symbol '{text}'"))),
                }
            }
            _ => Err(self.err(
                &t,
                format!("expected an expression, found {}", self.src.describe(&t)),
            )),
        }
    }

    /// A function call; `(` has been consumed, `)` is left for the caller.
    fn function(&mut self, name_tok: &Token, name: &str) -> PResult<u64> {
        match name {
            "ORIGIN" | "LENGTH" => {
                let t = self.peek();
                if self.pos >= self.end || !matches!(t.kind, Kind::Ident | Kind::Str) {
                    return Err(self.err(
                        &t,
                        format!("expected a region name, found {}", self.src.describe(&t)),
                    ));
                }
                self.pos += 1;
                let region = self.src.tok_text(&t);
                let target = self
                    .parser
                    .aliases
                    .get(region)
                    .map_or(region, String::as_str);
                let def = self
                    .parser
                    .regions
                    .iter()
                    .find(|d| d.region.name == target)
                    .ok_or_else(|| {
                        self.err(&t, format!("unknown region '{region}' in {name}()"))
                    })?;
                Ok(if name == "ORIGIN" {
                    def.region.origin
                } else {
                    def.region.length
                })
            }
            "ABSOLUTE" => self.expr(),
            "MAX" | "MIN" | "ALIGN" => {
                let a = self.expr()?;
                if name == "ALIGN" && self.peek_punct() != Some(",") {
                    return Err(self.err(
                        name_tok,
                        "ALIGN() with one argument depends on '.', which is not a constant here",
                    ));
                }
                self.expect(",", &format!("between {name}() arguments"))?;
                let b = self.expr()?;
                Ok(match name {
                    "MAX" => a.max(b),
                    "MIN" => a.min(b),
                    _ => {
                        if b == 0 || !b.is_power_of_two() {
                            return Err(
                                self.err(name_tok, "ALIGN() alignment must be a power of two")
                            );
                        }
                        a.checked_add(b - 1)
                            .map(|v| v & !(b - 1))
                            .ok_or_else(|| self.err(name_tok, "arithmetic overflow in ALIGN()"))?
                    }
                })
            }
            "LOG2CEIL" => {
                let v = self.expr()?;
                Ok(if v <= 1 {
                    0
                } else {
                    64 - u64::from((v - 1).leading_zeros())
                })
            }
            _ => Err(self.err(name_tok, format!("cannot evaluate {name}() here"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data/ld")
            .join(name)
    }

    fn regions(text: &str) -> Vec<Region> {
        parse_memory_str(text, "memory.x", None).unwrap_or_else(|e| panic!("{e}"))
    }

    fn summary(rs: &[Region]) -> Vec<(&str, u64, u64)> {
        rs.iter()
            .map(|r| (r.name.as_str(), r.origin, r.length))
            .collect()
    }

    fn err(text: &str) -> String {
        parse_memory_str(text, "memory.x", None)
            .unwrap_err()
            .to_string()
    }

    /// Value of `expr` used as a region's LENGTH.
    fn eval(expr: &str) -> u64 {
        let rs = regions(&format!(
            "MEMORY {{ A : ORIGIN = 0x100, LENGTH = 0x20 }}\nMEMORY {{ B : ORIGIN = 0, LENGTH = {expr} }}"
        ));
        rs[1].length
    }

    #[test]
    fn cortex_m_rt_memory_x() {
        let rs = parse_memory_file(&data("cortex_m_rt_memory.x")).unwrap();
        assert_eq!(
            summary(&rs),
            [
                ("FLASH", 0x0800_0000, 256 * 1024),
                ("RAM", 0x2000_0000, 40 * 1024),
                ("CCRAM", 0x1000_0000, 8 * 1024),
            ]
        );
        assert!(rs.iter().all(|r| r.attributes.is_none()));
    }

    #[test]
    fn cubemx_script_with_sections() {
        let rs = parse_memory_file(&data("stm32f411_cubemx.ld")).unwrap();
        assert_eq!(
            summary(&rs),
            [
                ("RAM", 0x2000_0000, 128 * 1024),
                ("FLASH", 0x0800_0000, 512 * 1024)
            ]
        );
        assert_eq!(rs[0].attributes.as_deref(), Some("xrw"));
        assert_eq!(rs[1].attributes.as_deref(), Some("rx"));
    }

    #[test]
    fn daisy_stm32h750() {
        let rs = parse_memory_file(&data("stm32h750_daisy.lds")).unwrap();
        let k = 1024;
        assert_eq!(
            summary(&rs),
            [
                ("FLASH", 0x0800_0000, 128 * k),
                ("DTCMRAM", 0x2000_0000, 128 * k),
                ("SRAM", 0x2400_0000, 512 * k),
                ("SRAM1", 0x3000_0000, 128 * k),
                ("SRAM2", 0x3002_0000, 128 * k),
                ("SRAM3", 0x3004_0000, 32 * k),
                ("RAM_D3", 0x3800_0000, 64 * k),
                ("BACKUP_SRAM", 0x3880_0000, 4 * k),
                ("ITCMRAM", 0, 64 * k),
                ("SDRAM", 0xC000_0000, 64 * k * k),
                ("QSPIFLASH", 0x9000_0000, 8 * k * k),
            ]
        );
        assert_eq!(rs[0].attributes.as_deref(), Some("RX"));
    }

    #[test]
    fn nordic_include_quoted_and_search_dir() {
        let rs = parse_memory_file(&data("nrf52840_app.ld")).unwrap();
        assert_eq!(
            summary(&rs),
            [
                ("FLASH", 0x27000, 0xd9000),
                ("RAM", 0x2000_2ae8, 0x3d518),
                ("uicr_bootloader_start_address", 0xff8, 4),
            ]
        );
    }

    #[test]
    fn particle_style_includes_and_symbols() {
        let rs = parse_memory_file(&data("p2_app.ld")).unwrap();
        assert_eq!(
            summary(&rs),
            [
                ("BACKUP_RAM", 0x1007_A000, 0x1000),
                ("APP_FLASH", 0x0840_0000, 0x20_0000),
                ("SRAM", 0x1000_5000, 0x75000),
                ("PSRAM", 0x0200_0000, 0x40_0000),
            ]
        );
    }

    #[test]
    fn parse_str_resolves_includes_against_base_dir() {
        let text = "INCLUDE platform_ram.ld\nMEMORY { R : ORIGIN = platform_ram_start, LENGTH = platform_ram_size }";
        let base = data("");
        let rs = parse_memory_str(text, "inline.ld", Some(&base)).unwrap();
        assert_eq!(summary(&rs), [("R", 0x1000_5000, 472 * 1024)]);
    }

    #[test]
    fn multiple_memory_blocks_and_order() {
        let rs = regions(
            "MEMORY { FLASH (rx) : ORIGIN = 0x0, LENGTH = 1M }\n\
             SECTIONS { .text : { *(.text) } > FLASH }\n\
             MEMORY\n{\n  RAM (rwx) : ORIGIN = 0x20000000, LENGTH = 256K\n  RAM2 : org = ORIGIN(RAM) + LENGTH(RAM), len = 4K\n}\n\
             MEMORY { NOCOMMA : o = 0x30000000 l = 1K, X(!rx) : ORIGIN=0x40000000,LENGTH=8 }",
        );
        assert_eq!(
            summary(&rs),
            [
                ("FLASH", 0, 1 << 20),
                ("RAM", 0x2000_0000, 256 * 1024),
                ("RAM2", 0x2004_0000, 4096),
                ("NOCOMMA", 0x3000_0000, 1024),
                ("X", 0x4000_0000, 8),
            ]
        );
        assert_eq!(rs[4].attributes.as_deref(), Some("!rx"));
    }

    #[test]
    fn skips_other_commands_robustly() {
        let rs = regions(
            "/* MEMORY { FAKE : ORIGIN = 0, LENGTH = 1 } */\n\
             OUTPUT_ARCH(arm)\nEXTERN(__vectors _start)\nENTRY(Reset)\n\
             REGION_ALIAS(\"REGION_TEXT\", FLASH);\n\
             PROVIDE(__stack_size = 0x800);\n\
             ASSERT(1 == 1, \"MEMORY { } ; strings are skipped\")\n\
             SECTIONS { .a : { KEEP(*(.a)) . = ALIGN(4); x = 1; { } } >FLASH AT>FLASH\n .b (NOLOAD) : { *(.b) } }\n\
             INSERT AFTER .text;\n\
             MEMORY { FLASH : ORIGIN = 0x1000, LENGTH = 0x2000 }\n\
             MEMORY { RAM : ORIGIN = ORIGIN(REGION_TEXT) + LENGTH(\"REGION_TEXT\"), LENGTH = __stack_size }",
        );
        assert_eq!(
            summary(&rs),
            [("FLASH", 0x1000, 0x2000), ("RAM", 0x3000, 0x800)]
        );
    }

    #[test]
    fn number_forms() {
        assert_eq!(eval("0x1F"), 0x1f);
        assert_eq!(eval("0X1f"), 0x1f);
        assert_eq!(eval("$1F"), 0x1f);
        assert_eq!(eval("1Fh"), 0x1f);
        assert_eq!(eval("0ABh"), 0xab);
        assert_eq!(eval("17o"), 15);
        assert_eq!(eval("101b"), 5);
        assert_eq!(eval("99d"), 99);
        assert_eq!(eval("1234"), 1234);
        assert_eq!(eval("0"), 0);
        assert_eq!(eval("010"), 8);
        assert_eq!(eval("4K"), 4096);
        assert_eq!(eval("4k"), 4096);
        assert_eq!(eval("2M"), 2 << 20);
        assert_eq!(eval("2m"), 2 << 20);
        assert_eq!(eval("0x10K"), 16 * 1024);
        assert_eq!(eval("$10M"), 16 << 20);
        assert_eq!(eval("0xFFFFFFFFFFFFFFFF"), u64::MAX);
    }

    #[test]
    fn operators_and_precedence() {
        assert_eq!(eval("1 + 2 * 3"), 7);
        assert_eq!(eval("(1 + 2) * 3"), 9);
        assert_eq!(eval("10 - 4 - 3"), 3);
        assert_eq!(eval("100 / 7 % 4"), 2);
        assert_eq!(eval("1 << 4 + 1"), 32);
        assert_eq!(eval("0x100 >> 4"), 0x10);
        assert_eq!(eval("0xF0 | 0x0F & 0x3C"), 0xFC);
        assert_eq!(eval("0xF0 ^ 0xFF"), 0x0F);
        assert_eq!(eval("~0 & 0xFF"), 0xFF);
        assert_eq!(eval("-0 + 5"), 5);
        assert_eq!(eval("+5"), 5);
        assert_eq!(eval("!0 + !7"), 1);
        assert_eq!(
            eval("2 < 3 && 3 <= 3 && 4 > 3 && 4 >= 4 && 1 == 1 && 1 != 2"),
            1
        );
        assert_eq!(eval("0 || 0"), 0);
        assert_eq!(eval("1 ? 2 : 3"), 2);
        assert_eq!(eval("0 ? 2 : 1 ? 4 : 5"), 4);
        assert_eq!(eval("256K - 0x4000"), 256 * 1024 - 0x4000);
        assert_eq!(eval("MAX(3, 9) + MIN(3, 9)"), 12);
        assert_eq!(eval("ALIGN(0x1001, 0x100)"), 0x1100);
        assert_eq!(eval("ABSOLUTE(7)"), 7);
        assert_eq!(eval("LOG2CEIL(1000)"), 10);
        assert_eq!(eval("ORIGIN(A) + LENGTH(A)"), 0x120);
        assert_eq!(eval("( ( ORIGIN ( A ) ) )"), 0x100);
    }

    #[test]
    fn symbols_from_assignments() {
        let rs = regions(
            "FLASH_START = 0x08000000;\nFLASH_SIZE = 1M;\nFLASH_SIZE -= 16K;\nBOOT = FLASH_START;\n\
             PROVIDE(BOOT = 0xdead);\nPROVIDE(APP_OFF = 16K);\n\
             MEMORY { FLASH : ORIGIN = FLASH_START + APP_OFF, LENGTH = FLASH_SIZE }\n\
             _estack = ORIGIN(FLASH) + LENGTH(FLASH);\n\
             MEMORY { STACKTOP : ORIGIN = _estack, LENGTH = BOOT - 0x08000000 }",
        );
        assert_eq!(
            summary(&rs),
            [
                ("FLASH", 0x0800_4000, 1008 * 1024),
                ("STACKTOP", 0x0810_0000, 0)
            ]
        );
    }

    #[test]
    fn error_positions() {
        // (input, expected message) — positions are 1-based line:column of the bad token.
        let cases = [
            (
                "MEMORY\n{\n  FLASH : ORIGIN = 0, LENGTH = 1K\n  RAM : ORIGIN LENGTH = 1K\n}",
                "memory.x:4:16: expected '=' after ORIGIN, found 'LENGTH'",
            ),
            (
                "MEMORY {\n  RAM : ORIGIN = ORIGIN(RAM2), LENGTH = 1K\n}",
                "memory.x:2:25: unknown region 'RAM2' in ORIGIN()",
            ),
            (
                "MEMORY {\n  RAM : ORIGIN = 0, LENGTH = LENGTH(FLASH)\n}",
                "memory.x:2:37: unknown region 'FLASH' in LENGTH()",
            ),
            (
                "MEMORY { RAM : ORIGIN = 0, LENGTH = 1K }\n\n/* trailing\n  comment",
                "memory.x:3:1: unterminated comment",
            ),
            (
                "MEMORY {\n  RAM : ORIGIN = 0, LENGTH = 1K\n\tRAM : ORIGIN = 0x100, LENGTH = 1K\n}",
                "memory.x:3:2: duplicate region 'RAM' (first defined at memory.x:2:3)",
            ),
            ("MEMORY {\n  RAM ORIGIN = 0, LENGTH = 1K\n}", "memory.x:2:7: expected ':' after region name 'RAM', found 'ORIGIN'"),
            ("MEMORY {\n  RAM : START = 0, LENGTH = 1K\n}", "memory.x:2:9: expected ORIGIN, found 'START'"),
            ("MEMORY {\n  RAM : ORIGIN = 0, SIZE = 1K\n}", "memory.x:2:21: expected LENGTH, found 'SIZE'"),
            ("MEMORY {\n  RAM : ORIGIN = 0, LENGTH = \n}", "memory.x:3:1: expected an expression, found '}'"),
            ("MEMORY {\n  RAM : ORIGIN = 0, LENGTH = 1K\n", "memory.x:1:8: unclosed '{' of MEMORY command"),
            ("MEMORY {\n  RAM : ORIGIN = (1 + 2, LENGTH = 1K\n}", "memory.x:2:24: expected ')' to close '(', found ','"),
            ("MEMORY {\n  RAM : ORIGIN = 0x1G, LENGTH = 1K\n}", "memory.x:2:18: invalid number '0x1G'"),
            ("MEMORY {\n  RAM : ORIGIN = 09, LENGTH = 1K\n}", "memory.x:2:18: invalid number '09'"),
            ("MEMORY {\n  RAM : ORIGIN = 0x10000000000000000, LENGTH = 1K\n}", "memory.x:2:18: number '0x10000000000000000' does not fit in 64 bits"),
            ("MEMORY {\n  RAM : ORIGIN = 0xFFFFFFFFFFFFFFFF + 1, LENGTH = 1K\n}", "memory.x:2:37: arithmetic overflow in '+'"),
            ("MEMORY {\n  RAM : ORIGIN = 0, LENGTH = 1 - 2\n}", "memory.x:2:32: arithmetic overflow in '-'"),
            ("MEMORY {\n  RAM : ORIGIN = 0, LENGTH = 0x100000000 * 0x100000000\n}", "memory.x:2:42: arithmetic overflow in '*'"),
            ("MEMORY {\n  RAM : ORIGIN = 0, LENGTH = 1 << 64\n}", "memory.x:2:32: arithmetic overflow in '<<'"),
            ("MEMORY {\n  RAM : ORIGIN = 0, LENGTH = 0xFFFFFFFFFFFFFM\n}", "memory.x:2:30: number '0xFFFFFFFFFFFFFM' does not fit in 64 bits"),
            ("MEMORY {\n  RAM : ORIGIN = 0, LENGTH = 1 / 0\n}", "memory.x:2:32: division by zero"),
            ("MEMORY {\n  RAM : ORIGIN = -4, LENGTH = 1\n}", "memory.x:2:18: negative value"),
            ("MEMORY {\n  RAM : ORIGIN = BASE, LENGTH = 1\n}", "memory.x:2:18: unknown symbol 'BASE'"),
            ("BASE = . ;\nMEMORY {\n  RAM : ORIGIN = BASE, LENGTH = 1\n}", "memory.x:3:18: symbol 'BASE' is not a constant"),
            ("MEMORY {\n  RAM : ORIGIN = ADDR(.text), LENGTH = 1\n}", "memory.x:2:18: cannot evaluate ADDR() here"),
            ("MEMORY {\n  RAM (rwq) : ORIGIN = 0, LENGTH = 1\n}", "memory.x:2:10: invalid memory attribute 'q' (expected r, w, x, a, i, l or !)"),
            ("MEMORY {\n  RAM : ORIGIN = 0, LENGTH = 1;\n}", "memory.x:2:31: expected a region name, found ';'"),
            ("MEMORY\n  RAM : ORIGIN = 0, LENGTH = 1\n", "memory.x:2:3: expected '{' after MEMORY, found 'RAM'"),
            ("MEMORY { RAM : ORIGIN = 0, LENGTH = 1 }\nSECTIONS {\n  .text : { *(.text) }\n", "memory.x:2:10: unclosed '{'"),
            ("MEMORY { RAM : ORIGIN = 0, LENGTH = 1 }\n}\n", "memory.x:2:1: unexpected '}'"),
            ("MEMORY {\n  // flash\n  RAM : ORIGIN = 0, LENGTH = 1\n}", "memory.x:2:3: '//' comments are not supported by gnu ld; use /* ... */"),
            ("#include \"mem.h\"\nMEMORY { RAM : ORIGIN = 0, LENGTH = 1 }", "memory.x:1:1: unexpected '#'; this looks like a script that still needs the c preprocessor"),
            ("ASSERT(1, \"oops)\nMEMORY { RAM : ORIGIN = 0, LENGTH = 1 }", "memory.x:1:11: unterminated string"),
            ("MEMORY {\n  FLASH : ORIGIN = 0, LENGTH = 1\n  INCLUDE\n}", "memory.x:4:1: expected a file name after INCLUDE, found '}'"),
        ];
        for (input, expected) in cases {
            assert_eq!(err(input), expected, "input:\n{input}");
        }
    }

    #[test]
    fn column_counts_characters_not_bytes() {
        assert_eq!(
            err("/* é */ MEMORY { RAM : ORIGIN = x, LENGTH = 1 }"),
            "memory.x:1:33: unknown symbol 'x'"
        );
    }

    #[test]
    fn no_memory_command() {
        assert_eq!(
            err("ENTRY(main)\nSECTIONS { }"),
            "no MEMORY command in memory.x"
        );
        let e = parse_memory_file(&data("no_memory.ld")).unwrap_err();
        assert!(matches!(e, LinkerScriptError::NoMemory { .. }));
        assert!(e.to_string().starts_with("no MEMORY command in "), "{e}");
        assert!(e.to_string().ends_with("no_memory.ld"), "{e}");
        // An empty MEMORY command is a MEMORY command.
        assert_eq!(regions("MEMORY { }"), []);
    }

    #[test]
    fn missing_include() {
        let e = parse_memory_file(&data("include_missing.ld")).unwrap_err();
        let msg = e.to_string();
        assert!(matches!(e, LinkerScriptError::Include { .. }));
        assert!(
            msg.ends_with("include_missing.ld:2:3: cannot read included file 'common.ld': No such file or directory"),
            "{msg}"
        );
        let e = parse_memory_str("app.ld\n", "x", None).unwrap_err();
        assert_eq!(e.to_string(), "no MEMORY command in x");
        let e = parse_memory_str(
            "MEMORY {}\nINCLUDE \"/nonexistent/dir/common.ld\"",
            "app.ld",
            None,
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "app.ld:2:1: cannot read included file '/nonexistent/dir/common.ld': No such file or directory"
        );
    }

    #[test]
    fn missing_top_level_file() {
        let e = parse_memory_file(Path::new("/nonexistent/memory.x")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "cannot read /nonexistent/memory.x: No such file or directory"
        );
    }

    #[test]
    fn include_cycle() {
        let e = parse_memory_file(&data("cycle_a.ld")).unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.ends_with("cycle_b.ld:2:1: INCLUDE cycle: 'cycle_a.ld' is already being read"),
            "{msg}"
        );
    }

    #[test]
    fn include_depth_limit() {
        let dir = tempfile::tempdir().unwrap();
        // d0 includes d1 includes ... d12: deeper than ld's limit of 10.
        for n in 0..12 {
            std::fs::write(
                dir.path().join(format!("d{n}.ld")),
                format!("INCLUDE d{}.ld\n", n + 1),
            )
            .unwrap();
        }
        std::fs::write(
            dir.path().join("d12.ld"),
            "MEMORY { R : ORIGIN = 0, LENGTH = 1 }",
        )
        .unwrap();
        let msg = parse_memory_file(&dir.path().join("d0.ld"))
            .unwrap_err()
            .to_string();
        assert!(
            msg.ends_with("d10.ld:1:1: INCLUDE nested too deeply (more than 10 levels)"),
            "{msg}"
        );
        // Exactly 10 levels is fine.
        let rs = parse_memory_file(&dir.path().join("d2.ld")).unwrap();
        assert_eq!(summary(&rs), [("R", 0, 1)]);
    }

    #[test]
    fn include_relative_to_including_script_in_subdir_and_search_dirs() {
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("sub");
        let lib = dir.path().join("lib");
        std::fs::create_dir_all(&sub).unwrap();
        std::fs::create_dir_all(&lib).unwrap();
        std::fs::write(
            dir.path().join("top.ld"),
            "INCLUDE sub/mid.ld\nINCLUDE from_lib.ld",
        )
        .unwrap();
        // mid.ld's own INCLUDE resolves next to mid.ld, not next to top.ld.
        std::fs::write(sub.join("mid.ld"), "MEMORY {\n INCLUDE regions.inc\n}").unwrap();
        std::fs::write(
            sub.join("regions.inc"),
            "FLASH (rx) : ORIGIN = 0, LENGTH = 64K,\nRAM (rwx) : ORIGIN = 0x20000000, LENGTH = 16K",
        )
        .unwrap();
        std::fs::write(
            lib.join("from_lib.ld"),
            "MEMORY { EXTRA : ORIGIN = ORIGIN(RAM) + LENGTH(RAM), LENGTH = 1K }",
        )
        .unwrap();
        let e = parse_memory_file(&dir.path().join("top.ld")).unwrap_err();
        assert!(matches!(e, LinkerScriptError::Include { .. }), "{e}");
        let rs = parse_memory_file_with_search_dirs(&dir.path().join("top.ld"), &[lib]).unwrap();
        assert_eq!(
            summary(&rs),
            [
                ("FLASH", 0, 65536),
                ("RAM", 0x2000_0000, 16384),
                ("EXTRA", 0x2000_4000, 1024)
            ]
        );
        // SEARCH_DIR in the script does the same.
        std::fs::write(
            dir.path().join("top2.ld"),
            "SEARCH_DIR(lib)\nINCLUDE sub/mid.ld\nINCLUDE from_lib.ld",
        )
        .unwrap();
        assert_eq!(
            parse_memory_file(&dir.path().join("top2.ld"))
                .unwrap()
                .len(),
            3
        );
    }

    #[test]
    fn errors_in_included_files_name_that_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("app.ld"),
            "MEMORY {\n  INCLUDE \"regions.ld\"\n}",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("regions.ld"),
            "FLASH : ORIGIN = 0,\n  LENGTH == 4",
        )
        .unwrap();
        let msg = parse_memory_file(&dir.path().join("app.ld"))
            .unwrap_err()
            .to_string();
        assert!(
            msg.ends_with("regions.ld:2:10: expected '=' after LENGTH, found '=='"),
            "{msg}"
        );
    }

    #[test]
    fn never_panics_on_garbage() {
        let inputs = [
            "",
            "MEMORY",
            "MEMORY {",
            "MEMORY { R",
            "MEMORY { R (",
            "MEMORY { R (rx",
            "MEMORY { R :",
            "MEMORY { R : ORIGIN",
            "MEMORY { R : ORIGIN =",
            "MEMORY { R : ORIGIN = 1 ,",
            "MEMORY { R : ORIGIN = 1 , LENGTH = ORIGIN(",
            "INCLUDE",
            "REGION_ALIAS(",
            "PROVIDE(",
            "X =",
            "X += 1",
            "SEARCH_DIR(",
            "\"",
            "/*",
            "*/",
            "{",
            "}",
            ")",
            "(",
            "MEMORY { R : ORIGIN = 1 ? 2 , LENGTH = 1 }",
            "MEMORY { R : ORIGIN = MAX(1, LENGTH = 1 }",
            "$",
            "0x",
            "1K K",
            "MEMORY { R : ORIGIN = ~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~0, LENGTH = 1 }",
        ];
        for input in inputs {
            let _ = parse_memory_str(input, "fuzz.ld", None);
        }
        // Some garbage in bytes, every prefix of a real script.
        let script = std::fs::read_to_string(data("stm32f411_cubemx.ld")).unwrap();
        for (i, _) in script.char_indices() {
            let _ = parse_memory_str(&script[..i], "prefix.ld", None);
        }
    }
}
