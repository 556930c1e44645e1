//! Findings: one thing over (or near) a limit, as data. Renderers make the sentences.

use super::model::{Amount, Level};

/// A growth tolerance as it applied to one baseline value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tolerance {
    /// Byte allowance, when the budget gives one.
    pub bytes: Option<u64>,
    /// Percentage allowance, when the budget gives one.
    pub percent: Option<f64>,
    /// The growth allowed in bytes (the larger of the two).
    pub allowed: u64,
}

/// One rule of the budget that the image breaks (a failure) or comes close to (a warning).
#[derive(Debug, Clone, PartialEq)]
pub enum Finding {
    /// A section overlaps a reservation.
    Reservation {
        /// Reservation name.
        reservation: String,
        /// Reserved range `[origin, end)`.
        origin: u64,
        /// One past the reserved range.
        end: u64,
        /// The overlapping section.
        section: String,
        /// Bytes of overlap.
        bytes: u64,
    },
    /// A region overflows (GNU ld's figure); `section` is the last thing in it.
    Overflow {
        /// Region name.
        region: String,
        /// Section name.
        section: String,
        /// Bytes past the end.
        bytes: u64,
    },
    /// A section lies outside every region.
    Unmapped {
        /// Section name.
        section: String,
    },
    /// A region's `used + reserved` is over a limit.
    RegionLimit {
        /// Region name.
        region: String,
        /// Warning level or failure limit.
        level: Level,
        /// The limit as the budget gives it.
        limit: Amount,
        /// The limit in bytes.
        at: u64,
        /// `used + reserved`.
        occupied: u64,
        /// `occupied / length`, in percent.
        percent_used: f64,
    },
    /// The budget sets a stack minimum but the analysis found no stack.
    StackMissing {
        /// The minimum asked for.
        minimum: u64,
    },
    /// The stack's initial pointer lies inside a reservation: its first push lands there.
    StackInReservation {
        /// Reservation name.
        reservation: String,
        /// Initial stack pointer.
        top: u64,
    },
    /// The stack has less room than the minimum.
    Stack {
        /// Warning level or failure limit.
        level: Level,
        /// The minimum asked for.
        minimum: u64,
        /// Room the stack has.
        size: u64,
    },
    /// The analysed worst case of the main stack (plus the margin) exceeds its room.
    StackNeed {
        /// Worst case of the main stack.
        need: u64,
        /// Headroom the budget asks for.
        margin: u64,
        /// Room the stack has (`None`: no stack found).
        room: Option<u64>,
        /// Whether the worst case is complete (else it is a lower bound).
        complete: bool,
    },
    /// The stack bound is incomplete and the budget does not annotate what is missing.
    StackIncomplete {
        /// What is unresolved, reachable from a root.
        unresolved: Vec<crate::stack::Unknown>,
    },
    /// A thread's worst case (plus an exception frame and the margin) exceeds its stack.
    ThreadStack {
        /// Thread entry.
        thread: String,
        /// Its worst case plus the exception frame it pays.
        need: u64,
        /// Headroom the budget asks for.
        margin: u64,
        /// Its stack size.
        size: u64,
    },
    /// A group matches no symbol.
    GroupEmpty {
        /// Group name.
        group: String,
    },
    /// A group's symbols add up to more than its limit.
    GroupLimit {
        /// Group name.
        group: String,
        /// Warning level or failure limit.
        level: Level,
        /// The limit in bytes.
        limit: u64,
        /// Bytes of the group's symbols.
        bytes: u64,
        /// Number of symbols in the group.
        symbols: usize,
    },
    /// A group's symbol lies outside the regions the group may use.
    GroupRegion {
        /// Group name.
        group: String,
        /// The misplaced symbol.
        symbol: String,
        /// Its bytes.
        bytes: u64,
        /// Region it is in (`None`: no region).
        region: Option<String>,
        /// Regions the group may use.
        allowed: Vec<String>,
    },
    /// A group (component) grew past its tolerance since the baseline.
    GroupGrowth {
        /// Group name.
        group: String,
        /// The tolerance that applied.
        tolerance: Tolerance,
        /// Its bytes in the baseline.
        old: u64,
        /// Its bytes now.
        new: u64,
        /// Bytes past the tolerance.
        over: u64,
    },
    /// The budget has no baseline.
    NoBaseline {
        /// Budget file name.
        budget: String,
    },
    /// A region grew past its tolerance since the baseline.
    RegionGrowth {
        /// Region name.
        region: String,
        /// The tolerance that applied.
        tolerance: Tolerance,
        /// `used + reserved` in the baseline.
        old: u64,
        /// `used + reserved` now.
        new: u64,
        /// Growth (may be negative for nothing; positive here).
        delta: i64,
        /// Bytes past the tolerance.
        over: u64,
    },
    /// A symbol grew past its tolerance, or a new symbol is larger than the byte tolerance
    /// (then `old` is 0 and `new_symbol` is true).
    SymbolGrowth {
        /// Rename-stable symbol name.
        symbol: String,
        /// Section it is in now.
        section: String,
        /// The tolerance that applied.
        tolerance: Tolerance,
        /// Whether the symbol is new since the baseline.
        new_symbol: bool,
        /// Bytes in the baseline.
        old: u64,
        /// Bytes now.
        new: u64,
        /// Growth.
        delta: i64,
        /// Bytes past the tolerance.
        over: u64,
    },
    /// A root's worst-case stack grew past its tolerance since the baseline.
    StackGrowth {
        /// Root name.
        root: String,
        /// The tolerance that applied.
        tolerance: Tolerance,
        /// Worst case in the baseline.
        old: u64,
        /// Worst case now.
        new: u64,
        /// Growth.
        delta: i64,
        /// Bytes past the tolerance.
        over: u64,
    },
    /// A baseline symbol moved to another region.
    Moved {
        /// Rename-stable symbol name.
        symbol: String,
        /// Bytes now.
        bytes: u64,
        /// Region before.
        from: Option<String>,
        /// Region now.
        to: Option<String>,
        /// Section before.
        old_section: String,
        /// Section now.
        new_section: String,
    },
}

impl Finding {
    /// The rule's name, as the check JSON's `kind` gives it.
    pub fn kind(&self) -> &'static str {
        match self {
            Finding::Reservation { .. } => "reservation",
            Finding::Overflow { .. } => "overflow",
            Finding::Unmapped { .. } => "unmapped",
            Finding::RegionLimit { .. } => "region-limit",
            Finding::StackMissing { .. }
            | Finding::Stack { .. }
            | Finding::StackInReservation { .. } => "stack",
            Finding::StackNeed { .. } => "stack-need",
            Finding::StackIncomplete { .. } => "stack-incomplete",
            Finding::ThreadStack { .. } => "thread-stack",
            Finding::GroupEmpty { .. } => "group-empty",
            Finding::GroupLimit { .. } => "group-limit",
            Finding::GroupRegion { .. } => "group-region",
            Finding::GroupGrowth { .. } => "group-growth",
            Finding::NoBaseline { .. } => "no-baseline",
            Finding::RegionGrowth { .. } => "region-growth",
            Finding::SymbolGrowth { .. } => "symbol-growth",
            Finding::StackGrowth { .. } => "stack-growth",
            Finding::Moved { .. } => "moved",
        }
    }

    /// Bytes over the limit, when that is a number of bytes.
    pub fn over_by(&self) -> Option<u64> {
        match self {
            Finding::Reservation { bytes, .. } | Finding::Overflow { bytes, .. } => Some(*bytes),
            Finding::RegionLimit { at, occupied, .. } => Some(occupied - at),
            Finding::Stack { minimum, size, .. } => Some(minimum - size),
            Finding::StackNeed {
                need, margin, room, ..
            } => Some((need + margin).saturating_sub(room.unwrap_or(0))),
            Finding::ThreadStack {
                need, margin, size, ..
            } => Some((need + margin).saturating_sub(*size)),
            Finding::GroupLimit { limit, bytes, .. } => Some(bytes - limit),
            Finding::GroupRegion { bytes, .. } | Finding::Moved { bytes, .. } => Some(*bytes),
            Finding::RegionGrowth { over, .. }
            | Finding::GroupGrowth { over, .. }
            | Finding::SymbolGrowth { over, .. }
            | Finding::StackGrowth { over, .. } => Some(*over),
            Finding::Unmapped { .. }
            | Finding::StackMissing { .. }
            | Finding::StackInReservation { .. }
            | Finding::StackIncomplete { .. }
            | Finding::GroupEmpty { .. }
            | Finding::NoBaseline { .. } => None,
        }
    }
}
