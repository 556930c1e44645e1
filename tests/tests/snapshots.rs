//! Snapshots of what people read: `report`, `check` and `diff` of the bundled fixtures in
//! every format, as the binary prints them (`tests/snapshots/NAME.snap`, the command line is
//! in each file's header).
//!
//! A changed output fails with a diff. To accept an intended change, bless and review:
//! `INSTA_UPDATE=always cargo test --release -- snapshots`, then `git diff tests/snapshots`.
//! With `CI=true` insta never writes a snapshot, so a missing or stale one fails.
//!
//! Tables are drawn without a width limit (`COLUMNS` empty, stdout not a terminal), as in a
//! file or a CI log, and once more at 80 columns (`NAME_table_80.snap`), so nothing depends on
//! the terminal the tests run in.

use libtest_mimic::Trial;

use crate::support::{root, run_env, trial};

/// One command, snapshotted in each of `formats` (`NAME_FORMAT.snap`).
struct Case {
    name: &'static str,
    /// The arguments, split at spaces.
    command: &'static str,
    formats: &'static [&'static str],
    /// The documented exit code: 0 ok, 1 over budget.
    code: i32,
}

const CASES: &[Case] = &[
    // The report of the QEMU firmware: regions, stack and heap, sections, symbols (JSON and
    // CSV carry every symbol whatever `--top` says).
    Case {
        name: "report",
        command: "report fixtures/qemu-an386.elf --memory firmware/layouts/qemu-an386/memory.x --top 5",
        formats: &["table", "markdown", "csv", "json"],
        code: 0,
    },
    Case {
        name: "report_by_crate",
        command: "report fixtures/qemu-an386.elf --memory firmware/layouts/qemu-an386/memory.x --top 3 --by crate",
        formats: &["table"],
        code: 0,
    },
    // A golden that passes.
    Case {
        name: "check_pass",
        command: "check fixtures/p2.elf --budget golden/p2.budget.json",
        formats: &["table", "markdown", "json"],
        code: 0,
    },
    // The variant whose log buffer grows into the Device OS reservation.
    Case {
        name: "check_fail",
        command: "check fixtures/p2-overflow.elf --budget golden/p2.budget.json",
        formats: &["table", "markdown", "json"],
        code: 1,
    },
    // A buffer moved from PSRAM to SRAM.
    Case {
        name: "diff",
        command: "diff fixtures/p2.elf fixtures/p2-moved.elf --memory firmware/layouts/p2/memory.x",
        formats: &["table", "markdown", "json"],
        code: 0,
    },
];

pub fn trials() -> Vec<Trial> {
    let mut trials: Vec<Trial> = CASES
        .iter()
        .flat_map(|case| {
            case.formats.iter().map(move |&format| {
                let name = format!("{}_{format}", case.name);
                trial(format!("snapshots::{name}"), move || {
                    snapshot(&name, case, format, "")
                })
            })
        })
        .collect();
    // What a standard terminal shows: the same tables narrowed to 80 columns.
    for case in CASES.iter().filter(|c| c.name != "report_by_crate") {
        let name = format!("{}_table_80", case.name);
        trials.push(trial(format!("snapshots::{name}"), move || {
            snapshot(&name, case, "table", "80")
        }));
    }
    trials
}

fn snapshot(name: &str, case: &Case, format: &str, columns: &str) {
    let mut args: Vec<&str> = case.command.split(' ').collect();
    args.extend(["--format", format]);
    let r = run_env(&root(), &args, &[("COLUMNS", columns)]);
    let command = if columns.is_empty() {
        format!("membudget {}", args.join(" "))
    } else {
        format!("COLUMNS={columns} membudget {}", args.join(" "))
    };
    assert_eq!(r.code, case.code, "{command}: exit code\n{}", r.stderr);
    assert_eq!(r.stderr, "", "{command}: nothing on stderr");
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(root().join("tests/snapshots"));
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.set_description(command);
    settings.bind(|| insta::assert_snapshot!(name, r.stdout));
}
