//! Symbol names for people: Rust (legacy and v0) and C++ (Itanium) demangling, the crate
//! a Rust symbol belongs to, and a rename-stable key for matching symbols across builds.

/// Demangle a raw symbol name, trying Rust first, then C++, else keeping it as is.
/// Rust hashes (`::h0123456789abcdef`) are dropped.
pub fn demangle(raw: &str) -> String {
    demangle_with_language(raw).0
}

/// [`demangle`], plus whether the name is a Rust symbol (so callers need not parse it
/// twice to find its crate).
pub fn demangle_with_language(raw: &str) -> (String, bool) {
    if let Some(rust) = demangle_rust(raw) {
        return (rust, true);
    }
    if raw.starts_with("_Z") || raw.starts_with("__Z") {
        if let Some(cpp) = demangle_cpp(raw) {
            return (cpp, false);
        }
    }
    (raw.to_string(), false)
}

/// Whether the raw name is a Rust symbol (v0, or legacy with its hash suffix: a plain
/// `_ZN3foo3barE` is valid C++ too, and then treated as C++).
pub fn is_rust(raw: &str) -> bool {
    if raw.starts_with("_R") {
        return rustc_demangle::try_demangle(raw).is_ok();
    }
    is_rust_legacy(raw)
}

fn is_rust_legacy(raw: &str) -> bool {
    // `_ZN...17h<16 hex>E`, optionally followed by a `.llvm.N`-style suffix. Path segments
    // themselves contain dots (`..` stands for `::` in escaped impl paths), so look for
    // the hash at the end rather than cutting at the first dot.
    if !raw.starts_with("_ZN") {
        return false;
    }
    let bytes = raw.as_bytes();
    let mut search = raw.len();
    while let Some(pos) = raw[..search].rfind("17h") {
        let hash = pos + 3;
        let end = hash + 16;
        if end < bytes.len()
            && bytes[hash..end].iter().all(|b| b.is_ascii_hexdigit())
            && bytes[end] == b'E'
            && (end + 1 == bytes.len() || bytes[end + 1] == b'.')
        {
            return true;
        }
        search = pos;
    }
    false
}

fn demangle_rust(raw: &str) -> Option<String> {
    if !is_rust(raw) {
        return None;
    }
    use std::fmt::Write;
    let d = rustc_demangle::try_demangle(raw).ok()?;
    // `{:#}` drops the hash (legacy) and the disambiguators (v0). Sized up front: the
    // demangled name is rarely longer than the raw one, and `format!`'s growth by
    // doubling (realloc, page faults) was a tenth of a large image's analysis.
    let mut out = String::with_capacity(raw.len());
    write!(out, "{d:#}").ok()?;
    Some(out)
}

fn demangle_cpp(raw: &str) -> Option<String> {
    let sym = match cpp_demangle::Symbol::new(raw.as_bytes()) {
        Ok(sym) => sym,
        // GCC's "unified" constructor/destructor names (`C5`/`D5`, used for COMDAT groups
        // of aliased C1/C2 pairs) are unknown to cpp_demangle; libiberty prints them like
        // any other constructor, so retry with `C1`/`D1` in their place.
        Err(_) => {
            let retry = raw
                .match_indices("C5")
                .chain(raw.match_indices("D5"))
                .find_map(|(i, m)| {
                    let alt = format!("{}{}1{}", &raw[..i], &m[..1], &raw[i + 2..]);
                    cpp_demangle::Symbol::new(alt.into_bytes()).ok()
                })?;
            return demangle_cpp_symbol(raw, retry);
        }
    };
    demangle_cpp_symbol(raw, sym)
}

fn demangle_cpp_symbol<T: AsRef<[u8]>>(raw: &str, sym: cpp_demangle::Symbol<T>) -> Option<String> {
    let mut opts = cpp_demangle::DemangleOptions::default();
    // libiberty elides the return type of the function that encloses a local entity
    // (`f<int>(int)::buf`, not `void f<int>(int)::buf`).
    let body = raw.trim_start_matches('_');
    if body.starts_with("ZZ") || body.starts_with("ZGVZ") {
        opts = opts.no_return_type();
    }
    let out = sym.demangle_with_options(&opts).ok()?;
    Some(libiberty_style(raw, out))
}

/// Rewrite cpp_demangle's output the way GNU libiberty (`nm -C`, `c++filt -i`) prints the
/// same symbol, so that names match what embedded developers see in binutils output.
fn libiberty_style(raw: &str, mut s: String) -> String {
    // Special names: cpp_demangle prints `{vtable(T)}`, `{vtt(T)}` and
    // `{virtual override thunk({offset(-8)}, f())}`.
    if let Some(inner) = s
        .strip_prefix("{vtable(")
        .and_then(|r| r.strip_suffix(")}"))
    {
        s = format!("vtable for {inner}");
    } else if let Some(inner) = s.strip_prefix("{vtt(").and_then(|r| r.strip_suffix(")}")) {
        s = format!("VTT for {inner}");
    } else if let Some(mut inner) = s
        .strip_prefix("{virtual override thunk(")
        .and_then(|r| r.strip_suffix(")}"))
    {
        while inner.starts_with("{offset(") || inner.starts_with("{virtual offset(") {
            match inner.find("}, ") {
                Some(end) => inner = &inner[end + 3..],
                None => break,
            }
        }
        let kind = match raw.trim_start_matches('_').get(..3) {
            Some("ZTv") => "virtual thunk to",
            Some("ZTc") => "covariant return thunk to",
            _ => "non-virtual thunk to",
        };
        s = format!("{kind} {inner}");
    } else if let Some(inner) = s.strip_prefix("construction vtable for ") {
        // `_ZTC <derived> <offset> _ <base>`: libiberty says "<base>-in-<derived>".
        if let [derived, base] = inner.split("-in-").collect::<Vec<_>>()[..] {
            s = format!("construction vtable for {base}-in-{derived}");
        }
    }
    let mut s = literal_suffixes(&s);
    // `Dn`: libiberty spells the type as written in the grammar.
    if s.contains("std::nullptr_t") {
        s = s.replace("std::nullptr_t", "decltype(nullptr)");
    }
    std_abbreviations(raw, s)
}

/// Integer template arguments: libiberty prints `15u`, `3l`, `true` where cpp_demangle
/// prints `(unsigned int)15`, `(long)3`, `(bool)1`.
fn literal_suffixes(s: &str) -> String {
    const TYPES: &[(&str, &str)] = &[
        ("(unsigned long long)", "ull"),
        ("(unsigned long)", "ul"),
        ("(unsigned int)", "u"),
        ("(long long)", "ll"),
        ("(long)", "l"),
        ("(int)", ""),
    ];
    if !s.contains(")") {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    'scan: while let Some(open) = rest.find('(') {
        out.push_str(&rest[..open]);
        let tail = &rest[open..];
        let number_len = |t: &str| {
            let neg = usize::from(t.starts_with('-'));
            let digits = t[neg..].bytes().take_while(|b| b.is_ascii_digit()).count();
            if digits == 0 {
                0
            } else {
                neg + digits
            }
        };
        for (ty, suffix) in TYPES {
            if let Some(after) = tail.strip_prefix(ty) {
                let n = number_len(after);
                if n > 0 {
                    out.push_str(&after[..n]);
                    out.push_str(suffix);
                    rest = &after[n..];
                    continue 'scan;
                }
            }
        }
        if let Some(after) = tail.strip_prefix("(bool)") {
            if after.starts_with('0') || after.starts_with('1') {
                let n = number_len(after);
                if n == 1 {
                    out.push_str(if after.starts_with('1') {
                        "true"
                    } else {
                        "false"
                    });
                    rest = &after[1..];
                    continue 'scan;
                }
            }
        }
        out.push('(');
        rest = &tail[1..];
    }
    out.push_str(rest);
    out
}

/// The standard abbreviations `Ss`, `Si`, `So`, `Sd`: libiberty (non-verbose, as `nm -C`
/// runs it) prints `std::string` etc., except as the prefix of a constructor or
/// destructor, where it spells the template out. cpp_demangle expands some and not
/// others, so normalise. Compilers must use the abbreviation for these exact types, so a
/// full spelling came from one, unless the template is also spelled out in the mangled
/// name (`St13basic_ostreamIT_T0_E` with `T_ = char`), which libiberty prints in full.
fn std_abbreviations(raw: &str, mut s: String) -> String {
    const ABBR: &[(&str, &str, &str, &str)] = &[
        (
            "std::basic_string<char, std::char_traits<char>, std::allocator<char> >",
            "std::string",
            "basic_string",
            "SbI",
        ),
        (
            "std::basic_istream<char, std::char_traits<char> >",
            "std::istream",
            "basic_istream",
            "St13basic_istreamI",
        ),
        (
            "std::basic_ostream<char, std::char_traits<char> >",
            "std::ostream",
            "basic_ostream",
            "St13basic_ostreamI",
        ),
        (
            "std::basic_iostream<char, std::char_traits<char> >",
            "std::iostream",
            "basic_iostream",
            "St14basic_iostreamI",
        ),
    ];
    if !s.contains("std::") {
        return s;
    }
    for (full, short, ctor, spelled) in ABBR {
        if s.contains(full) && !raw.contains(spelled) {
            s = s.replace(full, short);
        }
        if !s.contains(short) {
            continue;
        }
        let short_last = &short[5..]; // `string`, `istream`...
        for name in [*ctor, short_last] {
            for tilde in ["", "~"] {
                let pat = format!("{short}::{tilde}{name}");
                let mut from = 0;
                while let Some(pos) = s[from..].find(&pat).map(|p| p + from) {
                    let end = pos + pat.len();
                    let next = s[end..].chars().next();
                    if matches!(next, Some('(') | Some('<')) {
                        let repl = format!("{full}::{tilde}{ctor}");
                        s.replace_range(pos..end, &repl);
                        from = pos + repl.len();
                    } else {
                        from = end;
                    }
                }
            }
        }
    }
    s
}

/// The crate of a demangled Rust path: `core` for `core::fmt::write`, `alloc` for
/// `<alloc::vec::Vec<T> as core::ops::drop::Drop>::drop` (the implementing type's crate),
/// `core` for `<u32 as core::fmt::Display>::fmt`: a type that is no path (a primitive, a
/// slice, a reference to a generic) takes the trait's crate, which the orphan rule makes
/// the crate of the impl.
pub fn rust_crate(demangled: &str) -> Option<String> {
    path_crate(demangled).or_else(|| {
        let rest = demangled.strip_prefix('<')?;
        rust_crate(&rest[trait_of_impl(rest)?..])
    })
}

/// In `T as Trait>::f` (after the opening `<`), where `Trait` starts: the ` as ` at the
/// outer level (`T` may hold `<`, `>` and `->`).
fn trait_of_impl(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    let mut depth = 0usize;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'<' | b'(' | b'[' => depth += 1,
            b'>' if i > 0 && b[i - 1] == b'-' => {}
            b'>' | b')' | b']' => {
                if depth == 0 {
                    return None;
                }
                depth -= 1;
            }
            b' ' if depth == 0 && s[i..].starts_with(" as ") => return Some(i + 4),
            _ => {}
        }
        i += 1;
    }
    None
}

fn path_crate(demangled: &str) -> Option<String> {
    let s = demangled.trim_start_matches('<').trim_start_matches('&');
    let s = s.strip_prefix("mut ").unwrap_or(s);
    let s = s.strip_prefix("dyn ").unwrap_or(s);
    let end = s
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(s.len());
    let name = &s[..end];
    if name.is_empty() || !s[end..].starts_with("::") {
        return None;
    }
    Some(name.to_string())
}

/// A key that stays the same when a compiler renames a symbol between builds: Rust
/// hashes are already gone from the demangled name; GCC/LLVM clone suffixes
/// (`.constprop.0`, `.isra.1`, `.part.2`, `.lto_priv.0`, `.llvm.123`, `[clone .cold]`) and
/// numbered static-local suffixes (`buf.1`) are stripped.
pub fn stable_key(demangled: &str) -> String {
    let mut s = demangled.to_string();
    // Rust legacy names the demangler could not take apart (e.g. `_$LT$a..B$GT$::f::h0123…`)
    // still carry their hash, which changes on every rebuild.
    strip_rust_hash(&mut s);
    // C++ demanglers render clones as ` [clone .constprop.0]`.
    while let Some(pos) = s.find(" [clone ") {
        match s[pos..].find(']') {
            Some(end) => s.replace_range(pos..pos + end + 1, ""),
            None => break,
        }
    }
    // Plain (C or unmangled) names: strip trailing `.word.N` and `.N` groups.
    while let Some(dot) = s.rfind('.') {
        if dot == 0 {
            break;
        }
        let suffix = &s[dot + 1..];
        let is_num = !suffix.is_empty() && suffix.bytes().all(|b| b.is_ascii_digit());
        let is_clone_word = matches!(
            suffix,
            "constprop" | "isra" | "part" | "lto_priv" | "llvm" | "cold" | "clone" | "localalias"
        );
        let looks_hex_llvm =
            s[..dot].ends_with(".llvm") && suffix.bytes().all(|b| b.is_ascii_hexdigit());
        // Content hashes of anonymous constants (`.Lanon.<32 hex>`, `anon.<hash>.3`).
        let is_hash = suffix.len() >= 16 && suffix.bytes().all(|b| b.is_ascii_hexdigit());
        if is_num || is_clone_word || looks_hex_llvm || is_hash {
            s.truncate(dot);
        } else {
            break;
        }
    }
    strip_rust_hash(&mut s);
    s
}

/// Drop a trailing `::h` + 16 hex digits (a Rust legacy symbol hash).
fn strip_rust_hash(s: &mut String) {
    if s.len() > 19 && s.is_char_boundary(s.len() - 19) {
        let tail = &s[s.len() - 19..];
        if tail.starts_with("::h") && tail[3..].bytes().all(|b| b.is_ascii_hexdigit()) {
            let n = s.len() - 19;
            s.truncate(n);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rust_legacy_hash_dropped() {
        assert_eq!(
            demangle("_ZN4core3fmt5write17h0123456789abcdefE"),
            "core::fmt::write"
        );
        assert!(is_rust("_ZN4core3fmt5write17h0123456789abcdefE"));
    }

    #[test]
    fn rust_legacy_impl_paths_with_dots() {
        let raw = "_ZN79_$LT$embedded_alloc..llff..Heap$u20$as$u20$core..alloc..global..GlobalAlloc$GT$7dealloc17hee8faded2c64ba51E";
        assert!(is_rust(raw));
        assert_eq!(
            demangle(raw),
            "<embedded_alloc::llff::Heap as core::alloc::global::GlobalAlloc>::dealloc"
        );
        assert_eq!(
            rust_crate(&demangle(raw)).as_deref(),
            Some("embedded_alloc")
        );
        assert!(is_rust("_ZN4core3fmt5write17h0123456789abcdefE.llvm.1234"));
    }

    #[test]
    fn rust_v0() {
        let d = demangle("_RNvCs1234_7mycrate3foo");
        assert_eq!(d, "mycrate::foo");
        assert_eq!(rust_crate(&d).as_deref(), Some("mycrate"));
    }

    #[test]
    fn cpp_function_local_static() {
        assert_eq!(
            demangle("_ZZN4maco6system16GetDisplayDriverEvE6driver"),
            "maco::system::GetDisplayDriver()::driver"
        );
        assert!(!is_rust("_ZZN4maco6system16GetDisplayDriverEvE6driver"));
        // A C++ name without a Rust hash is C++, not Rust, even though it parses as both.
        assert!(!is_rust("_ZN3foo3barE"));
    }

    #[test]
    fn plain_names_kept() {
        assert_eq!(demangle("main"), "main");
        assert_eq!(demangle("_Zbogus"), "_Zbogus");
    }

    #[test]
    fn crate_of_trait_impl() {
        assert_eq!(
            rust_crate("<alloc::vec::Vec<T> as core::ops::drop::Drop>::drop").as_deref(),
            Some("alloc")
        );
        assert_eq!(rust_crate("main"), None);
        assert_eq!(
            rust_crate("<u32 as core::fmt::Display>::fmt").as_deref(),
            Some("core")
        );
        assert_eq!(
            rust_crate("<&mut W as core::fmt::Write>::write_str").as_deref(),
            Some("core")
        );
        assert_eq!(
            rust_crate("<[T] as core::fmt::Debug>::fmt").as_deref(),
            Some("core")
        );
        assert_eq!(
            rust_crate("<fn() -> u8 as fw::Handler>::call").as_deref(),
            Some("fw")
        );
        assert_eq!(
            rust_crate("<(A, B) as heapless::Foo<x::Y>>::f").as_deref(),
            Some("heapless")
        );
    }

    #[test]
    fn stable_keys() {
        assert_eq!(stable_key("foo.constprop.0"), "foo");
        assert_eq!(stable_key("foo.isra.1.part.2"), "foo");
        assert_eq!(stable_key("bar.llvm.123456"), "bar");
        assert_eq!(stable_key("f(int) [clone .constprop.0]"), "f(int)");
        assert_eq!(stable_key("buf.1"), "buf");
        assert_eq!(stable_key(".text"), ".text");
        assert_eq!(stable_key("core::fmt::write"), "core::fmt::write");
        assert_eq!(
            stable_key("_$LT$a..B$u20$as$u20$c..D$GT$::alloc::hfca66bd3f545f429"),
            "_$LT$a..B$u20$as$u20$c..D$GT$::alloc"
        );
        assert_eq!(stable_key("f::h0123456789abcdef.llvm.42"), "f");
        assert_eq!(stable_key("f::hello"), "f::hello");
        assert_eq!(
            stable_key(".Lanon.0781c48bedc67e52fec285e4817f2d35"),
            ".Lanon"
        );
        assert_eq!(
            stable_key("anon.0781c48bedc67e52fec285e4817f2d35.12"),
            "anon"
        );
        assert_eq!(stable_key("cafe.beef"), "cafe.beef");
    }
}
