//! On-target check of the static stack bound: for every stack scenario of the demo firmware
//! (`firmware/src/scenarios.rs`), on both QEMU machines and in every build, the worst case
//! `membudget stack` computes must hold what the firmware measured on QEMU, and be tight:
//!
//! `measured high-water <= bound <= 1.10 x measured`
//!
//! Inputs, per `<layout><build>` (`qemu-an386`, `qemu-an386-o3`, ... see `BUILDS`):
//! - `<dir>/<layout><build>.elf`           the firmware image
//! - `<dir>/<layout><build>.measured.json` its `MEMBUDGET_MEASURED` line from QEMU; its
//!   `stack_scenarios` give, per scenario, the entry function, the SP at its entry, the bytes
//!   written below that SP, and the exception handler pended at the deepest point (if any).
//!
//! `<dir>` is `fixtures/`, or `$MEMBUDGET_FIRMWARE_DIR` (CI: a fresh build and QEMU run).
//!
//! The bound is read from `membudget stack ELF --budget firmware/stack.budget.json --format json`
//! (the budget annotates the function-pointer targets and the recursion depth): a thread
//! scenario's bound is its entry function's `worst_case`; an interrupt scenario's is the entry's
//! `worst_case` plus the handler's cost in `main_stack.handlers` (its `worst_case` + the
//! exception frame + alignment padding, as the analyzer adds them for the main stack).
//!
//! A missing ELF or measurement, or a `membudget` without the `stack` subcommand, is a loud skip
//! (a failure with `CI=true`). The trial prints the measured/bound table (README.md):
//! `cargo test --release --test tests -- stack_on_target`.

use serde_json::Value;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::{root as repo_root, trials, Skip, BIN};

trials![bound_holds_and_is_tight_on_target];

/// Machines (layout names) and builds (file-name suffix, cargo profile in firmware/Cargo.toml).
const LAYOUTS: &[&str] = &["qemu-an386", "qemu-an505"];
const BUILDS: &[(&str, &str)] = &[
    ("", "release (s, fat LTO)"),
    ("-o3", "o3"),
    ("-oz", "oz"),
    ("-o3-lto", "o3 + fat LTO"),
    ("-o0", "debug (o0)"),
];

/// The tightness allowed: bound <= measured * NUM / DEN.
const SLACK_NUM: u64 = 110;
const SLACK_DEN: u64 = 100;

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

/// True when this membudget has the `stack` subcommand.
fn stack_analyzer_present() -> bool {
    Command::new(BIN)
        .args(["stack", "--help"])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// `membudget stack <elf> --budget firmware/stack.budget.json --format json`, parsed.
fn analyze(elf: &Path) -> Result<Value, String> {
    let mut cmd = Command::new(BIN);
    cmd.arg("stack").arg(elf);
    cmd.arg("--budget")
        .arg(repo_root().join("firmware/stack.budget.json"));
    cmd.args(["--format", "json"]);
    let out = cmd
        .output()
        .map_err(|e| format!("cannot run membudget: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "{cmd:?} failed with {}: {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    serde_json::from_slice(&out.stdout)
        .map_err(|e| format!("{cmd:?}: output is not valid JSON: {e}"))
}

/// The analyzer's entry for function `name` (demangled, as the firmware's `type_name_of_val`
/// spells it; the symbol a handler is exported as, e.g. `PendSV`).
fn function<'a>(analysis: &'a Value, name: &str) -> Result<&'a Value, String> {
    let functions = analysis
        .get("functions")
        .and_then(Value::as_array)
        .ok_or("analysis has no `functions` array")?;
    let hits: Vec<&Value> = functions
        .iter()
        .filter(|f| f.get("name").and_then(Value::as_str) == Some(name))
        .collect();
    match hits.as_slice() {
        [one] => Ok(one),
        [] => Err(format!("function `{name}` not in the analysis")),
        many => Err(format!(
            "function `{name}` is in the analysis {} times",
            many.len()
        )),
    }
}

/// A function's complete worst case, or why there is none.
fn worst_case(analysis: &Value, name: &str) -> Result<u64, String> {
    let f = function(analysis, name)?;
    let wc = f
        .get("worst_case")
        .and_then(Value::as_u64)
        .ok_or_else(|| format!("function `{name}`: no integer `worst_case`"))?;
    if f.get("complete").and_then(Value::as_bool) != Some(true) {
        return Err(format!(
            "function `{name}`: bound incomplete (at least {wc} B; `membudget stack` lists what \
             it could not resolve, firmware/stack.budget.json annotates it)"
        ));
    }
    Ok(wc)
}

/// What a handler preempting the thread costs the main stack, as the analyzer states it
/// (`main_stack.handlers[].cost`: worst case + exception frame + alignment). The handler's
/// own bound must be complete.
fn handler_cost(analysis: &Value, handler: &str) -> Result<u64, String> {
    worst_case(analysis, handler)?;
    analysis
        .pointer("/main_stack/handlers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .find(|h| h.get("name").and_then(Value::as_str) == Some(handler))
        .and_then(|h| h.get("cost"))
        .and_then(Value::as_u64)
        .ok_or_else(|| format!("handler `{handler}` has no cost in `main_stack.handlers`"))
}

struct Row {
    scenario: String,
    build: &'static str,
    layout: &'static str,
    measured: u64,
    bound: Option<u64>,
}

/// The bound for one measured scenario.
fn bound_for(analysis: &Value, scenario: &Value) -> Result<u64, String> {
    let entry = scenario
        .get("entry")
        .and_then(Value::as_str)
        .ok_or("scenario has no `entry`")?;
    let thread = worst_case(analysis, entry)?;
    match scenario.get("interrupt").and_then(Value::as_str) {
        None => Ok(thread),
        Some(handler) => Ok(thread + handler_cost(analysis, handler)?),
    }
}

fn check_build(
    layout: &'static str,
    suffix: &str,
    build: &'static str,
) -> Result<(Vec<Row>, Vec<String>), Skip> {
    let dir = firmware_dir();
    let elf = dir.join(format!("{layout}{suffix}.elf"));
    let measured = dir.join(format!("{layout}{suffix}.measured.json"));
    for file in [&elf, &measured] {
        if !file.is_file() {
            return Err(Skip::new(format!(
                "missing {} (scripts/firmware-build.sh, then scripts/firmware-run-qemu.sh --all)",
                file.display()
            )));
        }
    }
    let m = read_json(&measured);
    let what = format!("{layout}{suffix}");
    let mut failures = Vec::new();
    if m.get("ok").and_then(Value::as_bool) != Some(true) {
        failures.push(format!(
            "{what}: the firmware's own checks failed (\"ok\" is not true)"
        ));
    }
    let scenarios = m
        .get("stack_scenarios")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if scenarios.is_empty() {
        failures.push(format!(
            "{what}: no `stack_scenarios` in {}",
            measured.display()
        ));
        return Ok((Vec::new(), failures));
    }
    let analysis = match analyze(&elf) {
        Ok(a) => a,
        Err(e) => {
            failures.push(format!("{what}: {e}"));
            return Ok((Vec::new(), failures));
        }
    };
    let mut rows = Vec::new();
    for s in &scenarios {
        let name = s.get("name").and_then(Value::as_str).unwrap_or("?");
        let Some(hw) = s
            .get("high_water")
            .and_then(Value::as_u64)
            .filter(|&h| h > 0)
        else {
            failures.push(format!("{what} {name}: no positive `high_water`"));
            continue;
        };
        let bound = match bound_for(&analysis, s) {
            Ok(b) => {
                if b < hw {
                    failures.push(format!(
                        "{what} {name}: bound {b} B is below the measured {hw} B (unsound)"
                    ));
                } else if b * SLACK_DEN > hw * SLACK_NUM {
                    failures.push(format!(
                        "{what} {name}: bound {b} B is more than 1.10 x the measured {hw} B"
                    ));
                }
                Some(b)
            }
            Err(e) => {
                failures.push(format!("{what} {name}: {e}"));
                None
            }
        };
        rows.push(Row {
            scenario: name.to_string(),
            build,
            layout,
            measured: hw,
            bound,
        });
    }
    Ok((rows, failures))
}

fn markdown(rows: &[Row]) -> String {
    let mut t = String::from(
        "| scenario | build | machine | measured (B) | bound (B) | bound / measured |\n\
         |---|---|---|---:|---:|---:|\n",
    );
    for r in rows {
        let machine = match r.layout {
            "qemu-an386" => "mps2-an386 (M4F)",
            _ => "mps2-an505 (M33)",
        };
        let (bound, ratio) = match r.bound {
            Some(b) => (
                b.to_string(),
                format!("{:.3}", b as f64 / r.measured as f64),
            ),
            None => ("-".into(), "-".into()),
        };
        let _ = writeln!(
            t,
            "| {} | {} | {machine} | {} | {bound} | {ratio} |",
            r.scenario, r.build, r.measured
        );
    }
    t
}

fn bound_holds_and_is_tight_on_target() -> Result<(), Skip> {
    if !stack_analyzer_present() {
        return Err(Skip::new(format!(
            "{} firmware builds not checked: this membudget has no `stack` subcommand",
            LAYOUTS.len() * BUILDS.len()
        )));
    }
    let mut rows = Vec::new();
    let mut failures = Vec::new();
    for (suffix, build) in BUILDS {
        for layout in LAYOUTS {
            let (r, f) = check_build(layout, suffix, build)?;
            rows.extend(r);
            failures.extend(f);
        }
    }
    println!("{}", markdown(&rows));
    assert!(
        failures.is_empty(),
        "{} stack scenario check(s) failed:\n  - {}\n\n{}",
        failures.len(),
        failures.join("\n  - "),
        markdown(&rows)
    );
    Ok(())
}
