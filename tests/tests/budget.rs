//! `membudget check`, `bless` and `diff` on the firmware fixtures, against the golden
//! budget files.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::support::{data, fixture, golden, root, run, run_env, s, trials, Run};

trials![
    golden_qemu_an386,
    golden_qemu_an505,
    golden_daisy,
    golden_p2,
    goldens_match_the_schema,
    goldens_have_a_p2_reservation_and_group,
    p2_overflow_hits_the_device_os_reservation,
    region_over_its_limit,
    group_over_its_budget,
    stack_headroom_below_minimum,
    growth_past_tolerance,
    symbol_moved_from_psram_to_sram,
    markdown_summary,
    warnings_fail_only_when_denied,
    bless_then_check_round_trip,
    update_goldens_env_blesses_during_check,
    malformed_budget_is_left_untouched,
    malformed_budgets_name_file_line_column,
    memory_override_with_unknown_region_names_the_budget,
    diff_two_elfs_and_a_report,
    diff_rejects_unknown_inputs,
];

/// `check --format json`: the exit code and the result.
fn check_json(elf: &Path, budget: &Path) -> (i32, Value) {
    let o = check(elf, budget, &["--format", "json"]);
    let code = o.code;
    assert!(code == 0 || code == 1, "exit {code}: {}", o.stderr);
    (
        code,
        serde_json::from_str(&o.stdout).expect("check --format json prints JSON"),
    )
}

/// `membudget check ELF --budget BUDGET EXTRA...`.
fn check(elf: &Path, budget: &Path, extra: &[&str]) -> Run {
    let mut args = vec!["check", s(elf), "--budget", s(budget)];
    args.extend_from_slice(extra);
    run(&args)
}

/// `membudget bless ELF --budget BUDGET`.
fn bless(elf: &Path, budget: &Path) -> Run {
    run(&["bless", s(elf), "--budget", s(budget)])
}

fn findings<'a>(v: &'a Value, list: &str, kind: &str) -> Vec<&'a Value> {
    v[list]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["kind"] == kind)
        .collect()
}

// ---------------------------------------------------------------------------------------
// The goldens pass on their fixtures.

fn golden_passes(layout: &str) {
    let elf = fixture(&format!("{layout}.elf"));
    let o = check(&elf, &golden(layout), &["--deny-warnings"]);
    assert_eq!(o.code, 0, "{layout}:\n{}{}", o.stdout, o.stderr);
    assert!(o.stdout.contains("within budget"), "{}", o.stdout);
}

fn golden_qemu_an386() {
    golden_passes("qemu-an386");
}

fn golden_qemu_an505() {
    golden_passes("qemu-an505");
}

fn golden_daisy() {
    golden_passes("daisy");
}

fn golden_p2() {
    golden_passes("p2");
}

fn goldens_match_the_schema() {
    let validator = crate::support::validator("budget");
    let mut files: Vec<PathBuf> = ["qemu-an386", "qemu-an505", "daisy", "p2"]
        .iter()
        .map(|l| golden(l))
        .collect();
    for f in [
        "p2-inline",
        "p2-tight-ram",
        "p2-tight-group",
        "p2-tight-stack",
    ] {
        files.push(data(&format!("budget/{f}.budget.json")));
    }
    for f in files {
        let v: Value = serde_json::from_str(&std::fs::read_to_string(&f).unwrap()).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&v)
            .map(|e| format!("{e} at {}", e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{}: {errors:#?}", f.display());
    }
    // And the schema rejects what the loader rejects.
    for f in ["bad-size", "unknown-field", "wrong-schema"] {
        let v: Value = serde_json::from_str(
            &std::fs::read_to_string(data(&format!("budget/{f}.budget.json"))).unwrap(),
        )
        .unwrap();
        assert!(!validator.is_valid(&v), "{f} should not validate");
    }
}

fn goldens_have_a_p2_reservation_and_group() {
    let v: Value = serde_json::from_str(&std::fs::read_to_string(golden("p2")).unwrap()).unwrap();
    let r = &v["budget"]["reservations"][0];
    assert_eq!(r["origin"], "0x1005B000");
    assert_eq!(r["length"], "128K");
    assert!(v["budget"]["groups"]
        .as_array()
        .unwrap()
        .iter()
        .any(|g| g["regions"] == serde_json::json!(["PSRAM"])));
    let baseline = root().join("golden/p2.baseline.json");
    assert!(baseline.is_file(), "the golden is blessed");
}

// ---------------------------------------------------------------------------------------
// Each failure kind, on real ELFs.

fn p2_overflow_hits_the_device_os_reservation() {
    let (code, v) = check_json(&fixture("p2-overflow.elf"), &golden("p2"));
    assert_eq!(code, 1);
    assert_eq!(v["status"], "fail");
    let res = findings(&v, "failures", "reservation");
    assert!(!res.is_empty(), "{v:#}");
    let f = res[0];
    assert_eq!(f["what"], "reservation device-os");
    let msg = f["message"].as_str().unwrap();
    assert!(
        msg.contains("device-os") && msg.contains("overlaps"),
        "{msg}"
    );
    // Names the section and the overlap in bytes.
    let over = f["over_by"].as_u64().unwrap();
    assert!(over > 0);
    assert!(msg.contains(&format!("by {over} bytes")), "{msg}");
    assert!(msg.contains("section ."), "{msg}");
    // The table says it too, failures first.
    let o = check(&fixture("p2-overflow.elf"), &golden("p2"), &[]);
    assert_eq!(o.code, 1);
    let text = o.stdout;
    assert!(text.contains("OVER BUDGET"), "{text}");
    assert!(text.find("Failures").unwrap() < text.find("Regions").unwrap());
}

fn region_over_its_limit() {
    let (code, v) = check_json(&fixture("p2.elf"), &data("budget/p2-tight-ram.budget.json"));
    assert_eq!(code, 1);
    let f = findings(&v, "failures", "region-limit");
    assert_eq!(f.len(), 1, "{v:#}");
    assert_eq!(f[0]["what"], "region RAM");
    assert!(f[0]["limit"].as_str().unwrap().starts_with("30% = "));
    assert!(f[0]["over_by"].as_u64().unwrap() > 0);
    // Over the fail level: no separate warning for the same region.
    assert!(findings(&v, "warnings", "region-limit").is_empty());
}

fn group_over_its_budget() {
    let (code, v) = check_json(
        &fixture("p2.elf"),
        &data("budget/p2-tight-group.budget.json"),
    );
    assert_eq!(code, 1);
    let f = findings(&v, "failures", "group-limit");
    assert_eq!(f.len(), 1, "{v:#}");
    assert_eq!(f[0]["what"], "group \"log and sample buffers\"");
    assert_eq!(f[0]["limit"], "8192 B (8.0 KiB)");
    // LOG_BUF (8 KiB) + SAMPLES (1 KiB).
    assert_eq!(f[0]["over_by"], 1024);
}

fn stack_headroom_below_minimum() {
    let (code, v) = check_json(
        &fixture("p2.elf"),
        &data("budget/p2-tight-stack.budget.json"),
    );
    assert_eq!(code, 1);
    let f = findings(&v, "failures", "stack");
    assert_eq!(f.len(), 1, "{v:#}");
    assert!(f[0]["limit"]
        .as_str()
        .unwrap()
        .starts_with("at least 524288 B"));
}

fn growth_past_tolerance() {
    // p2-overflow grows a .bss buffer far past the 256 B / 10 % symbol tolerance and RAM
    // past its 1 KiB / 2 % region tolerance.
    let (code, v) = check_json(&fixture("p2-overflow.elf"), &golden("p2"));
    assert_eq!(code, 1);
    let region = findings(&v, "failures", "region-growth");
    assert!(region.iter().any(|f| f["what"] == "region RAM"), "{v:#}");
    let sym = findings(&v, "failures", "symbol-growth");
    assert!(!sym.is_empty(), "{v:#}");
    assert!(sym[0]["limit"].as_str().unwrap().contains("+256 or +10%"));
    let grown = v["changes"]["symbols"]["grown"].as_array().unwrap();
    assert!(!grown.is_empty());
}

fn symbol_moved_from_psram_to_sram() {
    let (code, v) = check_json(&fixture("p2-moved.elf"), &golden("p2"));
    assert_eq!(code, 1);
    let moved = &v["changes"]["symbols"]["moved"];
    let m = moved
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["old"]["region"] == "PSRAM" && c["new"]["region"] == "RAM")
        .unwrap_or_else(|| panic!("no PSRAM -> RAM move: {moved:#}"));
    let name = m["name"].as_str().unwrap().to_string();
    // Same name on both sides: a move, not a remove + add.
    for list in ["added", "removed"] {
        assert!(
            !v["changes"]["symbols"][list]
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c["name"] == name.as_str()),
            "{name} also listed as {list}"
        );
    }
    // The golden says moves fail, and the PSRAM-only group names the symbol.
    let f = findings(&v, "failures", "moved");
    assert!(
        f.iter().any(|f| f["what"] == format!("symbol {name}")),
        "{v:#}"
    );
    let g = findings(&v, "failures", "group-region");
    assert!(
        g.iter().any(|f| f["what"] == "group \"PSRAM-only buffers\""
            && f["actual"].as_str().unwrap().contains(" in RAM")),
        "{v:#}"
    );
}

fn markdown_summary() {
    let o = check(
        &fixture("p2-moved.elf"),
        &golden("p2"),
        &["--format", "markdown"],
    );
    assert_eq!(o.code, 1);
    let md = o.stdout.clone();
    assert!(
        md.starts_with("### :x: membudget: `p2-moved.elf` OVER BUDGET"),
        "{md}"
    );
    let failures = md.find("#### Failures").unwrap();
    let regions = md.find("#### Regions").unwrap();
    assert!(failures < regions);
    assert!(md.contains("| `RAM` |"), "{md}");
    assert!(md.contains("`[#"), "bars: {md}");
    assert!(
        md.contains("<details><summary>Changes since the baseline"),
        "{md}"
    );
    assert!(md.contains("| moved "), "{md}");
    // Deterministic.
    let again = check(
        &fixture("p2-moved.elf"),
        &golden("p2"),
        &["--format", "markdown"],
    );
    assert_eq!(o.stdout, again.stdout);
}

fn warnings_fail_only_when_denied() {
    // p2-moved crosses RAM's 60 % warning level; with the failures blessed away (a budget
    // blessed from p2-moved itself), only warnings are left.
    let dir = tempfile::tempdir().unwrap();
    let budget = dir.path().join("p2.budget.json");
    std::fs::copy(data("budget/p2-inline.budget.json"), &budget).unwrap();
    let o = bless(&fixture("p2-moved.elf"), &budget);
    assert_eq!(o.code, 0, "{}", o.stderr);
    // The group-region failure remains: drop the group for this test.
    let text = std::fs::read_to_string(&budget).unwrap();
    let text = text.replace(
        r#""groups": [
      { "name": "PSRAM-only buffers", "match": { "symbol": "*::placement::EXT_BUF" }, "regions": ["PSRAM"] }
    ],"#,
        "",
    );
    std::fs::write(&budget, text).unwrap();
    let (code, v) = check_json(&fixture("p2-moved.elf"), &budget);
    assert_eq!(code, 0, "{v:#}");
    assert_eq!(v["status"], "warn");
    assert_eq!(findings(&v, "warnings", "region-limit").len(), 1);
    let o = check(&fixture("p2-moved.elf"), &budget, &["--deny-warnings"]);
    assert_eq!(o.code, 1);
}

// ---------------------------------------------------------------------------------------
// bless: round trip, determinism, atomicity.

fn bless_then_check_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let budget = dir.path().join("p2.budget.json");
    let original = std::fs::read_to_string(data("budget/p2-inline.budget.json")).unwrap();
    std::fs::write(&budget, &original).unwrap();
    let elf = fixture("p2.elf");

    // Without a baseline: a warning, not a failure.
    let (code, v) = check_json(&elf, &budget);
    assert_eq!(code, 0);
    assert_eq!(findings(&v, "warnings", "no-baseline").len(), 1);

    let o = bless(&elf, &budget);
    assert_eq!(o.code, 0, "{}", o.stderr);
    // Budget format 2: the baseline goes in a file of its own; the budget file is not touched.
    let baseline = dir.path().join("p2.baseline.json");
    let once = std::fs::read(&baseline).unwrap();
    let once_text = String::from_utf8(once.clone()).unwrap();
    assert_eq!(std::fs::read_to_string(&budget).unwrap(), original);
    assert!(once_text.starts_with("{\n  \"schema\": \"membudget.baseline/1\",\n"));
    assert!(once_text.ends_with("}\n"));
    // No absolute paths, no timestamps.
    assert!(!once_text.contains(dir.path().to_str().unwrap()));
    assert!(!once_text.contains(root().to_str().unwrap()));

    let o = check(&elf, &budget, &["--deny-warnings"]);
    assert_eq!(o.code, 0, "{}", o.stdout);

    let o = bless(&elf, &budget);
    assert_eq!(o.code, 0);
    assert!(o.stdout.starts_with("unchanged"), "{}", o.stdout);
    assert_eq!(
        std::fs::read(&baseline).unwrap(),
        once,
        "bless twice must give identical bytes"
    );

    // Blessing another image replaces only the baseline, and back again gives the same bytes.
    let o = bless(&fixture("p2-moved.elf"), &budget);
    assert_eq!(o.code, 0);
    assert_eq!(std::fs::read_to_string(&budget).unwrap(), original);
    assert_ne!(std::fs::read(&baseline).unwrap(), once);
    bless(&elf, &budget);
    assert_eq!(std::fs::read(&baseline).unwrap(), once);

    // Only the budget and baseline files are in the directory: the temporary file was
    // renamed over the baseline.
    let entries: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(entries.len(), 2);
}

fn update_goldens_env_blesses_during_check() {
    let dir = tempfile::tempdir().unwrap();
    let budget = dir.path().join("p2.budget.json");
    std::fs::copy(data("budget/p2-inline.budget.json"), &budget).unwrap();
    bless(&fixture("p2.elf"), &budget);
    let elf = fixture("p2-moved.elf");
    let (code, v) = check_json(&elf, &budget);
    assert_eq!(code, 1);
    assert!(!findings(&v, "failures", "moved").is_empty());

    let o = run_env(
        &root(),
        &["check", s(&elf), "--budget", s(&budget), "--format", "json"],
        &[("UPDATE_GOLDENS", "1")],
    );
    let v: Value = serde_json::from_str(&o.stdout).unwrap();
    // The baseline now is p2-moved: no growth or move left, but the group rule still fails.
    assert!(findings(&v, "failures", "moved").is_empty(), "{v:#}");
    assert!(findings(&v, "failures", "region-growth").is_empty());
    assert!(!findings(&v, "failures", "group-region").is_empty());
    assert_eq!(o.code, 1);
    assert!(o.stderr.contains("UPDATE_GOLDENS"));
}

fn malformed_budget_is_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let budget = dir.path().join("p2.budget.json");
    std::fs::copy(data("budget/p2-inline.budget.json"), &budget).unwrap();
    bless(&fixture("p2.elf"), &budget);
    // Break it: drop a comma in the human part.
    let good = std::fs::read_to_string(&budget).unwrap();
    let bad = good.replacen("\"length\": \"1536K\" },", "\"length\": \"1536K\" }", 1);
    assert_ne!(bad, good);
    std::fs::write(&budget, &bad).unwrap();
    for cmd in ["bless", "check"] {
        let o = run_env(
            &root(),
            &[cmd, s(&fixture("p2-moved.elf")), "--budget", s(&budget)],
            &[("UPDATE_GOLDENS", "1")],
        );
        assert_eq!(o.code, 2, "{cmd}");
        let err = o.stderr;
        assert!(
            err.contains(&format!("{}:7:7: expected `,` or `]`", budget.display())),
            "{cmd}: {err}"
        );
        assert_eq!(
            std::fs::read_to_string(&budget).unwrap(),
            bad,
            "{cmd} wrote a malformed budget"
        );
    }
    // An unreadable ELF never writes either.
    std::fs::write(&budget, &good).unwrap();
    let not_elf = dir.path().join("not.elf");
    std::fs::write(&not_elf, b"hello").unwrap();
    let o = bless(&not_elf, &budget);
    assert_eq!(o.code, 2);
    assert!(o.stderr.contains("not an ELF"), "{}", o.stderr);
    assert_eq!(std::fs::read_to_string(&budget).unwrap(), good);
}

fn malformed_budgets_name_file_line_column() {
    let cases = [
        ("syntax-error", ":6:5: trailing comma"),
        (
            "unknown-region",
            ":9:40: budget.reservations[0].region: unknown region 'SRAM' (regions: FLASH, RAM)",
        ),
        (
            "bad-size",
            ":5:69: budget.regions[0].length: invalid size '64 parsecs'",
        ),
        (
            "unknown-field",
            ":5:40: budget.limits[0].fial: unknown field `fial`",
        ),
        (
            "bad-glob",
            ":5:59: budget.groups[0].match.symbol[1]: invalid glob '[unclosed'",
        ),
        (
            "wrong-schema",
            ":2:13: schema: unsupported schema 'membudget.budget/9'",
        ),
    ];
    for (name, want) in cases {
        let path = data(&format!("budget/{name}.budget.json"));
        let o = check(&fixture("p2.elf"), &path, &[]);
        assert_eq!(o.code, 2, "{name}");
        let err = o.stderr;
        assert!(
            err.starts_with(&format!("membudget: {}", path.display())),
            "{name}: {err}"
        );
        assert!(err.contains(want), "{name}: {err}");
        assert_eq!(err.lines().count(), 1, "{name}: one line: {err}");
    }
}

fn memory_override_with_unknown_region_names_the_budget() {
    // --memory replaces the regions; the budget's region names must still exist.
    let o = check(
        &fixture("p2.elf"),
        &golden("p2"),
        &["--memory", "firmware/layouts/qemu-an386/memory.x"],
    );
    assert_eq!(o.code, 2);
    let err = o.stderr;
    // The first reference that no longer fits: the Device OS reservation (RAM moved).
    assert!(
        err.contains(
            "p2.budget.json:11:19: budget.reservations[0].origin: reservation 'device-os'"
        ),
        "{err}"
    );
    assert!(err.contains("is not inside region RAM"), "{err}");
}

// ---------------------------------------------------------------------------------------
// diff

fn diff_two_elfs_and_a_report() {
    let p2 = fixture("p2.elf");
    let moved = fixture("p2-moved.elf");
    let mem = "firmware/layouts/p2/memory.x";
    let o = run(&[
        "diff",
        s(&p2),
        s(&moved),
        "--memory",
        mem,
        "--format",
        "json",
    ]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let d: Value = serde_json::from_str(&o.stdout).unwrap();
    assert!(d["symbols"]["moved"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["old"]["region"] == "PSRAM" && c["new"]["region"] == "RAM"));
    let ram = d["regions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "RAM")
        .unwrap();
    assert_eq!(ram["delta"], 131072);

    // The same with the old side as a JSON report.
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("p2.json");
    let o = run(&["report", s(&p2), "--memory", mem, "--format", "json"]);
    assert_eq!(o.code, 0);
    std::fs::write(&report, &o.stdout).unwrap();
    let o2 = run(&[
        "diff",
        s(&report),
        s(&moved),
        "--memory",
        mem,
        "--format",
        "json",
    ]);
    assert_eq!(o2.code, 0, "{}", o2.stderr);
    let d2: Value = serde_json::from_str(&o2.stdout).unwrap();
    assert_eq!(d2["symbols"], d["symbols"]);
    assert_eq!(d2["regions"], d["regions"]);

    // And against a golden's baseline, in the terminal.
    let o3 = run(&[
        "diff",
        s(&golden("p2")),
        s(&moved),
        "--budget",
        s(&golden("p2")),
    ]);
    assert_eq!(o3.code, 0, "{}", o3.stderr);
    assert!(o3.stdout.contains("moved"), "{}", o3.stdout);

    // Identical inputs: no changes.
    let o4 = run(&["diff", s(&p2), s(&p2), "--memory", mem, "--format", "json"]);
    let d4: Value = serde_json::from_str(&o4.stdout).unwrap();
    for k in ["moved", "grown", "added", "shrunk", "removed"] {
        assert!(d4["symbols"][k].as_array().unwrap().is_empty());
    }
}

fn diff_rejects_unknown_inputs() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("x.json");
    std::fs::write(&f, "{\"schema\": \"something/1\"}").unwrap();
    let o = run(&["diff", s(&f), s(&f)]);
    assert_eq!(o.code, 2);
    assert!(o
        .stderr
        .contains("not an ELF file, a membudget JSON report or a budget file"));
}
