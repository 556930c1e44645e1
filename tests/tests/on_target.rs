//! On-target cross-check: the analyzer's static view of the demo firmware (`firmware/`) against
//! what that firmware measured about itself while running on QEMU.
//!
//! Inputs, per runnable layout (`qemu-an386`, `qemu-an505`):
//! - `<dir>/<layout>.elf`           the firmware image
//! - `<dir>/<layout>.measured.json` the `MEMBUDGET_MEASURED` line it printed on QEMU
//!
//! `<dir>` is `fixtures/` (committed; plain `cargo test` needs neither QEMU nor cross targets),
//! or `$MEMBUDGET_FIRMWARE_DIR` when set (CI rebuilds the firmware with
//! `scripts/firmware-build.sh DIR` and reruns QEMU with `scripts/firmware-run-qemu.sh` into it).
//!
//! The analyzer is run as `membudget report <elf> --memory firmware/layouts/<layout>/memory.x
//! --format json` and must agree with the measurements: every measured buffer is a symbol with
//! the same address and size in the expected region; heap arena, pool and bump arena sizes match
//! their symbols; the stack bounds match and the measured high-water mark fits in the stack.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::{root as repo_root, trials, Skip, BIN};

trials![on_target_qemu_an386, on_target_qemu_an505];

/// Where the ELFs and measured JSON come from.
fn firmware_dir() -> PathBuf {
    match std::env::var_os("MEMBUDGET_FIRMWARE_DIR") {
        Some(d) if !d.is_empty() => PathBuf::from(d),
        _ => repo_root().join("fixtures"),
    }
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{} is not valid JSON: {e}\n{text}", path.display()))
}

/// `membudget report <elf> --memory <memory.x> --format json`, parsed.
fn analyze(elf: &Path, layout: &str) -> Value {
    let memory_x = repo_root()
        .join("firmware/layouts")
        .join(layout)
        .join("memory.x");
    assert!(
        memory_x.is_file(),
        "missing linker memory map {}",
        memory_x.display()
    );
    let out = Command::new(BIN)
        .arg("report")
        .arg(elf)
        .arg("--memory")
        .arg(&memory_x)
        .args(["--format", "json"])
        .output()
        .expect("failed to run the membudget binary");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "`membudget report {} --memory {} --format json` failed with {}\nstderr:\n{}\nstdout:\n{}",
        elf.display(),
        memory_x.display(),
        out.status,
        String::from_utf8_lossy(&out.stderr),
        stdout
    );
    serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "report for {} is not valid JSON: {e}\n{stdout}",
            elf.display()
        )
    })
}

/// Collects every mismatch so one run shows all of them.
struct Checker {
    layout: String,
    failures: Vec<String>,
}

impl Checker {
    fn fail(&mut self, msg: String) {
        self.failures.push(msg);
    }

    /// `None` means the field was missing (already reported by `num`, or shown as "missing").
    fn eq<T: PartialEq + std::fmt::Debug>(
        &mut self,
        what: &str,
        expected: Option<T>,
        actual: Option<T>,
    ) {
        if expected != actual {
            let show = |v: &Option<T>| {
                v.as_ref()
                    .map_or("missing".to_string(), |v| format!("{v:?}"))
            };
            self.fail(format!(
                "{what}: expected {}, actual {}",
                show(&expected),
                show(&actual)
            ));
        }
    }

    fn finish(self) {
        if !self.failures.is_empty() {
            panic!(
                "{}: {} mismatch(es) between the analyzer report and the on-target measurements:\n  - {}",
                self.layout,
                self.failures.len(),
                self.failures.join("\n  - ")
            );
        }
    }
}

/// Field `key` of `v` as an unsigned integer; records a failure if missing.
fn num(c: &mut Checker, v: &Value, ctx: &str, key: &str) -> Option<u64> {
    let n = v.get(key).and_then(Value::as_u64);
    if n.is_none() {
        c.fail(format!(
            "{ctx}: field `{key}` missing or not an unsigned integer (got {:?})",
            v.get(key)
        ));
    }
    n
}

fn string<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

/// The report symbol for a measured Rust path such as
/// `membudget_firmware::placement::DMA_BUF`: matched by demangled name equal to the path or
/// ending with `::<module>::<NAME>`.
fn find_symbol<'a>(c: &mut Checker, report: &'a Value, path: &str) -> Option<&'a Value> {
    let Some(symbols) = report.get("symbols").and_then(Value::as_array) else {
        c.fail("report has no `symbols` array".into());
        return None;
    };
    let tail: Vec<&str> = path.rsplitn(3, "::").collect(); // [NAME, module, crate]
    let suffix = match tail.as_slice() {
        [name, module, ..] => format!("::{module}::{name}"),
        _ => format!("::{path}"),
    };
    let hits: Vec<&Value> = symbols
        .iter()
        .filter(|s| string(s, "name").is_some_and(|n| n == path || n.ends_with(&suffix)))
        .collect();
    match hits.as_slice() {
        [one] => Some(one),
        [] => {
            c.fail(format!(
                "symbol `{path}`: not found in report symbols (by name ending with `{suffix}`)"
            ));
            None
        }
        many => {
            let names: Vec<_> = many
                .iter()
                .map(|s| string(s, "name").unwrap_or("?"))
                .collect();
            c.fail(format!(
                "symbol `{path}`: {} candidates in report symbols: {names:?}",
                many.len()
            ));
            None
        }
    }
}

/// A missing ELF or measurement is a loud skip (a failure with `CI=true`): both come from the
/// Arm toolchain and QEMU.
fn check_layout(layout: &str) -> Result<(), Skip> {
    let dir = firmware_dir();
    let elf = dir.join(format!("{layout}.elf"));
    let measured_path = dir.join(format!("{layout}.measured.json"));
    if !elf.is_file() {
        return Err(Skip::new(format!(
            "missing firmware ELF {} (build it with scripts/firmware-build.sh)",
            elf.display()
        )));
    }
    if !measured_path.is_file() {
        return Err(Skip::new(format!(
            "missing measurement {} (capture it with scripts/firmware-run-qemu.sh)",
            measured_path.display()
        )));
    }
    let m = read_json(&measured_path);
    let r = analyze(&elf, layout);
    let mut c = Checker {
        layout: layout.to_string(),
        failures: Vec::new(),
    };

    // The measurement itself.
    c.eq("measured.layout", Some(layout), string(&m, "layout"));
    c.eq(
        "measured.ok (every on-target self-check passed)",
        Some(true),
        m.get("ok").and_then(Value::as_bool),
    );
    c.eq(
        "report.schema",
        Some("membudget.report/2"),
        string(&r, "schema"),
    );

    // Every measured buffer: same address, size and region as the analyzer's symbol.
    let buffers = m
        .get("buffers")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if buffers.is_empty() {
        c.fail("measured.buffers: missing or empty".into());
    }
    let mut by_name = std::collections::HashMap::new();
    for b in &buffers {
        let name = string(b, "name").unwrap_or("?").to_string();
        let ctx = format!("measured buffer {name}");
        let Some(path) = string(b, "symbol") else {
            c.fail(format!("{ctx}: no `symbol`"));
            continue;
        };
        let (addr, size) = (num(&mut c, b, &ctx, "addr"), num(&mut c, b, &ctx, "size"));
        let Some(sym) = find_symbol(&mut c, &r, path) else {
            continue;
        };
        let sctx = format!("report symbol {path}");
        let (saddr, ssize) = (
            num(&mut c, sym, &sctx, "addr"),
            num(&mut c, sym, &sctx, "size"),
        );
        c.eq(
            &format!("{name}: address (measured vs report symbol)"),
            addr,
            saddr,
        );
        c.eq(
            &format!("{name}: size (measured vs report symbol)"),
            size,
            ssize,
        );
        if let Some(region) = string(b, "region") {
            c.eq(
                &format!("{name}: region (measured/expected vs report symbol)"),
                Some(region),
                string(sym, "region"),
            );
        }
        by_name.insert(name, (saddr, ssize));
    }

    // Heap arena, pool and bump arena: measured sizes equal the symbols' sizes.
    let heap = m.get("heap").cloned().unwrap_or(Value::Null);
    let arena_addr = num(&mut c, &heap, "measured.heap", "arena_addr");
    let arena_size = num(&mut c, &heap, "measured.heap", "arena_size");
    match by_name.get("HEAP_MEM") {
        Some(&(a, s)) => {
            c.eq(
                "heap arena address (measured.heap.arena_addr vs symbol HEAP_MEM)",
                arena_addr,
                a,
            );
            c.eq(
                "heap arena size (measured.heap.arena_size vs symbol HEAP_MEM)",
                arena_size,
                s,
            );
        }
        None => c.fail("measured buffers: no HEAP_MEM entry".into()),
    }
    if let (Some(a), Some(s)) = (arena_addr, arena_size) {
        let heaps = r
            .get("heap")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let found = heaps.iter().any(|h| {
            h.get("addr").and_then(Value::as_u64) == Some(a)
                && h.get("size").and_then(Value::as_u64) == Some(s)
        });
        if !found {
            c.fail(format!(
                "report.heap: expected an entry with addr {a} and size {s} (HEAP_MEM), actual {}",
                serde_json::to_string(&heaps).unwrap()
            ));
        }
    }
    for (key, sym) in [("pool", "POOL"), ("arena", "ARENA")] {
        let part = m.get(key).cloned().unwrap_or(Value::Null);
        let ctx = format!("measured.{key}");
        let (addr, size) = (
            num(&mut c, &part, &ctx, "addr"),
            num(&mut c, &part, &ctx, "size"),
        );
        match by_name.get(sym) {
            Some(&(a, s)) => {
                c.eq(
                    &format!("{key} address (measured.{key}.addr vs symbol {sym})"),
                    addr,
                    a,
                );
                c.eq(
                    &format!("{key} size (measured.{key}.size vs symbol {sym})"),
                    size,
                    s,
                );
            }
            None => c.fail(format!("measured buffers: no {sym} entry")),
        }
    }

    // Stack: bounds equal, high-water mark within the stack.
    let ms = m.get("stack").cloned().unwrap_or(Value::Null);
    let rs = r.get("stack").cloned().unwrap_or(Value::Null);
    if rs.is_null() {
        c.fail("report.stack: expected the stack bounds, actual null/missing".into());
    } else {
        for key in ["top", "bottom", "size"] {
            let (mv, rv) = (
                num(&mut c, &ms, "measured.stack", key),
                num(&mut c, &rs, "report.stack", key),
            );
            c.eq(&format!("stack.{key} (measured vs report)"), mv, rv);
        }
        c.eq("report.stack.region", Some("RAM"), string(&rs, "region"));
        if let (Some(hw), Some(size)) = (
            num(&mut c, &ms, "measured.stack", "high_water"),
            num(&mut c, &rs, "report.stack", "size"),
        ) {
            if hw == 0 || hw > size {
                c.fail(format!(
                    "stack high-water mark: expected 0 < measured {hw} <= report.stack.size {size}"
                ));
            }
        }
    }

    c.finish();
    Ok(())
}

fn on_target_qemu_an386() -> Result<(), Skip> {
    check_layout("qemu-an386")
}

fn on_target_qemu_an505() -> Result<(), Skip> {
    check_layout("qemu-an505")
}
