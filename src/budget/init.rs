//! A starting budget for an image (`membudget init`): its regions, the reservations it was
//! analysed with, limits at today's occupancy plus a margin, and a stack minimum, so that
//! `check` passes on the image it was made from and fails once it grows past the margin.

use serde_json::{json, Value};

use crate::memory::Reservation;
use crate::report::Report;

use super::model::BUDGET_SCHEMA;

/// `bytes` grown by `percent`, rounded up; at most `cap`, and never below `bytes`.
fn grown(bytes: u64, percent: u64, cap: u64) -> u64 {
    let g = u128::from(bytes) * u128::from(100 + percent);
    let g = u64::try_from(g.div_ceil(100)).unwrap_or(u64::MAX);
    g.min(cap).max(bytes)
}

/// The budget document for `report`, with limits `margin_percent` above today's
/// `used + reserved` (warnings at half the margin).
pub fn starting_budget(
    report: &Report,
    reservations: &[Reservation],
    margin_percent: u64,
) -> Value {
    let regions: Vec<Value> = report
        .regions
        .iter()
        .map(|r| {
            json!({
                "name": r.name,
                "origin": format!("{:#010x}", r.origin),
                "length": r.length,
            })
        })
        .collect();
    let limits: Vec<Value> = report
        .regions
        .iter()
        .filter(|r| r.used + r.reserved > 0)
        .map(|r| {
            let occupied = r.used.saturating_add(r.reserved);
            let cap = r.length.max(occupied);
            json!({
                "region": r.name,
                "warn": grown(occupied, margin_percent / 2, cap),
                "fail": grown(occupied, margin_percent, cap),
            })
        })
        .collect();
    let reservations: Vec<Value> = reservations
        .iter()
        .map(|r| {
            json!({
                "name": r.name,
                "origin": format!("{:#010x}", r.origin),
                "length": r.length,
            })
        })
        .collect();
    let mut budget = json!({
        "description": format!(
            "Starting budget for {} written by membudget init: limits are today's use plus \
             {margin_percent}%. Add ranges the image must leave alone under reservations, e.g. \
             {{\"name\": \"bootloader\", \"origin\": \"0x08000000\", \"length\": \"16K\"}}.",
            report.file
        ),
        "regions": regions,
        "reservations": reservations,
        "limits": limits,
    });
    if let Some(st) = report.stack.as_ref().filter(|s| s.size > 0) {
        let keep = |percent: u64| st.size - st.size * percent.min(100) / 100;
        budget["stack"] = json!({
            "warn_below": keep(margin_percent),
            "fail_below": keep(2 * margin_percent),
        });
    }
    json!({ "schema": BUDGET_SCHEMA, "budget": budget })
}

#[cfg(test)]
mod tests {
    use super::grown;

    #[test]
    fn growth_rounds_up_and_is_capped() {
        assert_eq!(grown(1000, 10, 2000), 1100);
        assert_eq!(grown(1001, 10, 2000), 1102);
        assert_eq!(grown(1000, 10, 1050), 1050);
        assert_eq!(grown(1000, 10, 900), 1000);
    }
}
