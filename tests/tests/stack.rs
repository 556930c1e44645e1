//! Static stack analysis (`membudget stack`): the SP tracker on hand-written Thumb
//! sequences, frames against GCC's own `-fstack-usage`, the decoder against
//! `arm-none-eabi-objdump -d` on real code, every Cortex-M ELF of the corpus, garbage code
//! bytes, the JSON contract and unsupported machines.
//!
//! Fixtures are rebuilt by `scripts/build-stack-fixtures.sh`.

use std::path::{Path, PathBuf};
use std::process::Command;

use membudget::stack::{self, RootKind, StackReport, UnknownKind};

use crate::support::{root, trials, Skip, BIN};

trials![
    tracker_on_hand_written_sequences,
    frames_match_gcc_stack_usage,
    thumb1_switch_tables_are_followed,
    decoder_agrees_with_objdump,
    every_cortex_m_elf_is_analysed_and_others_are_refused,
    garbage_code_never_panics,
    json_contract_and_determinism,
    unsupported_machines_exit_2_with_one_line,
    budget_annotations_resolve_unknowns,
    stale_or_malformed_annotations_are_bad_input,
    check_gates_the_worst_case_against_the_stack,
    worst_case_per_root_is_in_the_baseline_with_a_tolerance,
    diff_shows_per_root_stack_deltas,
    resolve_indirect_is_opt_in_and_holds_on_target,
    resolve_indirect_narrows_cpp_virtual_calls_to_vtable_slots,
    corrupt_elves_never_panic
];

fn repo(p: &str) -> PathBuf {
    root().join(p)
}

fn analyze(p: &Path) -> StackReport {
    stack::analyze_path(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn func<'a>(r: &'a StackReport, name: &str) -> &'a stack::Function {
    r.functions
        .iter()
        .find(|f| f.name == name)
        .unwrap_or_else(|| panic!("{}: no function {name}", r.file))
}

/// The corpus, when there is one (the stack tests also run on the fixtures alone).
fn corpus_dir() -> Option<PathBuf> {
    let dir = match std::env::var("MEMBUDGET_CORPUS") {
        Ok(v) if v == "skip" => return None,
        Ok(v) if !v.is_empty() => PathBuf::from(v),
        _ => repo("../shared/corpus"),
    };
    dir.is_dir().then_some(dir)
}

/// Every ELF of the corpus and of the project's fixtures.
fn all_elves() -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut dirs = vec![
        repo("fixtures"),
        repo("fixtures/stack-c"),
        repo("tests/data/stack"),
    ];
    dirs.extend(corpus_dir());
    for d in dirs {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            if p.extension().is_some_and(|x| x == "elf") {
                files.push(p);
            }
        }
    }
    files.sort();
    files
}

fn tracker_on_hand_written_sequences() {
    let r = analyze(&repo("tests/data/stack/seqs.elf"));
    // (function, frame, worst case, complete): the reasoning is beside each in seqs.s.
    let expected: &[(&str, u32, u64, bool)] = &[
        ("Reset_Handler", 0, 2052, true),
        ("f_systick", 16, 16, true),
        ("f_push", 36, 36, true),
        ("f_vpush", 584, 584, true),
        ("f_fp", 32, 32, true),
        ("f_it", 16, 16, true),
        ("f_prewb", 8, 8, true),
        ("f_stmdb", 36, 36, true),
        ("f_subreg", 1032, 1032, true),
        ("f_v6m_big", 2052, 2052, true),
        ("f_alloca", 8, 8, false),
        ("f_call", 16, 52, true),
        ("f_tail", 8, 584, true),
        ("f_longcall", 8, 44, true),
        ("f_tbb", 72, 72, true),
        ("f_midcaller", 8, 24, true),
        ("f_indirect", 8, 8, false),
        ("f_rec", 8, 16, false),
        ("f_veneer_v7", 0, 36, true),
        ("f_veneer_v6", 4, 36, true),
    ];
    let mut wrong = Vec::new();
    for &(name, frame, worst, complete) in expected {
        let f = func(&r, name);
        if (f.frame, f.worst_case, f.complete) != (frame, worst, complete) {
            wrong.push(format!(
                "{name}: got frame {} worst {} complete {}, expected {frame} {worst} {complete}",
                f.frame, f.worst_case, f.complete
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));

    let kinds = |name: &str| -> Vec<UnknownKind> {
        r.unknowns
            .iter()
            .filter(|u| u.function == name)
            .map(|u| u.kind.clone())
            .collect()
    };
    assert_eq!(kinds("f_alloca"), [UnknownKind::DynamicSp]);
    assert_eq!(kinds("f_indirect"), [UnknownKind::IndirectCall]);
    assert_eq!(kinds("f_rec"), [UnknownKind::Recursion]);

    // Roots from .isr_vector: reset, the shared default handler, SysTick.
    let roots: Vec<(&str, RootKind, u64)> = r
        .roots
        .iter()
        .map(|x| (x.name.as_str(), x.kind, x.worst_case))
        .collect();
    assert_eq!(
        roots,
        [
            ("Reset_Handler", RootKind::Reset, 2052),
            ("Default_Handler", RootKind::DefaultHandler, 0),
            ("f_systick", RootKind::Exception, 16),
        ]
    );
    let reset = &r.roots[0];
    let path: Vec<&str> = reset.path.iter().map(|s| s.function.as_str()).collect();
    assert_eq!(path, ["Reset_Handler", "f_v6m_big"]);
    // vpush makes the image an FPU user: extended frames of 104 B (+4 alignment).
    let m = &r.main_stack;
    assert_eq!(m.exception_frame, 104);
    assert_eq!(m.total, 2052 + (104 + 4) + (16 + 104 + 4));
    assert!(m.complete);
}

/// GCC's `-fstack-usage` lines: `file:line:col:name<TAB>bytes<TAB>static|dynamic[,bounded]`.
fn read_su(path: &Path) -> Vec<(String, u32, bool)> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
        .map(|l| {
            let cols: Vec<&str> = l.split('\t').collect();
            let name = cols[0].rsplit(':').next().unwrap().to_string();
            (name, cols[1].parse().unwrap(), cols[2].contains("dynamic"))
        })
        .collect()
}

fn frames_match_gcc_stack_usage() {
    // m4: ARMv7E-M -O2; m0: ARMv6-M -O2; m0s: ARMv6-M -Os; m23: ARMv8-M baseline -Os.
    for m in ["m4", "m0", "m0s", "m23"] {
        let r = analyze(&repo(&format!("fixtures/stack-c/app-{m}.elf")));
        let su = read_su(&repo(&format!("fixtures/stack-c/app-{m}.su")));
        assert!(su.len() >= 20, "{m}: .su has {} functions", su.len());
        let mut wrong = Vec::new();
        for (name, bytes, dynamic) in &su {
            // GCC compiled it, the linker dropped it (--gc-sections: memset is unused).
            if !r.functions.iter().any(|f| &f.name == name) {
                assert_eq!(name, "memset", "{m}: {name} missing from the image");
                continue;
            }
            let f = func(&r, name);
            // Every function agrees to the byte; GCC's "dynamic" (the VLA) is the static
            // part, and the analysis reports the run-time part as an unknown.
            if f.frame != *bytes {
                wrong.push(format!("{m} {name}: decoded {} B, gcc {bytes} B", f.frame));
            }
            let has_dynamic = r
                .unknowns
                .iter()
                .any(|u| &u.function == name && u.kind == UnknownKind::DynamicSp);
            if has_dynamic != *dynamic {
                wrong.push(format!(
                    "{m} {name}: dynamic {has_dynamic}, gcc says {dynamic}"
                ));
            }
        }
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
        // DWARF CFI of GCC code (no locals after a frame pointer) agrees everywhere it exists.
        assert_eq!(r.cfi.shallower_than_cfi, 0, "{m}: {:?}", r.cfi);
        // On the M4, chain3 tail-calls buffer_sum after releasing its own frame
        // (`add sp, #64; b.w buffer_sum`), so its worst case is buffer_sum's alone; the M0
        // code calls it with `bl` inside its frame. chain1 and chain2 call at full depth.
        let frame = |n: &str| func(&r, n).frame as u64;
        let chain3 = if m == "m4" {
            frame("buffer_sum")
        } else {
            frame("chain3") + frame("buffer_sum")
        };
        assert_eq!(func(&r, "chain3").worst_case, chain3, "{m}");
        assert_eq!(
            func(&r, "chain1").worst_case,
            frame("chain1") + frame("chain2") + chain3,
            "{m}"
        );
        // The reset root is incomplete (function pointer, recursion, VLA) and says why.
        let reset = r.roots.iter().find(|x| x.kind == RootKind::Reset).unwrap();
        assert!(!reset.complete);
        let kinds: Vec<&UnknownKind> = reset.unknowns.iter().map(|u| &u.kind).collect();
        for k in [
            UnknownKind::IndirectCall,
            UnknownKind::Recursion,
            UnknownKind::DynamicSp,
        ] {
            assert!(kinds.contains(&&k), "{m}: {k:?} missing from {kinds:?}");
        }
        assert_eq!(reset.worst_case, func(&r, "Reset_Handler").worst_case);
    }
}

/// ARMv6-M and ARMv8-M baseline at -Os switch through libgcc's `__gnu_thumb1_case_*`:
/// `bl` to the helper, then a byte/halfword table that the helper uses to return into the
/// case. The table is no code, its entries are the function's branches, and the call does
/// not return after itself: each switch's worst case is the deepest case, from frames that
/// agree with `-fstack-usage` (checked above).
fn thumb1_switch_tables_are_followed() {
    for (m, helpers) in [
        ("m0s", &["uqi", "uhi", "sqi"][..]),
        ("m23", &["uqi", "uhi", "sqi"]),
    ] {
        let r = analyze(&repo(&format!("fixtures/stack-c/app-{m}.elf")));
        for h in helpers {
            let name = format!("__gnu_thumb1_case_{h}");
            assert!(func(&r, &name).frame > 0, "{m}: {name}");
        }
        let frame = |n: &str| func(&r, n).frame as u64;
        let deep = frame("deep") + frame("work");
        assert_eq!(func(&r, "deep").worst_case, deep, "{m}");
        // Case 1 of sw_small and case 3 of sw_long reach deep(); sw_loop only work().
        for (sw, callee) in [
            ("sw_small", deep),
            ("sw_long", deep),
            ("sw_loop", frame("work")),
        ] {
            let f = func(&r, sw);
            assert_eq!(f.worst_case, f.frame as u64 + callee, "{m} {sw}");
            assert!(f.complete, "{m} {sw}");
            let stray: Vec<_> = r.unknowns.iter().filter(|u| u.function == sw).collect();
            assert!(stray.is_empty(), "{m} {sw}: {stray:?}");
        }
        let path: Vec<&str> = r
            .roots
            .iter()
            .flat_map(|x| x.path.iter().map(|p| p.function.as_str()))
            .collect();
        assert!(
            !path.iter().any(|p| p.starts_with("sw_") && p.contains('+')),
            "{path:?}"
        );
    }
}

/// The registers of a `{r4-r7, lr}` / `{d8-d15}` list, times their size.
fn list_bytes(ops: &str) -> Option<u32> {
    let inner = ops.split('{').nth(1)?.split('}').next()?;
    let mut bytes = 0;
    for part in inner.split(',') {
        let part = part.trim();
        let size = if part.starts_with('d') { 8 } else { 4 };
        let n = match part.split_once('-') {
            Some((a, b)) => {
                let a: u32 = a.trim()[1..].parse().ok()?;
                let b: u32 = b.trim()[1..].parse().ok()?;
                b - a + 1
            }
            None => 1,
        };
        bytes += n * size;
    }
    Some(bytes)
}

fn hex_target(ops: &str) -> Option<u64> {
    let tok = ops
        .split([',', ' '])
        .filter(|t| !t.is_empty())
        .find(|t| t.chars().all(|c| c.is_ascii_hexdigit()) && !t.starts_with('r'))?;
    u64::from_str_radix(tok, 16).ok()
}

/// What objdump's text says about an instruction, in the decoder's terms.
fn expected_op(mnemonic: &str, ops: &str) -> Option<stack::thumb::Op> {
    use stack::thumb::Op;
    let conds = [
        "eq", "ne", "cs", "cc", "mi", "pl", "vs", "vc", "hi", "ls", "ge", "lt", "gt", "le", "hs",
        "lo",
    ];
    let base = mnemonic.trim_end_matches(".n").trim_end_matches(".w");
    let sp_list = ops.starts_with("sp!");
    match base {
        "bl" => Some(Op::Call {
            target: hex_target(ops)?,
            arm: false,
        }),
        "b" => Some(Op::Branch {
            target: hex_target(ops)?,
            cond: false,
        }),
        "cbz" | "cbnz" => Some(Op::Branch {
            target: hex_target(ops)?,
            cond: true,
        }),
        b if b.len() == 3 && b.starts_with('b') && conds.contains(&&b[1..]) => Some(Op::Branch {
            target: hex_target(ops)?,
            cond: true,
        }),
        "push" | "vpush" => Some(Op::Push(list_bytes(ops)?)),
        "stmdb" if sp_list => Some(Op::Push(list_bytes(ops)?)),
        "sub" | "subw" | "add" | "addw" => {
            let rest = ops.strip_prefix("sp, ")?;
            let rest = rest.strip_prefix("sp, ").unwrap_or(rest);
            let imm: i32 = rest
                .strip_prefix('#')?
                .split_whitespace()
                .next()?
                .parse()
                .ok()?;
            Some(Op::SpAddImm(if base.starts_with("sub") {
                -imm
            } else {
                imm
            }))
        }
        _ => None,
    }
}

/// Compare the decoder with objdump, instruction by instruction: length everywhere, and
/// branch targets, calls, pushes and SP adjustments where objdump's text states them.
fn compare_with_objdump(objdump: &str, elf: &Path) -> (usize, Vec<String>) {
    use stack::thumb::Op;
    let out = Command::new(objdump)
        .args(["-d", "--no-show-raw-insn"])
        .arg(elf)
        .output()
        .expect("objdump runs");
    let raw = Command::new(objdump)
        .arg("-d")
        .arg(elf)
        .output()
        .expect("objdump runs");
    let text = String::from_utf8_lossy(&raw.stdout);
    let _ = out;
    let mut checked = 0;
    let mut wrong = Vec::new();
    for line in text.lines() {
        // "     6dc:\tf5ad 7d28 \tsub.w\tsp, sp, #672\t@ 0x2a0"
        let mut cols = line.split('\t');
        let (Some(addr), Some(bytes), Some(mnemonic)) = (cols.next(), cols.next(), cols.next())
        else {
            continue;
        };
        let Some(addr) = addr.trim().strip_suffix(':') else {
            continue;
        };
        let Ok(pc) = u64::from_str_radix(addr, 16) else {
            continue;
        };
        let mnemonic = mnemonic.trim();
        if mnemonic.starts_with('.') || mnemonic.is_empty() {
            continue; // data
        }
        let halves: Vec<u16> = bytes
            .split_whitespace()
            .filter_map(|h| {
                (h.len() == 4)
                    .then(|| u16::from_str_radix(h, 16).ok())
                    .flatten()
            })
            .collect();
        if halves.is_empty() || halves.len() > 2 || bytes.split_whitespace().count() != halves.len()
        {
            continue;
        }
        let ops = cols.next().unwrap_or("").trim();
        let insn = stack::thumb::decode(pc, halves[0], halves.get(1).copied().unwrap_or(0));
        checked += 1;
        if insn.len as usize != halves.len() * 2 {
            wrong.push(format!("{pc:#x} {mnemonic} {ops}: length {}", insn.len));
            continue;
        }
        if let Some(want) = expected_op(mnemonic, ops) {
            let agree = match (insn.op, want) {
                // A branch inside an IT block is conditional through the IT, not its
                // encoding (objdump prints `bcc.w` for an IT-predicated `b.w`).
                (
                    Op::Branch { target, .. },
                    Op::Branch {
                        target: t,
                        cond: true,
                    },
                ) => target == t,
                (g, w) => g == w,
            };
            if !agree {
                wrong.push(format!("{pc:#x} {mnemonic} {ops}: decoded {:?}", insn.op));
            }
        }
        if mnemonic.starts_with("pop") || mnemonic.starts_with("vpop") {
            let Op::Pop { bytes, .. } = insn.op else {
                wrong.push(format!("{pc:#x} {mnemonic} {ops}: decoded {:?}", insn.op));
                continue;
            };
            if Some(bytes) != list_bytes(ops) {
                wrong.push(format!("{pc:#x} {mnemonic} {ops}: pops {bytes}"));
            }
        }
    }
    (checked, wrong)
}

fn decoder_agrees_with_objdump() -> Result<(), Skip> {
    let objdump = crate::support::tool(&["arm-none-eabi-objdump"])?;
    let mut total = 0;
    let mut files = 0;
    for elf in all_elves() {
        if stack::analyze_path(&elf).is_err() {
            continue; // not Cortex-M
        }
        let (checked, wrong) = compare_with_objdump(&objdump, &elf);
        assert!(
            wrong.is_empty(),
            "{}: {} of {checked} instructions disagree with objdump:\n{}",
            elf.display(),
            wrong.len(),
            wrong[..wrong.len().min(30)].join("\n")
        );
        total += checked;
        files += 1;
    }
    eprintln!("decoder agrees with objdump on {total} instructions in {files} ELFs");
    assert!(total > 10_000, "only {total} instructions compared");
    Ok(())
}

fn every_cortex_m_elf_is_analysed_and_others_are_refused() {
    let mut analysed = 0;
    for elf in all_elves() {
        let data = std::fs::read(&elf).unwrap();
        let image = membudget::elf::load_bytes(&data, "x").unwrap();
        match stack::analyze_bytes(&data, "x.elf") {
            Ok(r) => {
                analysed += 1;
                assert_eq!(
                    image.machine,
                    40,
                    "{}: analysed a non-Arm ELF",
                    elf.display()
                );
                assert!(!r.functions.is_empty(), "{}: no functions", elf.display());
                for root in &r.roots {
                    // The bound is complete exactly when nothing unresolved is reachable,
                    // and every step of the worst path is a decoded function or entry.
                    assert_eq!(
                        root.complete,
                        root.unknowns.is_empty(),
                        "{}: root {}",
                        elf.display(),
                        root.name
                    );
                    let sum: u64 = root
                        .path
                        .iter()
                        .map(|s| s.call_depth.unwrap_or(s.frame) as u64)
                        .sum();
                    // Equal when complete; a path cut at a recursion counts the cycle once.
                    if root.complete {
                        assert_eq!(sum, root.worst_case, "{}: {}", elf.display(), root.name);
                    } else {
                        assert!(sum <= root.worst_case, "{}: {}", elf.display(), root.name);
                    }
                }
                let m = &r.main_stack;
                let handlers: u64 = m.handlers.iter().map(|h| h.cost).sum();
                assert_eq!(m.total, m.thread_worst_case + handlers);
            }
            Err(e) => {
                let msg = e.to_string();
                assert!(
                    msg.contains("stack analysis does not support"),
                    "{}: {msg}",
                    elf.display()
                );
                assert_eq!(e.exit_code(), 2);
            }
        }
    }
    assert!(analysed >= 8, "only {analysed} ELFs analysed");
}

fn garbage_code_never_panics() {
    let data = std::fs::read(repo("tests/data/stack/seqs.elf")).unwrap();
    let image = membudget::elf::load_bytes(&data, "seqs.elf").unwrap();
    let text = image.sections.iter().find(|s| s.name == ".text").unwrap();
    let file = object::read::File::parse(&*data).unwrap();
    use object::{Object, ObjectSection};
    let (off, size) = file
        .section_by_name(".text")
        .and_then(|s| s.file_range())
        .unwrap();
    assert_eq!(size, text.size);
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    for round in 0..400 {
        let mut d = data.clone();
        for b in &mut d[off as usize..(off + size) as usize] {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            // Half the rounds: fully random; the rest: flip a few bytes.
            if round % 2 == 0 || x % 13 == 0 {
                *b = x as u8;
            }
        }
        let _ = stack::analyze_bytes(&d, "garbage.elf");
    }
}

fn json_contract_and_determinism() {
    let elf = repo("tests/data/stack/seqs.elf");
    let run = || {
        Command::new(BIN)
            .args(["stack", "--format", "json"])
            .arg(&elf)
            .output()
            .unwrap()
    };
    let a = run();
    let b = run();
    assert_eq!(a.status.code(), Some(0));
    assert_eq!(a.stdout, b.stdout, "JSON differs between runs");
    let v: serde_json::Value = serde_json::from_slice(&a.stdout).unwrap();
    assert_eq!(v["schema"], "membudget.stack/1");
    assert!(v["arch"].as_str().unwrap().starts_with("ARMv7E-M"));
    let f = &v["functions"][0];
    for key in [
        "name",
        "raw_name",
        "address",
        "size",
        "frame",
        "worst_case",
        "complete",
    ] {
        assert!(f.get(key).is_some(), "functions[0] has no {key}");
    }
    let r = &v["roots"][0];
    for key in [
        "name",
        "kind",
        "address",
        "worst_case",
        "complete",
        "path",
        "unknowns",
    ] {
        assert!(r.get(key).is_some(), "roots[0] has no {key}");
    }
    for key in ["function", "address", "frame"] {
        assert!(r["path"][0].get(key).is_some(), "path step has no {key}");
    }
    assert!(v["main_stack"]["total"].as_u64().is_some());
    // The JSON reads back into the library type.
    let back: StackReport = serde_json::from_slice(&a.stdout).unwrap();
    assert_eq!(
        back.functions.len(),
        v["functions"].as_array().unwrap().len()
    );
    // The other formats render from the same value.
    for format in ["table", "markdown", "csv"] {
        let out = Command::new(BIN)
            .args(["stack", "--format", format])
            .arg(&elf)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{format}");
        let s = String::from_utf8(out.stdout).unwrap();
        assert!(s.contains("f_v6m_big"), "{format}: {s}");
    }
}

fn unsupported_machines_exit_2_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    for (machine, name) in [(243u16, "RISC-V"), (83, "AVR")] {
        let bytes = crate::support::elf_spec::ElfSpec::new()
            .machine(machine)
            .text(".text", 0x1000, 64)
            .func("f", ".text", 0x1000, 16)
            .build();
        let path = dir.path().join("x.elf");
        std::fs::write(&path, bytes).unwrap();
        let out = Command::new(BIN).arg("stack").arg(&path).output().unwrap();
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.contains(&format!("stack analysis does not support {name} yet")),
            "{err}"
        );
    }
    let out = Command::new(BIN)
        .args(["stack", "/nonexistent.elf"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

fn budget_annotations_resolve_unknowns() {
    let elf = repo("tests/data/stack/seqs.elf");
    let budget = repo("tests/data/stack/seqs.budget.json");
    let ann = stack::annotate::load(&budget).unwrap();
    let r = stack::analyze_path_with(&elf, &ann).unwrap();
    // Reasoning beside f_thread in seqs.s.
    for (name, frame, worst) in [
        ("f_indirect", 8, 44),
        ("f_rec", 8, 32),
        ("f_alloca", 64, 64),
        ("f_thread", 8, 72),
    ] {
        let f = func(&r, name);
        assert_eq!(
            (f.frame, f.worst_case, f.complete),
            (frame, worst, true),
            "{name}"
        );
    }
    let thread = r.roots.iter().find(|x| x.kind == RootKind::Thread).unwrap();
    assert_eq!((thread.name.as_str(), thread.worst_case), ("f_thread", 72));
    assert_eq!(thread.stack_size, Some(256));
    // Default_Handler and SysTick never nest: the group costs its deeper member.
    let m = &r.main_stack;
    assert_eq!(m.assumption, "priority_groups");
    assert_eq!(m.total, 2052 + (16 + 104 + 4));
    assert_eq!(r.assumptions.len(), 4);
    // Without the budget the same functions are incomplete.
    let plain = analyze(&elf);
    assert!(!func(&plain, "f_thread").complete);
    // The table states every assumption.
    let out = Command::new(BIN)
        .args(["stack", "--budget"])
        .arg(&budget)
        .arg(&elf)
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("recursion through f_rec is at most 4 deep"),
        "{text}"
    );
    assert!(text.contains("calls only f_push"), "{text}");
}

fn stale_or_malformed_annotations_are_bad_input() {
    let elf = repo("tests/data/stack/seqs.elf");
    let dir = tempfile::tempdir().unwrap();
    for (analysis, wanted) in [
        (
            r#"{"frames": [{"function": "no_such_fn", "frame": 8}]}"#,
            "no function matches 'no_such_fn'",
        ),
        (
            r#"{"indirect_calls": [{"function": "f_push", "targets": ["f_fp"]}]}"#,
            "has no indirect call",
        ),
        (
            r#"{"indirect_calls": [{"function": "f_indirect", "targets": ["nope"]}]}"#,
            "no function matches target 'nope'",
        ),
        (
            r#"{"no_calls": [{"from": "f_call", "to": "f_fp"}]}"#,
            "no call from 'f_call' to 'f_fp'",
        ),
        (
            r#"{"recursion": [{"function": "f_rec"}]}"#,
            "missing field `depth`",
        ),
        (r#"{"bogus": 1}"#, "unknown field `bogus`"),
    ] {
        let path = dir.path().join("b.json");
        std::fs::write(
            &path,
            format!(r#"{{"schema": "membudget.budget/1", "budget": {{"stack": {{"analysis": {analysis}}}}}}}"#),
        )
        .unwrap();
        let out = Command::new(BIN)
            .args(["stack", "--budget"])
            .arg(&path)
            .arg(&elf)
            .output()
            .unwrap();
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(out.status.code(), Some(2), "{analysis}: {err}");
        assert!(err.contains(wanted), "{analysis}: {err}");
        assert_eq!(err.lines().count(), 1, "{err}");
    }
}

/// A budget for seqs.elf (4 KiB stack from `__StackTop`/`__StackLimit`) with this
/// `stack` object and tolerance, in a fresh directory.
fn seqs_budget(dir: &Path, stack: &str, tolerance: &str) -> PathBuf {
    let path = dir.join("seqs.budget.json");
    std::fs::write(
        &path,
        format!(
            r#"{{"schema": "membudget.budget/1", "budget": {{
                "regions": [{{"name": "FLASH", "origin": "0x0", "length": "64K"}},
                            {{"name": "RAM", "origin": "0x20000000", "length": "64K"}}],
                "stack": {stack}{tolerance}}}}}"#
        ),
    )
    .unwrap();
    path
}

fn check(budget: &Path, format: &str) -> (i32, String) {
    let out = Command::new(BIN)
        .args(["check", "--format", format, "--budget"])
        .arg(budget)
        .arg(repo("tests/data/stack/seqs.elf"))
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap() + &String::from_utf8(out.stderr).unwrap();
    (out.status.code().unwrap(), text)
}

fn failure_kinds(json: &str) -> Vec<String> {
    let v: serde_json::Value = serde_json::from_str(json).expect(json);
    v["failures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["kind"].as_str().unwrap().to_string())
        .collect()
}

fn check_gates_the_worst_case_against_the_stack() {
    let dir = tempfile::tempdir().unwrap();
    let annotated = std::fs::read_to_string(repo("tests/data/stack/seqs.budget.json")).unwrap();
    let v: serde_json::Value = serde_json::from_str(&annotated).unwrap();
    let analysis = v["budget"]["stack"]["analysis"].to_string();

    // 2176 B (priority groups) + 10% fits the 4 KiB stack; the table shows the need.
    let b = seqs_budget(
        dir.path(),
        &format!(r#"{{"margin": "10%", "analysis": {analysis}}}"#),
        "",
    );
    let (code, text) = check(&b, "table");
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("stack needed (worst case)"), "{text}");

    // The same with a 100% margin does not: 2176 + 2176 > 4096; nor does the thread's
    // 72 B + 108 B exception frame, doubled, fit its 256 B.
    let b = seqs_budget(
        dir.path(),
        &format!(r#"{{"margin": "100%", "analysis": {analysis}}}"#),
        "",
    );
    let (code, json) = check(&b, "json");
    assert_eq!(code, 1, "{json}");
    assert_eq!(failure_kinds(&json), ["stack-need", "thread-stack"]);
    assert!(
        json.contains("the main stack needs 2176 bytes + a 2176 byte margin in the worst case, 256 more than the 4096 bytes it has"),
        "{json}"
    );
    let (_, text) = check(&b, "table");
    let row = text
        .lines()
        .find(|l| l.contains("stack (worst case)"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(row.contains("2176 B") && row.contains("256 B"), "{row}");

    // A thread whose calls are not annotated: the bound is incomplete, and its stack of
    // 128 B is too small for 8 B + an exception frame of 108 B + 10%.
    let b = seqs_budget(
        dir.path(),
        r#"{"margin": "10%", "analysis": {"threads": [{"entry": "f_thread", "stack_size": 128}]}}"#,
        "",
    );
    let (code, json) = check(&b, "json");
    assert_eq!(code, 1, "{json}");
    assert_eq!(failure_kinds(&json), ["thread-stack", "stack-incomplete"]);
    let (_, text) = check(&b, "markdown");
    assert!(text.contains("indirect call at"), "{text}");
    assert!(text.contains("recursion through f_rec"), "{text}");
}

fn worst_case_per_root_is_in_the_baseline_with_a_tolerance() {
    let dir = tempfile::tempdir().unwrap();
    let annotated = std::fs::read_to_string(repo("tests/data/stack/seqs.budget.json")).unwrap();
    let v: serde_json::Value = serde_json::from_str(&annotated).unwrap();
    let analysis = v["budget"]["stack"]["analysis"].to_string();
    let b = seqs_budget(
        dir.path(),
        &format!(r#"{{"analysis": {analysis}}}"#),
        r#", "tolerance": {"stack": {"bytes": 64}}"#,
    );
    let bless = Command::new(BIN)
        .args(["bless", "--budget"])
        .arg(&b)
        .arg(repo("tests/data/stack/seqs.elf"))
        .output()
        .unwrap();
    assert_eq!(bless.status.code(), Some(0), "{bless:?}");
    let baseline_path = dir.path().join("seqs.baseline.json");
    let text = std::fs::read_to_string(&baseline_path).unwrap();
    let mut base: serde_json::Value = serde_json::from_str(&text).unwrap();
    let at = if base.pointer("/baseline/stack_roots").is_some() {
        "/baseline/stack_roots"
    } else {
        "/stack_roots"
    };
    let roots = base
        .pointer_mut(at)
        .expect("the baseline records the worst case per root");
    let reset = roots
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|r| r["name"] == "Reset_Handler")
        .unwrap();
    assert_eq!(reset["worst_case"], 2052);
    // Pretend the baseline needed 1 KiB less: the PR "added" 1024 B, past 64 B.
    reset["worst_case"] = 1028.into();
    std::fs::write(&baseline_path, serde_json::to_string_pretty(&base).unwrap()).unwrap();
    let (code, json) = check(&b, "json");
    assert_eq!(code, 1, "{json}");
    assert_eq!(failure_kinds(&json), ["stack-growth"]);
    let (_, md) = check(&b, "markdown");
    assert!(md.contains("Worst-case stack"), "{md}");
    assert!(md.contains("+1024"), "{md}");
}

/// Run the binary; stdout on success.
fn mb(args: &[&std::ffi::OsStr]) -> String {
    let out = Command::new(BIN).args(args).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{args:?}: {out:?}");
    String::from_utf8(out.stdout).unwrap()
}

/// Each root's worst case, from `membudget stack --format json`.
fn root_worst_cases(elf: &Path) -> Vec<(String, u64)> {
    let json = mb(&[
        "stack".as_ref(),
        elf.as_os_str(),
        "--format".as_ref(),
        "json".as_ref(),
    ]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    v["roots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["name"].as_str().unwrap().to_string(),
                r["worst_case"].as_u64().unwrap(),
            )
        })
        .collect()
}

/// `diff` shows each root whose worst case changed (before, after, delta) in the table, the
/// Markdown and the JSON, for two ELFs, two JSON reports, and a baseline against an ELF.
fn diff_shows_per_root_stack_deltas() {
    let (a, b) = (
        repo("fixtures/qemu-an386.elf"),
        repo("fixtures/qemu-an386-oz.elf"),
    );
    let (old, new) = (root_worst_cases(&a), root_worst_cases(&b));
    let mut expected: Vec<(String, u64, u64)> = new
        .iter()
        .filter_map(|(n, w)| {
            let o = old.iter().find(|(m, _)| m == n)?.1;
            (o != *w).then(|| (n.clone(), o, *w))
        })
        .collect();
    assert!(
        !expected.is_empty(),
        "the two builds differ in stack: {old:?} {new:?}"
    );
    let check = |old_side: &Path, new_side: &Path, expected: &[(String, u64, u64)]| {
        let args = |f: &'static str| -> Vec<&std::ffi::OsStr> {
            vec![
                "diff".as_ref(),
                old_side.as_os_str(),
                new_side.as_os_str(),
                "--format".as_ref(),
                f.as_ref(),
            ]
        };
        let json: serde_json::Value = serde_json::from_str(&mb(&args("json"))).unwrap();
        let rows = json["stack_roots"]
            .as_array()
            .expect("stack_roots in the diff JSON");
        let table = mb(&args("table"));
        let md = mb(&args("markdown"));
        assert!(md.contains("#### Worst-case stack"), "{md}");
        for (name, o, n) in expected {
            let delta = *n as i64 - *o as i64;
            let row = rows
                .iter()
                .find(|r| r["name"] == name.as_str())
                .expect(name);
            assert_eq!(
                (row["old"].as_u64(), row["new"].as_u64()),
                (Some(*o), Some(*n))
            );
            assert_eq!(row["delta"].as_i64(), Some(delta), "{name}");
            let cells = [
                format!("`{name}`"),
                format!("{o} B"),
                format!("{n} B"),
                format!("{delta:+} B"),
            ];
            let md_line = md.lines().find(|l| l.contains(&cells[0]));
            assert!(
                md_line.is_some_and(|l| cells.iter().all(|c| l.contains(c.as_str()))),
                "{name}: {md}"
            );
            assert!(
                table
                    .lines()
                    .any(|l| l.contains(name.as_str()) && l.contains(&format!("{o} B"))),
                "{table}"
            );
        }
    };
    check(&a, &b, &expected);

    // The same from two `report --format json` files.
    let dir = tempfile::tempdir().unwrap();
    let (ra, rb) = (dir.path().join("a.json"), dir.path().join("b.json"));
    for (elf, out) in [(&a, &ra), (&b, &rb)] {
        let json = mb(&[
            "report".as_ref(),
            elf.as_os_str(),
            "--format".as_ref(),
            "json".as_ref(),
        ]);
        std::fs::write(out, json).unwrap();
    }
    check(&ra, &rb, &expected);

    // A baseline blessed with the stack analysis on, then edited as if the build before
    // needed 2 KiB less on its reset path: `diff BUDGET ELF` shows the +2048.
    let budget = seqs_budget(dir.path(), r#"{"analysis": {}}"#, "");
    let seqs = repo("tests/data/stack/seqs.elf");
    mb(&[
        "bless".as_ref(),
        "--budget".as_ref(),
        budget.as_os_str(),
        seqs.as_os_str(),
    ]);
    let baseline_path = dir.path().join("seqs.baseline.json");
    let mut base: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&baseline_path).unwrap()).unwrap();
    let roots = base
        .pointer_mut("/baseline/stack_roots")
        .expect("stack roots in the baseline");
    let reset = roots
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|r| r["name"] == "Reset_Handler")
        .unwrap();
    let now = reset["worst_case"].as_u64().unwrap();
    assert!(now > 2048, "{now}");
    reset["worst_case"] = (now - 2048).into();
    std::fs::write(&baseline_path, serde_json::to_string_pretty(&base).unwrap()).unwrap();
    expected = vec![("Reset_Handler".into(), now - 2048, now)];
    check(&budget, &seqs, &expected);
}

/// `membudget stack ELF [--budget B] [--resolve-indirect] --format json`, parsed.
fn stack_json(elf: &Path, budget: Option<&Path>, resolve: bool) -> serde_json::Value {
    let mut args: Vec<&std::ffi::OsStr> = vec!["stack".as_ref(), elf.as_os_str()];
    if let Some(b) = budget {
        args.extend([std::ffi::OsStr::new("--budget"), b.as_os_str()]);
    }
    if resolve {
        args.push("--resolve-indirect".as_ref());
    }
    args.extend([
        std::ffi::OsStr::new("--format"),
        std::ffi::OsStr::new("json"),
    ]);
    serde_json::from_str(&mb(&args)).unwrap()
}

/// The heuristic's resolutions of the sites in `function`.
fn resolutions<'a>(v: &'a serde_json::Value, function: &str) -> Vec<&'a serde_json::Value> {
    v["assumptions"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter(|x| x["kind"] == "resolved_indirect" && x["function"] == function)
                .collect()
        })
        .unwrap_or_default()
}

fn json_function<'a>(v: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    v["functions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == name)
        .expect(name)
}

/// The opt-in mode on the firmware's function-pointer dispatch, in every build measured on
/// QEMU: off, the site is an unknown; on, it resolves to a candidate set holding the three
/// real targets, stays listed as an assumption, and every thread scenario's bound still
/// holds what QEMU measured (the budget keeps only its recursion depth, no targets).
fn resolve_indirect_is_opt_in_and_holds_on_target() -> Result<(), Skip> {
    let dir = match std::env::var_os("MEMBUDGET_FIRMWARE_DIR") {
        Some(d) if !d.is_empty() => PathBuf::from(d),
        _ => repo("fixtures"),
    };
    let dir_budget = tempfile::tempdir().unwrap();
    let mut budget: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(repo("firmware/stack.budget.json")).unwrap())
            .unwrap();
    let analysis = &mut budget["budget"]["stack"]["analysis"];
    analysis.as_object_mut().unwrap().remove("indirect_calls");
    analysis["resolve_indirect"] = true.into();
    let budget_path = dir_budget.path().join("heuristic.budget.json");
    std::fs::write(&budget_path, budget.to_string()).unwrap();
    let dispatch = "membudget_firmware::scenarios::fn_pointer_dispatch";
    let mut checked = 0;
    let mut measured: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|rd| rd.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    measured.retain(|p| p.to_string_lossy().ends_with(".measured.json"));
    measured.sort();
    for m in measured {
        let elf = PathBuf::from(m.to_string_lossy().replace(".measured.json", ".elf"));
        let scenarios: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&m).unwrap()).unwrap();
        let Some(scenarios) = scenarios["stack_scenarios"]
            .as_array()
            .filter(|s| !s.is_empty())
        else {
            continue;
        };
        let label = elf.file_name().unwrap().to_string_lossy().into_owned();
        let off = stack_json(&elf, None, false);
        assert!(
            resolutions(&off, dispatch).is_empty(),
            "{label}: opt-in only"
        );
        assert!(
            off["unknowns"]
                .as_array()
                .unwrap()
                .iter()
                .any(|u| u["function"] == dispatch && u["kind"] == "indirect_call"),
            "{label}: the dispatch is an unknown without the mode"
        );
        let on = stack_json(&elf, Some(&budget_path), false);
        let sites = resolutions(&on, dispatch);
        assert!(!sites.is_empty(), "{label}: dispatch not resolved");
        for site in &sites {
            let targets: Vec<&str> = site["targets"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t.as_str().unwrap())
                .collect();
            for op in ["op_small", "op_mid", "op_big"] {
                let want = format!("membudget_firmware::scenarios::{op}");
                assert!(
                    targets.contains(&want.as_str()),
                    "{label}: {want} not in {targets:?}"
                );
            }
            assert!(
                ["address_taken", "vtable_slot"].contains(&site["how"].as_str().unwrap()),
                "{site}"
            );
        }
        // The same through the command-line flag.
        assert_eq!(
            resolutions(&stack_json(&elf, None, true), dispatch).len(),
            sites.len(),
            "{label}"
        );
        for s in scenarios.iter().filter(|s| s["interrupt"].is_null()) {
            let entry = s["entry"].as_str().unwrap();
            let bound = json_function(&on, entry)["worst_case"].as_u64().unwrap();
            let high = s["high_water"].as_u64().unwrap();
            assert!(
                bound >= high,
                "{label} {entry}: bound {bound} < measured {high}"
            );
            checked += 1;
        }
    }
    if checked == 0 {
        return Err(Skip(format!(
            "no measured firmware builds in {}",
            dir.display()
        )));
    }
    Ok(())
}

/// The C++ fixture's virtual calls (`shape->draw()`, `shape->area()` in main): off, two
/// unknowns; on, each resolves to one slot of the vtables, whose candidates are overrides
/// of one and the same virtual function.
fn resolve_indirect_narrows_cpp_virtual_calls_to_vtable_slots() {
    let elf = repo("fixtures/cpp-m4.elf");
    let off = stack_json(&elf, None, false);
    let unknown_in_main = off["unknowns"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|u| u["function"] == "main" && u["kind"] == "indirect_call")
        .count();
    assert!(unknown_in_main >= 2, "{off}");
    let on = stack_json(&elf, None, true);
    let sites = resolutions(&on, "main");
    assert_eq!(sites.len(), unknown_in_main);
    for site in sites {
        assert_eq!(site["how"], "vtable_slot", "{site}");
        assert!(site["slot"].is_u64(), "{site}");
        let targets: Vec<&str> = site["targets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_str().unwrap())
            .collect();
        assert!(targets.len() >= 2, "{targets:?}");
        let method = |t: &str| t.rsplit("::").next().unwrap().to_string();
        assert!(
            targets.iter().all(|t| method(t) == method(targets[0])),
            "{targets:?}"
        );
    }
    // The document follows schema/stack.schema.json, with and without the heuristic.
    let validator = crate::support::validator("stack");
    for (label, v) in [("off", &off), ("on", &on)] {
        let errors: Vec<String> = validator
            .iter_errors(v)
            .map(|e| format!("{e} at {}", e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{label}: {errors:#?}");
    }
    // No unknown left in main, and the report says the bound rests on the heuristic.
    assert!(!on["unknowns"]
        .as_array()
        .unwrap()
        .iter()
        .any(|u| u["function"] == "main" && u["kind"] == "indirect_call"));
    let text = mb(&[
        "stack".as_ref(),
        elf.as_os_str(),
        "--resolve-indirect".as_ref(),
    ]);
    assert!(text.contains("opt-in heuristic"), "{text}");
}

fn corrupt_elves_never_panic() {
    // `report` runs the stack analysis on every ARM image: truncated and corrupted files
    // must give an error or a result, never a panic.
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let mut tried = 0;
    for elf in all_elves() {
        let data = std::fs::read(&elf).unwrap();
        if stack::analyze_bytes(&data, "x.elf").is_err() {
            continue;
        }
        for round in 0..40 {
            let mut d = data.clone();
            if round % 4 == 0 {
                d.truncate((next() % d.len() as u64) as usize);
            } else {
                for _ in 0..1 + round % 8 {
                    // Headers and tables live at both ends of the file.
                    let span = d.len().min(4096) as u64;
                    let at = if next() % 2 == 0 {
                        next() % span
                    } else {
                        d.len() as u64 - 1 - next() % span
                    } as usize;
                    d[at] = next() as u8;
                }
            }
            let _ = stack::analyze_bytes(&d, "corrupt.elf");
            tried += 1;
        }
    }
    assert!(tried >= 300, "only {tried} variants");
}
