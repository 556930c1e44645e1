//! The gate tells the truth (issue 8): verdicts and numbers on synthetic ELFs, real
//! toolchain links and corpus ELFs, errors for bad inputs, and `init`.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;
use support::*;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_membudget"))
        .args(args)
        .current_dir(root())
        .env_remove("UPDATE_GOLDENS")
        .env("NO_COLOR", "1")
        .output()
        .expect("run membudget")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
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

#[test]
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

#[test]
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
