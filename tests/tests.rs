//! The integration tests: one binary, run by `cargo test --release`.
//!
//! The built-in harness is off (`harness = false`): [`libtest_mimic`] runs every test as a
//! named trial, which gives the corpus one trial per ELF and per check
//! (`corpus::size_a::NAME.elf`, filter with `cargo test --release -- NAME`) and lets a test
//! whose tool or input file is missing say so: it is reported as *ignored* with its reason,
//! listed again after the summary, and fails when `CI=true` (see [`support::skip`]).
//!
//! Modules (each has a `trials()` listing its tests):
//! - `attribution`: DWARF and linker-map attribution against addr2line, llvm-dwarfdump and the
//!   ELF; rollups by source; component budgets.
//! - `cli`: the binary's exit codes, errors, formats and determinism on synthetic ELFs.
//! - `budget`: `check`, `bless` and `diff` on the firmware fixtures and goldens.
//! - `synthetic`: one test per accounting rule, on ELFs built in memory.
//! - `pipeline`: a closed stdout is success; budget format 1 migrates; the committed JSON
//!   Schemas are the generated ones and real documents follow them.
//! - `snapshots`: rendered report, check and diff output of the fixtures (insta).
//! - `corpus`: third-party ELFs against GNU binutils, robustness against corrupted input,
//!   the C++ fixture, and freshly built toolchain output.
//! - `html`: the HTML report, check page and dashboard, in headless chromium.
//! - `linker`: linker-script regions against GNU ld's map of the same script.
//! - `fuzz_regressions`: inputs the fuzzers found, through the binary.
//! - `on_target`: the report against what the firmware measured on QEMU.
//! - `stack`: the static stack analysis: SP tracker on hand-written Thumb, frames against
//!   GCC's `-fstack-usage`, the decoder against objdump, the corpus, garbage and corrupt
//!   input, annotations, and the stack gate of `check` and the baseline.
//! - `stack_on_target`: the static stack bound against the stack scenarios measured on QEMU.
//! - `gate`: issue 8's verdicts against real tools (GNU ld's overflow, avr-size -C,
//!   esp-idf-size's rules), `diff BUDGET ELF`, load images, `init`, bad-input messages.
//! - `output`: issue 8's readable output: tables that fit 80 and 120 columns, the failures
//!   table, exact bytes, Markdown escaping and GitHub's size limit, colour, formats per
//!   command.

#[path = "tests/attribution.rs"]
mod attribution;
#[path = "tests/budget.rs"]
mod budget;
#[path = "tests/cli.rs"]
mod cli;
#[path = "tests/corpus.rs"]
mod corpus;
#[path = "tests/fuzz_regressions.rs"]
mod fuzz_regressions;
#[path = "tests/gate.rs"]
mod gate;
#[path = "tests/html.rs"]
mod html;
#[path = "tests/linker.rs"]
mod linker;
#[path = "tests/on_target.rs"]
mod on_target;
#[path = "tests/output.rs"]
mod output;
#[path = "tests/pipeline.rs"]
mod pipeline;
#[path = "tests/snapshots.rs"]
mod snapshots;
#[path = "tests/stack.rs"]
mod stack;
#[path = "tests/stack_on_target.rs"]
mod stack_on_target;
#[path = "tests/support.rs"]
mod support;
#[path = "tests/synthetic.rs"]
mod synthetic;

use std::process::ExitCode;

fn main() -> ExitCode {
    support::install_panic_hook();
    let args = libtest_mimic::Arguments::from_args();
    let mut trials = Vec::new();
    trials.extend(attribution::trials());
    trials.extend(cli::trials());
    trials.extend(budget::trials());
    trials.extend(synthetic::trials());
    trials.extend(pipeline::trials());
    trials.extend(snapshots::trials());
    trials.extend(corpus::trials());
    trials.extend(html::trials());
    trials.extend(linker::trials());
    trials.extend(stack::trials());
    trials.extend(fuzz_regressions::trials());
    trials.extend(on_target::trials());
    trials.extend(stack_on_target::trials());
    trials.extend(gate::trials());
    trials.extend(output::trials());
    trials.push(support::trial("harness::one_binary", one_binary));
    let conclusion = libtest_mimic::run(&args, trials);
    support::skip::print_summary();
    conclusion.exit_code()
}

/// Every integration test lives here: another `tests/*.rs` would be a binary of its own, and
/// a `#[test]` function in these modules would silently never run (`harness = false`
/// compiles them out); list the function in its module's `trials![...]` instead.
fn one_binary() {
    let tests = support::root().join("tests");
    let mut bad = Vec::new();
    for entry in std::fs::read_dir(&tests).expect("tests/") {
        let path = entry.expect("tests/ entry").path();
        if path.extension().is_some_and(|e| e == "rs")
            && path.file_name() != Some("tests.rs".as_ref())
        {
            bad.push(format!(
                "{}: fold it into tests/tests/ as a module",
                path.display()
            ));
        }
    }
    let mut dirs = vec![tests.join("tests")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("tests/tests/") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).expect("test source");
                for (i, line) in text.lines().enumerate() {
                    if line.trim_start().starts_with("#[test]") {
                        bad.push(format!(
                            "{}:{}: #[test] never runs here",
                            path.display(),
                            i + 1
                        ));
                    }
                }
            }
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}
