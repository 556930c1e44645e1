//! Snapshots of what people read: `report`, `check` and `diff` of the bundled fixtures in
//! every format, as the binary prints them (`tests/snapshots/NAME.snap`, the command line is
//! in each file's header).
//!
//! A changed output fails with a diff. To accept an intended change, bless and review:
//! `INSTA_UPDATE=always cargo test --release -- snapshots`, then `git diff tests/snapshots`.
//! With `CI=true` insta never writes a snapshot, so a missing or stale one fails.
//!
//! Tables are drawn without a width limit and `COLUMNS` is pinned by [`run`], so nothing
//! depends on the terminal the tests run in.

use libtest_mimic::Trial;

use crate::support::{root, run, trial};

struct Case {
    /// Trial and snapshot name.
    name: &'static str,
    args: &'static [&'static str],
    /// The documented exit code: 0 ok, 1 over budget.
    code: i32,
}

const AN386: &str = "fixtures/qemu-an386.elf";
const AN386_MEMORY: &str = "firmware/layouts/qemu-an386/memory.x";

const CASES: &[Case] = &[
    // The report of the QEMU firmware: regions, stack and heap, sections, symbols.
    Case {
        name: "report_table",
        args: &["report", AN386, "--memory", AN386_MEMORY, "--top", "5"],
        code: 0,
    },
    Case {
        name: "report_markdown",
        args: &[
            "report",
            AN386,
            "--memory",
            AN386_MEMORY,
            "--top",
            "5",
            "--format",
            "markdown",
        ],
        code: 0,
    },
    Case {
        name: "report_csv",
        args: &["report", AN386, "--memory", AN386_MEMORY, "--format", "csv"],
        code: 0,
    },
    Case {
        name: "report_json",
        args: &[
            "report",
            AN386,
            "--memory",
            AN386_MEMORY,
            "--format",
            "json",
        ],
        code: 0,
    },
    Case {
        name: "report_by_crate_table",
        args: &[
            "report",
            AN386,
            "--memory",
            AN386_MEMORY,
            "--top",
            "3",
            "--by",
            "crate",
        ],
        code: 0,
    },
    // A golden that passes.
    Case {
        name: "check_pass_table",
        args: &[
            "check",
            "fixtures/p2.elf",
            "--budget",
            "golden/p2.budget.json",
        ],
        code: 0,
    },
    Case {
        name: "check_pass_markdown",
        args: &[
            "check",
            "fixtures/p2.elf",
            "--budget",
            "golden/p2.budget.json",
            "--format",
            "markdown",
        ],
        code: 0,
    },
    Case {
        name: "check_pass_json",
        args: &[
            "check",
            "fixtures/p2.elf",
            "--budget",
            "golden/p2.budget.json",
            "--format",
            "json",
        ],
        code: 0,
    },
    // The variant whose log buffer grows into the Device OS reservation.
    Case {
        name: "check_fail_table",
        args: &[
            "check",
            "fixtures/p2-overflow.elf",
            "--budget",
            "golden/p2.budget.json",
        ],
        code: 1,
    },
    Case {
        name: "check_fail_markdown",
        args: &[
            "check",
            "fixtures/p2-overflow.elf",
            "--budget",
            "golden/p2.budget.json",
            "--format",
            "markdown",
        ],
        code: 1,
    },
    Case {
        name: "check_fail_json",
        args: &[
            "check",
            "fixtures/p2-overflow.elf",
            "--budget",
            "golden/p2.budget.json",
            "--format",
            "json",
        ],
        code: 1,
    },
    // A buffer moved from PSRAM to SRAM.
    Case {
        name: "diff_table",
        args: &[
            "diff",
            "fixtures/p2.elf",
            "fixtures/p2-moved.elf",
            "--memory",
            "firmware/layouts/p2/memory.x",
        ],
        code: 0,
    },
    Case {
        name: "diff_markdown",
        args: &[
            "diff",
            "fixtures/p2.elf",
            "fixtures/p2-moved.elf",
            "--memory",
            "firmware/layouts/p2/memory.x",
            "--format",
            "markdown",
        ],
        code: 0,
    },
    Case {
        name: "diff_json",
        args: &[
            "diff",
            "fixtures/p2.elf",
            "fixtures/p2-moved.elf",
            "--memory",
            "firmware/layouts/p2/memory.x",
            "--format",
            "json",
        ],
        code: 0,
    },
];

pub fn trials() -> Vec<Trial> {
    CASES
        .iter()
        .map(|case| trial(format!("snapshots::{}", case.name), move || snapshot(case)))
        .collect()
}

fn snapshot(case: &Case) {
    let r = run(case.args);
    let command = format!("membudget {}", case.args.join(" "));
    assert_eq!(r.code, case.code, "{command}: exit code\n{}", r.stderr);
    assert_eq!(r.stderr, "", "{command}: nothing on stderr");
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(root().join("tests/snapshots"));
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.set_description(command);
    settings.bind(|| insta::assert_snapshot!(case.name, r.stdout));
}
