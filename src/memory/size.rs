//! Byte counts and addresses as people write them in budget files: a JSON number, or a
//! string with a linker-script style suffix.

use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;

/// A byte count or address: a JSON number, or a string such as `"32K"`, `"1.5M"` is not
/// allowed (sizes are whole bytes), `"32 KiB"`, `"0x8000"`, `"4M"`. K, M and G are binary
/// (1024-based), as in linker scripts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Size(pub u64);

/// Parse `"32K"`, `"32 KiB"`, `"0x8000"`, `"32768"`.
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let bad =
        || format!("invalid size '{s}' (expected bytes like 4096, \"0x1000\", \"4K\", \"1 MiB\")");
    if let Some(hex) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        return u64::from_str_radix(&hex.replace('_', ""), 16).map_err(|_| bad());
    }
    let digits_end = t
        .find(|c: char| !(c.is_ascii_digit() || c == '_'))
        .unwrap_or(t.len());
    if digits_end == 0 {
        return Err(bad());
    }
    let n: u64 = t[..digits_end]
        .replace('_', "")
        .parse()
        .map_err(|_| bad())?;
    let unit = t[digits_end..].trim();
    let mult: u64 = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        _ => return Err(bad()),
    };
    n.checked_mul(mult).ok_or_else(bad)
}

impl<'de> Deserialize<'de> for Size {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Size;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(
                    "a byte count: a non-negative integer or a string like \"4K\" or \"0x1000\"",
                )
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Size, E> {
                Ok(Size(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Size, E> {
                u64::try_from(v)
                    .map(Size)
                    .map_err(|_| E::custom(format!("size {v} is negative")))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Size, E> {
                parse_size(v).map(Size).map_err(E::custom)
            }
        }
        d.deserialize_any(V)
    }
}

impl schemars::JsonSchema for Size {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Size".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "A byte count or address: a non-negative integer, or a string such as \"4096\", \"0x1000\", \"4K\", \"32 KiB\", \"1M\" (K, M, G are 1024-based).",
            "oneOf": [
                { "type": "integer", "minimum": 0 },
                { "type": "string", "pattern": SIZE_PATTERN }
            ]
        })
    }
}

/// What [`parse_size`] accepts, as a JSON Schema pattern.
pub const SIZE_PATTERN: &str =
    r"^\s*(0[xX][0-9a-fA-F_]+|[0-9][0-9_]*\s*([kKmMgG]([iI]?[bB])?|[bB])?)\s*$";

/// `deserialize_with` helper for plain `u64` fields that accept a [`Size`].
pub fn deserialize_u64<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    Size::deserialize(d).map(|s| s.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("4096"), Ok(4096));
        assert_eq!(parse_size("4K"), Ok(4096));
        assert_eq!(parse_size("32 KiB"), Ok(32768));
        assert_eq!(parse_size("1M"), Ok(1 << 20));
        assert_eq!(parse_size("0x1005B000"), Ok(0x1005_B000));
        assert_eq!(parse_size("1_000"), Ok(1000));
        assert!(parse_size("1.5M").is_err());
        assert!(parse_size("K").is_err());
        assert!(parse_size("12 parsecs").is_err());
    }
}
