//! Inputs that crashed, aborted or gave wrong figures (found by `fuzz/` or reported), run
//! through the `membudget` binary so that a panic, an abort or a wrong exit code shows.
//! Each test names the bug it guards against.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use crate::support::elf_spec::{ElfSpec, FLASH, FLASH_LEN, MEMORY_X, RAM, RAM_LEN};
use crate::support::{
    assert_bad_input as assert_rejected, data, fixture, run_in, s, tempdir, trials, write, Run,
};

trials![
    sections_larger_than_the_address_space_are_rejected,
    rollups_of_sections_sharing_a_name_add_up,
    rollups_of_overlapping_sections_add_up,
    rollups_of_overlaps_and_overflows_add_up,
    map_lines_past_the_address_space_are_rejected,
];

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

/// Every `--by` key the CLI offers.
const BY: [&str; 9] = [
    "region", "section", "symbol", "crate", "file", "dir", "cu", "archive", "object",
];

fn assert_ok(r: &Run, what: &str) {
    assert!(
        !r.stderr.contains("panicked"),
        "{what}: panic: {}",
        r.stderr
    );
    assert_eq!(r.code, 0, "{what}: exit code; stderr: {}", r.stderr);
    assert!(!r.stdout.is_empty(), "{what}: no output");
}

/// `used + reserved` per region of a JSON report.
fn occupied(report: &Value) -> BTreeMap<String, u64> {
    report["regions"]
        .as_array()
        .expect("regions")
        .iter()
        .map(|r| {
            let n = |k: &str| r[k].as_u64().expect("a number");
            (
                r["name"].as_str().expect("name").to_string(),
                n("used") + n("reserved"),
            )
        })
        .collect()
}

/// Sums per region of (region, bytes) rows; rows with no region are past every region.
fn sums<'a>(rows: impl Iterator<Item = (Option<&'a str>, u64)>) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    for (region, bytes) in rows {
        if let Some(r) = region {
            *out.entry(r.to_string()).or_default() += bytes;
        }
    }
    out
}

/// Runs every `--by` view in every format on `elf` (with `extra` options) and checks that
/// each region's rollup rows (JSON) and labelled rows (CSV) add up to its used + reserved,
/// and that each region has rows when it has bytes.
fn assert_rollups_add_up(dir: &Path, elf: &str, extra: &[&str], what: &str) {
    let base = |more: &[&str]| {
        let mut a = vec!["report", elf, "--top", "0"];
        a.extend_from_slice(extra);
        a.extend_from_slice(more);
        a.into_iter().map(String::from).collect::<Vec<_>>()
    };
    let go = |args: &[String]| {
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        run_in(dir, &refs)
    };
    let plain = go(&base(&["--format", "json"]));
    assert_ok(&plain, what);
    let report: Value = serde_json::from_str(&plain.stdout).expect("JSON report");
    let want = occupied(&report);
    assert!(want.values().any(|&b| b > 0), "{what}: nothing occupied");
    for by in BY {
        for format in ["table", "json", "csv", "markdown", "html"] {
            let r = go(&base(&["--by", by, "--format", format]));
            let what = format!("{what}: --by {by} --format {format}");
            assert_ok(&r, &what);
            if format != "json" {
                continue;
            }
            let doc: Value = serde_json::from_str(&r.stdout).expect("JSON report");
            let rows = doc["rollup"]["rows"].as_array().expect("rollup rows");
            let got = sums(rows.iter().map(|row| {
                (
                    row["region"].as_str(),
                    row["bytes"].as_u64().expect("bytes"),
                )
            }));
            for (region, &bytes) in &want {
                let g = got.get(region).copied().unwrap_or(0);
                assert_eq!(
                    g, bytes,
                    "{what}: rows of {region} add up to {g}, not {bytes}"
                );
            }
        }
    }
    // The CSV without --by: one row per symbol and remainder, its own sum.
    let csv = go(&base(&["--format", "csv"]));
    assert_ok(&csv, what);
    let mut reader = csv::Reader::from_reader(csv.stdout.as_bytes());
    let header = reader.headers().expect("csv header").clone();
    let col = |name: &str| header.iter().position(|h| h == name).expect(name);
    let (region, bytes) = (col("region"), col("bytes"));
    let records: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("csv row")).collect();
    let got = sums(records.iter().map(|r| {
        let reg = &r[region];
        (
            (!reg.is_empty()).then_some(reg),
            r[bytes].parse().expect("bytes"),
        )
    }));
    for (region, &b) in &want {
        let g = got.get(region).copied().unwrap_or(0);
        assert_eq!(g, b, "{what}: csv rows of {region} add up to {g}, not {b}");
    }
}

/// Issue 9 (found by fuzz `elf_report`): three sections with the same (empty) name, each
/// with symbols, in an inferred region. The rollup looked sections up by name, so every
/// symbol counted under the first and the others' bytes again as unattributed: `--by
/// section` said 8,830 bytes of a 4,608-byte region.
fn rollups_of_sections_sharing_a_name_add_up() {
    let elf = data("fuzz/unnamed-sections.elf");
    let dir = tempdir();
    assert_rollups_add_up(dir.path(), s(&elf), &[], "unnamed sections");
}

/// Issue 9 (found by fuzz `elf_report`): two sections over the same 131,104 bytes. The
/// region's `used` counts them once; the rollup counted both (262,208 bytes).
fn rollups_of_overlapping_sections_add_up() {
    let elf = data("fuzz/overlapping-sections.elf");
    let dir = tempdir();
    assert_rollups_add_up(dir.path(), s(&elf), &[], "overlapping sections");
}

/// The same in general: overlapping sections with symbols, a load image past its region's
/// end, and statics past theirs, with declared and with inferred regions.
fn rollups_of_overlaps_and_overflows_add_up() {
    let spec = ElfSpec::new()
        .text(".text", FLASH, 0x100)
        .func("f", ".text", FLASH, 0x40)
        .func("f2", ".text", FLASH + 0xc0, 0x40)
        // Overlaps the last 0x80 bytes of .text, symbols and all.
        .text(".text.hot", FLASH + 0x80, 0x100)
        .func("g", ".text.hot", FLASH + 0x80, 0x100)
        // Copied to RAM from the last 0x10 bytes of FLASH and 0x10 bytes past it.
        .data(".data", RAM, FLASH + FLASH_LEN - 0x10, 0x20)
        .object("d", ".data", RAM, 0x20)
        .nobits(".bss", RAM + RAM_LEN - 0x10, 0x40)
        .object("b", ".bss", RAM + RAM_LEN - 0x10, 0x30);
    let dir = tempdir();
    write(dir.path(), "memory.x", MEMORY_X.as_bytes());
    write(dir.path(), "o.elf", &spec.build());
    assert_rollups_add_up(dir.path(), "o.elf", &["--memory", "memory.x"], "declared");
    assert_rollups_add_up(dir.path(), "o.elf", &[], "inferred");
}

/// Found by fuzz `map_file`: an input section at 0xffffffffffffff00 of 0x200 bytes in a
/// `--map` overflowed `addr + size` in the attribution (a panic with debug assertions, a
/// wrong piece lookup in release). A map line (region, output section, input section,
/// fill) that runs past the end of the address space is bad input: exit 2, with its line.
fn map_lines_past_the_address_space_are_rejected() {
    let map = std::fs::read_to_string(fixture("cpp-m4.map")).expect("fixture map");
    let elf = fixture("cpp-m4.elf");
    let cases = [
        (
            " .isr_vector    0x08000000       0xd8 startup.o",
            " .isr_vector    0xffffffffffffff00      0x200 startup.o",
        ),
        (
            ".isr_vector     0x08000000       0xd8",
            ".isr_vector     0xffffffffffffff00      0x200",
        ),
        (
            "FLASH            0x08000000         0x00080000         xr",
            "FLASH            0xffffffffffff0000 0x00080000         xr",
        ),
    ];
    let dir = tempdir();
    for (line, bad) in cases {
        assert!(map.contains(line), "the fixture map has {line:?}");
        write(dir.path(), "bad.map", map.replacen(line, bad, 1).as_bytes());
        for by in ["object", "archive", "section"] {
            let r = run_in(
                dir.path(),
                &[
                    "report",
                    s(&elf),
                    "--map",
                    "bad.map",
                    "--by",
                    by,
                    "--format",
                    "json",
                ],
            );
            assert_rejected(&r, "address space", &format!("{bad:?} --by {by}"));
        }
    }
    // A fill line too.
    let fill = map
        .lines()
        .find(|l| l.starts_with(" *fill*"))
        .expect("the fixture map has fill");
    let bad = " *fill*         0xffffffffffffff00      0x200 ";
    write(dir.path(), "bad.map", map.replacen(fill, bad, 1).as_bytes());
    let r = run_in(dir.path(), &["report", s(&elf), "--map", "bad.map"]);
    assert_rejected(&r, "address space", "fill");
}
