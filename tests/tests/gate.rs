//! The gate tells the truth (issue 8): verdicts and numbers on synthetic ELFs, real
//! toolchain links and corpus ELFs, errors for bad inputs, and `init`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

use crate::support::elf_spec::*;
use crate::support::skip::Skip;
use crate::support::{root, s, tool, trials};

trials![
    reservation_in_the_stacks_path_ends_its_room,
    stack_starting_inside_a_reservation_fails,
    overflow_is_counted_as_gnu_ld_counts_it,
    section_outside_every_region_fails_unless_expected,
    avr_regions_and_stack_match_avr_size,
    esp_idf_placeholders_and_heap_sentinel,
    esp_idf_corpus_elfs_count_what_esp_idf_size_counts,
    diff_budget_elf_uses_the_budgets_memory_map,
    load_images_are_in_the_load_regions_symbols,
    rollups_count_symbols_and_crates_come_from_codegen_units,
    init_writes_a_budget_that_check_passes,
    init_refuses_an_image_that_does_not_fit,
    flip_link_stack_is_bounded_by_the_ram_origin,
    chip_with_more_ram_than_linked_warns,
    wrong_inputs_get_their_own_message,
    inverted_stack_levels_are_rejected,
    budget_type_errors_carry_the_json_path,
];

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_membudget"))
        .args(args)
        .current_dir(root())
        .env_remove("UPDATE_GOLDENS")
        .env("NO_COLOR", "1")
        .env("COLUMNS", "200")
        .output()
        .expect("run membudget")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Write `bytes` as `name` in a fresh temporary directory.
fn write(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.path().join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

/// `check --format json`: exit code and result.
fn check_json(elf: &Path, budget: &Path) -> (i32, Value) {
    let o = run(&["check", s(elf), "--budget", s(budget), "--format", "json"]);
    let code = o.status.code().unwrap();
    assert!(code == 0 || code == 1, "exit {code}: {}", stderr(&o));
    (code, serde_json::from_slice(&o.stdout).expect("JSON"))
}

fn report_json(args: &[&str]) -> Value {
    let mut a = vec!["report"];
    a.extend_from_slice(args);
    a.extend_from_slice(&["--format", "json"]);
    let o = run(&a);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    serde_json::from_slice(&o.stdout).expect("JSON")
}

fn kinds(v: &Value, list: &str) -> Vec<String> {
    v[list]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["kind"].as_str().unwrap().to_string())
        .collect()
}

const REGIONS: &str = r#""regions": [
      { "name": "FLASH", "origin": "0x08000000", "length": "64K" },
      { "name": "RAM", "origin": "0x20000000", "length": "32K" }
    ]"#;

// ---------------------------------------------------------------------------------------
// 1. The stack's room ends at the first reservation below its top.

fn reservation_in_the_stacks_path_ends_its_room() {
    let dir = tempfile::tempdir().unwrap();
    let elf = write(&dir, "fw.elf", &firmware().build());
    // Statics end at RAM + 0x340; the stack grows down from RAM + 32K and meets the end
    // of an 8 KiB mailbox at RAM + 24K: 8 KiB of room, not the 31 KiB of free RAM.
    let budget = write(
        &dir,
        "b.json",
        format!(
            r#"{{ "schema": "membudget.budget/2", "budget": {{ {REGIONS},
            "reservations": [{{ "name": "mailbox", "origin": "0x20004000", "length": "8K" }}],
            "stack": {{ "fail_below": "12K" }} }} }}"#
        )
        .as_bytes(),
    );
    let (code, v) = check_json(&elf, &budget);
    assert_eq!(code, 1, "{v:#}");
    assert_eq!(v["stack"]["size"], 8192, "{v:#}");
    assert!(kinds(&v, "failures").contains(&"stack".to_string()));
}

fn stack_starting_inside_a_reservation_fails() {
    let dir = tempfile::tempdir().unwrap();
    let elf = write(&dir, "fw.elf", &firmware().build());
    // 1 KiB at the top of RAM, exactly where the initial stack pointer points.
    let budget = write(
        &dir,
        "b.json",
        format!(
            r#"{{ "schema": "membudget.budget/2", "budget": {{ {REGIONS},
            "reservations": [{{ "name": "noinit", "origin": "0x20007c00", "length": "1K" }}] }} }}"#
        )
        .as_bytes(),
    );
    let (code, v) = check_json(&elf, &budget);
    assert_eq!(code, 1, "{v:#}");
    let f = &v["failures"].as_array().unwrap();
    assert!(
        f.iter().any(|f| f["kind"] == "stack"
            && f["message"].as_str().unwrap_or("").contains("noinit")),
        "{v:#}"
    );
}

// ---------------------------------------------------------------------------------------
// 2. Sections past a region's end overflow it, by GNU ld's count.

const OVERFLOW_LD: &str = r#"
MEMORY { FLASH (rx) : ORIGIN = 0x08000000, LENGTH = 1K
         RAM (rwx) : ORIGIN = 0x20000000, LENGTH = 1K }
ENTRY(_start)
SECTIONS {
  .fill : { KEEP(*(.fill)) } > FLASH
  .text : { *(.text*) } > FLASH
  .rodata : { *(.rodata*) } > FLASH
  .data : { *(.data*) } > RAM AT > FLASH
  .bss : { *(.bss*) } > RAM
  _stack_start = ORIGIN(RAM) + LENGTH(RAM);
}
"#;

/// Link a program whose FLASH is `fill` bytes of filler followed by code, 300 bytes of
/// constants and `.data`'s image; return the ELF and ld's "overflowed by" figure.
fn link_overflowing(dir: &tempfile::TempDir, gcc: &str, fill: u32) -> (PathBuf, u64) {
    let c = format!(
        "__attribute__((section(\".fill\"), used)) const char fill[{fill}] = {{1}};\n\
         const char ro[300] = {{2}};\nint data[8] = {{1, 2, 3}};\nint bss[16];\n\
         void _start(void) {{ for (;;) {{ bss[0] += data[1] + ro[4]; }} }}\n"
    );
    let src = write(dir, "t.c", c.as_bytes());
    let ld = write(dir, "t.ld", OVERFLOW_LD.as_bytes());
    let elf = dir.path().join(format!("t{fill}.elf"));
    let o = Command::new(gcc)
        .args(["-mcpu=cortex-m0", "-mthumb", "-nostdlib", "-O1", "-T"])
        .arg(&ld)
        .arg("-Wl,--noinhibit-exec")
        .arg(&src)
        .arg("-o")
        .arg(&elf)
        .output()
        .unwrap();
    let err = stderr(&o);
    assert!(o.status.success(), "{err}");
    let n = err
        .split("region `FLASH' overflowed by ")
        .nth(1)
        .and_then(|r| r.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("ld did not report FLASH's overflow: {err}"));
    (elf, n)
}

fn overflow_is_counted_as_gnu_ld_counts_it() -> Result<(), Skip> {
    let gcc = tool(&["arm-none-eabi-gcc"])?;
    let dir = tempfile::tempdir().unwrap();
    let ld = write(&dir, "memory.ld", OVERFLOW_LD.as_bytes());
    // 900: .rodata crosses FLASH's end and `.data`'s image lies wholly past it.
    // 1024: the filler fills FLASH exactly; code and constants start at its end.
    // 700: every section fits; only `.data`'s load image runs past FLASH's end.
    for fill in [700, 900, 1024] {
        let (elf, ld_says) = link_overflowing(&dir, &gcc, fill);
        let v = report_json(&[s(&elf), "--memory", s(&ld)]);
        let flash = v["regions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == "FLASH")
            .unwrap();
        assert_eq!(flash["overflow"], ld_says, "fill {fill}: {flash:#}");
        assert!(
            v["unmapped"].as_array().unwrap().is_empty(),
            "fill {fill}: {v:#}"
        );
        let budget = write(
            &dir,
            "b.json",
            br#"{ "schema": "membudget.budget/2", "budget": { "linker_script": "memory.ld" } }"#,
        );
        let (code, c) = check_json(&elf, &budget);
        assert_eq!(code, 1, "fill {fill}: {c:#}");
        let over: Vec<_> = c["failures"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["kind"] == "overflow")
            .collect();
        assert_eq!(over.len(), 1, "fill {fill}: one finding per region: {c:#}");
        assert_eq!(over[0]["over_by"], ld_says, "fill {fill}: {c:#}");
        let row = c["regions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == "FLASH")
            .unwrap();
        assert_eq!(
            row["free"], 0,
            "fill {fill}: an overflowing region has no room: {row:#}"
        );
        let text = stdout(&run(&["check", s(&elf), "--budget", s(&budget)]));
        assert!(
            text.contains(&format!("OVERFLOW +{ld_says} B")),
            "fill {fill}: the FLASH row names ld's figure:\n{text}"
        );
    }
    Ok(())
}

fn section_outside_every_region_fails_unless_expected() {
    let dir = tempfile::tempdir().unwrap();
    let elf = write(
        &dir,
        "fw.elf",
        &firmware().nobits(".trace", 0x3000_0000, 0x100).build(),
    );
    let plain = format!(r#"{{ "schema": "membudget.budget/2", "budget": {{ {REGIONS} }} }}"#);
    let (code, v) = check_json(&elf, &write(&dir, "a.json", plain.as_bytes()));
    assert_eq!(code, 1, "{v:#}");
    assert_eq!(kinds(&v, "failures"), ["unmapped"], "{v:#}");
    let expected = format!(
        r#"{{ "schema": "membudget.budget/2", "budget": {{ {REGIONS}, "outside_regions": [".tr*"] }} }}"#
    );
    let (code, v) = check_json(&elf, &write(&dir, "b.json", expected.as_bytes()));
    assert!(kinds(&v, "failures").is_empty(), "{v:#}");
    assert_eq!(code, 0, "{v:#}");
}

// ---------------------------------------------------------------------------------------
// 3. AVR: regions from the device note, the stack in data space; avr-size -C is the oracle.

const AVR_PROG: &str = r#"
#include <avr/eeprom.h>
char buf[40];
int table[10] = {1, 2, 3};
uint8_t EEMEM cfg[16];
int main(void) { buf[3] = table[2] + eeprom_read_byte(&cfg[1]); for (;;) {} }
"#;

/// `avr-size -C --mcu=MCU`'s Program and Data lines: bytes and the percent it prints.
fn avr_size(elf: &Path, mcu: &str) -> Vec<(u64, Option<String>)> {
    let o = Command::new("avr-size")
        .args(["-C", &format!("--mcu={mcu}")])
        .arg(elf)
        .output()
        .unwrap();
    let out = stdout(&o);
    ["Program:", "Data:"]
        .iter()
        .map(|key| {
            let line = out.lines().find(|l| l.starts_with(key)).unwrap_or("");
            let mut words = line[key.len()..].split_whitespace();
            let bytes = words.next().and_then(|b| b.parse().ok()).unwrap_or(0);
            let pct = line
                .split_once('(')
                .map(|(_, p)| p.trim_end_matches(" Full)").to_string());
            (bytes, pct)
        })
        .collect()
}

fn check_avr(elf: &Path, mcu: &str) {
    let v = report_json(&[s(elf)]);
    assert_eq!(v["regions_source"]["kind"], "device-note", "{mcu}");
    assert_eq!(v["regions_source"]["name"], mcu);
    let want = avr_size(elf, mcu);
    for ((bytes, pct), region) in want.iter().zip(["text", "data"]) {
        let r = v["regions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == region)
            .unwrap_or_else(|| panic!("{mcu}: no region {region}: {v:#}"));
        assert_eq!(r["used"], *bytes, "{mcu} {region}: {r:#}");
        let ours = format!(
            "{:.1}%",
            *bytes as f64 * 100.0 / r["length"].as_u64().unwrap() as f64
        );
        assert_eq!(Some(&ours), pct.as_ref(), "{mcu} {region}: {r:#}");
    }
    let stack = &v["stack"];
    assert_eq!(stack["region"], "data", "{mcu}: {v:#}");
    let data = v["regions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "data")
        .unwrap();
    assert_eq!(
        stack["top"].as_u64().unwrap(),
        data["origin"].as_u64().unwrap() + data["length"].as_u64().unwrap(),
        "{mcu}: the stack starts at RAMEND: {v:#}"
    );
    assert!(v["warnings"].as_array().unwrap().is_empty(), "{mcu}: {v:#}");
}

fn avr_regions_and_stack_match_avr_size() -> Result<(), Skip> {
    let gcc = tool(&["avr-gcc"])?;
    tool(&["avr-size"])?;
    let dir = tempfile::tempdir().unwrap();
    let src = write(&dir, "p.c", AVR_PROG.as_bytes());
    for mcu in ["atmega328p", "attiny85", "atmega2560", "atmega32u4"] {
        let elf = dir.path().join(format!("{mcu}.elf"));
        let o = Command::new(&gcc)
            .args([&format!("-mmcu={mcu}"), "-Os", "-o"])
            .arg(&elf)
            .arg(&src)
            .output()
            .unwrap();
        assert!(o.status.success(), "{mcu}: {}", stderr(&o));
        check_avr(&elf, mcu);
    }
    let corpus = corpus_dir()?.join("c_arduino-avr_eeprom_crc.elf");
    if !corpus.is_file() {
        return Err(Skip::new(format!("{} not found", corpus.display())));
    }
    check_avr(&corpus, "atmega328p");
    Ok(())
}

/// The corpus of third-party ELFs (`MEMBUDGET_CORPUS`, default `../shared/corpus`).
fn corpus_dir() -> Result<PathBuf, Skip> {
    let dir = std::env::var_os("MEMBUDGET_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("../shared/corpus"));
    if dir.is_dir() {
        Ok(dir)
    } else {
        Err(Skip::new(format!("corpus not found at {}", dir.display())))
    }
}

// ---------------------------------------------------------------------------------------
// 4. ESP-IDF: address-space placeholders are not used bytes; `_heap_end` is no heap end.

fn esp_idf_placeholders_and_heap_sentinel() {
    // ESP32-C3-like: DRAM 0x3fc80000 + 384K; the first 0x9e00 bytes are the DRAM alias
    // of code in IRAM, reserved by `.dram0.dummy`.
    let dram = 0x3fc8_0000;
    let elf = ElfSpec::new()
        .nobits(".dram0.dummy", dram, 0x9e00)
        .data(".dram0.data", dram + 0x9e00, dram + 0x9e00, 0x100)
        .nobits(".dram0.bss", dram + 0x9f00, 0x200)
        .abs("_heap_start", dram + 0xa100)
        .abs("_heap_end", 0x4000_0000)
        .build();
    let dir = tempfile::tempdir().unwrap();
    let elf = write(&dir, "c3.elf", &elf);
    let budget = write(
        &dir,
        "b.json",
        br#"{ "schema": "membudget.budget/2", "budget": {
            "regions": [{ "name": "DRAM", "origin": "0x3fc80000", "length": "384K" }] } }"#,
    );
    let v = report_json(&[s(&elf), "--budget", s(&budget)]);
    assert_eq!(v["regions"][0]["used"], 0x300, "{v:#}");
    assert_eq!(v["heap"].as_array().unwrap().len(), 0, "{v:#}");
    // The CSV rows of DRAM add up to its used: the placeholder has no row.
    let o = run(&["report", s(&elf), "--budget", s(&budget), "--format", "csv"]);
    let sum: u64 = stdout(&o)
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(6).unwrap().parse::<u64>().unwrap())
        .sum();
    assert_eq!(sum, 0x300, "{}", stdout(&o));
}

/// On the corpus ESP32 and ESP32-C3 ELFs: no heap from the sentinel, and the regions'
/// used bytes are the allocated sections `readelf -S` lists, less those esp-idf-size
/// leaves out (`*dummy`, `*noload`, `*reserved_for_iram`).
fn esp_idf_corpus_elfs_count_what_esp_idf_size_counts() -> Result<(), Skip> {
    let dir = corpus_dir()?;
    for name in [
        "espressif__esp-coredump_esp32c3.elf",
        "espressif__esptool_esp32-app-template.elf",
    ] {
        let elf = dir.join(name);
        let readelf = dir.join(format!("{name}.readelf-lSW.txt"));
        if !elf.is_file() || !readelf.is_file() {
            return Err(Skip::new(format!("{} not in the corpus", elf.display())));
        }
        let text = std::fs::read_to_string(&readelf).unwrap();
        let mut want = 0u64;
        for line in text.lines().filter(|l| l.trim_start().starts_with('[')) {
            let f: Vec<&str> = line.split(']').nth(1).unwrap().split_whitespace().collect();
            if f.len() < 7 || f[0] == "Name" {
                continue;
            }
            let (name, size, flags) = (f[0], u64::from_str_radix(f[4], 16).unwrap(), f[6]);
            let placeholder = ["dummy", "noload", "reserved_for_iram"]
                .iter()
                .any(|p| name.ends_with(p));
            if flags.contains('A') && !placeholder {
                want += size;
            }
        }
        let v = report_json(&[s(&elf)]);
        let used: u64 = v["regions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["used"].as_u64().unwrap())
            .sum();
        assert_eq!(used, want, "{name}");
        assert_eq!(
            v["heap"].as_array().unwrap().len(),
            0,
            "{name}: {:#}",
            v["heap"]
        );
        assert!(v["unmapped"].as_array().unwrap().is_empty(), "{name}");
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// 5. `diff BUDGET ELF`: both sides measured against the budget's regions and reservations.

fn diff_budget_elf_uses_the_budgets_memory_map() {
    let o = run(&[
        "diff",
        "golden/p2.budget.json",
        "fixtures/p2.elf",
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["old"], "p2.budget.json (p2.elf)");
    assert_eq!(v["new"], "p2.elf");
    // The baseline was blessed from this very ELF: nothing changed, no region is new.
    for r in v["regions"].as_array().unwrap() {
        assert!(r["old"].is_u64() && r["new"].is_u64(), "{r:#}");
        assert_eq!(r["delta"], 0, "{r:#}");
    }
    // The same with the budget named explicitly and the sides swapped.
    let o = run(&[
        "diff",
        "fixtures/p2.elf",
        "golden/p2.budget.json",
        "--budget",
        "golden/p2.budget.json",
        "--format",
        "json",
    ]);
    let w: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(w["new"], "p2.budget.json (p2.elf)");
    assert!(
        w["regions"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["delta"] == 0),
        "{w:#}"
    );
}

// ---------------------------------------------------------------------------------------
// 6. FLASH's symbols include `.data` initialiser images.

fn load_images_are_in_the_load_regions_symbols() {
    let dir = tempfile::tempdir().unwrap();
    let elf = write(&dir, "fw.elf", &firmware().build());
    let ld = write(&dir, "memory.x", MEMORY_X.as_bytes());
    // The table: COUNTER's image is listed in FLASH, at its load address.
    let o = run(&["report", s(&elf), "--memory", s(&ld), "--top", "0"]);
    let text = stdout(&o);
    let flash = text
        .split("Symbols in FLASH")
        .nth(1)
        .and_then(|t| t.split("Symbols in RAM").next())
        .unwrap_or_else(|| panic!("{text}"));
    let row = flash
        .lines()
        .find(|l| l.contains("COUNTER"))
        .unwrap_or_else(|| panic!("{flash}"));
    assert!(
        row.contains(".data (load image)") && row.contains("0x08000600"),
        "{row}"
    );
    // CSV: the image's row has its load address, and FLASH's rows add up to its used.
    let o = run(&["report", s(&elf), "--memory", s(&ld), "--format", "csv"]);
    let csv = stdout(&o);
    let rows: Vec<Vec<&str>> = csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect())
        .collect();
    let image = rows
        .iter()
        .find(|r| r[0] == "FLASH" && r[2] == "COUNTER")
        .unwrap_or_else(|| panic!("{csv}"));
    assert_eq!((image[4], image[7]), ("0x8000600", "load image"), "{csv}");
    let v = report_json(&[s(&elf), "--memory", s(&ld)]);
    let used = v["regions"][0]["used"].as_u64().unwrap();
    let sum: u64 = rows
        .iter()
        .filter(|r| r[0] == "FLASH")
        .map(|r| r[6].parse::<u64>().unwrap())
        .sum();
    assert_eq!(sum, used, "{csv}");
}

// ---------------------------------------------------------------------------------------
// 8. Rollups: symbol counts per region and section; crates of unmangled symbols.

fn rollup(by: &str) -> Vec<Value> {
    let v = report_json(&["fixtures/qemu-an386.elf", "--by", by]);
    v["rollup"]["rows"].as_array().unwrap().clone()
}

fn rollup_rows_and_symbols() -> (Value, Vec<Value>) {
    (report_json(&["fixtures/qemu-an386.elf"]), rollup("section"))
}

fn rollups_count_symbols_and_crates_come_from_codegen_units() {
    let (report, by_section) = rollup_rows_and_symbols();
    let symbols = report["symbols"].as_array().unwrap();
    // Per section: the symbols of the section (load images count in their load region).
    let in_text = symbols.iter().filter(|s| s["section"] == ".text").count();
    let row = by_section.iter().find(|r| r["key"] == ".text").unwrap();
    assert_eq!(row["symbols"], in_text, "{row:#}");
    let image = by_section
        .iter()
        .find(|r| r["key"] == ".data (load image)")
        .unwrap();
    let data = symbols.iter().filter(|s| s["section"] == ".data").count();
    assert_eq!(image["symbols"], data, "{image:#}");
    // Per region: every symbol of the region, and its load images.
    for r in rollup("region").iter().filter(|r| r["key"] == r["region"]) {
        let name = r["region"].as_str().unwrap();
        let n = symbols
            .iter()
            .filter(|s| {
                s["region"] == name || (s["load_region"] == name && s["load_addr"].is_u64())
            })
            .count();
        assert_eq!(r["symbols"], n, "{r:#}");
        assert!(n > 0, "{r:#}");
    }
    // compiler_builtins' unmangled `__aeabi_memset` gets its crate from its codegen unit.
    let memset = symbols
        .iter()
        .find(|s| s["name"] == "__aeabi_memset")
        .unwrap();
    assert_eq!(memset["crate"], "compiler_builtins", "{memset:#}");
    let crates = rollup("crate");
    assert!(
        crates.iter().any(|r| r["key"] == "compiler_builtins"),
        "{crates:#?}"
    );
}

// ---------------------------------------------------------------------------------------
// init.

fn init_writes_a_budget_that_check_passes() {
    let dir = tempfile::tempdir().unwrap();
    let budget = dir.path().join("fw.budget.json");
    let baseline = dir.path().join("fw.baseline.json");
    let fixtures = [
        ("fixtures/p2.elf", vec!["--chip", "p2"]),
        ("fixtures/qemu-an386.elf", vec![]),
    ];
    for (elf, extra) in fixtures {
        let mut args = vec!["init", elf, "--budget", s(&budget), "--force"];
        args.extend(extra.iter().copied());
        let o = run(&args);
        assert_eq!(o.status.code(), Some(0), "{elf}: {}", stderr(&o));
        assert!(baseline.is_file(), "{elf}: no baseline written");
        let (code, v) = check_json(Path::new(elf), &budget);
        assert_eq!(code, 0, "{elf}: {v:#}");
        assert_eq!(v["status"], "pass", "{elf}: {v:#}");
        let limits = v["regions"].as_array().unwrap();
        assert!(limits.iter().any(|r| r["fail_at"].is_u64()), "{elf}: {v:#}");
    }
    // The p2 preset's Device OS reservation is written out.
    let o = run(&[
        "init",
        "fixtures/p2.elf",
        "--chip",
        "p2",
        "--budget",
        s(&budget),
        "--force",
    ]);
    assert_eq!(o.status.code(), Some(0));
    let doc: Value = serde_json::from_slice(&std::fs::read(&budget).unwrap()).unwrap();
    assert_eq!(
        doc["budget"]["reservations"][0]["name"], "Device OS",
        "{doc:#}"
    );
    // No overwriting without --force, and nothing is touched.
    let before = std::fs::read(&budget).unwrap();
    let o = run(&["init", "fixtures/qemu-an386.elf", "--budget", s(&budget)]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("already exists"), "{}", stderr(&o));
    assert_eq!(std::fs::read(&budget).unwrap(), before);
    // --memory and --chip are two sources of regions: a usage error.
    let o = run(&[
        "init",
        "fixtures/p2.elf",
        "--chip",
        "p2",
        "--memory",
        "x.ld",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
}

/// A budget from `init` is one `check` passes: for an image that does not fit the regions it
/// is given (a 16 KiB FLASH for a 29 KiB image), no budget is written that would hide it.
fn init_refuses_an_image_that_does_not_fit() {
    let dir = tempfile::tempdir().unwrap();
    let memory = write(
        &dir,
        "tight.x",
        b"MEMORY\n{\n  FLASH : ORIGIN = 0x00000000, LENGTH = 16K\n  RAM : ORIGIN = 0x20000000, LENGTH = 512K\n}\n",
    );
    let budget = dir.path().join("fw.budget.json");
    let o = run(&[
        "init",
        "fixtures/qemu-an386.elf",
        "--memory",
        s(&memory),
        "--budget",
        s(&budget),
    ]);
    assert_one_line(&o, "does not fit the regions it was given");
    assert!(stderr(&o).contains("FLASH"), "{}", stderr(&o));
    assert!(!budget.exists(), "a budget was written");
    assert!(
        !dir.path().join("fw.baseline.json").exists(),
        "a baseline was written"
    );
}

// ---------------------------------------------------------------------------------------
// Errors and flags.

/// Exit 2 and one stderr line containing `needle`.
fn assert_one_line(o: &Output, needle: &str) {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains(needle), "expected '{needle}' in: {err}");
}

fn wrong_inputs_get_their_own_message() {
    let dir = tempfile::tempdir().unwrap();
    let d = s(dir.path());
    assert_one_line(&run(&["report", d]), "a directory, not a firmware ELF");
    assert_one_line(&run(&["report", "/dev/null"]), "not a regular file");
    let map = write(
        &dir,
        "fw.map",
        b"Archive member included to satisfy reference by file (symbol)\n\nMemory Configuration\n",
    );
    assert_one_line(&run(&["report", s(&map)]), "a GNU ld map file");
    // An ET_CORE file: a synthetic ELF with e_type 4.
    let mut core = firmware().build();
    core[16] = 4;
    core[17] = 0;
    let core = write(&dir, "core", &core);
    assert_one_line(&run(&["report", s(&core)]), "a core dump (ET_CORE)");
    // A missing file reads the same whichever option names it.
    let missing = dir.path().join("missing");
    let m = s(&missing);
    let elf = write(&dir, "fw.elf", &firmware().build());
    let budget = write(
        &dir,
        "b.json",
        br#"{ "schema": "membudget.budget/2", "budget": {} }"#,
    );
    let want = format!("membudget: cannot read {m}: No such file or directory");
    for args in [
        vec!["report", m],
        vec!["report", s(&elf), "--memory", m],
        vec!["report", s(&elf), "--budget", m],
        vec!["check", m, "--budget", s(&budget)],
        vec!["check", s(&elf), "--budget", m],
        vec!["diff", m, s(&elf)],
    ] {
        let o = run(&args);
        assert_eq!(stderr(&o).trim_end(), want, "{args:?}");
        assert_eq!(o.status.code(), Some(2), "{args:?}");
    }
}

fn inverted_stack_levels_are_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let elf = write(&dir, "fw.elf", &firmware().build());
    let budget = write(
        &dir,
        "b.json",
        format!(
            r#"{{ "schema": "membudget.budget/2", "budget": {{ {REGIONS},
            "stack": {{ "warn_below": "1K", "fail_below": "2K" }} }} }}"#
        )
        .as_bytes(),
    );
    let o = run(&["check", s(&elf), "--budget", s(&budget)]);
    assert_one_line(&o, "budget.stack.warn_below");
    assert!(stderr(&o).contains("is below fail_below"), "{}", stderr(&o));
}

// ---------------------------------------------------------------------------------------
// 7. flip-link stacks and chips with more RAM than the ELF was linked for.

fn flip_link_stack_is_bounded_by_the_ram_origin() {
    // flip-link: 4 KiB of stack at the bottom of RAM, the statics above it.
    let elf = ElfSpec::new()
        .text(".text", FLASH, 0x400)
        .data(".data", RAM + 0x1000, FLASH + 0x400, 0x40)
        .nobits(".bss", RAM + 0x1040, 0x200)
        .abs("_stack_start", RAM + 0x1000)
        .abs("_stack_end", RAM + 0x1240)
        .build();
    let dir = tempfile::tempdir().unwrap();
    let elf = write(&dir, "flip.elf", &elf);
    let ld = write(&dir, "memory.x", MEMORY_X.as_bytes());
    let v = report_json(&[s(&elf), "--memory", s(&ld)]);
    let st = &v["stack"];
    assert_eq!(st["bottom"], RAM, "{st:#}");
    assert_eq!(st["size"], 0x1000, "{st:#}");
    assert_eq!(st["sized"], true, "{st:#}");
    let ram = &v["regions"][1];
    assert_eq!(ram["stack"], 0x1000, "{ram:#}");
    assert_eq!(ram["free"], RAM_LEN - 0x1000 - 0x240, "{ram:#}");
}

fn chip_with_more_ram_than_linked_warns() {
    // Linked for 32 KiB of RAM (`_stack_start` at RAM + 32K); the preset has 128 KiB there.
    let dir = tempfile::tempdir().unwrap();
    let elf = write(&dir, "fw.elf", &firmware().build());
    let v = report_json(&[s(&elf), "--chip", "stm32f411"]);
    let warnings: Vec<&str> = v["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|w| w.as_str())
        .collect();
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("stack starts at 0x20008000") && w.contains("smaller")),
        "{warnings:?}"
    );
    assert_eq!(v["stack"]["top"], RAM + RAM_LEN, "{:#}", v["stack"]);
    // Read back by diff: the warning round-trips through the report JSON.
    let json = write(
        &dir,
        "r.json",
        serde_json::to_string(&v).unwrap().as_bytes(),
    );
    let o = run(&["diff", s(&json), s(&json)]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

fn budget_type_errors_carry_the_json_path() {
    let dir = tempfile::tempdir().unwrap();
    let elf = write(&dir, "fw.elf", &firmware().build());
    let budget = write(
        &dir,
        "b.json",
        br#"{ "schema": "membudget.budget/2", "budget": { "limits": [ { "region": "RAM", "fail": true } ] } }"#,
    );
    let o = run(&["check", s(&elf), "--budget", s(&budget)]);
    assert_one_line(&o, "b.json:1:");
    assert!(
        stderr(&o).contains(": budget.limits[0].fail: invalid type"),
        "{}",
        stderr(&o)
    );
}
