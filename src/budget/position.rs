//! Positions in budget JSON text, for `file:line:column` errors: serde_json reports
//! positions of syntax errors only, and a semantic error (an unknown region three levels
//! deep) should point at its value too, so the text is parsed again into a syntax tree with
//! byte ranges (jsonc-parser).

use std::fmt;
use std::path::Path;

use jsonc_parser::ast::Value;
use jsonc_parser::common::Ranged;
use jsonc_parser::{parse_to_ast, CollectOptions, ParseOptions};

use crate::error::Error;

/// One step of a JSON path.
#[derive(Debug, Clone, Copy)]
pub enum Seg<'a> {
    /// A member of an object.
    Key(&'a str),
    /// An element of an array.
    Index(usize),
}

/// The path as `budget.limits[2].region`.
pub fn path_string(path: &[Seg]) -> String {
    let mut s = String::new();
    for seg in path {
        match seg {
            Seg::Key(k) => {
                if !s.is_empty() {
                    s.push('.');
                }
                s.push_str(k);
            }
            Seg::Index(i) => s.push_str(&format!("[{i}]")),
        }
    }
    s
}

/// An error located at `path` of budget `text`: `file:line:column: path: message`.
pub fn located(file: &Path, text: &str, path: &[Seg], msg: impl fmt::Display) -> Error {
    // Point at the deepest part of the path that exists.
    let mut offset = None;
    for n in (0..=path.len()).rev() {
        if let Some(o) = locate(text, &path[..n]) {
            offset = Some(o);
            break;
        }
    }
    let (line, col) = line_col(text, offset.unwrap_or(0));
    let p = path_string(path);
    if p.is_empty() {
        Error::Budget(format!("{}:{line}:{col}: {msg}", file.display()))
    } else {
        Error::Budget(format!("{}:{line}:{col}: {p}: {msg}", file.display()))
    }
}

/// Byte offset where the value at `path` starts, if there is one.
pub fn locate(text: &str, path: &[Seg]) -> Option<usize> {
    let parsed = parse_to_ast(text, &CollectOptions::default(), &ParseOptions::default()).ok()?;
    let mut value = parsed.value?;
    for seg in path {
        value = match (value, seg) {
            (Value::Object(o), Seg::Key(k)) => {
                o.properties
                    .into_iter()
                    .find(|p| p.name.as_str() == *k)?
                    .value
            }
            (Value::Array(a), Seg::Index(i)) => a.elements.into_iter().nth(*i)?,
            _ => return None,
        };
    }
    Some(value.range().start)
}

/// 1-based line and column (in characters) of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before
        .rsplit('\n')
        .next()
        .map(|l| l.chars().count())
        .unwrap_or(0)
        + 1;
    (line, col)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locate_paths() {
        let text = "{\n  \"a\": [1, {\"b\": \"x\"}],\n  \"c\": \"y\"\n}\n";
        let o = locate(text, &[Seg::Key("a"), Seg::Index(1), Seg::Key("b")]).unwrap();
        assert_eq!(&text[o..o + 3], "\"x\"");
        assert_eq!(line_col(text, o), (2, 18));
        assert!(locate(text, &[Seg::Key("zz")]).is_none());
        assert_eq!(
            path_string(&[Seg::Key("budget"), Seg::Key("limits"), Seg::Index(2)]),
            "budget.limits[2]"
        );
    }
}
