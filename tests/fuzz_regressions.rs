//! Inputs that crashed, aborted or gave wrong figures (found by `fuzz/` or reported), run
//! through the `membudget` binary so that a panic, an abort or a wrong exit code shows.
//!
//! Each test names the bug it guards against. Inputs are built here or kept, minimized, in
//! `tests/data/fuzz/`.

mod support;

use std::path::Path;
use std::process::Command;

use support::*;

const BIN: &str = env!("CARGO_BIN_EXE_membudget");

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run(dir: &Path, args: &[&str]) -> Run {
    let out = Command::new(BIN)
        .current_dir(dir)
        .args(args)
        .output()
        .expect("run membudget");
    Run {
        // A signal (abort, stack overflow) has no exit code: that is a failure too.
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Exit code 2 with one `membudget: ...` line that mentions `needle`, nothing on stdout.
fn assert_rejected(r: &Run, needle: &str, what: &str) {
    assert!(
        !r.stderr.contains("panicked"),
        "{what}: panic: {}",
        r.stderr
    );
    assert_eq!(r.code, 2, "{what}: exit code; stderr: {}", r.stderr);
    let lines: Vec<&str> = r.stderr.lines().collect();
    assert_eq!(
        lines.len(),
        1,
        "{what}: one stderr line, got {:?}",
        r.stderr
    );
    assert!(
        lines[0].starts_with("membudget: "),
        "{what}: {:?}",
        lines[0]
    );
    assert!(
        lines[0].contains(needle),
        "{what}: {:?} should mention {needle:?}",
        lines[0]
    );
    assert!(r.stdout.is_empty(), "{what}: output on error: {}", r.stdout);
}

/// Every command that reads an ELF, with every output format and rollup.
fn elf_commands(elf: &str) -> Vec<Vec<String>> {
    let mut all = Vec::new();
    for format in ["table", "json", "csv", "markdown"] {
        all.push(vec!["report", elf, "--format", format, "--top", "0"]);
    }
    for by in ["region", "section", "symbol", "crate", "file"] {
        all.push(vec!["report", elf, "--by", by, "--format", "json"]);
    }
    all.push(vec!["report", elf, "--memory", "memory.x"]);
    all.push(vec!["diff", elf, elf]);
    all.into_iter()
        .map(|v| v.into_iter().map(String::from).collect())
        .collect()
}

/// Issue 9: a 64-bit ELF with two overlapping sections of 2^63 bytes each wrapped the u64
/// sums of the analysis and rollups (a panic in debug builds; in release, exit 0 with code
/// bytes 0 and a reserved row of 2^63 bytes). Its sections hold more bytes than the
/// address space: bad input, exit 2.
#[test]
fn sections_larger_than_the_address_space_are_rejected() {
    let half = 1u64 << 63;
    let cases = [
        (
            "two halves",
            ElfSpec::new()
                .class64()
                .nobits(".bss", 0, half)
                .nobits(".bss2", 0, half),
        ),
        (
            "code and data halves",
            ElfSpec::new()
                .class64()
                .text(".text", 0, 0x10)
                .nobits(".big", 0x1000, half)
                .nobits(".big2", half, half)
                .func("f", ".text", 0, 0x10),
        ),
        (
            "past the top",
            ElfSpec::new()
                .class64()
                .nobits(".bss", u64::MAX - 0xf, 0x20),
        ),
        (
            "32-bit past 4 GiB",
            ElfSpec::new().nobits(".bss", 0xFFFF_FF00, 0x1000),
        ),
    ];
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("memory.x"), MEMORY_X).expect("write memory.x");
    for (what, spec) in cases {
        std::fs::write(dir.path().join("big.elf"), spec.build()).expect("write ELF");
        for args in elf_commands("big.elf") {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let r = run(dir.path(), &args);
            assert_rejected(&r, "address space", &format!("{what}: {args:?}"));
        }
    }
}
