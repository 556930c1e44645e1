//! Thumb (ARMv6-M, ARMv7-M, ARMv7E-M, ARMv8-M) decoding, reduced to what stack analysis
//! needs: instruction length, stack-pointer effects, branches and calls, and which
//! registers an instruction may write (to forget what we knew about them).
//!
//! Why not a crate: yaxpeax-arm 0.5's Thumb decoder returns `Incomplete` for every
//! floating-point encoding (coprocessor 0b101x: `vpush`, `vpop`, `vldr`...), which is most of
//! an ARMv7E-M-hf prologue; capstone is a C library behind FFI that decodes every operand of
//! every instruction, where we only need the SP and control-flow semantics of a few dozen
//! encodings. This decoder is checked instruction by instruction (length and branch target)
//! against `arm-none-eabi-objdump -d` on the corpus in `tests/tests/stack.rs`, and fed garbage
//! bytes without panicking.

/// What one instruction does, as far as the stack and the control flow go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// Grows the stack by `n` bytes with a store (push, stmdb sp!, vpush, str rX, [sp, #-n]!).
    Push(u32),
    /// Shrinks the stack by `n` bytes with a load; `pc` when it loads the return address.
    #[allow(missing_docs)]
    Pop { bytes: u32, pc: bool, writes: u16 },
    /// `sp = sp + imm` (add/sub sp, sp, #imm).
    SpAddImm(i32),
    /// `sp = sp + rm` or `sp = sp - rm`.
    #[allow(missing_docs)]
    SpAddReg { rm: u8, negate: bool },
    /// `rd = rn + imm`, where either side may be SP (frame pointer set-up and restore,
    /// `mov sp, r7`, `sub sp, r7, #8`, `add r7, sp, #0`).
    #[allow(missing_docs)]
    AddImm { rd: u8, rn: u8, imm: i32 },
    /// `rd = constant` (movs, movw, mov.w, mvn, adr, ldr literal).
    #[allow(missing_docs)]
    Const { rd: u8, value: u32 },
    /// `rd = value` for the low half only is known (movt keeps the low half).
    #[allow(missing_docs)]
    Movt { rd: u8, high: u16 },
    /// `rd = literal at address` (ldr rd, [pc, #imm]): read from the image.
    #[allow(missing_docs)]
    LoadLiteral { rd: u8, addr: u64 },
    /// `ldr rt, [rn, #imm]` (a word, no writeback): `rt` holds what is stored at offset
    /// `imm` of whatever `rn` points to (a vtable slot, a field).
    #[allow(missing_docs)]
    LoadWord { rt: u8, rn: u8, imm: u32 },
    /// `bl`/`blx` with an immediate target.
    #[allow(missing_docs)]
    Call { target: u64, arm: bool },
    /// `blx rm`.
    CallReg(u8),
    /// `b`, `b.w`, `bcc`, `cbz`, `cbnz`.
    #[allow(missing_docs)]
    Branch { target: u64, cond: bool },
    /// `bx rm`, `mov pc, rm`, `add pc, rm`.
    BranchReg(u8),
    /// `ldr pc, [pc, #imm]` (veneers): jump to the address stored there.
    BranchLiteral(u64),
    /// Any other write to PC (ldr pc, [rX], ldm without SP...).
    BranchUnknown,
    /// `tbb`/`tbh [pc, rm]`: a table of forward offsets follows the instruction.
    #[allow(missing_docs)]
    Table { half: bool },
    /// If-then: the next `n` instructions are conditional.
    It(u8),
    /// Writes SP in a way not modelled above.
    SpUnknown,
    /// Permanently undefined (`udf`) or an encoding we do not know: the path ends here.
    Undefined,
    /// Anything else; may write the registers in the mask. `fp`: a floating-point instruction.
    #[allow(missing_docs)]
    Other { writes: u16, fp: bool },
}

/// Register number of SP.
pub const SP: u8 = 13;
/// Register number of LR.
pub const LR: u8 = 14;
/// Register number of PC.
pub const PC: u8 = 15;

/// A decoded instruction.
#[derive(Debug, Clone, Copy)]
pub struct Insn {
    /// 2 or 4 bytes.
    pub len: u8,
    /// Its effect.
    pub op: Op,
}

fn bit(v: u32, n: u32) -> u32 {
    (v >> n) & 1
}

fn bits(v: u32, hi: u32, lo: u32) -> u32 {
    (v >> lo) & ((1 << (hi - lo + 1)) - 1)
}

fn sign_extend(v: u32, width: u32) -> i32 {
    let shift = 32 - width;
    ((v << shift) as i32) >> shift
}

fn reg_mask(r: u32) -> u16 {
    1u16 << (r & 15)
}

/// Whether a 32-bit instruction is a floating-point one (coprocessor space, coprocessor
/// 10 or 11): its presence means the FPU is on, so exception frames are extended.
pub fn is_fp(hw1: u16, hw2: u16) -> bool {
    is_wide(hw1) && hw1 & 0xec00 == 0xec00 && (hw2 >> 9) & 7 == 0b101
}

/// Whether a halfword starts a 32-bit instruction.
pub fn is_wide(hw1: u16) -> bool {
    (hw1 >> 11) >= 0b11101
}

/// Decode the instruction at `pc` from its first two halfwords (`hw2` is ignored for 16-bit
/// instructions; pass 0 when there are no more bytes and check `len`).
pub fn decode(pc: u64, hw1: u16, hw2: u16) -> Insn {
    if is_wide(hw1) {
        Insn {
            len: 4,
            op: decode32(pc, hw1 as u32, hw2 as u32),
        }
    } else {
        Insn {
            len: 2,
            op: decode16(pc, hw1 as u32),
        }
    }
}

// One arm per encoding group of the architecture manual's 16-bit table: a decode table
// reads best as one match.
fn decode16(pc: u64, i: u32) -> Op {
    let low3 = |hi: u32| reg_mask(bits(i, hi, hi - 2));
    match bits(i, 15, 11) {
        // shifts, add/sub register and imm3: rd in 2:0
        0b00000..=0b00011 => Op::Other {
            writes: low3(2),
            fp: false,
        },
        0b00100 => Op::Const {
            rd: bits(i, 10, 8) as u8,
            value: bits(i, 7, 0),
        },
        0b00101 => Op::Other {
            writes: 0,
            fp: false,
        }, // cmp
        0b00110 | 0b00111 => Op::Other {
            writes: low3(10),
            fp: false,
        },
        0b01000 => {
            if bit(i, 10) == 0 {
                // data processing; tst (8), cmp (10), cmn (11) write nothing
                let opc = bits(i, 9, 6);
                let writes = if matches!(opc, 8 | 10 | 11) {
                    0
                } else {
                    low3(2)
                };
                return Op::Other { writes, fp: false };
            }
            let rm = bits(i, 6, 3) as u8;
            let rd = (bits(i, 2, 0) | (bit(i, 7) << 3)) as u8;
            match bits(i, 9, 8) {
                0b00 => {
                    // add rd, rm (high registers)
                    if rd == SP {
                        if rm == SP {
                            Op::SpUnknown
                        } else {
                            Op::SpAddReg { rm, negate: false }
                        }
                    } else if rd == PC {
                        Op::BranchReg(rm)
                    } else {
                        Op::Other {
                            writes: reg_mask(rd as u32),
                            fp: false,
                        }
                    }
                }
                0b01 => Op::Other {
                    writes: 0,
                    fp: false,
                }, // cmp
                0b10 => {
                    if rd == PC {
                        Op::BranchReg(rm)
                    } else if rm == PC {
                        Op::Other {
                            writes: reg_mask(rd as u32),
                            fp: false,
                        }
                    } else {
                        Op::AddImm { rd, rn: rm, imm: 0 }
                    }
                }
                _ => {
                    if bit(i, 7) == 1 {
                        Op::CallReg(rm)
                    } else {
                        Op::BranchReg(rm)
                    }
                }
            }
        }
        0b01001 => Op::LoadLiteral {
            rd: bits(i, 10, 8) as u8,
            addr: ((pc + 4) & !3) + bits(i, 7, 0) as u64 * 4,
        },
        // load/store register offset: ldr* when bit 11 or the signed loads
        0b01010 | 0b01011 => {
            let opb = bits(i, 11, 9);
            let load = opb >= 0b011;
            Op::Other {
                writes: if load { low3(2) } else { 0 },
                fp: false,
            }
        }
        // load/store immediate (word, byte, halfword)
        // ldr rt, [rn, #imm5 * 4]: the slot offset of a call through a table of pointers
        0b01101 => Op::LoadWord {
            rt: bits(i, 2, 0) as u8,
            rn: bits(i, 5, 3) as u8,
            imm: bits(i, 10, 6) * 4,
        },
        0b01100..=0b10001 => Op::Other {
            writes: if bit(i, 11) == 1 { low3(2) } else { 0 },
            fp: false,
        },
        // str/ldr rt, [sp, #imm]
        0b10010 => Op::Other {
            writes: 0,
            fp: false,
        },
        0b10011 => Op::Other {
            writes: low3(10),
            fp: false,
        },
        0b10100 => Op::Const {
            rd: bits(i, 10, 8) as u8,
            value: (((pc + 4) & !3) + bits(i, 7, 0) as u64 * 4) as u32,
        },
        0b10101 => Op::AddImm {
            rd: bits(i, 10, 8) as u8,
            rn: SP,
            imm: (bits(i, 7, 0) * 4) as i32,
        },
        0b10110 | 0b10111 => misc16(pc, i),
        // stm/ldm rn!, {list}
        0b11000 => Op::Other {
            writes: 0,
            fp: false,
        },
        0b11001 => Op::Other {
            writes: (bits(i, 7, 0) as u16) | low3(10),
            fp: false,
        },
        0b11010 | 0b11011 => {
            let cond = bits(i, 11, 8);
            match cond {
                0b1110 => Op::Undefined,
                0b1111 => Op::Other {
                    writes: 0,
                    fp: false,
                }, // svc
                _ => Op::Branch {
                    target: (pc as i64 + 4 + sign_extend(bits(i, 7, 0) << 1, 9) as i64) as u64,
                    cond: true,
                },
            }
        }
        0b11100 => Op::Branch {
            target: (pc as i64 + 4 + sign_extend(bits(i, 10, 0) << 1, 12) as i64) as u64,
            cond: false,
        },
        _ => Op::Undefined,
    }
}

fn misc16(pc: u64, i: u32) -> Op {
    let list = bits(i, 7, 0);
    match bits(i, 11, 8) {
        0b0000 => {
            let imm = (bits(i, 6, 0) * 4) as i32;
            Op::SpAddImm(if bit(i, 7) == 1 { -imm } else { imm })
        }
        0b0100 | 0b0101 => Op::Push((list.count_ones() + bit(i, 8)) * 4),
        0b1100 | 0b1101 => Op::Pop {
            bytes: (list.count_ones() + bit(i, 8)) * 4,
            pc: bit(i, 8) == 1,
            writes: list as u16,
        },
        0b0001 | 0b0011 | 0b1001 | 0b1011 => Op::Branch {
            target: pc + 4 + ((bit(i, 9) << 6) | (bits(i, 7, 3) << 1)) as u64,
            cond: true,
        },
        // sxth/sxtb/uxth/uxtb, rev*: rd in 2:0
        0b0010 | 0b1010 => Op::Other {
            writes: reg_mask(bits(i, 2, 0)),
            fp: false,
        },
        0b1110 => Op::Other {
            writes: 0,
            fp: false,
        }, // bkpt
        0b1111 => {
            if bits(i, 3, 0) == 0 {
                Op::Other {
                    writes: 0,
                    fp: false,
                } // nop, yield, wfe, wfi, sev
            } else {
                Op::It(4 - bits(i, 3, 0).trailing_zeros() as u8)
            }
        }
        _ => Op::Other {
            writes: 0,
            fp: false,
        }, // cps, setend
    }
}

/// ThumbExpandImm: the modified immediate of 32-bit data-processing instructions.
fn thumb_expand_imm(imm12: u32) -> u32 {
    let imm8 = imm12 & 0xff;
    if imm12 >> 10 == 0 {
        match (imm12 >> 8) & 3 {
            0 => imm8,
            1 => imm8 << 16 | imm8,
            2 => imm8 << 24 | imm8 << 8,
            _ => imm8 << 24 | imm8 << 16 | imm8 << 8 | imm8,
        }
    } else {
        let unrotated = 0x80 | (imm12 & 0x7f);
        unrotated.rotate_right(imm12 >> 7)
    }
}

fn decode32(pc: u64, h1: u32, h2: u32) -> Op {
    if h1 == 0xe97f && h2 == 0xe97f {
        // ARMv8-M `sg` (secure gateway): shares the ldrd-literal encoding space.
        return Op::Other {
            writes: 0,
            fp: false,
        };
    }
    let op1 = bits(h1, 12, 11);
    match op1 {
        0b01 => {
            if bit(h1, 10) == 0 {
                if bit(h1, 9) == 0 {
                    load_store_multiple_dual(h1, h2)
                } else {
                    data_processing_reg_shifted(h1, h2)
                }
            } else {
                coprocessor(h1, h2)
            }
        }
        0b10 => {
            if bit(h2, 15) == 0 {
                if bit(h1, 9) == 0 {
                    data_processing_modified_imm(pc, h1, h2)
                } else {
                    data_processing_plain_imm(pc, h1, h2)
                }
            } else {
                branches_misc(pc, h1, h2)
            }
        }
        _ => {
            // 0b11
            if bits(h1, 10, 8) == 0 && bit(h1, 4) == 0 {
                store_single(h1, h2)
            } else if bits(h1, 10, 9) == 0 && bit(h1, 4) == 1 {
                load_single(pc, h1, h2)
            } else if bits(h1, 10, 9) == 0 {
                Op::Undefined // Advanced SIMD element load/store: not on M-profile
            } else if bits(h1, 10, 8) == 0b010 || bits(h1, 10, 8) == 0b011 {
                // data processing (register), multiply, long multiply, divide
                let mut writes = reg_mask(bits(h2, 11, 8));
                // Long multiplies also write RdLo (15:12); sdiv/udiv (op1 001/011) share the
                // group with 0b1111 there, which is no register written (not PC).
                if bits(h1, 10, 7) == 0b0111 && !matches!(bits(h1, 6, 4), 0b001 | 0b011) {
                    writes |= reg_mask(bits(h2, 15, 12));
                }
                writes_to_op(writes, false)
            } else if bit(h1, 10) == 1 {
                coprocessor(h1, h2)
            } else {
                Op::Undefined
            }
        }
    }
}

/// An instruction that is not specially modelled but writes `writes`.
fn writes_to_op(writes: u16, fp: bool) -> Op {
    if writes & reg_mask(PC as u32) != 0 {
        Op::BranchUnknown
    } else if writes & reg_mask(SP as u32) != 0 {
        Op::SpUnknown
    } else {
        Op::Other { writes, fp }
    }
}

fn load_store_multiple_dual(h1: u32, h2: u32) -> Op {
    let rn = bits(h1, 3, 0);
    let load = bit(h1, 4) == 1;
    let wback = bit(h1, 5) == 1;
    if bit(h1, 6) == 0 {
        // ldm/stm (T2): op = bits 8:7: 01 = increment after, 10 = decrement before
        let list = h2 as u16;
        let mode = bits(h1, 8, 7);
        if rn == SP as u32 && wback {
            let bytes = list.count_ones() * 4;
            return match (load, mode) {
                (false, 0b10) => Op::Push(bytes),
                (true, 0b01) => Op::Pop {
                    bytes,
                    pc: list & 0x8000 != 0,
                    writes: list & 0x7fff,
                },
                _ => Op::SpUnknown,
            };
        }
        let mut writes = if load { list } else { 0 };
        if wback {
            writes |= reg_mask(rn);
        }
        if mode == 0b00 || mode == 0b11 {
            // srs/rfe (not on M-profile) and the ldrex/strex/tbb group below share no bits
            return Op::Undefined;
        }
        return writes_to_op(writes, false);
    }
    // load/store dual, exclusive, table branch
    let p = bit(h1, 8);
    let w = bit(h1, 5);
    if p == 0 && w == 0 {
        // exclusive and table branch
        if bits(h1, 8, 4) == 0b01101 && bits(h2, 15, 5) == 0b11110000000 {
            if rn == PC as u32 {
                return Op::Table {
                    half: bit(h2, 4) == 1,
                };
            }
            return Op::BranchUnknown;
        }
        let writes = if load {
            reg_mask(bits(h2, 15, 12)) | reg_mask(bits(h2, 11, 8))
        } else {
            // strex writes its status register (rd in 3:0 for b/h/d, 11:8 for word)
            reg_mask(bits(h2, 11, 8)) | reg_mask(bits(h2, 3, 0))
        };
        // ldaex/stlex and friends on v8-M only write general registers; never SP in practice
        return writes_to_op(writes & !reg_mask(PC as u32) & !reg_mask(SP as u32), false);
    }
    // ldrd/strd: wback with rn = SP is a push/pop of 8 bytes (pre-index) or a post-index
    let imm = bits(h2, 7, 0) * 4;
    let up = bit(h1, 7) == 1;
    if rn == SP as u32 && w == 1 {
        let delta = if up { imm as i32 } else { -(imm as i32) };
        let writes = if load {
            reg_mask(bits(h2, 15, 12)) | reg_mask(bits(h2, 11, 8))
        } else {
            0
        };
        if writes & (reg_mask(SP as u32) | reg_mask(PC as u32)) != 0 {
            return Op::SpUnknown;
        }
        return sp_writeback(delta, load, writes);
    }
    let mut writes = if load {
        reg_mask(bits(h2, 15, 12)) | reg_mask(bits(h2, 11, 8))
    } else {
        0
    };
    if w == 1 {
        writes |= reg_mask(rn);
    }
    writes_to_op(writes, false)
}

/// A load or store that adds `delta` to SP by writeback.
fn sp_writeback(delta: i32, load: bool, writes: u16) -> Op {
    if delta < 0 {
        if load {
            Op::SpAddImm(delta)
        } else {
            Op::Push((-delta) as u32)
        }
    } else if load {
        Op::Pop {
            bytes: delta as u32,
            pc: false,
            writes,
        }
    } else {
        Op::SpAddImm(delta)
    }
}

fn data_processing_reg_shifted(h1: u32, h2: u32) -> Op {
    let op = bits(h1, 8, 5);
    let rn = bits(h1, 3, 0);
    let rd = bits(h2, 11, 8);
    let rm = bits(h2, 3, 0) as u8;
    let shift = (bits(h2, 14, 12) << 2) | bits(h2, 7, 6);
    let shift_type = bits(h2, 5, 4);
    // tst, teq, cmn, cmp (rd = 15, S = 1) write nothing
    if rd == 15 && bit(h1, 4) == 1 && matches!(op, 0b0000 | 0b0100 | 0b1000 | 0b1101) {
        return Op::Other {
            writes: 0,
            fp: false,
        };
    }
    if rd == SP as u32 {
        let plain = shift == 0 && shift_type == 0;
        return match (op, rn) {
            (0b1000, 13) if plain => Op::SpAddReg { rm, negate: false },
            (0b1101, 13) if plain => Op::SpAddReg { rm, negate: true },
            (0b0010, 15) if plain => Op::AddImm {
                rd: SP,
                rn: rm,
                imm: 0,
            }, // mov.w sp, rm
            _ => Op::SpUnknown,
        };
    }
    if op == 0b0010 && rn == 15 && shift == 0 && shift_type == 0 {
        // mov.w rd, rm
        if rd == PC as u32 {
            return Op::BranchReg(rm);
        }
        return Op::AddImm {
            rd: rd as u8,
            rn: rm,
            imm: 0,
        };
    }
    writes_to_op(reg_mask(rd), false)
}

fn data_processing_modified_imm(_pc: u64, h1: u32, h2: u32) -> Op {
    let op = bits(h1, 8, 5);
    let rn = bits(h1, 3, 0);
    let rd = bits(h2, 11, 8);
    let imm12 = (bit(h1, 10) << 11) | (bits(h2, 14, 12) << 8) | bits(h2, 7, 0);
    let imm = thumb_expand_imm(imm12);
    if rd == 15 && bit(h1, 4) == 1 && matches!(op, 0b0000 | 0b0100 | 0b1000 | 0b1101) {
        return Op::Other {
            writes: 0,
            fp: false,
        };
    }
    match op {
        0b1000 => add_sub(rd, rn, imm as i32), // add.w
        0b1101 => add_sub(rd, rn, (imm as i32).wrapping_neg()), // sub.w
        0b0010 if rn == 15 => const_or(rd, imm), // mov.w
        0b0011 if rn == 15 => const_or(rd, !imm), // mvn
        _ => writes_to_op(reg_mask(rd), false),
    }
}

fn add_sub(rd: u32, rn: u32, imm: i32) -> Op {
    if rd == PC as u32 {
        return Op::BranchUnknown;
    }
    if rd == SP as u32 && rn == SP as u32 {
        return Op::SpAddImm(imm);
    }
    Op::AddImm {
        rd: rd as u8,
        rn: rn as u8,
        imm,
    }
}

fn const_or(rd: u32, value: u32) -> Op {
    match rd {
        13 => Op::SpUnknown,
        15 => Op::BranchUnknown,
        _ => Op::Const {
            rd: rd as u8,
            value,
        },
    }
}

fn data_processing_plain_imm(pc: u64, h1: u32, h2: u32) -> Op {
    let op = bits(h1, 8, 4);
    let rn = bits(h1, 3, 0);
    let rd = bits(h2, 11, 8);
    let imm12 = (bit(h1, 10) << 11) | (bits(h2, 14, 12) << 8) | bits(h2, 7, 0);
    let imm16 = (bits(h1, 3, 0) << 12) | imm12;
    match op {
        0b00000 => {
            if rn == 15 {
                const_or(rd, (((pc + 4) & !3) as u32).wrapping_add(imm12)) // adr.w
            } else {
                add_sub(rd, rn, imm12 as i32) // addw
            }
        }
        0b01010 => {
            if rn == 15 {
                const_or(rd, (((pc + 4) & !3) as u32).wrapping_sub(imm12))
            } else {
                add_sub(rd, rn, -(imm12 as i32)) // subw
            }
        }
        0b00100 => const_or(rd, imm16), // movw
        0b01100 => {
            if rd >= 13 {
                return writes_to_op(reg_mask(rd), false);
            }
            Op::Movt {
                rd: rd as u8,
                high: imm16 as u16,
            }
        }
        // bfc/bfi on SP would realign it: not modelled, so it is dynamic
        _ => writes_to_op(reg_mask(rd), false),
    }
}

fn branches_misc(pc: u64, h1: u32, h2: u32) -> Op {
    let s = bit(h1, 10);
    let j1 = bit(h2, 13);
    let j2 = bit(h2, 11);
    let kind = (bit(h2, 14) << 1) | bit(h2, 12);
    match kind {
        0b00 => {
            // conditional branch (T3) or misc control
            if bits(h1, 9, 7) != 0b111 {
                let imm = (s << 20)
                    | (j2 << 19)
                    | (j1 << 18)
                    | (bits(h1, 5, 0) << 12)
                    | (bits(h2, 10, 0) << 1);
                return Op::Branch {
                    target: (pc as i64 + 4 + sign_extend(imm, 21) as i64) as u64,
                    cond: true,
                };
            }
            if s == 1 {
                return Op::Undefined; // udf.w, smc
            }
            match bits(h1, 6, 4) {
                // mrs rd: writes rd
                0b110 | 0b111 => writes_to_op(reg_mask(bits(h2, 11, 8)), false),
                // msr (changes MSP/PSP/CONTROL, not this function's frame), hints, barriers
                0b000..=0b011 => Op::Other {
                    writes: 0,
                    fp: false,
                },
                _ => Op::Undefined,
            }
        }
        _ => {
            let i1 = 1 ^ (j1 ^ s);
            let i2 = 1 ^ (j2 ^ s);
            let imm = (s << 24)
                | (i1 << 23)
                | (i2 << 22)
                | (bits(h1, 9, 0) << 12)
                | (bits(h2, 10, 0) << 1);
            let off = sign_extend(imm, 25) as i64;
            match kind {
                0b01 => Op::Branch {
                    target: (pc as i64 + 4 + off) as u64,
                    cond: false,
                },
                0b11 => Op::Call {
                    target: (pc as i64 + 4 + off) as u64,
                    arm: false,
                },
                _ => {
                    if bit(h2, 0) == 1 {
                        return Op::Undefined; // udf.w / reserved
                    }
                    Op::Call {
                        target: ((pc as i64 + 4) & !3).wrapping_add(off) as u64,
                        arm: true,
                    }
                }
            }
        }
    }
}

fn store_single(h1: u32, h2: u32) -> Op {
    let rn = bits(h1, 3, 0);
    // T4 form (bit 11 of hw2 set) with writeback: pre- or post-indexed
    if bits(h1, 8, 7) == 0 && bit(h2, 11) == 1 && bit(h2, 8) == 1 {
        let imm = bits(h2, 7, 0) as i32;
        let delta = if bit(h2, 9) == 1 { imm } else { -imm };
        if rn == SP as u32 {
            return sp_writeback(delta, false, 0);
        }
        return writes_to_op(reg_mask(rn), false);
    }
    Op::Other {
        writes: 0,
        fp: false,
    }
}

fn load_single(pc: u64, h1: u32, h2: u32) -> Op {
    let rn = bits(h1, 3, 0);
    let rt = bits(h2, 15, 12);
    let size = bits(h1, 6, 5);
    if rt == 15 && size != 0b10 {
        // pld/pli (and unallocated hints)
        return Op::Other {
            writes: 0,
            fp: false,
        };
    }
    if rn == 15 {
        // literal: ldr.w rt, [pc, #+-imm12]
        let imm = bits(h2, 11, 0) as u64;
        let base = (pc + 4) & !3;
        let addr = if bit(h1, 7) == 1 {
            base.wrapping_add(imm)
        } else {
            base.wrapping_sub(imm)
        };
        if size == 0b10 && rt == PC as u32 {
            return Op::BranchLiteral(addr);
        }
        if size == 0b10 && rt != SP as u32 {
            return Op::LoadLiteral { rd: rt as u8, addr };
        }
        return writes_to_op(reg_mask(rt), false);
    }
    let wback = bit(h1, 7) == 0 && bit(h2, 11) == 1 && bit(h2, 8) == 1;
    if wback && rn == SP as u32 {
        let imm = bits(h2, 7, 0) as i32;
        let delta = if bit(h2, 9) == 1 { imm } else { -imm };
        if rt == PC as u32 && delta > 0 {
            return Op::Pop {
                bytes: delta as u32,
                pc: true,
                writes: 0,
            };
        }
        if rt == SP as u32 {
            return Op::SpUnknown;
        }
        return sp_writeback(delta, true, reg_mask(rt));
    }
    if size == 0b10 && bit(h1, 7) == 1 && rt != PC as u32 && rt != SP as u32 {
        // ldr.w rt, [rn, #imm12]
        return Op::LoadWord {
            rt: rt as u8,
            rn: rn as u8,
            imm: bits(h2, 11, 0),
        };
    }
    let mut writes = reg_mask(rt);
    if wback {
        writes |= reg_mask(rn);
    }
    writes_to_op(writes, false)
}

fn coprocessor(h1: u32, h2: u32) -> Op {
    let coproc = bits(h2, 11, 8);
    let fp = coproc & 0b1110 == 0b1010;
    let rn = bits(h1, 3, 0);
    let load = bit(h1, 4) == 1;
    // extension register load/store multiple: vstm/vldm/vpush/vpop (and ldc/stc)
    if bits(h1, 9, 9) == 0 && bits(h1, 8, 5) != 0b0010 && bits(h1, 8, 5) != 0 {
        let p = bit(h1, 8);
        let u = bit(h1, 7);
        let w = bit(h1, 5);
        if w == 1 && rn == SP as u32 {
            let bytes = bits(h2, 7, 0) * 4;
            return match (p, u, load) {
                (1, 0, false) => Op::Push(bytes),
                (0, 1, true) => Op::Pop {
                    bytes,
                    pc: false,
                    writes: 0,
                },
                (0, 1, false) => Op::SpAddImm(bytes as i32),
                (1, 0, true) => Op::SpAddImm(-(bytes as i32)),
                _ => Op::SpUnknown,
            };
        }
        if w == 1 {
            return writes_to_op(reg_mask(rn), fp);
        }
        return Op::Other { writes: 0, fp };
    }
    // 64-bit transfers to core registers (vmov rt, rt2, dm; mrrc)
    if bits(h1, 9, 5) == 0b00010 {
        let writes = if load {
            reg_mask(bits(h2, 15, 12)) | reg_mask(bits(h1, 3, 0))
        } else {
            0
        };
        return writes_to_op(writes, fp);
    }
    // single transfers to a core register (vmov rt, sN; vmrs; mrc): L bit and bit 4 of hw2
    if bit(h1, 9) == 1 && bit(h2, 4) == 1 && load {
        let rt = bits(h2, 15, 12);
        if rt == 15 {
            // vmrs APSR_nzcv, fpscr: flags only
            return Op::Other { writes: 0, fp };
        }
        return writes_to_op(reg_mask(rt), fp);
    }
    Op::Other { writes: 0, fp }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d16(hw: u16) -> Op {
        decode(0x1000, hw, 0).op
    }

    fn d32(h1: u16, h2: u16) -> Op {
        decode(0x1000, h1, h2).op
    }

    #[test]
    fn modified_immediates() {
        assert_eq!(thumb_expand_imm(0x0ff), 0xff);
        assert_eq!(thumb_expand_imm(0x1ab), 0x00ab00ab);
        assert_eq!(thumb_expand_imm(0x2ab), 0xab00ab00);
        assert_eq!(thumb_expand_imm(0x3ab), 0xabababab);
        // 0x4ff: rotate 0xff by 9 → 0x7f800000
        assert_eq!(thumb_expand_imm(0x4ff), 0x7f80_0000);
    }

    #[test]
    fn push_pop_16() {
        assert_eq!(d16(0xb580), Op::Push(8)); // push {r7, lr}
        assert_eq!(
            d16(0xbd80),
            Op::Pop {
                bytes: 8,
                pc: true,
                writes: 0x80
            }
        );
        assert_eq!(d16(0xb082), Op::SpAddImm(-8)); // sub sp, #8
        assert_eq!(d16(0xb002), Op::SpAddImm(8)); // add sp, #8
        assert_eq!(
            d16(0xaf00),
            Op::AddImm {
                rd: 7,
                rn: SP,
                imm: 0
            }
        ); // add r7, sp, #0
        assert_eq!(
            d16(0x46bd),
            Op::AddImm {
                rd: SP,
                rn: 7,
                imm: 0
            }
        ); // mov sp, r7
        assert_eq!(d16(0x4770), Op::BranchReg(LR)); // bx lr
        assert_eq!(d16(0xbf08), Op::It(1)); // it eq
        assert_eq!(d16(0xbf0c), Op::It(2)); // ite eq
        assert_eq!(d16(0xde00), Op::Undefined); // udf #0
    }

    #[test]
    fn divides_write_rd_only() {
        // udiv r3, r0, r2 / sdiv r1, r3, r2: 0b1111 in 15:12 is no write to PC.
        let other = |writes| Op::Other { writes, fp: false };
        assert_eq!(d32(0xfbb0, 0xf3f2), other(1 << 3));
        assert_eq!(d32(0xfb93, 0xf1f2), other(1 << 1));
        // umull r0, r1, r2, r3 writes both halves.
        assert_eq!(d32(0xfba2, 0x0103), other(0b11));
    }

    #[test]
    fn wide_stack_ops() {
        assert_eq!(d32(0xe92d, 0x4ff0), Op::Push(36)); // push.w {r4-r11, lr}
        assert_eq!(d32(0xed2d, 0x8b10), Op::Push(64)); // vpush {d8-d15}
        assert_eq!(
            d32(0xecbd, 0x8b10),
            Op::Pop {
                bytes: 64,
                pc: false,
                writes: 0
            }
        ); // vpop {d8-d15}
        assert_eq!(d32(0xf84d, 0xbd04), Op::Push(4)); // str.w fp, [sp, #-4]!
        assert_eq!(
            d32(0xf85d, 0xbb04),
            Op::Pop {
                bytes: 4,
                pc: false,
                writes: 1 << 11
            }
        ); // ldr.w fp, [sp], #4
        assert_eq!(d32(0xf5ad, 0x7d00), Op::SpAddImm(-512)); // sub.w sp, sp, #512
        assert_eq!(d32(0xf2ad, 0x4d04), Op::SpAddImm(-1028)); // subw sp, sp, #1028
        assert_eq!(
            d32(0xebad, 0x0d03),
            Op::SpAddReg {
                rm: 3,
                negate: true
            }
        ); // sub.w sp, sp, r3
        assert_eq!(d32(0xe8df, 0xf000), Op::Table { half: false }); // tbb [pc, r0]
        assert_eq!(d32(0xe8df, 0xf010), Op::Table { half: true }); // tbh [pc, r0, lsl #1]
    }

    #[test]
    fn branches() {
        // bl at 0x1000 to 0x1000 + 4 + 0x100
        assert_eq!(
            d32(0xf000, 0xf880),
            Op::Call {
                target: 0x1104,
                arm: false
            }
        );
        // b.w backwards by 4: imm = -8
        assert_eq!(
            d32(0xf7ff, 0xbffc),
            Op::Branch {
                target: 0x0ffc,
                cond: false
            }
        );
        // b.n to self: e7fe
        assert_eq!(
            d16(0xe7fe),
            Op::Branch {
                target: 0x1000,
                cond: false
            }
        );
        // cbz r0, +4: b108 → target pc + 4 + 2
        assert_eq!(
            d16(0xb108),
            Op::Branch {
                target: 0x1006,
                cond: true
            }
        );
    }

    #[test]
    fn armv8m_secure_gateway() {
        assert_eq!(
            d32(0xe97f, 0xe97f),
            Op::Other {
                writes: 0,
                fp: false
            }
        );
    }

    #[test]
    fn garbage_never_panics() {
        let mut x: u32 = 0x1234_5678;
        for _ in 0..200_000 {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            let _ = decode(x as u64 & !1, x as u16, (x >> 16) as u16);
        }
        for h1 in 0..=u16::MAX {
            let _ = decode(0, h1, 0xffff);
            let _ = decode(0xffff_fffe, h1, 0);
        }
    }
}
