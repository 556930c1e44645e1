//! End-to-end behaviour of the pipeline that the other modules do not cover: every command
//! treats a reader that stops early (`membudget diff a b --format json | head -c1`) as
//! success, never as an error; version-1 budgets load and `bless` migrates them; the committed
//! JSON Schemas are the generated ones, and real documents follow them.

use std::os::fd::OwnedFd;
use std::os::unix::net::UnixStream;
use std::process::{Command, Output, Stdio};

use crate::support::{assert_valid, run, tempdir, trials, validator, BIN};

trials![
    closed_stdout_is_success_for_report,
    closed_stdout_is_success_for_diff,
    closed_stdout_keeps_the_verdict_of_check,
    closed_stdout_is_success_for_chips_and_bless,
    bless_migrates_version_1_budgets,
    committed_schemas,
    documents_follow_their_schemas,
];

/// Run membudget with a stdout whose reader is already gone, so that its first write
/// fails with EPIPE whatever the output size (a pipe to `head` would let small outputs
/// fit in the pipe buffer and pass by luck).
fn run_with_closed_stdout(args: &[&str]) -> Output {
    let (ours, theirs) = UnixStream::pair().expect("socket pair");
    drop(ours);
    Command::new(BIN)
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(Stdio::from(OwnedFd::from(theirs)))
        .stderr(Stdio::piped())
        .output()
        .expect("membudget runs")
}

fn assert_quiet_success(args: &[&str], expected: i32) {
    let out = run_with_closed_stdout(args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(expected),
        "membudget {}: stderr: {stderr}",
        args.join(" ")
    );
    assert!(
        stderr.is_empty(),
        "membudget {}: stderr: {stderr}",
        args.join(" ")
    );
}

fn closed_stdout_is_success_for_report() {
    for format in ["table", "json", "csv", "markdown"] {
        assert_quiet_success(
            &[
                "report",
                "fixtures/p2.elf",
                "--chip",
                "p2",
                "--format",
                format,
            ],
            0,
        );
    }
}

fn closed_stdout_is_success_for_diff() {
    for format in ["table", "json", "markdown"] {
        assert_quiet_success(
            &[
                "diff",
                "fixtures/cpp-m4.elf",
                "fixtures/p2.elf",
                "--format",
                format,
            ],
            0,
        );
    }
}

/// A reader that leaves early must never turn an over-budget build into a pass: the gate's
/// verdict is the exit code whatever happens to its output.
fn closed_stdout_keeps_the_verdict_of_check() {
    for format in ["table", "json", "markdown", "html"] {
        let budget = "golden/p2.budget.json";
        for (elf, verdict) in [("fixtures/p2.elf", 0), ("fixtures/p2-overflow.elf", 1)] {
            assert_quiet_success(
                &["check", elf, "--budget", budget, "--format", format],
                verdict,
            );
        }
    }
}

fn closed_stdout_is_success_for_chips_and_bless() {
    assert_quiet_success(&["chips"], 0);
    assert_quiet_success(&["report", "--chip", "list"], 0);
    let dir = tempdir();
    let budget = dir.path().join("p2.budget.json");
    // A copy, with its linker script found from the copy's directory.
    let root = crate::support::root();
    let text = std::fs::read_to_string(root.join("golden/p2.budget.json")).expect("golden");
    let script = root.join("firmware/layouts/p2/memory.x");
    let text = text.replace(
        "\"../firmware/layouts/p2/memory.x\"",
        &serde_json::to_string(&script).expect("path as JSON"),
    );
    assert!(
        text.contains(&*script.to_string_lossy()),
        "golden names its script"
    );
    std::fs::write(&budget, text).expect("write copy");
    let budget = budget.to_str().expect("utf-8 temp path");
    assert_quiet_success(&["bless", "fixtures/p2.elf", "--budget", budget], 0);
}

/// Budget format 1 (baseline inside the budget file) still loads, and `bless` migrates it
/// to format 2: on copies of the goldens as they were before the migration
/// (`tests/data/budget/v1/`), the checks agree with today's goldens before and after, and
/// the baseline bless writes is byte for byte the committed one.
fn bless_migrates_version_1_budgets() {
    let root = crate::support::root();
    for layout in ["p2", "daisy", "qemu-an386", "qemu-an505"] {
        let dir = tempdir();
        let name = format!("{layout}.budget.json");
        let v1 = std::fs::read_to_string(root.join("tests/data/budget/v1").join(&name)).unwrap();
        assert!(v1.contains("\"schema\": \"membudget.budget/1\""));
        assert!(v1.contains("\n  \"baseline\": {"));
        // Its linker script, found from the copy's directory.
        let script = format!("../firmware/layouts/{layout}/memory.x");
        let absolute = serde_json::to_string(&root.join(&script[3..])).unwrap();
        let v1 = v1.replace(&format!("\"{script}\""), &absolute);
        let budget = dir.path().join(&name);
        std::fs::write(&budget, &v1).unwrap();
        let budget = budget.to_str().unwrap();
        let elf = format!("fixtures/{layout}.elf");
        let golden = format!("golden/{name}");
        let check = |b: &str| run(&["check", &elf, "--budget", b, "--format", "json"]);
        let today = check(&golden);
        assert_eq!(today.code, 0, "{layout}");

        let before = check(budget);
        // A version-1 baseline has no group totals, so its groups show no change.
        let without_group_deltas = |out: &str| {
            let mut v: serde_json::Value = serde_json::from_str(out).unwrap();
            for g in v["groups"].as_array_mut().into_iter().flatten() {
                g.as_object_mut().unwrap().remove("delta");
            }
            v
        };
        assert_eq!(
            without_group_deltas(&before.stdout),
            without_group_deltas(&today.stdout),
            "{layout}: version 1 loads"
        );

        let o = run(&["bless", &elf, "--budget", budget]);
        assert_eq!(o.code, 0, "{}", o.stderr);
        let migrated = std::fs::read_to_string(dir.path().join(&name)).unwrap();
        let value: serde_json::Value = serde_json::from_str(&migrated).unwrap();
        assert_eq!(value["schema"], "membudget.budget/2");
        assert!(value.get("baseline").is_none());
        let old: serde_json::Value = serde_json::from_str(&v1).unwrap();
        assert_eq!(
            value["budget"], old["budget"],
            "{layout}: the human part keeps its values"
        );
        let baseline = format!("{layout}.baseline.json");
        assert_eq!(
            std::fs::read(dir.path().join(&baseline)).unwrap(),
            std::fs::read(root.join("golden").join(&baseline)).unwrap(),
            "{layout}: the migrated baseline is the committed one"
        );

        let after = check(budget);
        assert_eq!(
            after.stdout, today.stdout,
            "{layout}: same check after migrating"
        );
        let again = run(&["bless", &elf, "--budget", budget]);
        assert!(
            again.stdout.starts_with("unchanged"),
            "{layout}: {}",
            again.stdout
        );
    }
}

/// The committed JSON Schemas are the ones generated from the types.
fn committed_schemas() {
    let root = crate::support::root();
    let update = std::env::var_os("UPDATE_SCHEMAS").is_some_and(|v| !v.is_empty() && v != "0");
    let mut stale = Vec::new();
    for (name, schema) in membudget::schema::schemas() {
        let path = root.join("schema").join(format!("{name}.schema.json"));
        let text = membudget::schema::to_text(&schema);
        if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
            if update {
                std::fs::write(&path, &text).expect("write schema");
            } else {
                stale.push(path.display().to_string());
            }
        }
    }
    assert!(
        stale.is_empty(),
        "{stale:?} differ from the schemas generated from the types; regenerate them with \
         UPDATE_SCHEMAS=1 cargo test --release -- pipeline::committed_schemas"
    );
}

fn json_of(args: &[&str]) -> serde_json::Value {
    let o = run(args);
    serde_json::from_str(&o.stdout).unwrap_or_else(|e| panic!("{args:?}: {e}"))
}

/// Real check, diff and baseline documents follow their generated schemas, and carry
/// their `schema` tags.
fn documents_follow_their_schemas() {
    let check = validator("check");
    for (elf, layout) in [
        ("p2", "p2"),
        ("p2-overflow", "p2"),
        ("p2-moved", "p2"),
        ("daisy", "daisy"),
    ] {
        let v = json_of(&[
            "check",
            &format!("fixtures/{elf}.elf"),
            "--budget",
            &format!("golden/{layout}.budget.json"),
            "--format",
            "json",
        ]);
        assert_eq!(v["schema"], "membudget.check/1");
        assert_valid(&check, &v, elf);
    }
    let diff = validator("diff");
    let v = json_of(&[
        "diff",
        "golden/p2.budget.json",
        "fixtures/p2-overflow.elf",
        "--budget",
        "golden/p2.budget.json",
        "--format",
        "json",
    ]);
    assert_eq!(v["schema"], "membudget.diff/1");
    assert_valid(&diff, &v, "diff");
    let mut wrong = v.clone();
    wrong["schema"] = "membudget.diff/0".into();
    assert!(!diff.is_valid(&wrong), "a wrong tag must not validate");
    let baseline = validator("baseline");
    for layout in ["p2", "daisy", "qemu-an386", "qemu-an505"] {
        let path = crate::support::root()
            .join("golden")
            .join(format!("{layout}.baseline.json"));
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        assert_valid(&baseline, &v, layout);
    }
}
