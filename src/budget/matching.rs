//! Matching symbols to budget rules: globs over names (groups, per-symbol tolerances) and
//! the growth tolerance arithmetic.

use globset::{GlobBuilder, GlobMatcher};

use crate::analyze::attribution::dir_key;
use crate::report::SymbolUsage;

use super::model::{Growth, MatchDecl};

/// A glob over names: `*` and `?` also match `::` and `/`; `[...]` classes; `\` escapes.
pub fn compile_glob(pattern: &str) -> Result<GlobMatcher, String> {
    GlobBuilder::new(pattern)
        .literal_separator(false)
        .backslash_escape(true)
        .build()
        .map(|g| g.compile_matcher())
        .map_err(|e| format!("invalid glob '{pattern}': {}", e.kind()))
}

fn compile_all(pats: &[String]) -> Vec<GlobMatcher> {
    // Validated when the budget was loaded.
    pats.iter().filter_map(|p| compile_glob(p).ok()).collect()
}

/// Which symbols belong to a group: for every key given, one of its globs must match.
pub struct GroupMatcher {
    symbol: Vec<GlobMatcher>,
    krate: Vec<GlobMatcher>,
    section: Vec<GlobMatcher>,
    file: Vec<GlobMatcher>,
    dir: Vec<GlobMatcher>,
    cu: Vec<GlobMatcher>,
    archive: Vec<GlobMatcher>,
    object: Vec<GlobMatcher>,
}

impl GroupMatcher {
    /// Compile the globs of a `match` object (validated when the budget was loaded).
    pub fn new(m: &MatchDecl) -> Self {
        GroupMatcher {
            symbol: compile_all(&m.symbol.0),
            krate: compile_all(&m.krate.0),
            section: compile_all(&m.section.0),
            file: compile_all(&m.file.0),
            dir: compile_all(&m.dir.0),
            cu: compile_all(&m.cu.0),
            archive: compile_all(&m.archive.0),
            object: compile_all(&m.object.0),
        }
    }

    /// Whether the symbol (or one of its aliases) matches.
    pub fn matches(&self, s: &SymbolUsage) -> bool {
        fn any(globs: &[GlobMatcher], value: Option<&str>) -> bool {
            globs.is_empty() || value.is_some_and(|v| globs.iter().any(|g| g.is_match(v)))
        }
        let name_ok = self.symbol.is_empty()
            || std::iter::once(&s.name)
                .chain(s.aliases.iter())
                .any(|n| self.symbol.iter().any(|g| g.is_match(n)));
        name_ok
            && any(&self.krate, s.krate.as_deref())
            && any(&self.section, Some(&s.section))
            && any(&self.file, s.file.as_deref())
            && any(
                &self.dir,
                s.file.as_deref().map(|f| dir_key(f, 0)).as_deref(),
            )
            && any(&self.cu, s.cu.as_deref())
            && any(&self.archive, s.archive.as_deref())
            && any(&self.object, s.object.as_deref())
    }

    /// Whether the group matches on source attribution (file, directory, unit, archive,
    /// object), so that checking it needs `--dwarf`/`--map` input.
    pub fn needs_dwarf(m: &MatchDecl) -> bool {
        !(m.file.0.is_empty() && m.dir.0.is_empty() && m.cu.0.is_empty())
    }
}

/// Growth allowed over `baseline` bytes; `None` means unlimited (no tolerance given). With
/// both bytes and percent the larger allowance wins.
pub fn allowed_growth(t: &Growth, baseline: u64) -> Option<u64> {
    let pct = t
        .percent
        .map(|p| ((baseline as f64) * p / 100.0).floor() as u64);
    match (t.bytes.map(|b| b.0), pct) {
        (None, None) => None,
        (b, p) => Some(b.unwrap_or(0).max(p.unwrap_or(0))),
    }
}

/// How far `new` is past the tolerance, if it is.
pub fn growth_excess(t: &Growth, old: u64, new: u64) -> Option<u64> {
    let grown = new.checked_sub(old)?;
    let allowed = allowed_growth(t, old)?;
    (grown > allowed).then(|| grown - allowed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::budget::model::MatchDecl;
    use crate::budget::model::{Level, Size};
    use crate::elf::SymbolKind;

    fn g(bytes: Option<u64>, percent: Option<f64>) -> Growth {
        Growth {
            bytes: bytes.map(Size),
            percent,
            level: Level::Fail,
        }
    }

    #[test]
    fn tolerance_math() {
        // No tolerance: unlimited.
        assert_eq!(allowed_growth(&g(None, None), 1000), None);
        assert_eq!(growth_excess(&g(None, None), 1000, 1_000_000), None);
        // Bytes only.
        assert_eq!(allowed_growth(&g(Some(100), None), 1000), Some(100));
        assert_eq!(growth_excess(&g(Some(100), None), 1000, 1100), None);
        assert_eq!(growth_excess(&g(Some(100), None), 1000, 1101), Some(1));
        // Percent only, rounding down.
        assert_eq!(allowed_growth(&g(None, Some(10.0)), 1005), Some(100));
        assert_eq!(growth_excess(&g(None, Some(10.0)), 1005, 1106), Some(1));
        // Both: the larger allowance wins.
        assert_eq!(allowed_growth(&g(Some(256), Some(1.0)), 1000), Some(256));
        assert_eq!(
            allowed_growth(&g(Some(256), Some(1.0)), 100_000),
            Some(1000)
        );
        // Shrinking is never over.
        assert_eq!(growth_excess(&g(Some(0), None), 1000, 10), None);
        // Zero tolerance: any growth fails.
        assert_eq!(growth_excess(&g(Some(0), Some(0.0)), 1000, 1001), Some(1));
    }

    fn sym(name: &str, krate: Option<&str>, section: &str, file: Option<&str>) -> SymbolUsage {
        SymbolUsage {
            name: name.into(),
            raw: name.into(),
            addr: 0,
            size: 4,
            bytes: 4,
            kind: SymbolKind::Object,
            section: section.into(),
            region: Some("RAM".into()),
            load_region: None,
            load_addr: None,
            krate: krate.map(Into::into),
            file: file.map(Into::into),
            line: None,
            cu: None,
            archive: None,
            object: None,
            aliases: vec![],
            section_pos: None,
        }
    }

    fn matcher(json: &str) -> GroupMatcher {
        GroupMatcher::new(&serde_json::from_str::<MatchDecl>(json).unwrap())
    }

    #[test]
    fn glob_matching() {
        let s = sym("app::display::FRAME_BUF", Some("app"), ".bss", None);
        assert!(matcher(r#"{"symbol": "*::FRAME_BUF"}"#).matches(&s));
        assert!(matcher(r#"{"symbol": "app::*"}"#).matches(&s));
        assert!(matcher(r#"{"symbol": ["nope", "*display*"]}"#).matches(&s));
        assert!(!matcher(r#"{"symbol": "FRAME_BUF"}"#).matches(&s));
        // Keys are ANDed.
        assert!(matcher(r#"{"symbol": "*BUF", "section": ".bss*"}"#).matches(&s));
        assert!(!matcher(r#"{"symbol": "*BUF", "section": ".data"}"#).matches(&s));
        assert!(matcher(r#"{"crate": "app"}"#).matches(&s));
        assert!(!matcher(r#"{"crate": "lvgl"}"#).matches(&s));
        // A symbol without a file never matches a file glob.
        assert!(!matcher(r#"{"file": "*"}"#).matches(&s));
        let c = sym(
            "lv_mem_pool",
            None,
            ".extram.bss",
            Some("src/misc/lv_mem.c"),
        );
        assert!(matcher(r#"{"file": "*/lv_*.c"}"#).matches(&c));
        assert!(matcher(r#"{"symbol": "lv_[mn]em_*"}"#).matches(&c));
        // C++ names with parentheses and templates are literal text.
        let cpp = sym(
            "maco::system::GetDisplayDriver()::driver",
            None,
            ".bss",
            None,
        );
        assert!(matcher(r#"{"symbol": "*GetDisplayDriver()::*"}"#).matches(&cpp));
        assert!(compile_glob("[unclosed").is_err());
    }
}
