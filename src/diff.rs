//! What changed between two builds. A [`Snapshot`] is a report reduced to what is
//! compared (a budget's blessed baseline is one); a [`Delta`] is the changes between two
//! snapshots: region and section deltas, and symbols added, removed,
//! grown, shrunk or moved between regions, matched by a rename-stable key.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::analyze::rollup::{rollup_at_depth, By};
use crate::demangle;
use crate::report::Report;

/// A report reduced to what is compared between builds (a budget's baseline).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Snapshot {
    /// ELF file name (no directories).
    pub file: String,
    /// Symbols smaller than this were left out.
    pub symbol_threshold: u64,
    /// Every region.
    pub regions: Vec<SnapRegion>,
    /// The stack, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stack: Option<SnapStack>,
    /// Worst-case stack per root, when the budget turns the stack analysis on.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stack_roots: Vec<SnapStackRoot>,
    /// Non-empty sections.
    pub sections: Vec<SnapSection>,
    /// Symbols of at least `symbol_threshold` bytes, by name.
    pub symbols: Vec<SnapSymbol>,
    /// Bytes per budget group (component), for per-component growth tolerances.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<SnapGroup>,
}

/// A budget group's bytes when the baseline was blessed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SnapGroup {
    /// Group name.
    pub name: String,
    /// Bytes of its symbols.
    pub bytes: u64,
}

/// A region's totals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SnapRegion {
    /// Region name.
    pub name: String,
    /// Size.
    pub length: u64,
    /// Bytes of sections and load images.
    pub used: u64,
    /// Bytes of stack, heap and reservations.
    pub reserved: u64,
    /// Bytes left.
    pub free: u64,
}

impl SnapRegion {
    /// Everything but the free space.
    pub fn occupied(&self) -> u64 {
        self.used + self.reserved
    }
}

/// The stack's room.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SnapStack {
    /// Its region.
    pub region: Option<String>,
    /// Its size.
    pub size: u64,
}

/// One root's worst-case stack.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SnapStackRoot {
    /// Root name (reset handler, exception or interrupt handler, thread entry).
    pub name: String,
    /// Its worst case in bytes.
    pub worst_case: u64,
    /// Whether the worst case was complete.
    pub complete: bool,
}

/// A section's placement and size.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SnapSection {
    /// Section name.
    pub name: String,
    /// Run region.
    pub region: Option<String>,
    /// Load region, when it is copied from elsewhere.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub load_region: Option<String>,
    /// Size.
    pub size: u64,
}

/// A symbol's bytes and placement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SnapSymbol {
    /// The rename-stable key of the demangled name ([`demangle::stable_key`]).
    pub name: String,
    /// Section.
    pub section: String,
    /// Run region.
    pub region: Option<String>,
    /// Bytes attributed to it.
    pub bytes: u64,
}

impl Snapshot {
    /// The baseline of a report: every region, every non-empty section, and the symbols of
    /// at least `threshold` bytes.
    pub fn from_report(report: &Report, threshold: u64) -> Snapshot {
        let regions = report
            .regions
            .iter()
            .map(|r| SnapRegion {
                name: r.name.clone(),
                length: r.length,
                used: r.used,
                reserved: r.reserved,
                free: r.free,
            })
            .collect();
        let sections = report
            .sections
            .iter()
            .filter(|s| s.size > 0)
            .map(|s| SnapSection {
                name: s.name.clone(),
                region: s.region.clone(),
                load_region: s.load_region.clone(),
                size: s.size,
            })
            .collect();
        let symbols = report
            .symbols
            .iter()
            .filter(|s| s.bytes > 0 && s.bytes >= threshold)
            .map(|s| SnapSymbol {
                name: demangle::stable_key(&s.name),
                section: s.section.clone(),
                region: s.region.clone(),
                bytes: s.bytes,
            })
            .collect();
        let mut snap = Snapshot {
            file: report.file.clone(),
            symbol_threshold: threshold,
            regions,
            stack: report.stack.as_ref().map(|s| SnapStack {
                region: s.region.clone(),
                size: s.size,
            }),
            stack_roots: report.stack_need.as_ref().map_or(Vec::new(), |n| {
                n.roots
                    .iter()
                    .map(|r| SnapStackRoot {
                        name: r.name.clone(),
                        worst_case: r.worst_case,
                        complete: r.complete,
                    })
                    .collect()
            }),
            sections,
            symbols,
            groups: Vec::new(),
        };
        snap.sort();
        snap
    }

    /// Symbols by name, then section, largest first: a stable order for `git diff`.
    fn sort(&mut self) {
        self.symbols.sort_by(|a, b| {
            a.name
                .cmp(&b.name)
                .then(a.section.cmp(&b.section))
                .then(b.bytes.cmp(&a.bytes))
                .then(a.region.cmp(&b.region))
        });
    }
}

// ---------------------------------------------------------------------------------------
// Changes between two snapshots.

/// What changed between two snapshots.
#[derive(Debug, Clone, Default, Serialize, schemars::JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Delta {
    /// Labels of the two sides (file names).
    pub old: String,
    /// Label of the new side.
    pub new: String,
    /// Every region of either side, in the new side's order, then regions that disappeared.
    pub regions: Vec<RegionDelta>,
    /// Sections whose size or region changed, or that appeared or disappeared.
    pub sections: Vec<SectionDelta>,
    /// Symbol changes.
    pub symbols: SymbolDelta,
    /// Roots whose worst-case stack changed, appeared or disappeared.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stack_roots: Vec<StackRootDelta>,
    /// Bytes per component (`diff --by`), when asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub components: Option<ComponentDeltas>,
}

/// Bytes per component on both sides, from the report rollup of each side (so the rows
/// of a region add up to its `used + reserved` on either side).
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct ComponentDeltas {
    /// The view (`crate`, `file`, `dir`, `archive`, `object`...).
    pub by: By,
    /// Sides (`old`, `new`) where no symbol carries the view's attribution (no DWARF, no
    /// linker map): their bytes all fall in the remainder rows, so growth there is not
    /// real growth.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unattributed_sides: Vec<String>,
    /// One row per region and key of either side, largest change first.
    pub rows: Vec<ComponentDelta>,
}

/// One component's bytes in one region, before and after.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct ComponentDelta {
    /// Region (`None`: bytes outside every region).
    pub region: Option<String>,
    /// Component key (crate, file, directory...) or a labelled remainder.
    pub key: String,
    /// Bytes before (`None`: not on the old side).
    pub old: Option<u64>,
    /// Bytes after (`None`: not on the new side).
    pub new: Option<u64>,
    /// `new - old`.
    pub delta: i64,
}

/// Per-component deltas between two reports, grouped by `by` (directories cut to `depth`
/// components). Rows come from [`rollup_at_depth`], the rollup `report --by` shows.
pub fn component_deltas(old: &Report, new: &Report, by: By, depth: usize) -> ComponentDeltas {
    // (region, key) -> (old bytes, new bytes)
    type Sides = (Option<u64>, Option<u64>);
    let mut rows: BTreeMap<(Option<String>, String), Sides> = BTreeMap::new();
    for r in rollup_at_depth(old, by, depth).rows {
        rows.entry((r.region, r.key)).or_default().0 = Some(r.bytes);
    }
    for r in rollup_at_depth(new, by, depth).rows {
        rows.entry((r.region, r.key)).or_default().1 = Some(r.bytes);
    }
    let mut rows: Vec<ComponentDelta> = rows
        .into_iter()
        .map(|((region, key), (o, n))| ComponentDelta {
            region,
            key,
            old: o,
            new: n,
            delta: signed(n.unwrap_or(0), o.unwrap_or(0)),
        })
        .collect();
    rows.sort_by(|a, b| {
        b.delta
            .unsigned_abs()
            .cmp(&a.delta.unsigned_abs())
            .then_with(|| a.region.cmp(&b.region))
            .then_with(|| a.key.cmp(&b.key))
    });
    let unattributed_sides = [("old", old), ("new", new)]
        .into_iter()
        .filter(|(_, r)| !r.symbols.iter().any(|s| has_attribution(s, by)))
        .map(|(side, _)| side.to_string())
        .collect();
    ComponentDeltas {
        by,
        unattributed_sides,
        rows,
    }
}

/// Whether a symbol carries the attribution a view groups by (views that need none,
/// such as sections, always do).
fn has_attribution(s: &crate::report::SymbolUsage, by: By) -> bool {
    match by {
        By::Crate => s.krate.is_some(),
        By::File | By::Dir => s.file.is_some(),
        By::Cu => s.cu.is_some(),
        By::Archive | By::Object => s.object.is_some(),
        By::Region | By::Section | By::Symbol => true,
    }
}

/// A root's change of worst-case stack.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct StackRootDelta {
    /// Root name.
    pub name: String,
    /// Worst case before (`None`: new root).
    pub old: Option<u64>,
    /// Worst case after (`None`: the root disappeared).
    pub new: Option<u64>,
    /// `new - old`.
    pub delta: i64,
}

/// A region's change of `used + reserved`.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct RegionDelta {
    /// Region name.
    pub name: String,
    /// Size (new side, or old when it disappeared).
    pub length: u64,
    /// `used + reserved` before and after (`None`: the region is absent on that side).
    pub old: Option<u64>,
    /// `used + reserved` after (`None`: absent).
    pub new: Option<u64>,
    /// `new - old`.
    pub delta: i64,
    /// Free bytes before.
    pub old_free: Option<u64>,
    /// Free bytes after.
    pub new_free: Option<u64>,
}

/// A section that changed size or region, or appeared or disappeared.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct SectionDelta {
    /// Section name.
    pub name: String,
    /// Run region before.
    pub old_region: Option<String>,
    /// Run region after.
    pub new_region: Option<String>,
    /// Size before.
    pub old: Option<u64>,
    /// Size after.
    pub new: Option<u64>,
    /// `new - old`.
    pub delta: i64,
}

/// Symbol changes by kind, largest first.
#[derive(Debug, Clone, Default, Serialize, schemars::JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct SymbolDelta {
    /// Moved to another region.
    pub moved: Vec<SymbolChange>,
    /// Grew in place.
    pub grown: Vec<SymbolChange>,
    /// New.
    pub added: Vec<SymbolChange>,
    /// Shrunk in place.
    pub shrunk: Vec<SymbolChange>,
    /// Gone.
    pub removed: Vec<SymbolChange>,
}

impl SymbolDelta {
    /// No symbol changed.
    pub fn is_empty(&self) -> bool {
        self.moved.is_empty()
            && self.grown.is_empty()
            && self.added.is_empty()
            && self.shrunk.is_empty()
            && self.removed.is_empty()
    }

    /// Number of changed symbols.
    pub fn count(&self) -> usize {
        self.moved.len()
            + self.grown.len()
            + self.added.len()
            + self.shrunk.len()
            + self.removed.len()
    }
}

/// Where a symbol was, or is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Placement {
    /// Section.
    pub section: String,
    /// Region.
    pub region: Option<String>,
    /// Bytes.
    pub bytes: u64,
}

/// One symbol's change.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct SymbolChange {
    /// Rename-stable name.
    pub name: String,
    /// Before (`None`: new).
    pub old: Option<Placement>,
    /// After (`None`: removed).
    pub new: Option<Placement>,
    /// Change of bytes.
    pub delta: i64,
}

impl Delta {
    /// Nothing changed.
    pub fn is_empty(&self) -> bool {
        self.regions
            .iter()
            .all(|r| r.delta == 0 && r.old.is_some() && r.new.is_some())
            && self.sections.is_empty()
            && self.symbols.is_empty()
    }

    /// The change of one region.
    pub fn region(&self, name: &str) -> Option<&RegionDelta> {
        self.regions.iter().find(|r| r.name == name)
    }
}

fn signed(new: u64, old: u64) -> i64 {
    (new as i128 - old as i128).clamp(i64::MIN as i128, i64::MAX as i128) as i64
}

/// Changes from `old` to `new`.
pub fn delta(old: &Snapshot, new: &Snapshot) -> Delta {
    let mut regions = Vec::new();
    for n in &new.regions {
        let o = old.regions.iter().find(|o| o.name == n.name);
        regions.push(RegionDelta {
            name: n.name.clone(),
            length: n.length,
            old: o.map(|o| o.occupied()),
            new: Some(n.occupied()),
            delta: signed(n.occupied(), o.map(|o| o.occupied()).unwrap_or(0)),
            old_free: o.map(|o| o.free),
            new_free: Some(n.free),
        });
    }
    for o in old
        .regions
        .iter()
        .filter(|o| !new.regions.iter().any(|n| n.name == o.name))
    {
        regions.push(RegionDelta {
            name: o.name.clone(),
            length: o.length,
            old: Some(o.occupied()),
            new: None,
            delta: signed(0, o.occupied()),
            old_free: Some(o.free),
            new_free: None,
        });
    }
    Delta {
        old: old.file.clone(),
        new: new.file.clone(),
        regions,
        sections: section_deltas(&old.sections, &new.sections),
        symbols: symbol_deltas(old, new),
        stack_roots: stack_root_deltas(&old.stack_roots, &new.stack_roots),
        components: None,
    }
}

/// Roots whose worst case changed, new roots and gone ones (only when both sides were
/// analysed: a baseline from before the analysis was turned on shows no change).
fn stack_root_deltas(old: &[SnapStackRoot], new: &[SnapStackRoot]) -> Vec<StackRootDelta> {
    if old.is_empty() || new.is_empty() {
        return Vec::new();
    }
    let mut out = Vec::new();
    for n in new {
        let o = old.iter().find(|o| o.name == n.name).map(|o| o.worst_case);
        if o != Some(n.worst_case) {
            out.push(StackRootDelta {
                name: n.name.clone(),
                old: o,
                new: Some(n.worst_case),
                delta: signed(n.worst_case, o.unwrap_or(0)),
            });
        }
    }
    for o in old.iter().filter(|o| !new.iter().any(|n| n.name == o.name)) {
        out.push(StackRootDelta {
            name: o.name.clone(),
            old: Some(o.worst_case),
            new: None,
            delta: signed(0, o.worst_case),
        });
    }
    out
}

fn section_deltas(old: &[SnapSection], new: &[SnapSection]) -> Vec<SectionDelta> {
    // Pair by name, in order (duplicate section names are rare but legal).
    let mut used = vec![false; old.len()];
    let mut out = Vec::new();
    for n in new {
        let o = old
            .iter()
            .enumerate()
            .find(|(i, o)| !used[*i] && o.name == n.name)
            .map(|(i, o)| {
                used[i] = true;
                o
            });
        let changed = match o {
            Some(o) => o.size != n.size || o.region != n.region,
            None => true,
        };
        if changed {
            out.push(SectionDelta {
                name: n.name.clone(),
                old_region: o.and_then(|o| o.region.clone()),
                new_region: n.region.clone(),
                old: o.map(|o| o.size),
                new: Some(n.size),
                delta: signed(n.size, o.map(|o| o.size).unwrap_or(0)),
            });
        }
    }
    for (i, o) in old.iter().enumerate() {
        if !used[i] {
            out.push(SectionDelta {
                name: o.name.clone(),
                old_region: o.region.clone(),
                new_region: None,
                old: Some(o.size),
                new: None,
                delta: signed(0, o.size),
            });
        }
    }
    out
}

fn placement(s: &SnapSymbol) -> Placement {
    Placement {
        section: s.section.clone(),
        region: s.region.clone(),
        bytes: s.bytes,
    }
}

/// Pair the symbols of one key. Deterministic: identical placements first, then same
/// section, then same region, then whatever is left, each pass largest first.
pub fn pair_symbols<'a>(
    old: &[&'a SnapSymbol],
    new: &[&'a SnapSymbol],
) -> (
    Vec<(&'a SnapSymbol, &'a SnapSymbol)>,
    Vec<&'a SnapSymbol>,
    Vec<&'a SnapSymbol>,
) {
    let order = |a: &&SnapSymbol, b: &&SnapSymbol| {
        a.section
            .cmp(&b.section)
            .then(b.bytes.cmp(&a.bytes))
            .then(a.region.cmp(&b.region))
    };
    let mut o: Vec<&SnapSymbol> = old.to_vec();
    let mut n: Vec<&SnapSymbol> = new.to_vec();
    o.sort_by(order);
    n.sort_by(order);
    let mut o_used = vec![false; o.len()];
    let mut n_used = vec![false; n.len()];
    let mut pairs = Vec::new();
    type Same = fn(&SnapSymbol, &SnapSymbol) -> bool;
    let passes: [Same; 4] = [
        |a, b| a.section == b.section && a.region == b.region && a.bytes == b.bytes,
        |a, b| a.section == b.section && a.region == b.region,
        |a, b| a.region == b.region,
        |_, _| true,
    ];
    for same in passes {
        for (i, os) in o.iter().enumerate() {
            if o_used[i] {
                continue;
            }
            if let Some(j) = (0..n.len()).find(|&j| !n_used[j] && same(os, n[j])) {
                o_used[i] = true;
                n_used[j] = true;
                pairs.push((*os, n[j]));
            }
        }
    }
    let removed = o
        .iter()
        .enumerate()
        .filter(|(i, _)| !o_used[*i])
        .map(|(_, s)| *s)
        .collect();
    let added = n
        .iter()
        .enumerate()
        .filter(|(j, _)| !n_used[*j])
        .map(|(_, s)| *s)
        .collect();
    (pairs, removed, added)
}

fn symbol_deltas(old: &Snapshot, new: &Snapshot) -> SymbolDelta {
    let mut keys: BTreeMap<&str, (Vec<&SnapSymbol>, Vec<&SnapSymbol>)> = BTreeMap::new();
    for s in &old.symbols {
        keys.entry(s.name.as_str()).or_default().0.push(s);
    }
    for s in &new.symbols {
        keys.entry(s.name.as_str()).or_default().1.push(s);
    }
    let mut d = SymbolDelta::default();
    for (key, (o, n)) in keys {
        let (pairs, removed, added) = pair_symbols(&o, &n);
        for (a, b) in pairs {
            let change = SymbolChange {
                name: key.to_string(),
                old: Some(placement(a)),
                new: Some(placement(b)),
                delta: signed(b.bytes, a.bytes),
            };
            if a.region != b.region {
                d.moved.push(change);
            } else if b.bytes > a.bytes {
                d.grown.push(change);
            } else if b.bytes < a.bytes {
                d.shrunk.push(change);
            }
        }
        // A symbol below the other side's threshold was left out there, not added/removed.
        for b in added
            .into_iter()
            .filter(|b| b.bytes >= old.symbol_threshold)
        {
            d.added.push(SymbolChange {
                name: key.to_string(),
                old: None,
                new: Some(placement(b)),
                delta: signed(b.bytes, 0),
            });
        }
        for a in removed
            .into_iter()
            .filter(|a| a.bytes >= new.symbol_threshold)
        {
            d.removed.push(SymbolChange {
                name: key.to_string(),
                old: Some(placement(a)),
                new: None,
                delta: signed(0, a.bytes),
            });
        }
    }
    for list in [
        &mut d.moved,
        &mut d.grown,
        &mut d.added,
        &mut d.shrunk,
        &mut d.removed,
    ] {
        list.sort_by(|a, b| {
            b.delta
                .unsigned_abs()
                .cmp(&a.delta.unsigned_abs())
                .then(a.name.cmp(&b.name))
        });
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sym(name: &str, section: &str, region: &str, bytes: u64) -> SnapSymbol {
        SnapSymbol {
            name: demangle::stable_key(name),
            section: section.into(),
            region: Some(region.into()),
            bytes,
        }
    }

    fn snap(symbols: Vec<SnapSymbol>) -> Snapshot {
        Snapshot {
            file: "x.elf".into(),
            symbol_threshold: 0,
            regions: vec![],
            stack: None,
            stack_roots: vec![],
            sections: vec![],
            symbols,
            groups: Vec::new(),
        }
    }

    #[test]
    fn renamed_suffixes_pair_up() {
        let old = snap(vec![
            sym("foo.constprop.0", ".text", "FLASH", 100),
            sym("bar.isra.1", ".text", "FLASH", 50),
            sym("baz.lto_priv.0", ".bss", "RAM", 10),
            sym("qux.llvm.1234567", ".text", "FLASH", 10),
            sym(
                "<T as core::fmt::Debug>::fmt::h8578125f3faaad84",
                ".text",
                "FLASH",
                10,
            ),
        ]);
        let new = snap(vec![
            sym("foo.constprop.3", ".text", "FLASH", 120),
            sym("bar.isra.0.part.2", ".text", "FLASH", 50),
            sym("baz.lto_priv.7", ".bss", "RAM", 10),
            sym("qux.llvm.99", ".text", "FLASH", 10),
            sym(
                "<T as core::fmt::Debug>::fmt::h0123456789abcdef",
                ".text",
                "FLASH",
                10,
            ),
        ]);
        let d = delta(&old, &new);
        assert!(d.symbols.added.is_empty(), "{:?}", d.symbols.added);
        assert!(d.symbols.removed.is_empty());
        assert_eq!(d.symbols.grown.len(), 1);
        assert_eq!(d.symbols.grown[0].name, "foo");
        assert_eq!(d.symbols.grown[0].delta, 20);
    }

    #[test]
    fn same_key_pairs_by_section_then_size() {
        // Three `buf.N` statics: two in .bss (one grew), one moved to .dma.bss / DMA.
        let old = snap(vec![
            sym("buf.1", ".bss", "RAM", 64),
            sym("buf.2", ".bss", "RAM", 256),
            sym("buf.3", ".data", "RAM", 128),
        ]);
        let new = snap(vec![
            sym("buf.5", ".bss", "RAM", 256),
            sym("buf.4", ".bss", "RAM", 80),
            sym("buf.6", ".dma.bss", "DMA", 128),
        ]);
        let d = delta(&old, &new);
        assert_eq!(d.symbols.grown.len(), 1);
        assert_eq!(d.symbols.grown[0].old.as_ref().unwrap().bytes, 64);
        assert_eq!(d.symbols.grown[0].new.as_ref().unwrap().bytes, 80);
        assert_eq!(d.symbols.moved.len(), 1);
        assert_eq!(
            d.symbols.moved[0].new.as_ref().unwrap().region.as_deref(),
            Some("DMA")
        );
        assert!(d.symbols.added.is_empty() && d.symbols.removed.is_empty());
        // And the other way round gives the mirror image.
        let back = delta(&new, &old);
        assert_eq!(back.symbols.shrunk.len(), 1);
        assert_eq!(back.symbols.moved.len(), 1);
    }

    #[test]
    fn moved_between_regions_same_name() {
        let old = snap(vec![sym("fw::EXT_BUF", ".extram.bss", "PSRAM", 131072)]);
        let new = snap(vec![sym("fw::EXT_BUF", ".bss", "RAM", 131072)]);
        let d = delta(&old, &new);
        assert_eq!(d.symbols.moved.len(), 1);
        assert_eq!(d.symbols.count(), 1);
    }

    #[test]
    fn below_threshold_is_not_added() {
        let mut old = snap(vec![]);
        old.symbol_threshold = 64;
        let new = snap(vec![
            sym("small", ".bss", "RAM", 10),
            sym("big", ".bss", "RAM", 100),
        ]);
        let d = delta(&old, &new);
        assert_eq!(d.symbols.added.len(), 1);
        assert_eq!(d.symbols.added[0].name, "big");
    }

    #[test]
    fn baseline_text_roundtrips() {
        let mut s = snap(vec![sym("a", ".bss", "RAM", 100)]);
        s.regions.push(SnapRegion {
            name: "RAM".into(),
            length: 1000,
            used: 100,
            reserved: 0,
            free: 900,
        });
        let text = serde_json::to_string_pretty(&s).unwrap();
        let back: Snapshot = serde_json::from_str(&text).unwrap();
        assert_eq!(back, s);
    }
}
