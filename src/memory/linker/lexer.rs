//! Tokens of a GNU ld script, lexed the way binutils' `ldlex.l` does.
//!
//! ld's lexer has start states that the parser switches between, and the same text
//! gives different tokens in each. Three matter for reading `MEMORY` and assignments:
//!
//! * [`State::Script`]: commands, region names and attributes, output-section names.
//!   A name is `[_a-zA-Z/.\\$~][_a-zA-Z0-9/.\\$~+:\[\],=-]*`, so `A=1` is one name
//!   (ld then reports a syntax error) and `/DISCARD/` is a name.
//! * [`State::Expression`]: the right-hand side of `=`, the argument of `ORIGIN =`...
//!   A name is `[_a-zA-Z.\\$][_a-zA-Z0-9/.\\$~]*` (so `A/2` is one name, as in ld).
//! * [`State::Wild`]: inside an output section's braces, where input-section patterns
//!   are `[_a-zA-Z0-9/.\\$~+:\[\],=?*^!-]*`. flex takes the longest match, so
//!   `*lib/btstack/*(.text*)` is the pattern `*lib/btstack/*`, not a comment start;
//!   a `/*` only opens a comment where a token starts.
//!
//! In every state `/* */` and `#` to the end of the line (ld 2.40) are comments and
//! `"..."` is a name.
//!
//! Written by hand because no maintained crate reads GNU ld scripts; the character
//! classes above are copied from `ldlex.l` so that tokens split where ld splits them.

use super::{LinkerScriptError, Pos};

/// ld's lexer start state (the subset this reader needs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum State {
    Script,
    Expression,
    Wild,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// A name, keyword, file name or wildcard pattern (per the state).
    Name,
    /// A number; its value is worked out by [`parse_number`].
    Number,
    /// `"..."` (the text excludes the quotes). ld treats it as a name.
    Str,
    Punct,
    Eof,
}

#[derive(Debug, Clone, Copy)]
pub(super) struct Token<'a> {
    pub kind: Kind,
    pub text: &'a str,
    /// Byte offset of the token in the file.
    pub start: usize,
}

impl Token<'_> {
    pub fn is(&self, punct: &str) -> bool {
        self.kind == Kind::Punct && self.text == punct
    }

    /// A name (quoted or not) equal to `word`.
    pub fn is_word(&self, word: &str) -> bool {
        self.kind == Kind::Name && self.text == word
    }

    pub fn is_name(&self) -> bool {
        matches!(self.kind, Kind::Name | Kind::Str)
    }

    /// `'foo'` or `end of file`, for "found ..." messages.
    pub fn describe(&self) -> String {
        match self.kind {
            Kind::Eof => "end of file".to_string(),
            Kind::Str => format!("\"{}\"", self.text),
            _ => format!("'{}'", self.text),
        }
    }
}

/// Reads one file's text on demand, in whatever state the parser asks for.
pub(super) struct Lexer<'a> {
    pub label: &'a str,
    pub text: &'a str,
    pub pos: usize,
    /// Byte offsets at which lines start, for positions.
    line_starts: Vec<usize>,
}

/// Operator tokens per state, longest first (from ldlex.l's state lists).
const EXPRESSION_PUNCT: &[&str] = &[
    "<<=", ">>=", "<<", ">>", "<=", ">=", "==", "!=", "&&", "||", "+=", "-=", "*=", "/=", "&=",
    "|=", "^=", ">", ",", "&", "|", "~", "!", "?", "*", "+", "-", "/", "%", "<", "^", "=", "}",
    "{", ")", "(", ":", ";",
];
const SCRIPT_PUNCT: &[&str] = &[
    "<<=", ">>=", "+=", "-=", "*=", "/=", "&=", "|=", "^=", ">", ",", "~", "!", "+", "-", "=", "}",
    "{", ")", "(", ":", ";",
];
const WILD_PUNCT: &[&str] = &[
    "<<=", ">>=", "+=", "-=", "*=", "/=", "&=", "|=", "^=", "]", "[", "&", "=", "}", "{", ")", "(",
    ";",
];

fn is_script_name_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || b"_/.\\$~".contains(&c)
}

fn is_script_name(c: u8) -> bool {
    c.is_ascii_alphanumeric() || b"_/.\\$~-+:[],=".contains(&c)
}

fn is_expr_name_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || b"_.\\$".contains(&c)
}

fn is_expr_name(c: u8) -> bool {
    c.is_ascii_alphanumeric() || b"_/.\\$~".contains(&c)
}

fn is_wild(c: u8) -> bool {
    c.is_ascii_alphanumeric() || b"_/.\\$~-+:[],=?*^!".contains(&c)
}

impl<'a> Lexer<'a> {
    pub fn new(label: &'a str, text: &'a str) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Lexer {
            label,
            text,
            pos: 0,
            line_starts,
        }
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn position(&self, offset: usize) -> (usize, usize) {
        let line = self.line_starts.partition_point(|&s| s <= offset);
        let start = self.line_starts[line - 1];
        let column = self.text[start..offset].chars().count() + 1;
        (line, column)
    }

    pub fn pos_of(&self, offset: usize) -> Pos {
        let (line, column) = self.position(offset);
        Pos { line, column }
    }

    pub fn error_at(&self, offset: usize, message: impl Into<String>) -> LinkerScriptError {
        let (line, column) = self.position(offset);
        LinkerScriptError::Syntax {
            file: self.label.to_string(),
            line,
            column,
            message: message.into(),
        }
    }

    pub fn error(&self, t: &Token, message: impl Into<String>) -> LinkerScriptError {
        self.error_at(t.start, message)
    }

    /// The next token, without consuming it.
    pub fn peek(&mut self, state: State) -> Result<Token<'a>, LinkerScriptError> {
        let saved = self.pos;
        let t = self.next(state);
        self.pos = saved;
        t
    }

    pub fn next(&mut self, state: State) -> Result<Token<'a>, LinkerScriptError> {
        self.skip_blanks_and_comments()?;
        let b = self.text.as_bytes();
        let start = self.pos;
        let Some(&c) = b.get(start) else {
            return Ok(Token {
                kind: Kind::Eof,
                text: "",
                start,
            });
        };
        if c == b'/' && b.get(start + 1) == Some(&b'/') && state != State::Wild {
            return Err(self.error_at(
                start,
                "'//' comments are not supported by gnu ld; use /* ... */",
            ));
        }
        let (kind, len) = if c == b'"' {
            match self.text[start + 1..].find('"') {
                Some(end) => {
                    self.pos = start + end + 2;
                    return Ok(Token {
                        kind: Kind::Str,
                        text: &self.text[start + 1..start + 1 + end],
                        start,
                    });
                }
                None => return Err(self.error_at(start, "unterminated string")),
            }
        } else {
            match state {
                State::Script => self.script_token(start),
                State::Expression => self.expression_token(start),
                State::Wild => self.wild_token(start),
            }
        };
        self.pos = start + len;
        Ok(Token {
            kind,
            text: &self.text[start..start + len],
            start,
        })
    }

    fn skip_blanks_and_comments(&mut self) -> Result<(), LinkerScriptError> {
        let b = self.text.as_bytes();
        loop {
            match b.get(self.pos) {
                Some(c) if c.is_ascii_whitespace() => self.pos += 1,
                Some(b'#') => {
                    self.pos = self.text[self.pos..]
                        .find('\n')
                        .map_or(b.len(), |i| self.pos + i);
                }
                // In every state a token that starts with `/*` is a comment
                // (ld's WILD rule puts the text back and eats the comment).
                Some(b'/') if b.get(self.pos + 1) == Some(&b'*') => {
                    match self.text[self.pos + 2..].find("*/") {
                        Some(end) => self.pos += 2 + end + 2,
                        None => return Err(self.error_at(self.pos, "unterminated comment")),
                    }
                }
                _ => return Ok(()),
            }
        }
    }

    fn run(&self, start: usize, pred: impl Fn(u8) -> bool) -> usize {
        self.text.as_bytes()[start..]
            .iter()
            .take_while(|&&c| pred(c))
            .count()
    }

    /// Length of the state's operator token at `start`, or 0.
    fn punct_len(&self, start: usize, list: &[&str]) -> usize {
        let rest = &self.text[start..];
        list.iter()
            .find(|p| rest.starts_with(**p))
            .map_or(0, |p| p.len())
    }

    /// flex's choice between a name of `name` bytes and the state's operators: the
    /// longest match, and on a tie the operator (its rule comes first in ldlex.l).
    /// A character no rule matches becomes a one-character token (ld warns and
    /// skips it; the parser reports it where it matters).
    fn name_or_punct(&self, start: usize, name: usize, list: &[&str]) -> (Kind, usize) {
        let punct = self.punct_len(start, list);
        if punct > 0 && punct >= name {
            (Kind::Punct, punct)
        } else if name > 0 {
            (Kind::Name, name)
        } else {
            let len = self.text[start..].chars().next().map_or(1, char::len_utf8);
            (Kind::Punct, len)
        }
    }

    fn script_token(&self, start: usize) -> (Kind, usize) {
        let c = self.text.as_bytes()[start];
        let number = ld_number_len(&self.text[start..]);
        let name = if is_script_name_start(c) {
            self.run(start, is_script_name)
        } else {
            0
        };
        // Longest match; on a tie the number rule comes first in ldlex.l.
        if number > 0 && number >= name {
            (
                Kind::Number,
                self.run(start, |c| c.is_ascii_alphanumeric()).max(number),
            )
        } else {
            self.name_or_punct(start, name, SCRIPT_PUNCT)
        }
    }

    fn expression_token(&self, start: usize) -> (Kind, usize) {
        let b = self.text.as_bytes();
        let c = b[start];
        if self.text[start..].starts_with("/DISCARD/") {
            return (Kind::Name, "/DISCARD/".len());
        }
        let name = if is_expr_name_start(c) {
            self.run(start, is_expr_name)
        } else {
            0
        };
        let dollar_hex = c == b'$' && b.get(start + 1).is_some_and(u8::is_ascii_hexdigit);
        if c.is_ascii_digit() || dollar_hex {
            // A run of alphanumerics, so that `0x1G` is one bad number with a clear
            // message instead of a number followed by a stray name.
            return (
                Kind::Number,
                1 + self.run(start + 1, |c| c.is_ascii_alphanumeric()),
            );
        }
        if name > 0 {
            // `ABh` is a hex number to ld: the suffix rule ties with the name rule
            // and comes first.
            let word = &self.text[start..start + name];
            if suffix_number(word) {
                return (Kind::Number, name);
            }
            return (Kind::Name, name);
        }
        self.name_or_punct(start, 0, EXPRESSION_PUNCT)
    }

    fn wild_token(&self, start: usize) -> (Kind, usize) {
        self.name_or_punct(start, self.run(start, is_wild), WILD_PUNCT)
    }
}

/// Length of ld's SCRIPT-state number at the start of `s`:
/// `(("$"|0[xX])[0-9A-Fa-f]+|[0-9]+)[MKmk]?`, or 0.
fn ld_number_len(s: &str) -> usize {
    let b = s.as_bytes();
    let hex = |from: usize| {
        b[from..]
            .iter()
            .take_while(|c| c.is_ascii_hexdigit())
            .count()
    };
    let body = if b.first() == Some(&b'$') {
        match hex(1) {
            0 => return 0,
            n => 1 + n,
        }
    } else if b.len() > 2 && b[0] == b'0' && (b[1] | 0x20) == b'x' && hex(2) > 0 {
        2 + hex(2)
    } else {
        b.iter().take_while(|c| c.is_ascii_digit()).count()
    };
    if body == 0 {
        return 0;
    }
    body + usize::from(matches!(b.get(body), Some(b'M' | b'K' | b'm' | b'k')))
}

/// Whether `word` is one of ld's suffixed numbers (`1Fh`, `101b`, `17o`, `99d`).
fn suffix_number(word: &str) -> bool {
    let Some((&last, head)) = word.as_bytes().split_last() else {
        return false;
    };
    let radix = match last {
        b'h' | b'H' | b'x' | b'X' => 16,
        b'b' | b'B' => 2,
        b'o' | b'O' => 8,
        b'd' | b'D' => 10,
        _ => return false,
    };
    !head.is_empty() && head.iter().all(|&c| char::from(c).is_digit(radix))
}

/// Value of a number token, following ld's lexer rules.
pub(super) fn parse_number(raw: &str) -> Result<u64, String> {
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
    } else if mult == 1 && suffix_number(raw) {
        let (head, suffix) = raw.split_at(raw.len() - 1);
        let radix = match suffix {
            "h" | "H" | "x" | "X" => 16,
            "o" | "O" => 8,
            "b" | "B" => 2,
            _ => 10,
        };
        digits(head, radix)?
    } else {
        return Err(invalid());
    };
    value.checked_mul(mult).ok_or_else(too_big)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(text: &str, state: State) -> Vec<(Kind, String)> {
        let mut lx = Lexer::new("t", text);
        let mut out = Vec::new();
        loop {
            let t = lx.next(state).unwrap();
            if t.kind == Kind::Eof {
                return out;
            }
            out.push((t.kind, t.text.to_string()));
        }
    }

    fn texts(text: &str, state: State) -> Vec<String> {
        tokens(text, state).into_iter().map(|t| t.1).collect()
    }

    #[test]
    fn wild_patterns_with_slash_star_are_names() {
        assert_eq!(
            texts(
                "*lib/btstack/*(.text*) */cli/*(*.text*) /* c */ *(.x)",
                State::Wild
            ),
            [
                "*lib/btstack/*",
                "(",
                ".text*",
                ")",
                "*/cli/*",
                "(",
                "*.text*",
                ")",
                "*",
                "(",
                ".x",
                ")"
            ]
        );
        // Where a token starts, `/*` opens a comment in every state.
        for state in [State::Script, State::Expression, State::Wild] {
            assert_eq!(texts("a /* x */ b /*y*/", state), ["a", "b"]);
        }
        let mut lx = Lexer::new("t", "a /* never closed");
        lx.next(State::Wild).unwrap();
        assert!(lx.next(State::Wild).is_err());
    }

    #[test]
    fn hash_comments_anywhere() {
        assert_eq!(
            texts("# a\nX = 1; # b = 2;\n#c", State::Expression),
            ["X", "=", "1", ";"]
        );
    }

    #[test]
    fn state_dependent_names() {
        assert_eq!(texts("A=1;", State::Script), ["A=1", ";"]);
        assert_eq!(texts("A=1;", State::Expression), ["A", "=", "1", ";"]);
        assert_eq!(texts("A/2 - B", State::Expression), ["A/2", "-", "B"]);
        assert_eq!(
            texts("/DISCARD/ : {", State::Script),
            ["/DISCARD/", ":", "{"]
        );
        assert_eq!(texts("$10 $xy", State::Script), ["$10", "$xy"]);
        assert_eq!(
            tokens("ABh abc 0x1G", State::Expression)
                .into_iter()
                .map(|t| t.0)
                .collect::<Vec<_>>(),
            [Kind::Number, Kind::Name, Kind::Number]
        );
    }

    #[test]
    fn positions_count_characters() {
        let lx = Lexer::new("t", "é\n ab");
        assert_eq!(lx.position(4), (2, 2));
        assert_eq!(lx.position(0), (1, 1));
        assert_eq!(lx.position(2), (1, 2));
    }
}
