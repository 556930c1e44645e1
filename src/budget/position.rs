//! Positions in budget JSON text, for `file:line:column` errors. A minimal scanner over
//! already-valid JSON: serde_json reports positions of syntax errors only, and a semantic
//! error (an unknown region three levels deep) should point at its value too.

use std::fmt;
use std::path::Path;

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

// ---------------------------------------------------------------------------------------
// A minimal scanner over already-valid JSON text: where a path's value starts (for error
// positions).

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && matches!(b[i], b' ' | b'\t' | b'\n' | b'\r') {
        i += 1;
    }
    i
}

/// `i` at the opening quote; returns the index after the closing quote.
fn string_end(b: &[u8], mut i: usize) -> usize {
    i += 1;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'"' => return i + 1,
            _ => i += 1,
        }
    }
    b.len()
}

/// `i` at the first byte of a value; returns the index after it.
fn value_end(b: &[u8], i: usize) -> usize {
    match b.get(i) {
        Some(b'"') => string_end(b, i),
        Some(b'{') | Some(b'[') => {
            let mut depth = 0usize;
            let mut j = i;
            while j < b.len() {
                match b[j] {
                    b'"' => {
                        j = string_end(b, j);
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return j + 1;
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
            b.len()
        }
        _ => {
            let mut j = i;
            while j < b.len() && !matches!(b[j], b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r')
            {
                j += 1;
            }
            j
        }
    }
}

/// A member of an object: key, and the value's byte range.
struct Member {
    key: String,
    value: (usize, usize),
}

/// `i` at `{`.
fn members(text: &str, i: usize) -> Vec<Member> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut j = skip_ws(b, i + 1);
    while j < b.len() && b[j] == b'"' {
        let kend = string_end(b, j);
        let key: String = serde_json::from_str(&text[j..kend]).unwrap_or_default();
        let colon = skip_ws(b, kend);
        let vstart = skip_ws(b, colon + 1);
        let vend = value_end(b, vstart);
        out.push(Member {
            key,
            value: (vstart, vend),
        });
        j = skip_ws(b, vend);
        if j < b.len() && b[j] == b',' {
            j = skip_ws(b, j + 1);
        } else {
            break;
        }
    }
    out
}

/// `i` at `[`.
fn elements(b: &[u8], i: usize) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut j = skip_ws(b, i + 1);
    while j < b.len() && b[j] != b']' {
        let end = value_end(b, j);
        out.push((j, end));
        j = skip_ws(b, end);
        if j < b.len() && b[j] == b',' {
            j = skip_ws(b, j + 1);
        } else {
            break;
        }
    }
    out
}

/// Byte offset of the value at `path`, if the text has it.
pub fn locate(text: &str, path: &[Seg]) -> Option<usize> {
    let b = text.as_bytes();
    let mut at = skip_ws(b, 0);
    for seg in path {
        match (seg, b.get(at)) {
            (Seg::Key(k), Some(b'{')) => {
                at = members(text, at).into_iter().find(|m| m.key == *k)?.value.0;
            }
            (Seg::Index(n), Some(b'[')) => {
                at = elements(b, at).get(*n)?.0;
            }
            // A glob list given as a single string: point at the string.
            (Seg::Index(0), Some(b'"')) => {}
            _ => return None,
        }
    }
    Some(at)
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
