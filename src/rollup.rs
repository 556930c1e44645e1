//! Rollups: the report's bytes grouped by region, section, symbol, crate or file, per
//! region. Every byte of every region's `used` lands in exactly one row, so rows of a
//! region add up to what the region table says.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::report::Report;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum By {
    Region,
    Section,
    Symbol,
    Crate,
    File,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RollupRow {
    /// Region the bytes are in; `None` for sections outside every region.
    pub region: Option<String>,
    pub key: String,
    pub bytes: u64,
    /// Number of symbols grouped in the row (0 for region/section rows).
    pub symbols: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct Rollup {
    pub by: By,
    pub rows: Vec<RollupRow>,
}

pub const UNATTRIBUTED: &str = "(unattributed)";
pub const NO_CRATE: &str = "(no crate: unmangled or C/C++)";
pub const NO_FILE: &str = "(no file symbol)";

pub fn rollup(report: &Report, by: By) -> Rollup {
    let mut acc: BTreeMap<(Option<String>, String), (u64, usize)> = BTreeMap::new();
    let mut add = |region: &Option<String>, key: String, bytes: u64, n: usize| {
        let e = acc.entry((region.clone(), key)).or_default();
        e.0 += bytes;
        e.1 += n;
    };
    match by {
        By::Region => {
            for r in &report.regions {
                add(&Some(r.name.clone()), r.name.clone(), r.used, 0);
            }
        }
        By::Section => {
            for s in report.sections.iter().filter(|s| s.size > 0) {
                add(&s.region, s.name.clone(), s.size - s.overflow, 0);
                if let Some(l) = &s.load_region {
                    add(&Some(l.clone()), format!("{} (load image)", s.name), s.size, 0);
                }
            }
        }
        By::Symbol | By::Crate | By::File => {
            for s in &report.symbols {
                let key = match by {
                    By::Symbol => s.name.clone(),
                    By::Crate => s.krate.clone().unwrap_or_else(|| NO_CRATE.to_string()),
                    _ => s.file.clone().unwrap_or_else(|| NO_FILE.to_string()),
                };
                add(&s.region, key.clone(), s.bytes, 1);
                if let Some(l) = &s.load_region {
                    add(&Some(l.clone()), key, s.bytes, 1);
                }
            }
            for s in report.sections.iter().filter(|s| s.unattributed > 0) {
                let key = format!("{UNATTRIBUTED} {}", s.name);
                add(&s.region, key.clone(), s.unattributed, 0);
                if let Some(l) = &s.load_region {
                    add(&Some(l.clone()), key, s.unattributed, 0);
                }
            }
        }
    }
    let order: BTreeMap<&str, usize> = report
        .regions
        .iter()
        .enumerate()
        .map(|(i, r)| (r.name.as_str(), i))
        .collect();
    let mut rows: Vec<RollupRow> = acc
        .into_iter()
        .map(|((region, key), (bytes, symbols))| RollupRow {
            region,
            key,
            bytes,
            symbols,
        })
        .collect();
    rows.sort_by(|a, b| {
        let ra = a.region.as_deref().and_then(|r| order.get(r)).copied().unwrap_or(usize::MAX);
        let rb = b.region.as_deref().and_then(|r| order.get(r)).copied().unwrap_or(usize::MAX);
        ra.cmp(&rb).then(b.bytes.cmp(&a.bytes)).then(a.key.cmp(&b.key))
    });
    Rollup { by, rows }
}
