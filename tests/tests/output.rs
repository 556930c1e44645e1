//! Output a person can read (issue 8): tables that fit the terminal, a failures table that
//! says each thing once, exact bytes beside units, Markdown that GitHub renders as written
//! and under its size limit, colour only where wanted, plurals, inferred regions, NOBITS
//! and empty sections, formats per command, and the small things a new user met first.

use std::path::PathBuf;
use std::process::Command;

use crate::support::elf_spec::*;
use crate::support::skip::Skip;
use crate::support::{root, run_env, s, tempdir, trials, write, Run, BIN};

trials![
    tables_fit_80_and_120_columns,
    tables_are_not_cut_without_a_width,
    failures_are_ordered_and_said_once,
    new_symbols_are_grouped,
    exact_bytes_beside_units_and_one_set_of_columns,
    markdown_escapes_names_and_aligns_numbers,
    markdown_stays_under_githubs_limit,
    colour_follows_no_color_term_and_the_flag,
    colour_on_a_terminal,
    plurals_inferred_regions_nobits_and_empty_sections,
    every_command_accepts_only_the_formats_it_renders,
    chip_list_has_one_format,
    no_arguments_prints_usage,
    bless_names_the_baseline_and_keeps_the_budgets_layout,
];

/// `membudget ARGS` from the repository root with `COLUMNS` (empty: none).
fn at(columns: &str, args: &[&str]) -> Run {
    run_env(&root(), args, &[("COLUMNS", columns)])
}

/// The widest line, in characters (the box-drawing characters are one column each).
fn widest(text: &str) -> usize {
    text.lines().map(|l| l.chars().count()).max().unwrap_or(0)
}

const REPORT: &[&str] = &[
    "report",
    "fixtures/qemu-an386.elf",
    "--memory",
    "firmware/layouts/qemu-an386/memory.x",
    "--top",
    "8",
];
const REPORT_CPP: &[&str] = &["report", "fixtures/cpp-m4.elf", "--top", "15"];
const CHECK_FAIL: &[&str] = &[
    "check",
    "fixtures/p2-overflow.elf",
    "--budget",
    "golden/p2.budget.json",
];
const CHECK_PASS: &[&str] = &[
    "check",
    "fixtures/p2.elf",
    "--budget",
    "golden/p2.budget.json",
];
const DIFF: &[&str] = &[
    "diff",
    "fixtures/p2.elf",
    "fixtures/p2-moved.elf",
    "--memory",
    "firmware/layouts/p2/memory.x",
];

fn tables_fit_80_and_120_columns() {
    for args in [REPORT, REPORT_CPP, CHECK_FAIL, CHECK_PASS, DIFF] {
        for width in [80, 120] {
            let r = at(&width.to_string(), args);
            assert!(r.code == 0 || r.code == 1, "{args:?}: {}", r.stderr);
            for line in r.stdout.lines() {
                assert!(
                    line.chars().count() <= width,
                    "{args:?} at {width} columns: a line of {} characters:\n{line}",
                    line.chars().count()
                );
            }
            // Every row of a table is one line as wide as its borders: nothing wraps into
            // a zigzag.
            for block in r.stdout.split("\n\n") {
                let rows: Vec<usize> = block
                    .lines()
                    .filter(|l| l.starts_with(['┌', '│', '╞', '└']))
                    .map(|l| l.chars().count())
                    .collect();
                assert!(
                    rows.windows(2).all(|w| w[0] == w[1]),
                    "{args:?} at {width}: ragged table\n{block}"
                );
            }
        }
    }
    // The names a reader looks for survive narrowing (shortened in the middle).
    let r = at("80", REPORT);
    assert!(r.stdout.contains("size ┆ section"), "{}", r.stdout);
    assert!(r.stdout.contains("membudget_firmware::__cortex_m_rt_main"));
    let r = at("80", REPORT_CPP);
    assert!(
        r.stdout.contains('…'),
        "long C++ names are shortened:\n{}",
        r.stdout
    );
}

/// A file or a CI log has no width: nothing is dropped or shortened.
fn tables_are_not_cut_without_a_width() {
    let r = at("", REPORT);
    assert!(widest(&r.stdout) > 120, "{}", r.stdout);
    assert!(!r.stdout.contains('…'));
    assert!(r.stdout.contains("┆ usage"), "the usage bar is shown");
}

fn failures_table(out: &str) -> Vec<&str> {
    let start = out.find("\nFailures\n").expect("a Failures table");
    out[start..]
        .lines()
        .skip(2)
        .take_while(|l| !l.is_empty())
        .collect()
}

fn failures_are_ordered_and_said_once() {
    let r = at("", CHECK_FAIL);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let table = failures_table(&r.stdout);
    let header = table[1];
    let cols: Vec<&str> = header.trim_matches('│').split('┆').map(str::trim).collect();
    assert_eq!(cols, ["what", "limit", "actual", "over by"], "{header}");
    // The sentence of each finding is in the JSON, not a column restating the others.
    assert!(!r.stdout.contains("past its tolerance"), "{}", r.stdout);
    let at_row = |what: &str| {
        table
            .iter()
            .position(|l| l.starts_with(&format!("│ {what}")))
            .unwrap_or_else(|| panic!("no {what} row:\n{}", table.join("\n")))
    };
    let order = [
        at_row("reservation device-os"),
        at_row("region RAM"),
        at_row("stack"),
        at_row("group \"log and sample buffers\""),
        at_row("symbol membudget_firmware::statics::LOG_BUF"),
    ];
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{order:?}");
    // Exact bytes over.
    assert!(table.iter().any(|l| l.contains("22816 B")), "{table:?}");
}

/// FLASH 64 KiB, RAM 32 KiB.
const BUDGET_REGIONS: &str = r#""regions": [
      { "name": "FLASH", "origin": "0x08000000", "length": "64K" },
      { "name": "RAM", "origin": "0x20000000", "length": "32K" }
    ]"#;

/// The synthetic firmware, plus `n` objects of `size` bytes in `.bss2` named by `name`.
fn with_objects(n: usize, size: u64, name: impl Fn(usize) -> String) -> ElfSpec {
    let mut spec = firmware().nobits(".bss2", RAM + 0x400, n as u64 * size);
    for i in 0..n {
        spec = spec.object(&name(i), ".bss2", RAM + 0x400 + i as u64 * size, size);
    }
    spec
}

/// A budget (new symbols allowed `tolerance` bytes) blessed on the plain synthetic
/// firmware; `extra` adds members to `budget`.
fn blessed_budget(dir: &tempfile::TempDir, tolerance: u64, extra: &str) -> PathBuf {
    let base = write(dir.path(), "base.elf", &firmware().build());
    let budget = write(
        dir.path(),
        "fw.budget.json",
        format!(
            r#"{{ "schema": "membudget.budget/2", "budget": {{ {BUDGET_REGIONS},
    "tolerance": {{ "symbol": {{ "bytes": {tolerance} }} }} {extra} }} }}"#
        )
        .as_bytes(),
    );
    let r = at("", &["bless", s(&base), "--budget", s(&budget)]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    budget
}

fn new_symbols_are_grouped() {
    let dir = tempdir();
    let budget = blessed_budget(&dir, 256, "");
    let big = with_objects(40, 300, |i| format!("NEW_BUFFER_{i:02}"));
    let elf = write(dir.path(), "big.elf", &big.build());
    let json = at(
        "",
        &["check", s(&elf), "--budget", s(&budget), "--format", "json"],
    );
    let v: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let news = v["failures"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["kind"] == "symbol-growth")
        .count();
    assert_eq!(news, 40, "the data keeps every finding");
    let r = at("", &["check", s(&elf), "--budget", s(&budget)]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let table = failures_table(&r.stdout);
    let rows: Vec<&&str> = table.iter().filter(|l| l.contains("new symbol")).collect();
    assert_eq!(
        rows.len(),
        1,
        "one row for the new symbols:\n{}",
        table.join("\n")
    );
    let row = rows[0];
    assert!(row.contains("40 new symbols in .bss2"), "{row}");
    assert!(row.contains("and 37 more"), "{row}");
    assert!(row.contains("12000 B"), "their total: {row}");
    assert!(row.contains("1760 B"), "40 x 44 B over: {row}");
}

/// The header row of the table after `title`.
fn header_after(out: &str, title: &str) -> Vec<String> {
    let start = out.find(&format!("\n{title}\n")).expect(title);
    let header = out[start..].lines().nth(3).unwrap();
    header
        .trim_matches('│')
        .split('┆')
        .map(|c| c.trim().to_string())
        .collect()
}

fn exact_bytes_beside_units_and_one_set_of_columns() {
    let diff = at("", DIFF);
    assert!(
        diff.stdout.contains("+131072 B (+128.0 KiB)"),
        "{}",
        diff.stdout
    );
    assert!(diff.stdout.contains("-131072 B (-128.0 KiB)"));
    let check = at("", CHECK_FAIL);
    assert!(
        check.stdout.contains("+313056 B (+305.7 KiB)"),
        "{}",
        check.stdout
    );
    let report = at("", REPORT);
    assert!(report.stdout.contains("524288 B (512.0 KiB)"));
    // Region tables: the same names in the same order.
    let common = |cols: Vec<String>| -> Vec<String> {
        cols.into_iter()
            .filter(|c| {
                ["region", "used", "reserved", "free", "size", "%", "usage"].contains(&c.as_str())
            })
            .collect()
    };
    let r = common(header_after(&report.stdout, "Regions"));
    let c = common(header_after(&check.stdout, "Regions"));
    assert_eq!(
        r,
        ["region", "used", "reserved", "free", "size", "%", "usage"]
    );
    assert_eq!(r, c);
    // One decimal for percentages in both; one mark for "no change" and for "absent".
    assert!(report.stdout.contains("┆ 12.9 ┆"), "{}", report.stdout);
    assert!(check.stdout.contains("┆ 100.0 ┆"), "{}", check.stdout);
    assert!(check.stdout.contains("┆       0 B │") || check.stdout.contains(" 0 B │"));
    assert!(diff.stdout.contains("┆        - ┆") || diff.stdout.contains(" - ┆"));
    let d = header_after(&diff.stdout, "Symbols");
    assert_eq!(d.last().unwrap(), "change", "{d:?}");
}

/// Names that Markdown would eat.
const NASTY: [&str; 5] = ["<USB>", "a|b", "x`y", "*bold*", "``z"];

fn markdown_escapes_names_and_aligns_numbers() {
    let dir = tempdir();
    let spec = with_objects(NASTY.len(), 64, |i| NASTY[i].to_string());
    let elf = write(dir.path(), "<b>|fw.elf", &spec.build());
    let md = at(
        "",
        &["report", s(&elf), "--format", "markdown", "--top", "0"],
    );
    assert_eq!(md.code, 0, "{}", md.stderr);
    for code in ["`<USB>`", "`a\\|b`", "``x`y``", "`*bold*`", "``` ``z ```"] {
        assert!(md.stdout.contains(code), "{code} in\n{}", md.stdout);
    }
    assert!(
        md.stdout.contains("`<b>\\|fw.elf`"),
        "the file name: {}",
        md.stdout
    );
    // Every row of a table has as many cells as its header: `|` inside names is escaped.
    let unescaped = |l: &str| {
        let b = l.as_bytes();
        (0..b.len())
            .filter(|&i| b[i] == b'|' && (i == 0 || b[i - 1] != b'\\'))
            .count()
    };
    for block in md.stdout.split("\n\n") {
        let rows: Vec<&str> = block.lines().filter(|l| l.starts_with('|')).collect();
        if let Some(first) = rows.first() {
            for r in &rows {
                assert_eq!(unescaped(r), unescaped(first), "{r}\n{block}");
            }
        }
    }
    // Numbers right-aligned.
    assert!(
        md.stdout.contains("| ---: | --- | --- | --- |"),
        "{}",
        md.stdout
    );
    assert!(md
        .stdout
        .contains("| region | origin | used | reserved | free | size | % | usage |"));
    assert!(md
        .stdout
        .contains("| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |"));
}

const LIMIT: usize = 65_536;

fn long_name(i: usize) -> String {
    format!("very::long::module::path::to::a::generated::table::of::things::ENTRY_{i:05}_WITH_A_LONG_SUFFIX")
}

fn markdown_stays_under_githubs_limit() {
    let dir = tempdir();
    let budget = blessed_budget(&dir, 4, r#", "symbol_threshold": 1"#);
    let big = with_objects(2000, 8, long_name);
    let elf = write(dir.path(), "big.elf", &big.build());
    let base = write(dir.path(), "base.elf", &firmware().build());
    let memory = write(
        dir.path(),
        "memory.x",
        b"MEMORY { FLASH : ORIGIN = 0x08000000, LENGTH = 64K\n RAM : ORIGIN = 0x20000000, LENGTH = 32K }\n",
    );
    // The whole report is far longer than the limit.
    let full = at(
        "",
        &["report", s(&elf), "--memory", s(&memory), "--format", "csv"],
    );
    assert!(full.stdout.len() > 2 * LIMIT, "{}", full.stdout.len());
    let cases: [Vec<&str>; 3] = [
        vec!["report", s(&elf), "--memory", s(&memory), "--top", "0"],
        vec![
            "diff",
            s(&base),
            s(&elf),
            "--memory",
            s(&memory),
            "--top",
            "0",
        ],
        vec!["check", s(&elf), "--budget", s(&budget), "--top", "0"],
    ];
    for mut args in cases {
        args.extend(["--format", "markdown"]);
        let r = at("", &args);
        assert!(r.code == 0 || r.code == 1, "{args:?}: {}", r.stderr);
        assert!(
            r.stdout.chars().count() <= LIMIT,
            "{args:?}: {} characters",
            r.stdout.chars().count()
        );
        assert!(
            r.stdout.contains("to fit GitHub's 65536-character limit"),
            "{args:?}: a note of the cut:\n{}",
            &r.stdout[r.stdout.len().saturating_sub(600)..]
        );
        assert!(
            r.stdout.contains("ENTRY_"),
            "{args:?}: the largest are kept"
        );
    }
    // The verdict and the failures stay.
    let mut args = vec!["check", s(&elf), "--budget", s(&budget), "--top", "0"];
    args.extend(["--format", "markdown"]);
    let r = at("", &args);
    assert!(
        r.stdout.starts_with("### :x: membudget:"),
        "{}",
        &r.stdout[..200]
    );
    assert!(r.stdout.contains("#### Failures"));
    assert!(r.stdout.contains("2000 new symbols in"), "grouped");
}

const ESC: char = '\u{1b}';

fn colour_follows_no_color_term_and_the_flag() {
    // Not a terminal: no colour unless asked for, whatever the environment says.
    for env in [
        vec![("NO_COLOR", "")],
        vec![("NO_COLOR", "1")],
        vec![("NO_COLOR", ""), ("TERM", "dumb")],
    ] {
        for args in [REPORT, CHECK_FAIL, DIFF] {
            let r = run_env(&root(), args, &env);
            assert!(!r.stdout.contains(ESC), "{env:?} {args:?}");
            let mut never = args.to_vec();
            never.extend(["--color", "never"]);
            let r = run_env(&root(), &never, &env);
            assert!(!r.stdout.contains(ESC), "{env:?} {never:?}");
            // `--color always` is the user's word: it beats NO_COLOR (no-color.org).
            let mut always = args.to_vec();
            always.extend(["--color", "always"]);
            let r = run_env(&root(), &always, &env);
            assert!(r.stdout.contains(ESC), "{env:?} {always:?}");
        }
    }
    // Markdown and JSON never carry escapes.
    for format in ["markdown", "json"] {
        let mut args = CHECK_FAIL.to_vec();
        args.extend(["--color", "always", "--format", format]);
        let r = run_env(&root(), &args, &[]);
        assert!(!r.stdout.contains(ESC), "{format}");
    }
}

/// On a pseudo-terminal (util-linux `script`): colour by default, none with NO_COLOR,
/// TERM=dumb or `--color never`.
fn colour_on_a_terminal() -> Result<(), Skip> {
    if Command::new("script").arg("--version").output().is_err() {
        return Err(Skip::new(
            "no `script` (util-linux) to make a pseudo-terminal",
        ));
    }
    let on_pty = |extra: &str, env: &[(&str, &str)]| -> String {
        let line = format!("{BIN} {} {extra}", REPORT.join(" "));
        let mut cmd = Command::new("script");
        cmd.args(["-qec", &line, "/dev/null"])
            .current_dir(root())
            .env_remove("NO_COLOR")
            .env_remove("COLUMNS")
            .env("TERM", "xterm-256color");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let out = cmd.output().expect("run script");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let auto = on_pty("", &[]);
    assert!(auto.contains("Regions"), "the report ran: {auto}");
    assert!(auto.contains(ESC), "auto on a terminal colours");
    assert!(!on_pty("", &[("NO_COLOR", "1")]).contains(ESC), "NO_COLOR");
    assert!(!on_pty("", &[("TERM", "dumb")]).contains(ESC), "TERM=dumb");
    assert!(!on_pty("--color never", &[]).contains(ESC), "--color never");
    Ok(())
}

fn plurals_inferred_regions_nobits_and_empty_sections() {
    let dir = tempdir();
    // One symbol in a group over its limit.
    let budget = blessed_budget(
        &dir,
        256,
        r#", "groups": [{ "name": "counter", "match": { "symbol": "COUNTER" }, "fail": "8" }]"#,
    );
    let elf = write(dir.path(), "fw.elf", &firmware().build());
    let r = at("", &["check", s(&elf), "--budget", s(&budget)]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stdout.contains("in 1 symbol"), "{}", r.stdout);
    assert!(r.stdout.contains("(1 symbol)"), "{}", r.stdout);
    assert!(r.stdout.contains("1 failure"), "{}", r.stdout);
    let json = at(
        "",
        &["check", s(&elf), "--budget", s(&budget), "--format", "json"],
    );
    let plural = regex_like_plural_one();
    for out in [&r.stdout, &json.stdout] {
        for w in plural.iter() {
            assert!(!out.contains(w.as_str()), "{w:?} in\n{out}");
        }
    }

    // Inferred regions: no free space, no percentage, no full bar.
    let r = at("", &["report", s(&elf)]);
    assert!(r
        .stdout
        .contains("regions inferred from the ELF's load segments"));
    assert!(!r.stdout.contains("100.0"), "{}", r.stdout);
    assert!(!r.stdout.contains("[####"), "{}", r.stdout);

    // NOBITS placed by a segment whose physical address is elsewhere, and an empty
    // section at an address in no region.
    let spec = firmware()
        .section(
            ".bss.lma",
            SecType::Nobits,
            SHF_ALLOC | SHF_WRITE,
            RAM + 0x400,
            FLASH + 0x800,
            0x100,
        )
        .rodata(".empty", 0x3000_0000, 0);
    let elf = write(dir.path(), "nobits.elf", &spec.build());
    let json = at(
        "",
        &[
            "report",
            s(&elf),
            "--memory",
            s(&memory_x(&dir)),
            "--format",
            "json",
        ],
    );
    assert_eq!(json.code, 0, "{}", json.stderr);
    let v: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let sections = v["sections"].as_array().unwrap();
    let nobits = sections.iter().find(|s| s["name"] == ".bss.lma").unwrap();
    assert_eq!(nobits["load_addr"], nobits["addr"], "{nobits}");
    let warnings = v["warnings"].to_string();
    assert!(!warnings.contains(".empty"), "{warnings}");
    let table = at("", &["report", s(&elf), "--memory", s(&memory_x(&dir))]);
    for line in table.stdout.lines() {
        if line.contains(".bss.lma") {
            assert!(!line.contains("0x08000800"), "{line}");
        }
        if line.contains(".empty") {
            assert!(!line.contains("outside every region"), "{line}");
        }
    }
    assert!(
        !table.stdout.contains("outside every region"),
        "{}",
        table.stdout
    );
}

/// `1 symbols` and friends.
fn regex_like_plural_one() -> Vec<String> {
    [
        "symbols", "failures", "warnings", "sections", "regions", "changes",
    ]
    .iter()
    .flat_map(|w| [format!(" 1 {w}"), format!("(1 {w}")])
    .collect()
}

fn memory_x(dir: &tempfile::TempDir) -> PathBuf {
    let p = dir.path().join("memory.x");
    std::fs::write(
        &p,
        "MEMORY { FLASH : ORIGIN = 0x08000000, LENGTH = 64K\n RAM : ORIGIN = 0x20000000, LENGTH = 32K }\n",
    )
    .unwrap();
    p
}

const FORMATS: [&str; 5] = ["table", "markdown", "json", "csv", "html"];

/// What each format looks like.
fn looks_like(format: &str, out: &str) -> bool {
    match format {
        "table" => out.contains('┆') || out.contains("──"),
        "markdown" => out.contains("| --- |") || out.contains("|---"),
        "json" => serde_json::from_str::<serde_json::Value>(out).is_ok(),
        "csv" => out.lines().next().is_some_and(|l| l.contains(',')),
        "html" => out.contains("<html"),
        _ => false,
    }
}

fn every_command_accepts_only_the_formats_it_renders() {
    let dir = tempdir();
    let budget = dir.path().join("x.budget.json");
    let init = at(
        "",
        &[
            "init",
            "fixtures/p2.elf",
            "--memory",
            "firmware/layouts/p2/memory.x",
            "--budget",
            s(&budget),
        ],
    );
    assert_eq!(init.code, 0, "{}", init.stderr);
    let commands: [(&[&str], &[&str]); 7] = [
        (REPORT, &["table", "markdown", "json", "csv", "html"]),
        (CHECK_FAIL, &["table", "markdown", "json", "html"]),
        (DIFF, &["table", "markdown", "json"]),
        (
            &["stack", "fixtures/qemu-an386.elf"],
            &["table", "markdown", "json", "csv"],
        ),
        (&["chips"], &[]),
        (&["bless", "fixtures/p2.elf", "--budget", s(&budget)], &[]),
        (
            &["init", "fixtures/p2.elf", "--budget", s(&budget), "--force"],
            &[],
        ),
    ];
    for (args, accepted) in commands {
        for format in FORMATS {
            let mut a = args.to_vec();
            a.extend(["--format", format]);
            let r = at("", &a);
            if accepted.contains(&format) {
                assert!(r.code == 0 || r.code == 1, "{a:?}: {}", r.stderr);
                assert!(looks_like(format, &r.stdout), "{a:?}:\n{}", r.stdout);
                assert_eq!(r.stderr, "", "{a:?}: nothing else on stderr");
            } else {
                crate::support::assert_bad_input(&r, "format", &format!("{a:?}"));
            }
        }
    }
}

/// `report --chip list` prints the presets, in no other format.
fn chip_list_has_one_format() {
    assert_eq!(at("", &["report", "--chip", "list"]).code, 0);
    for format in FORMATS.iter().filter(|&&f| f != "table") {
        let r = at("", &["report", "--chip", "list", "--format", format]);
        crate::support::assert_bad_input(&r, "format", format);
    }
}

fn no_arguments_prints_usage() {
    let r = at("", &[]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stdout.is_empty());
    assert!(r.stderr.contains("Usage: membudget"), "{}", r.stderr);
    assert!(
        r.stderr.contains("check"),
        "the commands are listed: {}",
        r.stderr
    );
    assert!(
        !r.stderr.starts_with("membudget: "),
        "not an error line: {}",
        r.stderr
    );
}

fn bless_names_the_baseline_and_keeps_the_budgets_layout() {
    let root = root();
    let dir = tempdir();
    let v1 = std::fs::read_to_string(root.join("tests/data/budget/v1/p2.budget.json")).unwrap();
    let script = "../firmware/layouts/p2/memory.x";
    let absolute = serde_json::to_string(&root.join(&script[3..])).unwrap();
    let v1 = v1.replace(&format!("\"{script}\""), &absolute);
    let budget = write(dir.path(), "p2.budget.json", v1.as_bytes());
    let r = at("", &["bless", "fixtures/p2.elf", "--budget", s(&budget)]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let baseline = dir.path().join("p2.baseline.json");
    assert!(
        r.stdout
            .starts_with(&format!("wrote {}:", baseline.display())),
        "names the file written: {}",
        r.stdout
    );
    assert!(r.stdout.contains("migrated"), "{}", r.stdout);
    let after = std::fs::read_to_string(&budget).unwrap();
    assert!(after.contains("\"schema\": \"membudget.budget/2\""));
    assert!(!after.contains("\"baseline\""));
    assert!(
        after.contains(r#"      { "region": "FLASH", "warn": "1M", "fail": "1400K" },"#),
        "the user's layout stays:\n{after}"
    );
    // Only the schema line and the baseline changed.
    let before_part = &v1[..v1.find("\"baseline\"").unwrap()];
    let after_part = after.trim_end().trim_end_matches('}').trim_end();
    assert_eq!(
        before_part
            .trim_end()
            .trim_end_matches(',')
            .replace("membudget.budget/1", "membudget.budget/2"),
        after_part,
    );
    let again = at("", &["bless", "fixtures/p2.elf", "--budget", s(&budget)]);
    assert!(again.stdout.starts_with("unchanged"), "{}", again.stdout);
    assert!(!again.stdout.contains("migrated"), "{}", again.stdout);
}
