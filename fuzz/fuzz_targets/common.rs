//! Checks shared by the targets that analyse an image (included with `#[path]`: each target
//! is its own binary).
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io;

use membudget::analyze::rollup::{self, By};
use membudget::render::{self, Format, View};
use membudget::report::Report;

/// Every region's rollup rows add up to its `used + reserved` (README, `--by`).
pub fn check_rollup(report: &Report, by: By) {
    let r = rollup::rollup(report, by);
    let mut sums: BTreeMap<&str, u128> = BTreeMap::new();
    for row in &r.rows {
        if let Some(region) = &row.region {
            *sums.entry(region.as_str()).or_default() += u128::from(row.bytes);
        }
    }
    for reg in &report.regions {
        let want = u128::from(reg.used) + u128::from(reg.reserved);
        let got = sums.get(reg.name.as_str()).copied().unwrap_or(0);
        assert_eq!(
            got, want,
            "--by {by:?}: rows of {} add up to {got}, not {want}",
            reg.name
        );
    }
}

/// Every rollup checked, and rendered in every format; the plain report too.
pub fn check_and_render(report: &Report, keys: &[By]) {
    for format in [Format::Table, Format::Json, Format::Csv, Format::Markdown] {
        let view = View { top: 3, by: None, depth: 0 };
        render::render_report(report, &view, format, &mut io::sink()).expect("sink");
    }
    for &by in keys {
        check_rollup(report, by);
        for format in [Format::Table, Format::Json, Format::Csv, Format::Markdown] {
            let view = View { top: 3, by: Some(by), depth: 1 };
            render::render_report(report, &view, format, &mut io::sink()).expect("sink");
        }
    }
}
