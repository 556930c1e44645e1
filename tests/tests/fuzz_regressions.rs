//! Inputs that crashed, aborted or gave wrong figures (found by `fuzz/` or reported), run
//! through the `membudget` binary so that a panic, an abort or a wrong exit code shows.
//! Each test names the bug it guards against.

use crate::support::elf_spec::{ElfSpec, MEMORY_X};
use crate::support::{assert_bad_input as assert_rejected, run_in, tempdir, trials, write};

trials![sections_larger_than_the_address_space_are_rejected];

/// Every command that reads an ELF, with every output format and rollup.
fn elf_commands(elf: &str) -> Vec<Vec<&str>> {
    let mut all = Vec::new();
    for format in ["table", "json", "csv", "markdown"] {
        all.push(vec!["report", elf, "--format", format, "--top", "0"]);
    }
    for by in ["region", "section", "symbol", "crate", "file"] {
        all.push(vec!["report", elf, "--by", by, "--format", "json"]);
    }
    all.push(vec!["report", elf, "--memory", "memory.x"]);
    all.push(vec!["diff", elf, elf]);
    all
}

/// Issue 9: a 64-bit ELF with two overlapping sections of 2^63 bytes each wrapped the u64
/// sums of the analysis and rollups (a panic in debug builds; in release, exit 0 with code
/// bytes 0 and a reserved row of 2^63 bytes). Sections that hold more bytes than the
/// address space, or run past its end, are bad input: exit 2.
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
    let dir = tempdir();
    write(dir.path(), "memory.x", MEMORY_X.as_bytes());
    for (what, spec) in cases {
        write(dir.path(), "big.elf", &spec.build());
        for args in elf_commands("big.elf") {
            let r = run_in(dir.path(), &args);
            assert_rejected(&r, "address space", &format!("{what}: {args:?}"));
        }
    }
}
