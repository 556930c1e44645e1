//! What the test modules share: the trial harness with loud skips, the repository's paths,
//! running the `membudget` binary, external tools, quiet panics, and the synthetic ELF
//! builder ([`elf_spec`]).

#![allow(dead_code)]

use std::cell::Cell;
use std::path::{Path, PathBuf};
use std::process::Command;

use libtest_mimic::{Completion, Failed, Trial};

#[path = "support/elf_spec.rs"]
pub mod elf_spec;

pub use skip::Skip;

// ---------------------------------------------------------------------------------------
// Trials.

/// What a test function returns: `()` (it panics when it fails) or `Result<(), Skip>`
/// (`Err` when a tool or input it needs is missing).
pub trait Outcome {
    fn into_result(self) -> Result<(), Skip>;
}

impl Outcome for () {
    fn into_result(self) -> Result<(), Skip> {
        Ok(())
    }
}

impl Outcome for Result<(), Skip> {
    fn into_result(self) -> Result<(), Skip> {
        self
    }
}

/// A named trial running `test`. A skip is reported as ignored with its reason and recorded
/// for [`skip::print_summary`]; with `CI=true` it is a failure.
pub fn trial<R: Outcome>(
    name: impl Into<String>,
    test: impl FnOnce() -> R + Send + 'static,
) -> Trial {
    let name = name.into();
    let recorded = name.clone();
    Trial::ignorable_test(name, move || match test().into_result() {
        Ok(()) => Ok(Completion::Completed),
        Err(Skip(reason)) if skip::ci() => Err(Failed::from(format!(
            "SKIP is a failure with CI=true: {reason}"
        ))),
        Err(Skip(reason)) => {
            skip::record(recorded, &reason);
            Ok(Completion::ignored_with(reason))
        }
    })
}

/// `tests::cli` + `missing_file` -> `cli::missing_file`.
pub fn trial_name(module_path: &str, test: &str) -> String {
    let module = module_path.split_once("::").map_or("", |(_, m)| m);
    format!("{module}::{test}")
}

/// `trials![a, b]` defines the module's `trials()`: one trial per listed test function,
/// named `module::function`. A test function left out of the list is dead code, which
/// `clippy -D warnings` rejects, so none is forgotten.
macro_rules! trials {
    ($($test:ident),+ $(,)?) => {
        /// This module's tests, as named trials.
        pub fn trials() -> Vec<libtest_mimic::Trial> {
            vec![$($crate::support::trial(
                $crate::support::trial_name(module_path!(), stringify!($test)),
                $test,
            )),+]
        }
    };
}
pub(crate) use trials;

pub mod skip {
    //! Loud skips. A test that needs a tool or a file that is not there returns
    //! `Err(Skip)`: the trial is reported as ignored with the reason, all skips are listed
    //! again after the run, and with `CI=true` (CI installs everything) each is a failure.

    use std::sync::Mutex;

    /// Why a test could not run.
    #[derive(Debug)]
    pub struct Skip(pub String);

    impl Skip {
        pub fn new(reason: impl Into<String>) -> Self {
            Skip(reason.into())
        }
    }

    static SKIPPED: Mutex<Vec<(String, String)>> = Mutex::new(Vec::new());

    /// `CI=true` (what `.ci/run` and most CI services set), or `CI=1`.
    pub fn ci() -> bool {
        std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
    }

    pub(crate) fn record(name: String, reason: &str) {
        eprintln!("SKIP {name}: {reason}");
        SKIPPED
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((name, reason.to_string()));
    }

    /// The skipped trials, after libtest-mimic's summary line.
    pub fn print_summary() {
        let mut list = SKIPPED.lock().unwrap_or_else(|e| e.into_inner()).clone();
        if list.is_empty() {
            return;
        }
        list.sort();
        eprintln!(
            "\n{} trial(s) SKIPPED because a tool or file is missing (with CI=true they fail):",
            list.len()
        );
        for (name, reason) in list {
            eprintln!("  SKIP {name}: {reason}");
        }
    }
}

// ---------------------------------------------------------------------------------------
// Paths.

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A committed fixture (`fixtures/NAME`); a missing one fails: the repository ships them.
pub fn fixture(name: &str) -> PathBuf {
    let p = root().join("fixtures").join(name);
    assert!(
        p.is_file(),
        "missing fixture fixtures/{name}: build the demo firmware (firmware/README.md) and commit the ELF"
    );
    p
}

pub fn golden(layout: &str) -> PathBuf {
    root().join("golden").join(format!("{layout}.budget.json"))
}

/// A file under `tests/data/`.
pub fn data(path: &str) -> PathBuf {
    root().join("tests/data").join(path)
}

/// `NAME.elf` + `.size-A.txt` -> `NAME.elf.size-A.txt`.
pub fn sibling(file: &Path, suffix: &str) -> PathBuf {
    let mut s = file.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

pub fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().expect("temp dir")
}

pub fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).expect("write temp file");
    p
}

pub fn s(p: &Path) -> &str {
    p.to_str().expect("UTF-8 path")
}

// ---------------------------------------------------------------------------------------
// The binary.

pub const BIN: &str = env!("CARGO_BIN_EXE_membudget");

/// One run of the binary.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// `membudget ARGS` in `dir`, with `env` added. `UPDATE_GOLDENS` from the caller's
/// environment is removed (it would bless the goldens), and a narrow `COLUMNS` makes sure
/// no output depends on the width of the terminal the tests run in.
pub fn run_env(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut cmd = Command::new(BIN);
    cmd.current_dir(dir)
        .args(args)
        .env_remove("UPDATE_GOLDENS")
        .env("COLUMNS", "80")
        .env("NO_COLOR", "1");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run membudget");
    Run {
        code: out.status.code().expect("membudget was killed by a signal"),
        stdout: String::from_utf8(out.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(out.stderr).expect("stderr is UTF-8"),
    }
}

/// `membudget ARGS` in `dir`.
pub fn run_in(dir: &Path, args: &[&str]) -> Run {
    run_env(dir, args, &[])
}

/// Bad input: exit code 2, one stderr line `membudget: ...` that contains `needle`, nothing
/// on stdout, no panic. `what` says which run it was.
pub fn assert_bad_input(r: &Run, needle: &str, what: &str) {
    assert!(
        !r.stderr.contains("panicked"),
        "{what}: panic: {}",
        r.stderr
    );
    assert!(
        !r.stderr.contains("RUST_BACKTRACE"),
        "{what}: panic: {}",
        r.stderr
    );
    assert_eq!(r.code, 2, "{what}: exit code; stderr: {}", r.stderr);
    let lines: Vec<&str> = r.stderr.lines().collect();
    assert_eq!(
        lines.len(),
        1,
        "{what}: exactly one stderr line, got: {:?}",
        r.stderr
    );
    assert!(
        lines[0].starts_with("membudget: "),
        "{what}: prefix: {:?}",
        lines[0]
    );
    assert!(
        lines[0].contains(needle),
        "{what}: {:?} should mention {needle:?}",
        lines[0]
    );
    assert!(
        r.stdout.is_empty(),
        "{what}: no output on error, got: {}",
        r.stdout
    );
}

/// `membudget ARGS` in the repository root (fixture paths are relative to it).
pub fn run(args: &[&str]) -> Run {
    run_env(&root(), args, &[])
}

// ---------------------------------------------------------------------------------------
// JSON Schemas.

/// A validator for `schema/NAME.schema.json` (`report`, `check`, `diff`, `budget`, `baseline`).
pub fn validator(name: &str) -> jsonschema::Validator {
    let path = root().join("schema").join(format!("{name}.schema.json"));
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let schema: serde_json::Value = serde_json::from_str(&text).expect("schema is JSON");
    jsonschema::validator_for(&schema).expect("a valid JSON Schema")
}

/// `doc` follows the schema; the failure lists every error with its JSON path.
pub fn assert_valid(validator: &jsonschema::Validator, doc: &serde_json::Value, what: &str) {
    let errors: Vec<String> = validator
        .iter_errors(doc)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{what}: JSON does not match the schema:\n{}",
        errors.join("\n")
    );
}

// ---------------------------------------------------------------------------------------
// External tools.

/// The first of `names` that runs (`NAME --version` succeeds), or a skip naming them all.
pub fn tool(names: &[&str]) -> Result<String, Skip> {
    names
        .iter()
        .find(|n| {
            Command::new(n)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        })
        .map(|n| n.to_string())
        .ok_or_else(|| Skip::new(format!("{} not installed", names.join(" / "))))
}

/// Runs a tool that must succeed; its stdout.
pub fn tool_output(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 tool output")
}

// ---------------------------------------------------------------------------------------
// Panics.

thread_local! {
    static QUIET: Cell<bool> = const { Cell::new(false) };
}

/// The default panic hook, silenced on threads inside [`quietly`] only: trials run in
/// parallel, and a robustness probe must not hide another trial's panic message.
pub fn install_panic_hook() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if !QUIET.with(Cell::get) {
            default(info)
        }
    }));
}

/// Runs `f`, catching a panic without printing it.
pub fn quietly<T>(f: impl FnOnce() -> T) -> std::thread::Result<T> {
    QUIET.with(|q| q.set(true));
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    QUIET.with(|q| q.set(false));
    r
}
