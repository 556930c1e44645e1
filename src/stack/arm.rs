//! Cortex-M (Thumb) frames: follow every path through a function, tracking the stack
//! depth and what is known about registers (constants for `sub sp, sp, rX` and long calls,
//! SP-relative values for frame pointers), and collect the call sites.

use std::collections::HashMap;

use super::code::Code;
use super::thumb::{self, Op, LR, PC, SP};
use super::{CallSite, FunctionFacts, Isa, UnknownKind};

/// The Thumb ISA of M-profile cores.
pub struct Thumb {
    /// Architecture label for the output.
    pub arch: String,
    /// Entry addresses of libgcc's ARMv6-M switch helpers (`__gnu_thumb1_case_*`).
    pub case_helpers: HashMap<u64, CaseHelper>,
}

/// libgcc's `__gnu_thumb1_case_{uqi,sqi,uhi,shi,si}`: called with `bl` and the case index
/// in r0, they read an inline table that starts at the return address and return to the
/// case's code instead of to the instruction after the call. Code after such a call is the
/// table, never instructions; its entries are branches inside the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaseHelper {
    /// Bytes (`uqi`, `sqi`): target = table + 2 * entry.
    Byte {
        /// Entries are signed.
        signed: bool,
    },
    /// Halfwords (`uhi`, `shi`): target = table + 2 * entry.
    Half {
        /// Entries are signed.
        signed: bool,
    },
    /// Words (`si`): the table starts at the next word boundary; target = table + entry.
    Word,
}

impl CaseHelper {
    /// The helper a symbol name stands for.
    pub fn from_name(name: &str) -> Option<CaseHelper> {
        Some(match name.strip_prefix("__gnu_thumb1_case_")? {
            "uqi" => CaseHelper::Byte { signed: false },
            "sqi" => CaseHelper::Byte { signed: true },
            "uhi" => CaseHelper::Half { signed: false },
            "shi" => CaseHelper::Half { signed: true },
            "si" => CaseHelper::Word,
            _ => return None,
        })
    }
}

/// What a register holds, relative to the function's entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Val {
    Unknown,
    Const(u32),
    /// `entry SP - depth`: a frame pointer or a copy of SP.
    Sp(i64),
    /// Loaded from offset `off` of a pointer not known statically (a vtable slot, a
    /// field); `via_pointer`: that pointer was itself loaded from memory (a vtable pointer).
    Loaded {
        off: u32,
        via_pointer: bool,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct State {
    /// Bytes below the entry SP.
    depth: i64,
    regs: [Val; 13],
    /// Instructions left in the current IT block.
    it: u8,
}

impl State {
    fn entry() -> State {
        State {
            depth: 0,
            regs: [Val::Unknown; 13],
            it: 0,
        }
    }

    fn get(&self, r: u8) -> Val {
        match r {
            SP => Val::Sp(self.depth),
            0..=12 => self.regs[r as usize],
            _ => Val::Unknown,
        }
    }

    fn set(&mut self, r: u8, v: Val) {
        if (r as usize) < 13 {
            self.regs[r as usize] = v;
        }
    }

    fn clobber(&mut self, mask: u16) {
        for r in 0..13 {
            if mask & (1 << r) != 0 {
                self.regs[r] = Val::Unknown;
            }
        }
    }
}

/// A merge point is revisited at most this often before its depth is declared dynamic
/// (a loop that keeps pushing).
const MAX_VISITS: u16 = 24;
/// Longest `tbb`/`tbh` table read.
const MAX_TABLE: u64 = 4096;

impl Isa for Thumb {
    fn arch(&self) -> &str {
        &self.arch
    }

    fn function(&self, code: &Code, entry: u64, lo: u64, hi: u64) -> FunctionFacts {
        Tracker {
            code,
            case_helpers: &self.case_helpers,
            lo,
            hi,
            facts: FunctionFacts::default(),
            states: HashMap::new(),
            work: Vec::new(),
        }
        .run(entry)
    }
}

struct Tracker<'c, 'a> {
    code: &'c Code<'a>,
    case_helpers: &'c HashMap<u64, CaseHelper>,
    lo: u64,
    hi: u64,
    facts: FunctionFacts,
    states: HashMap<u64, (State, u16)>,
    work: Vec<(u64, State)>,
}

impl Tracker<'_, '_> {
    fn run(mut self, entry: u64) -> FunctionFacts {
        self.work.push((entry, State::entry()));
        while let Some((pc, st)) = self.work.pop() {
            let Some(st) = self.merge(pc, st) else {
                continue;
            };
            self.step(pc, st);
        }
        self.facts.calls.sort_by_key(|c| (c.site, c.target));
        self.facts.calls.dedup();
        self.facts.unknowns.sort_by_key(|u| (u.0, u.1.clone(), u.2));
        self.facts.unknowns.dedup();
        self.facts
    }

    /// Merge a state arriving at `pc`; returns the state to continue with, if it changed.
    fn merge(&mut self, pc: u64, st: State) -> Option<State> {
        let unknowns = &mut self.facts.unknowns;
        match self.states.get_mut(&pc) {
            None => {
                self.states.insert(pc, (st.clone(), 1));
                Some(st)
            }
            Some((old, visits)) => {
                if *old == st {
                    return None;
                }
                let mut joined = old.clone();
                if st.depth != old.depth {
                    joined.depth = old.depth.max(st.depth);
                }
                for r in 0..13 {
                    if joined.regs[r] != st.regs[r] {
                        joined.regs[r] = Val::Unknown;
                    }
                }
                joined.it = old.it.max(st.it);
                if joined == *old {
                    return None;
                }
                *visits += 1;
                if *visits > MAX_VISITS {
                    unknowns.push((pc, UnknownKind::DynamicSp, joined.depth.max(0) as u32));
                    return None;
                }
                *old = joined.clone();
                Some(joined)
            }
        }
    }

    fn note_depth(&mut self, depth: i64) {
        if depth > self.facts.frame as i64 {
            self.facts.frame = depth.min(u32::MAX as i64) as u32;
        }
    }

    fn unknown(&mut self, pc: u64, kind: UnknownKind, depth: i64) {
        self.facts.unknowns.push((pc, kind, depth.max(0) as u32));
    }

    fn call(&mut self, pc: u64, target: u64, depth: i64, tail: bool) {
        self.facts.calls.push(CallSite {
            site: pc,
            target,
            depth: depth.max(0) as u32,
            tail,
        });
    }

    /// Continue at `target` inside the function, or record a tail call out of it.
    fn jump(&mut self, pc: u64, target: u64, st: &State) {
        if (self.lo..self.hi).contains(&target) {
            let mut next = st.clone();
            next.it = 0;
            self.work.push((target, next));
        } else {
            self.call(pc, target, st.depth, true);
        }
    }

    fn step(&mut self, pc: u64, st: State) {
        if !(self.lo..self.hi).contains(&pc) || !self.code.is_code(pc) {
            // Fell off the end or into a literal pool: only after a call that does not
            // return (the analysis does not know which do), so the path ends here.
            return;
        }
        let Some(hw1) = self.code.insn16(pc) else {
            self.unknown(pc, UnknownKind::Undecodable, st.depth);
            return;
        };
        let hw2 = if thumb::is_wide(hw1) {
            match self.code.insn16(pc + 2) {
                Some(h) => h,
                None => {
                    self.unknown(pc, UnknownKind::Undecodable, st.depth);
                    return;
                }
            }
        } else {
            0
        };
        let insn = thumb::decode(pc, hw1, hw2);
        if thumb::is_fp(hw1, hw2) {
            self.facts.uses_fp = true;
        }
        let next_pc = pc + insn.len as u64;
        let conditional = st.it > 0;
        let mut after = st.clone();
        after.it = st.it.saturating_sub(1);
        if conditional {
            // The instruction may not execute: the unchanged state flows on too.
            self.work.push((next_pc, after.clone()));
        }
        let falls_through = self.apply(pc, insn.op, hw1, &mut after);
        self.note_depth(after.depth);
        if falls_through {
            self.work.push((next_pc, after));
        }
    }

    /// Apply one instruction to `st`; returns whether execution continues at the next one.
    /// One arm per effect: the SP rules read best side by side.
    fn apply(&mut self, pc: u64, op: Op, hw1: u16, st: &mut State) -> bool {
        match op {
            Op::Push(n) => st.depth += n as i64,
            Op::Pop {
                bytes,
                pc: ret,
                writes,
            } => {
                st.depth -= bytes as i64;
                st.clobber(writes);
                if ret {
                    return false;
                }
            }
            Op::SpAddImm(imm) => st.depth -= imm as i64,
            Op::SpAddReg { rm, negate } => match st.get(rm) {
                Val::Const(c) => {
                    let delta = c as i32 as i64;
                    st.depth += if negate { delta } else { -delta };
                }
                _ => self.unknown(pc, UnknownKind::DynamicSp, st.depth),
            },
            Op::AddImm { rd, rn, imm } => {
                let v = match rn {
                    PC => Val::Const((pc as u32).wrapping_add(4)),
                    _ => st.get(rn),
                };
                let v = match v {
                    Val::Const(c) => Val::Const(c.wrapping_add(imm as u32)),
                    Val::Sp(d) => Val::Sp(d - imm as i64),
                    Val::Unknown | Val::Loaded { .. } => Val::Unknown,
                };
                match rd {
                    SP => match v {
                        Val::Sp(d) => st.depth = d,
                        _ => self.unknown(pc, UnknownKind::DynamicSp, st.depth),
                    },
                    PC => return self.branch_to(pc, v, st),
                    _ => st.set(rd, v),
                }
            }
            Op::Const { rd, value } => st.set(rd, Val::Const(value)),
            Op::Movt { rd, high } => {
                let v = match st.get(rd) {
                    Val::Const(c) => Val::Const((c & 0xffff) | (high as u32) << 16),
                    _ => Val::Unknown,
                };
                if let Val::Const(c) = v {
                    // movw/movt pairs take the address of functions too.
                    self.facts.constants.push(c);
                }
                st.set(rd, v);
            }
            Op::LoadLiteral { rd, addr } => {
                let v = self.code.data32(addr).map_or(Val::Unknown, Val::Const);
                st.set(rd, v);
            }
            Op::LoadWord { rt, rn, imm } => {
                let v = match st.get(rn) {
                    // A load from the frame (a spilled register) is anything.
                    Val::Sp(_) => Val::Unknown,
                    Val::Const(c) => self
                        .code
                        .data32(c.wrapping_add(imm) as u64)
                        .filter(|_| self.code.is_read_only(c.wrapping_add(imm) as u64))
                        .map_or(Val::Unknown, Val::Const),
                    base => Val::Loaded {
                        off: imm,
                        via_pointer: matches!(base, Val::Loaded { .. }),
                    },
                };
                st.set(rt, v);
            }
            Op::Call { target, arm } => {
                if arm {
                    self.unknown(pc, UnknownKind::ArmCode, st.depth);
                } else {
                    self.call(pc, target, st.depth, false);
                    if let Some(&helper) = self.case_helpers.get(&target) {
                        // The helper's frame counts at the call; it "returns" into the cases.
                        self.case_table(pc, helper, st);
                        return false;
                    }
                }
                // AAPCS: r0-r3 and r12 do not survive a call.
                st.clobber(0x100f);
            }
            Op::CallReg(rm) => {
                match st.get(rm) {
                    Val::Const(c) => self.call(pc, (c & !1) as u64, st.depth, false),
                    v => {
                        if let Val::Loaded { off, via_pointer } = v {
                            self.facts.slots.push((pc, off, via_pointer));
                        }
                        self.unknown(pc, UnknownKind::IndirectCall, st.depth)
                    }
                }
                st.clobber(0x100f);
            }
            Op::Branch { target, cond } => {
                self.jump(pc, target, st);
                return cond;
            }
            Op::BranchReg(rm) => {
                if rm == LR {
                    return false; // return
                }
                let v = st.get(rm);
                return self.branch_to(pc, v, st);
            }
            Op::BranchLiteral(addr) => {
                let v = self.code.data32(addr).map_or(Val::Unknown, Val::Const);
                return self.branch_to(pc, v, st);
            }
            Op::BranchUnknown => {
                self.unknown(pc, UnknownKind::IndirectJump, st.depth);
                return false;
            }
            Op::Table { half } => {
                self.table(pc, half, st);
                return false;
            }
            Op::It(n) => {
                st.it = n;
                return true;
            }
            Op::SpUnknown => self.unknown(pc, UnknownKind::DynamicSp, st.depth),
            Op::Undefined => {
                // `udf` is a deliberate trap (after a call that never returns, `unreachable!`);
                // anything else we failed to decode.
                let trap = hw1 >> 8 == 0xde || hw1 & 0xfff0 == 0xf7f0;
                if !trap {
                    self.unknown(pc, UnknownKind::Undecodable, st.depth);
                }
                return false;
            }
            Op::Other { writes, fp } => {
                st.clobber(writes);
                if fp {
                    self.facts.uses_fp = true;
                }
            }
        }
        true
    }

    fn branch_to(&mut self, pc: u64, v: Val, st: &State) -> bool {
        match v {
            Val::Const(c) => self.jump(pc, (c & !1) as u64, st),
            v => {
                if let Val::Loaded { off, via_pointer } = v {
                    // A tail call through a table of pointers.
                    self.facts.slots.push((pc, off, via_pointer));
                }
                self.unknown(pc, UnknownKind::IndirectJump, st.depth)
            }
        }
        false
    }

    /// `tbb`/`tbh [pc, rm]`: a table of unsigned forward offsets follows the instruction.
    fn table(&mut self, pc: u64, half: bool, st: &State) {
        let base = pc + 4;
        let entry = if half {
            CaseHelper::Half { signed: false }
        } else {
            CaseHelper::Byte { signed: false }
        };
        self.follow_table(pc, base, entry, st);
    }

    /// A `bl __gnu_thumb1_case_*` at `pc`: the table starts at the return address (the
    /// word helper aligns it up to 4). The helpers restore every register they use.
    fn case_table(&mut self, pc: u64, helper: CaseHelper, st: &State) {
        let ret = pc + 4;
        let base = match helper {
            CaseHelper::Word => (ret + 3) & !3,
            _ => ret,
        };
        self.follow_table(pc, base, helper, st);
    }

    /// Read a switch table at `base` and follow each case. The table ends where the mapping
    /// symbols say code resumes, and never past the first case placed after it (compilers
    /// put the cases behind the table); an entry pointing into the table itself is padding.
    fn follow_table(&mut self, pc: u64, base: u64, kind: CaseHelper, st: &State) {
        let step = match kind {
            CaseHelper::Byte { .. } => 1,
            CaseHelper::Half { .. } => 2,
            CaseHelper::Word => 4,
        };
        let mut end = self.hi;
        let mut pos = base;
        let mut targets = Vec::new();
        while pos + step <= end && (targets.len() as u64) < MAX_TABLE {
            if pos > base && self.code.has_mapping() && self.code.is_code(pos) {
                break;
            }
            let target = match kind {
                CaseHelper::Byte { signed } => self.code.data8(pos).map(|v| {
                    let v = if signed { v as i8 as i64 } else { v as i64 };
                    base as i64 + 2 * v
                }),
                CaseHelper::Half { signed } => self.code.data16(pos).map(|v| {
                    let v = if signed { v as i16 as i64 } else { v as i64 };
                    base as i64 + 2 * v
                }),
                CaseHelper::Word => self
                    .code
                    .data32(pos)
                    .map(|v| (base as i64 + v as i32 as i64) & !1),
            };
            let Some(target) = target.and_then(|t| u64::try_from(t).ok()) else {
                break;
            };
            if target >= pos + step && target < end {
                end = target;
            }
            targets.push(target);
            pos += step;
        }
        for target in targets {
            if (base..pos).contains(&target) {
                continue;
            }
            self.jump(pc, target, st);
        }
    }
}
