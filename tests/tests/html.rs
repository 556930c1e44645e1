//! The HTML views: `report --format html`, `check --format html` and `dashboard`.
//!
//! Without a browser: the pages are self-contained and deterministic, and embed exactly the
//! JSON values `--format json` (and `diff`) give. In a real browser (Debian's `chromium`,
//! headless, from `file://`): what the DOM shows equals the JSON report, the treemap has one
//! top-level cell per region of the `--by section` rollup and its sums equal that rollup,
//! search finds and highlights a known symbol, and the page logs no errors. Screenshots go
//! to `target/tmp/html/`. Without chromium the browser tests print SKIP (and fail when
//! `CI=true`).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

use crate::support::{trials, Skip};

trials![
    report_page_embeds_the_json_report_and_is_deterministic,
    reports_without_labels_have_no_labels_member,
    bad_labels_are_usage_errors,
    check_page_embeds_the_check_result_and_the_report,
    diff_has_no_html_view,
    dashboard_orders_builds_by_date_and_embeds_the_latest_report,
    dashboard_rejects_what_is_not_a_report,
    reservations_are_named_by_owner_in_every_view,
    dashboard_refuses_mixed_firmware,
    bad_inputs_get_one_line_messages,
    memory_replaces_the_budget_regions,
    report_page_embeds_budget_limits,
    csv_load_image_rows_carry_load_addresses,
    report_page_in_chromium,
    check_page_in_chromium,
    dashboard_page_in_chromium,
    large_image_page_in_chromium,
    report_page_details_in_chromium,
    corpus_pages_in_chromium,
    fuzz_pages_in_chromium,
];

const BIN: &str = env!("CARGO_BIN_EXE_membudget");
const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn path(rel: &str) -> String {
    format!("{ROOT}/{rel}")
}

fn membudget(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .env_remove("UPDATE_GOLDENS")
        .output()
        .expect("run membudget")
}

fn stdout_ok(args: &[&str], code: i32) -> Vec<u8> {
    let out = membudget(args);
    assert_eq!(
        out.status.code(),
        Some(code),
        "membudget {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn json(args: &[&str], code: i32) -> Value {
    serde_json::from_slice(&stdout_ok(args, code)).expect("JSON output")
}

/// The value of `<script type="application/json" id="membudget-NAME">` in a page.
fn embedded(html: &str, name: &str) -> Value {
    let open = format!("<script type=\"application/json\" id=\"membudget-{name}\">");
    let start = html
        .find(&open)
        .unwrap_or_else(|| panic!("no {name} block"))
        + open.len();
    let end = start + html[start..].find("</script>").expect("block end");
    serde_json::from_str(&html[start..end]).expect("embedded JSON")
}

fn out_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("html");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

const AN386: &str = "fixtures/qemu-an386.elf";
const AN386_MEMORY: &str = "firmware/layouts/qemu-an386/memory.x";

fn report_args<'a>(elf: &'a str, memory: &'a str, format: &'a str) -> Vec<&'a str> {
    vec!["report", elf, "--memory", memory, "--format", format]
}

/// Nothing in the page may load from elsewhere: no external scripts, stylesheets, images
/// or fonts.
fn assert_self_contained(html: &str) {
    for needle in [
        "<script src",
        "<link",
        "<img",
        "<iframe",
        "@import",
        "url(http",
    ] {
        assert!(!html.contains(needle), "page references {needle}");
    }
    assert!(
        html.contains("Permission to use, copy, modify"),
        "d3 licence"
    );
}

fn report_page_embeds_the_json_report_and_is_deterministic() {
    let (elf, mem) = (path(AN386), path(AN386_MEMORY));
    let mut args = report_args(&elf, &mem, "html");
    args.extend(["--label", "commit=abc123", "--label", "branch=main"]);
    let page = stdout_ok(&args, 0);
    assert_eq!(page, stdout_ok(&args, 0), "byte-identical across runs");
    let html = String::from_utf8(page).unwrap();
    assert_self_contained(&html);
    let mut args = report_args(&elf, &mem, "json");
    args.extend(["--label", "commit=abc123", "--label", "branch=main"]);
    let report = json(&args, 0);
    assert_eq!(embedded(&html, "report"), report);
    assert_eq!(report["labels"]["commit"], "abc123");
    assert_eq!(report["labels"]["branch"], "main");
    let schema: Value =
        serde_json::from_str(&std::fs::read_to_string(path("schema/report.schema.json")).unwrap())
            .unwrap();
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(&report)
        .map(|e| e.to_string())
        .collect();
    assert!(
        errors.is_empty(),
        "labelled report against the schema: {errors:?}"
    );
}

fn reports_without_labels_have_no_labels_member() {
    let (elf, mem) = (path(AN386), path(AN386_MEMORY));
    let report = json(&report_args(&elf, &mem, "json"), 0);
    assert!(report.get("labels").is_none());
}

fn bad_labels_are_usage_errors() {
    let (elf, mem) = (path(AN386), path(AN386_MEMORY));
    // Malformed: clap's usage error, naming the flag and the expected shape.
    for bad in ["nokey", "=x"] {
        let mut args = report_args(&elf, &mem, "json");
        args.extend(["--label", bad]);
        let out = membudget(&args);
        assert_eq!(out.status.code(), Some(2), "{bad:?}");
        let err = String::from_utf8(out.stderr).unwrap();
        let first = err.lines().next().unwrap_or_default();
        assert!(
            first.contains("--label") && first.contains("KEY=VALUE"),
            "{err}"
        );
    }
    // A key given twice: one line.
    let mut args = report_args(&elf, &mem, "json");
    args.extend(["--label", "a=1", "--label", "a=2"]);
    let out = membudget(&args);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err, "membudget: --label a: given twice\n");
}

fn check_args<'a>(elf: &'a str, budget: &'a str, format: &'a str) -> Vec<&'a str> {
    vec!["check", elf, "--budget", budget, "--format", format]
}

fn check_page_embeds_the_check_result_and_the_report() {
    let (elf, budget) = (
        path("fixtures/p2-overflow.elf"),
        path("golden/p2.budget.json"),
    );
    // Over budget: the page is written and the exit code is still 1.
    let page = stdout_ok(&check_args(&elf, &budget, "html"), 1);
    assert_eq!(page, stdout_ok(&check_args(&elf, &budget, "html"), 1));
    let html = String::from_utf8(page).unwrap();
    assert_self_contained(&html);
    assert_eq!(
        embedded(&html, "check"),
        json(&check_args(&elf, &budget, "json"), 1)
    );
    let mut report = json(
        &["report", &elf, "--budget", &budget, "--format", "json"],
        0,
    );
    // `check` runs the stack analysis only when the budget turns it on (p2's does not), while
    // `report` adds the stack need as a bonus: the page embeds the report check evaluated.
    report.as_object_mut().unwrap().remove("stack_need");
    assert_eq!(embedded(&html, "report"), report);
}

fn diff_has_no_html_view() {
    let a = path(AN386);
    let out = membudget(&["diff", &a, &a, "--format", "html"]);
    assert_eq!(out.status.code(), Some(2));
}

/// Three builds of the P2 firmware as labelled JSON reports, in a directory, named so that
/// file-name order differs from date order.
fn p2_builds(dir: &Path) -> Vec<Value> {
    std::fs::create_dir_all(dir).unwrap();
    let budget = path("golden/p2.budget.json");
    let builds = [
        ("p2.elf", "2026-11-20", "101", "zz.json"),
        ("p2-moved.elf", "2026-11-21", "102", "aa.json"),
        ("p2-overflow.elf", "2026-11-22", "103", "mm.json"),
    ];
    let mut values = Vec::new();
    for (elf, date, build, file) in builds {
        // Builds of one firmware have one ELF name: each variant is copied to `p2.elf`.
        let build_dir = dir.join(format!("elf-{build}"));
        std::fs::create_dir_all(&build_dir).unwrap();
        let copy = build_dir.join("p2.elf");
        std::fs::copy(path(&format!("fixtures/{elf}")), &copy).unwrap();
        let elf = copy.to_str().unwrap().to_string();
        let date = format!("date={date}");
        let build = format!("build={build}");
        let args = [
            "report", &elf, "--budget", &budget, "--format", "json", "--label", &date, "--label",
            &build,
        ];
        let bytes = stdout_ok(&args, 0);
        std::fs::write(dir.join(file), &bytes).unwrap();
        values.push(serde_json::from_slice(&bytes).unwrap());
    }
    values
}

fn dashboard_orders_builds_by_date_and_embeds_the_latest_report() {
    let dir = out_dir().join("dashboard-builds");
    let reports = p2_builds(&dir);
    let site = out_dir().join("dashboard-site");
    let budget = path("golden/p2.budget.json");
    let run = |site: &Path| {
        stdout_ok(
            &[
                "dashboard",
                dir.to_str().unwrap(),
                "-o",
                site.to_str().unwrap(),
                "--budget",
                &budget,
            ],
            0,
        );
        std::fs::read_to_string(site.join("index.html")).unwrap()
    };
    let html = run(&site);
    assert_eq!(
        html,
        run(&out_dir().join("dashboard-site-2")),
        "deterministic"
    );
    assert_self_contained(&html);
    let dash = embedded(&html, "dashboard");
    let builds = dash["builds"].as_array().unwrap();
    let order: Vec<&str> = builds
        .iter()
        .map(|b| b["labels"]["build"].as_str().unwrap())
        .collect();
    assert_eq!(order, ["101", "102", "103"]);
    assert_eq!(dash["latest"], reports[2]);
    for (b, r) in builds.iter().zip(&reports) {
        for (br, rr) in b["regions"]
            .as_array()
            .unwrap()
            .iter()
            .zip(r["regions"].as_array().unwrap())
        {
            assert_eq!(br["name"], rr["name"]);
            assert_eq!(br["used"], rr["used"]);
            assert_eq!(br["reserved"], rr["reserved"]);
        }
    }
    // Each step's region deltas are `diff`'s, and its growers are among diff's changes.
    let files = [
        dir.join("zz.json"),
        dir.join("aa.json"),
        dir.join("mm.json"),
    ];
    let steps = dash["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 2);
    for (i, step) in steps.iter().enumerate() {
        let d = json(
            &[
                "diff",
                files[i].to_str().unwrap(),
                files[i + 1].to_str().unwrap(),
                "--format",
                "json",
                "--top",
                "0",
            ],
            0,
        );
        assert_eq!(step["regions"], d["regions"]);
        let growers = step["growers"].as_array().unwrap();
        assert!(!growers.is_empty(), "step {i} has growers");
        for g in growers {
            let moved = g["old"]["region"] != g["new"]["region"] && !g["old"].is_null();
            assert!(moved || g["delta"].as_i64().unwrap() > 0, "{g}");
            let listed = ["grown", "added", "moved"]
                .iter()
                .any(|k| d["symbols"][k].as_array().unwrap().iter().any(|c| c == g));
            assert!(listed, "grower {g} not in diff");
        }
    }
    // The budget's RAM limit (75% fail) in bytes of the latest build's RAM.
    let ram = dash["limits"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["region"] == "RAM")
        .expect("RAM limit");
    let length = reports[2]["regions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "RAM")
        .unwrap()["length"]
        .as_u64()
        .unwrap();
    assert_eq!(ram["fail_at"].as_u64(), Some(length * 3 / 4));
}

fn dashboard_rejects_what_is_not_a_report() {
    let dir = out_dir().join("not-reports");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("x.json"), "{\"schema\": \"something/1\"}").unwrap();
    let out = membudget(&[
        "dashboard",
        dir.to_str().unwrap(),
        "-o",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("not a membudget report"), "{err}");
    let empty = out_dir().join("empty-dir");
    std::fs::create_dir_all(&empty).unwrap();
    let out = membudget(&[
        "dashboard",
        empty.to_str().unwrap(),
        "-o",
        empty.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
}

/// Issue 12: Device OS's 128 KiB of P2 SRAM (the budget's `device-os` reservation) was
/// labelled "stack/heap" in the rollups. Every view names reserved bytes by their owner.
fn reservations_are_named_by_owner_in_every_view() {
    let (elf, budget) = (path("fixtures/p2.elf"), path("golden/p2.budget.json"));
    let base = ["report", &elf, "--budget", &budget];
    let run = |extra: &[&str]| {
        let mut args = base.to_vec();
        args.extend(extra);
        String::from_utf8(stdout_ok(&args, 0)).unwrap()
    };
    let rows = |by: &str| -> Vec<(String, String, u64)> {
        let v: Value = serde_json::from_str(&run(&["--format", "json", "--by", by])).unwrap();
        v["rollup"]["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["region"].as_str().unwrap_or("").to_string(),
                    r["key"].as_str().unwrap().to_string(),
                    r["bytes"].as_u64().unwrap(),
                )
            })
            .collect()
    };
    let section = rows("section");
    let row = |region: &str, key: &str| (region.to_string(), key.to_string(), 131072);
    assert!(
        section.contains(&row("RAM", "(reserved: device-os)")),
        "{section:?}"
    );
    for by in ["section", "crate", "symbol"] {
        let rows = rows(by);
        assert!(
            rows.iter().all(|r| !r.1.contains("stack/heap")),
            "--by {by}: {rows:?}"
        );
    }
    // By region: the heap arena (a static in .bss) and the reservation, each by name, and
    // the region's rows add up to used + reserved.
    let region = rows("region");
    assert!(
        region.contains(&row("RAM", "RAM (reserved: device-os)")),
        "{region:?}"
    );
    assert!(
        region.contains(&(
            "RAM".into(),
            "RAM (reserved: heap membudget_firmware::heap::HEAP_MEM)".into(),
            16384
        )),
        "{region:?}"
    );
    let report: Value = serde_json::from_str(&run(&["--format", "json"])).unwrap();
    for r in report["regions"].as_array().unwrap() {
        let name = r["name"].as_str().unwrap();
        let want = r["used"].as_u64().unwrap() + r["reserved"].as_u64().unwrap();
        for by in [&region, &section] {
            let got: u64 = by.iter().filter(|x| x.0 == name).map(|x| x.2).sum();
            assert_eq!(got, want, "{name}");
        }
    }
    // The same name in the table, Markdown and CSV views, with the reservation's range.
    for format in ["table", "markdown"] {
        let text = run(&["--format", format, "--by", "section"]);
        assert!(text.contains("(reserved: device-os)"), "{format}");
        assert!(!text.contains("stack/heap"), "{format}");
    }
    let csv = run(&["--format", "csv"]);
    assert!(
        csv.lines()
            .any(|l| l == "RAM,,(reserved: device-os),,0x1005b000,131072,131072,reserved,,"),
        "{csv}"
    );
}

fn stderr_of(args: &[&str], code: i32) -> String {
    let out = membudget(args);
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(code), "{args:?}: {err}");
    err
}

/// One line, `membudget: ` first, and every given piece in it.
fn assert_one_line(err: &str, pieces: &[&str]) {
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("membudget: "), "{err}");
    for p in pieces {
        assert!(err.contains(p), "{p:?} not in {err}");
    }
}

/// Reports of unrelated firmware (another ELF, other regions) are not charted together
/// unless asked; then the page says so at the top.
fn dashboard_refuses_mixed_firmware() {
    let dir = out_dir().join("mixed-builds");
    std::fs::create_dir_all(&dir).unwrap();
    let an386 = stdout_ok(&report_args(&path(AN386), &path(AN386_MEMORY), "json"), 0);
    std::fs::write(dir.join("a.json"), an386).unwrap();
    let p2 = stdout_ok(&["report", &path("fixtures/p2.elf"), "--format", "json"], 0);
    std::fs::write(dir.join("b.json"), p2).unwrap();
    let site = out_dir().join("mixed-site");
    let _ = std::fs::remove_dir_all(&site);
    let (d, o) = (dir.to_str().unwrap(), site.to_str().unwrap());
    let err = stderr_of(&["dashboard", d, "-o", o], 2);
    assert_one_line(
        &err,
        &[
            "2 different firmware",
            "qemu-an386.elf",
            "p2.elf",
            "--allow-mixed",
        ],
    );
    assert!(!site.exists(), "nothing written");
    let err = stderr_of(&["dashboard", d, "-o", o, "--allow-mixed"], 0);
    assert_one_line(&err, &["warning", "2 different firmware"]);
    let html = std::fs::read_to_string(site.join("index.html")).unwrap();
    let firmware = &embedded(&html, "dashboard")["firmware"];
    assert_eq!(firmware.as_array().unwrap().len(), 2, "{firmware}");
    assert_eq!(firmware[0]["file"], "qemu-an386.elf");
    assert_eq!(firmware[1]["builds"], serde_json::json!([1]));
    if let Some(chromium) = chromium() {
        let shown = selftest(&chromium, &site.join("index.html"), "");
        let banner = shown["mixed"].as_str().expect("mixed-firmware banner");
        assert!(banner.contains("2 different firmware"), "{banner}");
    }
}

/// Issue 12's trial: the wrong file in the wrong place gets one line that says what it is
/// and what was wanted, exit 2; no parser positions for what is not JSON at all.
fn bad_inputs_get_one_line_messages() {
    let dir = out_dir().join("bad-inputs");
    std::fs::create_dir_all(&dir).unwrap();
    let elf = path("fixtures/p2.elf");
    let report = dir.join("p2.json");
    std::fs::write(&report, stdout_ok(&["report", &elf, "--format", "json"], 0)).unwrap();
    let text = dir.join("notes.txt");
    std::fs::write(&text, "hello\n").unwrap();
    let file = dir.join("site-is-a-file");
    std::fs::write(&file, "keep me").unwrap();
    let (r, t, f, d) = (
        report.to_str().unwrap(),
        text.to_str().unwrap(),
        file.to_str().unwrap(),
        dir.to_str().unwrap(),
    );
    let site = dir.join("site");
    let s = site.to_str().unwrap();
    let err = stderr_of(&["dashboard", &elf, "-o", s], 2);
    assert_one_line(
        &err,
        &[
            "an ELF file, not a membudget JSON report",
            "membudget report",
            "--format json",
        ],
    );
    let err = stderr_of(&["dashboard", t, "-o", s], 2);
    assert_one_line(&err, &["notes.txt: not a membudget JSON report"]);
    let err = stderr_of(&["dashboard", r, "-o", f], 2);
    assert_one_line(&err, &["not a directory", "will not overwrite"]);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "keep me");
    let err = stderr_of(&["diff", d, r], 2);
    assert_one_line(
        &err,
        &["a directory, not an ELF file, a membudget JSON report"],
    );
    let err = stderr_of(&["diff", t, r], 2);
    assert_one_line(
        &err,
        &["notes.txt: not an ELF file, a membudget JSON report"],
    );
    // What starts like JSON keeps the parser's position.
    let broken = dir.join("broken.json");
    std::fs::write(&broken, "{\"schema\": ").unwrap();
    let err = stderr_of(&["diff", broken.to_str().unwrap(), r], 2);
    assert_one_line(&err, &["broken.json:1:", "invalid JSON"]);
}

/// `--memory` replaces a budget's regions, as `--help` says: the budget's own
/// `linker_script` (relative to the budget, absent here) is not read, and the regions are
/// those of `--memory`; the budget's reservations still apply.
fn memory_replaces_the_budget_regions() {
    let dir = out_dir().join("memory-precedence");
    std::fs::create_dir_all(&dir).unwrap();
    for f in ["p2.budget.json", "p2.baseline.json"] {
        std::fs::copy(path(&format!("golden/{f}")), dir.join(f)).unwrap();
    }
    let budget = dir.join("p2.budget.json");
    let b = budget.to_str().unwrap();
    let memory = dir.join("bigger.x");
    std::fs::write(
        &memory,
        "MEMORY\n{\n  FLASH : ORIGIN = 0x08000000, LENGTH = 2M\n  \
         RAM : ORIGIN = 0x10005000, LENGTH = 600K\n  PSRAM : ORIGIN = 0x02000000, LENGTH = 8M\n}\n",
    )
    .unwrap();
    let m = memory.to_str().unwrap();
    let elf = path("fixtures/p2.elf");
    // Without --memory the missing script is an error naming it.
    let err = stderr_of(&["report", &elf, "--budget", b], 2);
    assert_one_line(&err, &["linker_script", "not found"]);
    let report = json(
        &[
            "report", &elf, "--budget", b, "--memory", m, "--format", "json",
        ],
        0,
    );
    assert_eq!(report["regions_source"]["name"], "bigger.x");
    let ram = report["regions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "RAM")
        .unwrap();
    assert_eq!(ram["length"], 600 * 1024);
    assert_eq!(ram["external"], 131072, "the budget's reservation applies");
    let check = json(
        &[
            "check", &elf, "--budget", b, "--memory", m, "--format", "json",
        ],
        0,
    );
    let ram = check["regions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "RAM")
        .unwrap();
    assert_eq!(ram["length"], 600 * 1024);
    stdout_ok(&["bless", &elf, "--budget", b, "--memory", m], 0);
}

/// `report --budget --format html` embeds the budget's region limits, in bytes, as `check`
/// computes them.
fn report_page_embeds_budget_limits() {
    let (elf, budget) = (path("fixtures/p2.elf"), path("golden/p2.budget.json"));
    let html = String::from_utf8(stdout_ok(
        &["report", &elf, "--budget", &budget, "--format", "html"],
        0,
    ))
    .unwrap();
    let limits = embedded(&html, "limits");
    let check = json(&check_args(&elf, &budget, "json"), 0);
    for row in check["regions"].as_array().unwrap() {
        let lim = limits
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["region"] == row["name"])
            .unwrap_or_else(|| panic!("no limit for {}", row["name"]));
        assert_eq!(lim["warn_at"], row["warn_at"]);
        assert_eq!(lim["fail_at"], row["fail_at"]);
    }
    // Without a budget: no limits block.
    let html = String::from_utf8(stdout_ok(&["report", &elf, "--format", "html"], 0)).unwrap();
    assert!(!html.contains("id=\"membudget-limits\""));
}

/// CSV rows of a load image (`.data`'s initialiser in flash) carry the load address, inside
/// the section's load range; the other rows of a section lie in its run range.
fn csv_load_image_rows_carry_load_addresses() {
    let mut inputs = vec![(
        path("fixtures/cpp-m4.elf"),
        Some(path("fixtures/cpp-m4.map")),
    )];
    let corpus = corpus_dir();
    for name in ["c_arduino-avr_eeprom_crc", "c_pyocd_gdb_test__debian-gcc12"] {
        let elf = corpus.join(format!("{name}.elf"));
        if elf.is_file() {
            let map = corpus.join(format!("{name}.map"));
            inputs.push((elf.display().to_string(), Some(map.display().to_string())));
        }
    }
    let mut checked = 0;
    for (elf, map) in &inputs {
        let mut args = vec!["report", elf.as_str()];
        if let Some(m) = map {
            args.extend(["--map", m.as_str()]);
        }
        let mut a = args.clone();
        a.extend(["--format", "json"]);
        let report = json(&a, 0);
        let mut a = args.clone();
        a.extend(["--format", "csv"]);
        let csv = String::from_utf8(stdout_ok(&a, 0)).unwrap();
        let sections = report["sections"].as_array().unwrap();
        for line in csv.lines().skip(1) {
            let f: Vec<&str> = line.split(',').collect();
            // Names with commas (C++) shift the columns: those rows are skipped.
            if f.len() != 10 || f[4].is_empty() {
                continue;
            }
            let Some(sec) = sections.iter().find(|s| s["name"] == f[1]) else {
                continue;
            };
            let addr = u64::from_str_radix(f[4].trim_start_matches("0x"), 16).unwrap();
            let size = sec["size"].as_u64().unwrap();
            let in_load =
                sec["load_region"].as_str() == Some(f[0]) && sec["region"].as_str() != Some(f[0]);
            let base = sec[if in_load { "load_addr" } else { "addr" }]
                .as_u64()
                .unwrap();
            assert!(
                addr >= base && addr < base + size.max(1),
                "{elf}: {line}: outside {} [{base:#x}, +{size})",
                if in_load { "load image" } else { "section" }
            );
            checked += usize::from(in_load);
        }
    }
    assert!(checked > 0, "no load-image rows checked");
}

// ---------------------------------------------------------------------------------------
// In the browser.

fn chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("MEMBUDGET_CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .find_map(|name| {
            std::env::var_os("PATH").and_then(|paths| {
                std::env::split_paths(&paths)
                    .map(|d| d.join(name))
                    .find(|p| p.is_file())
            })
        })
}

/// The browser, or a loud skip (a failure in CI).
fn browser(test: &str) -> Result<PathBuf, Skip> {
    chromium().ok_or_else(|| {
        Skip::new(format!(
            "{test}: chromium not found (apt-get install chromium)"
        ))
    })
}

fn headless(chromium: &Path, profile: &str) -> Command {
    let mut cmd = Command::new(chromium);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--hide-scrollbars",
        "--no-first-run",
        "--enable-logging=stderr",
        "--v=0",
    ]);
    // Tests run in parallel: one profile each.
    cmd.arg(format!(
        "--user-data-dir={}",
        out_dir().join(profile).display()
    ));
    cmd
}

/// Opens the page from file:// with the self-test hook and returns what it reports, after
/// checking that the browser logged no script error.
fn selftest(chromium: &Path, page: &Path, search: &str) -> Value {
    selftest_at(chromium, page, search, "")
}

/// [`selftest`] with more of the deep-link fragment (`&zoom=RAM&zoom=.bss`).
fn selftest_at(chromium: &Path, page: &Path, search: &str, more: &str) -> Value {
    let url = format!(
        "file://{}#selftest&search={}{more}",
        page.display(),
        search
            .replace('%', "%25")
            .replace('&', "%26")
            .replace('#', "%23")
    );
    let profile = format!("profile-{}", page.file_stem().unwrap().to_string_lossy());
    let out = headless(chromium, &profile)
        .args(["--dump-dom", &url])
        .output()
        .expect("run chromium");
    let stderr = String::from_utf8_lossy(&out.stderr);
    // The pages log nothing: any console line (errors, warnings, uncaught exceptions) fails.
    for line in stderr.lines() {
        assert!(!line.contains(":CONSOLE"), "console output: {line}");
    }
    let dom = String::from_utf8(out.stdout).expect("DOM is UTF-8");
    // The last one: the script's own source mentions the element too.
    let start = dom
        .rfind("<pre id=\"selftest\"")
        .unwrap_or_else(|| panic!("no self-test output in the DOM; stderr:\n{stderr}"));
    let start = start + dom[start..].find('>').unwrap() + 1;
    let end = start + dom[start..].find("</pre>").unwrap();
    let text = dom[start..end]
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&nbsp;", "\u{a0}")
        .replace("&amp;", "&");
    let v: Value = serde_json::from_str(&text).expect("self-test JSON");
    assert_eq!(v["errors"], Value::Array(vec![]), "script errors");
    v
}

fn screenshot(chromium: &Path, page: &Path, png: &str, height: u32) {
    let target = out_dir().join(png);
    let profile = format!("shot-{png}");
    let out = headless(chromium, &profile)
        .arg("--window-size=1400,".to_string() + &height.to_string())
        .arg(format!("--screenshot={}", target.display()))
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("run chromium");
    assert!(
        target.metadata().is_ok_and(|m| m.len() > 10_000),
        "screenshot {}: {}",
        target.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    eprintln!("screenshot: {}", target.display());
}

/// The leading integer of a table cell such as `27300 (26.7 KiB)`.
fn leading_int(cell: &Value) -> u64 {
    let s = cell.as_str().unwrap();
    let digits: String = s.chars().take_while(|c| c.is_ascii_digit()).collect();
    digits
        .parse()
        .unwrap_or_else(|_| panic!("no number in {s:?}"))
}

/// The DOM's region table equals the report's regions.
fn assert_regions(shown: &Value, report: &Value) {
    let rows = shown["regions"].as_array().unwrap();
    let regions = report["regions"].as_array().unwrap();
    assert_eq!(rows.len(), regions.len());
    for (row, r) in rows.iter().zip(regions) {
        assert_eq!(row["name"], r["name"]);
        let cells = row["cells"].as_array().unwrap();
        assert!(cells[0]
            .as_str()
            .unwrap()
            .starts_with(r["name"].as_str().unwrap()));
        for (i, key) in [(2, "length"), (3, "used"), (4, "reserved"), (5, "free")] {
            assert_eq!(
                leading_int(&cells[i]),
                r[key].as_u64().unwrap(),
                "{key} of {}",
                r["name"]
            );
        }
        assert_eq!(
            cells[6].as_str().unwrap(),
            format!("{:.2}", r["percent_used"].as_f64().unwrap())
        );
    }
}

/// Rows of a `--by` rollup as (region, key, bytes), sorted; bytes in no region under the
/// treemap's name for them.
fn rollup_rows(rollup: &Value) -> Vec<(String, String, u64)> {
    let mut rows: Vec<(String, String, u64)> = rollup["rollup"]["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let region = r["region"].as_str().unwrap_or("(outside every region)");
            let key = r["key"].as_str().unwrap();
            (
                region.to_string(),
                key.to_string(),
                r["bytes"].as_u64().unwrap(),
            )
        })
        .collect();
    rows.sort();
    rows
}

/// The treemap's cells at one level (1 region ..= 5 symbol), summed per region and key.
fn tree_level(shown: &Value, level: usize) -> Vec<(String, String, u64)> {
    let mut got: Vec<(String, String, u64)> = shown["levels"][level - 1]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c[0].as_str().unwrap().to_string(),
                c[1].as_str().unwrap().to_string(),
                c[2].as_u64().unwrap(),
            )
        })
        .collect();
    got.sort();
    got
}

/// The treemap, drawn from a page made by `membudget ARGS --format html`, equals the `--by`
/// rollups of `membudget ARGS --format json` at every level: its sections are the `--by
/// section` rows, its leaves summed per region and name the `--by symbol` rows, each
/// region's cell their sum, and one top-level cell per region. With `--dwarf` in ARGS (the
/// crate, directory and file rollups read DWARF anyway), also its groups (`--by crate` or
/// `--by dir`, as the page says) and files (`--by file`).
fn assert_tree_matches_rollup(shown: &Value, args: &[&str]) {
    let rollup = |by: &str| {
        let mut a = args.to_vec();
        a.extend(["--format", "json", "--by", by]);
        rollup_rows(&json(&a, 0))
    };
    let sections = rollup("section");
    assert_eq!(
        tree_level(shown, 2),
        sections,
        "treemap sections vs --by section"
    );
    assert_eq!(
        tree_level(shown, 5),
        rollup("symbol"),
        "treemap leaves vs --by symbol"
    );
    let mut per_region: Vec<(String, String, u64)> = Vec::new();
    for (region, _, bytes) in &sections {
        match per_region.last_mut() {
            Some(last) if &last.0 == region => last.2 += bytes,
            _ => per_region.push((region.clone(), region.clone(), *bytes)),
        }
    }
    assert_eq!(
        tree_level(shown, 1),
        per_region,
        "treemap regions vs --by section"
    );
    if args.contains(&"--dwarf") {
        let group = shown["group_by"].as_str().unwrap();
        assert_eq!(
            tree_level(shown, 3),
            rollup(group),
            "treemap groups vs --by {group}"
        );
        assert_eq!(
            tree_level(shown, 4),
            rollup("file"),
            "treemap files vs --by file"
        );
    }
    let regions: Vec<String> = per_region.into_iter().map(|e| e.0).collect();
    let mut top: Vec<String> = shown["top_cells"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_string())
        .collect();
    top.sort();
    assert_eq!(top, regions, "one top-level cell per region");
}

/// Search for a known symbol: it is listed, the cells on its path are outlined, and zooming
/// to it shows its cell highlighted.
fn assert_search(shown: &Value, symbol: &str, region: &str) {
    let results: Vec<&str> = shown["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    assert!(results.contains(&symbol), "{symbol} not in {results:?}");
    let hits = shown["hit_cells"].as_array().unwrap();
    assert!(
        hits.iter().any(|c| c == region),
        "{region} not outlined: {hits:?}"
    );
    let matches = shown["zoom_match_cells"].as_array().unwrap();
    assert!(
        matches.iter().any(|c| c == symbol),
        "{symbol} not highlighted: {matches:?}"
    );
}

/// Hovering the matched symbol's cell shows its details from the report.
fn assert_tooltip(shown: &Value, sym: &Value) {
    let lines: Vec<&str> = shown["tooltip"]
        .as_array()
        .expect("tooltip shown")
        .iter()
        .map(|l| l.as_str().unwrap())
        .collect();
    assert_eq!(lines[0], sym["name"].as_str().unwrap());
    let has = |prefix: &str, value: String| {
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with(prefix) && l.contains(&value)),
            "no {prefix} {value} in {lines:?}"
        )
    };
    has(
        "address: ",
        format!("0x{:08x}", sym["addr"].as_u64().unwrap()),
    );
    has("section: ", sym["section"].as_str().unwrap().to_string());
    if sym["raw"] != sym["name"] {
        has("raw name: ", sym["raw"].as_str().unwrap().to_string());
    }
    if let Some(file) = sym["file"].as_str() {
        has("file: ", file.to_string());
    }
}

fn write(name: &str, bytes: &[u8]) -> PathBuf {
    let p = out_dir().join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

fn report_page_in_chromium() -> Result<(), Skip> {
    let chromium = browser("report_page_in_chromium")?;
    let (elf, mem) = (path(AN386), path(AN386_MEMORY));
    // With DWARF, so that the crate and file levels are checked too.
    let mut html = report_args(&elf, &mem, "html");
    html.push("--dwarf");
    let page = write("report.html", &stdout_ok(&html, 0));
    let mut args = report_args(&elf, &mem, "json");
    args.push("--dwarf");
    let report = json(&args, 0);
    let symbol = report["symbols"][0]["name"].as_str().unwrap().to_string();
    let region = report["symbols"][0]["region"].as_str().unwrap().to_string();
    let shown = selftest(&chromium, &page, &symbol);
    assert_eq!(shown["page"], "report");
    assert_regions(&shown, &report);
    let args = ["report", &elf, "--memory", &mem, "--dwarf"];
    assert_tree_matches_rollup(&shown, &args);
    assert_search(&shown, &symbol, &region);
    assert_tooltip(&shown, &report["symbols"][0]);
    screenshot(&chromium, &page, "report.png", 1500);
    Ok(())
}

fn check_page_in_chromium() -> Result<(), Skip> {
    let chromium = browser("check_page_in_chromium")?;
    let (elf, budget) = (
        path("fixtures/p2-overflow.elf"),
        path("golden/p2.budget.json"),
    );
    let page = write(
        "check.html",
        &stdout_ok(&check_args(&elf, &budget, "html"), 1),
    );
    let check = json(&check_args(&elf, &budget, "json"), 1);
    let report = json(
        &["report", &elf, "--budget", &budget, "--format", "json"],
        0,
    );
    let shown = selftest(&chromium, &page, "LOG_BUF");
    assert_eq!(shown["page"], "check");
    assert_regions(&shown, &report);
    // Failures first, in the check's order; every symbol change is tagged.
    let kinds: Vec<&Value> = check["failures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| &f["kind"])
        .collect();
    assert_eq!(
        shown["failures"]
            .as_array()
            .unwrap()
            .iter()
            .collect::<Vec<_>>(),
        kinds
    );
    let changes = &check["changes"]["symbols"];
    let tagged = shown["changes"].as_array().unwrap();
    let count = |k: &str| tagged.iter().filter(|t| *t == k).count();
    assert_eq!(
        count("grew"),
        changes["grown"].as_array().unwrap().len().min(25)
    );
    assert_eq!(
        count("moved"),
        changes["moved"].as_array().unwrap().len().min(25)
    );
    assert_eq!(
        count("new"),
        changes["added"].as_array().unwrap().len().min(25)
    );
    assert!(count("grew") > 0);
    assert_search(&shown, "membudget_firmware::statics::LOG_BUF", "RAM");
    // Device OS's reservation is a cell of its own, by name, as in the rollups.
    assert_tree_matches_rollup(&shown, &["report", &elf, "--budget", &budget]);
    let ram = shown["tree"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "RAM")
        .unwrap();
    // (.bss_tail overflows into it: the rest of its 128 KiB.)
    assert!(
        ram["sections"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s[0] == "(reserved: device-os)" && s[1].as_u64() > Some(0)),
        "{ram}"
    );
    screenshot(&chromium, &page, "check.png", 2300);
    Ok(())
}

fn dashboard_page_in_chromium() -> Result<(), Skip> {
    let chromium = browser("dashboard_page_in_chromium")?;
    let dir = out_dir().join("dashboard-browser-builds");
    let reports = p2_builds(&dir);
    let site = out_dir().join("dashboard-browser-site");
    let budget = path("golden/p2.budget.json");
    stdout_ok(
        &[
            "dashboard",
            dir.to_str().unwrap(),
            "-o",
            site.to_str().unwrap(),
            "--budget",
            &budget,
        ],
        0,
    );
    let page = site.join("index.html");
    let latest = &reports[2];
    let shown = selftest(&chromium, &page, "LOG_BUF");
    assert_eq!(shown["page"], "dashboard");
    let charts = shown["charts"].as_array().unwrap();
    let names: Vec<&Value> = latest["regions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &r["name"])
        .collect();
    assert_eq!(
        charts.iter().map(|c| &c["region"]).collect::<Vec<_>>(),
        names
    );
    assert!(charts.iter().all(|c| c["points"] == 3), "{charts:?}");
    assert!(shown["growers"].as_u64().unwrap() > 0);
    let mut args = vec!["report", "fixtures/p2-overflow.elf"];
    let elf = path(args[1]);
    args[1] = &elf;
    args.extend(["--budget", &budget]);
    assert_tree_matches_rollup(&shown, &args);
    assert_search(&shown, "membudget_firmware::statics::LOG_BUF", "RAM");
    screenshot(&chromium, &page, "dashboard.png", 2000);
    Ok(())
}

/// A big image (this test's own membudget binary, thousands of symbols): the page still
/// draws, adds up and searches; small items are grouped so the DOM stays small. Its speed is
/// measured in scripts/bench.sh, not here.
fn large_image_page_in_chromium() -> Result<(), Skip> {
    let chromium = browser("large_image_page_in_chromium")?;
    let page = write(
        "large.html",
        &stdout_ok(&["report", BIN, "--format", "html"], 0),
    );
    let report = json(&["report", BIN, "--format", "json"], 0);
    assert!(report["symbols"].as_array().unwrap().len() > 2000);
    let symbol = report["symbols"][0]["name"].as_str().unwrap().to_string();
    let region = report["symbols"][0]["region"].as_str().unwrap().to_string();
    let shown = selftest(&chromium, &page, &symbol);
    assert_regions(&shown, &report);
    assert_tree_matches_rollup(&shown, &["report", BIN]);
    assert_search(&shown, &symbol, &region);
    assert_tooltip(&shown, &report["symbols"][0]);
    assert!(
        shown["cells"].as_u64().unwrap() < 1000,
        "{}",
        shown["cells"]
    );
    Ok(())
}

/// Issue 12's trial, on the page: the stack panel in memory order with its need, the
/// budget's limits and reservations on the region bars, and one colour scheme for the
/// treemap (by section kind or reservation owner, each hue in the legend).
fn report_page_details_in_chromium() -> Result<(), Skip> {
    let chromium = browser("report_page_details_in_chromium")?;
    // The QEMU firmware: a sized stack at the top of RAM, a heap arena in .bss.
    let (elf, mem) = (path(AN386), path(AN386_MEMORY));
    let page = write(
        "details.html",
        &stdout_ok(&report_args(&elf, &mem, "html"), 0),
    );
    let report = json(&report_args(&elf, &mem, "json"), 0);
    let shown = selftest_at(&chromium, &page, "", "&zoom=RAM&zoom=.bss");
    let rows = shown["stack_rows"].as_array().unwrap();
    let hex =
        |v: &Value| u64::from_str_radix(v.as_str().unwrap().trim_start_matches("0x"), 16).unwrap();
    let stack = &report["stack"];
    assert!(
        rows[0][0].as_str().unwrap().starts_with("stack"),
        "{rows:?}"
    );
    assert_eq!(hex(&rows[0][2]), stack["top"].as_u64().unwrap());
    assert_eq!(hex(&rows[0][3]), stack["bottom"].as_u64().unwrap());
    for w in rows.windows(2) {
        assert!(
            hex(&w[0][2]) >= hex(&w[1][2]),
            "highest address first: {rows:?}"
        );
    }
    for r in rows {
        assert!(hex(&r[2]) > hex(&r[3]), "top above bottom: {r:?}");
    }
    let need = shown["stack_need"].as_str().unwrap();
    if let Some(total) = report["stack_need"]["total"].as_u64() {
        let size = stack["size"].as_u64().unwrap();
        let at_least = if report["stack_need"]["complete"] == true {
            ""
        } else {
            "at least "
        };
        assert!(
            need.starts_with(&format!("Stack needs {at_least}{total} B")),
            "{need}"
        );
        assert!(need.contains(&format!(" of {size} B")), "{need}");
    } else {
        assert!(need.contains("Stack room"), "{need}");
    }
    // Zoomed into RAM > .bss: every cell is zeroed data (or bytes no symbol covers), and
    // the legend names it.
    let hues = shown["hues"].as_array().unwrap();
    assert!(hues.iter().any(|h| h[1] == "kind-bss"), "{hues:?}");
    for h in hues {
        assert!(h[1] == "kind-bss" || h[1] == "unattributed", "{h}");
    }
    let legend = shown["legend_hues"].as_array().unwrap();
    assert!(legend.contains(&Value::from("kind-bss")));
    // At the top: the stack's bytes are a stack cell, and every hue is in the legend.
    let top = selftest(&chromium, &page, "");
    let hues = top["hues"].as_array().unwrap();
    assert!(
        hues.iter()
            .any(|h| h[0] == "(reserved: stack)" && h[1] == "reserved-stack"),
        "{hues:?}"
    );
    for h in hues {
        assert!(legend.contains(&h[1]), "{h} not in the legend {legend:?}");
    }

    // The P2 with its budget: limits and Device OS's reservation on the RAM bar.
    let (elf, budget) = (path("fixtures/p2.elf"), path("golden/p2.budget.json"));
    let page = write(
        "details-p2.html",
        &stdout_ok(
            &["report", &elf, "--budget", &budget, "--format", "html"],
            0,
        ),
    );
    let shown = selftest(&chromium, &page, "");
    let marks = shown["limit_marks"].as_array().unwrap();
    let ram = marks.iter().find(|m| m[0] == "RAM").unwrap();
    let kinds: Vec<&str> = ram[1]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m[0].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["warn", "fail"], "{ram}");
    let segs = shown["bar_segments"].as_array().unwrap();
    let ram = segs.iter().find(|m| m[0] == "RAM").unwrap();
    assert!(
        ram[1].as_array().unwrap().iter().any(|t| t
            .as_str()
            .unwrap()
            .starts_with("reserved: device-os 131072")),
        "{ram}"
    );
    screenshot(&chromium, &page, "details-p2.png", 1500);
    Ok(())
}

fn corpus_dir() -> PathBuf {
    std::env::var_os("MEMBUDGET_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(ROOT).join("../shared/corpus"))
}

/// Every ELF of the third-party corpus (regions inferred; some stripped, relocatable, 64-bit
/// or with sections outside every region): the page draws without errors, its regions equal
/// the JSON, its treemap equals the `--by section` rollup, and search finds the largest symbol.
fn corpus_pages_in_chromium() -> Result<(), Skip> {
    let dir = corpus_dir();
    if !dir.is_dir() {
        return Err(Skip::new(format!("no corpus at {}", dir.display())));
    }
    let chromium = browser("corpus_pages_in_chromium")?;
    let mut elfs: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "elf"))
        .collect();
    elfs.sort();
    assert!(!elfs.is_empty());
    for elf in &elfs {
        let e = elf.to_str().unwrap();
        let name = elf.file_name().unwrap().to_string_lossy();
        let page = write(
            &format!("corpus-{name}.html"),
            &stdout_ok(&["report", e, "--dwarf", "--format", "html"], 0),
        );
        let report = json(&["report", e, "--format", "json"], 0);
        let first = report["symbols"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["bytes"].as_u64() > Some(0))
            .cloned();
        let query = first
            .as_ref()
            .map(|s| s["name"].as_str().unwrap().to_string())
            .unwrap_or_default();
        let shown = selftest(&chromium, &page, &query);
        assert_regions(&shown, &report);
        assert_tree_matches_rollup(&shown, &["report", e, "--dwarf"]);
        if let Some(sym) = first {
            let region = sym["region"].as_str().unwrap_or("(outside every region)");
            assert_search(&shown, &query, region);
        }
        eprintln!("ok {name}");
    }
    Ok(())
}

/// The fuzzers' finds with overlapping sections (counted once, by the first in address
/// order) and with duplicate or empty section names: the treemap still equals the rollups
/// at every level, as the rollups compute them (the page recomputes nothing).
fn fuzz_pages_in_chromium() -> Result<(), Skip> {
    let chromium = browser("fuzz_pages_in_chromium")?;
    for name in ["overlapping-sections", "unnamed-sections"] {
        let elf = path(&format!("tests/data/fuzz/{name}.elf"));
        let page = write(
            &format!("fuzz-{name}.html"),
            &stdout_ok(&["report", &elf, "--dwarf", "--format", "html"], 0),
        );
        let report = json(&["report", &elf, "--format", "json"], 0);
        let shown = selftest(&chromium, &page, "");
        assert_regions(&shown, &report);
        assert_tree_matches_rollup(&shown, &["report", &elf, "--dwarf"]);
        let cells: u64 = shown["levels"][1]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c[2].as_u64().unwrap())
            .sum();
        let occupied: u64 = report["regions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["used"].as_u64().unwrap() + r["reserved"].as_u64().unwrap())
            .sum();
        // Bytes outside every region are cells too: at least every region's bytes are.
        assert!(cells >= occupied, "{name}: {cells} < {occupied}");
    }
    Ok(())
}
