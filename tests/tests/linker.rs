//! GNU ld as the oracle for linker-script regions.
//!
//! Each script is linked by GNU ld with an empty object (`ld -T script empty.o -Map
//! out.map`, plus the case's `-L`/`--defsym`), and the "Memory Configuration" of the
//! map is compared with what membudget reads from the same script with the same
//! arguments. The scripts are the ones Debian packages install on this machine (every
//! `ldscripts` directory of binutils, avr-libc's toolchain, newlib, gcc-arm-none-eabi's
//! examples), read from the system at test time, and copies of scripts from crates in
//! `tests/data/ld/crates` (see its README and `cases.txt`). Scripts ld rejects are
//! listed with ld's message (ld's verdict, not a missing tool). A missing `ld` skips
//! loudly, and fails when `CI=true`.

use std::path::{Path, PathBuf};
use std::process::Command;

use membudget::memory::linker::{read_memory_file, Defsym, LinkerScriptError, ScriptOptions};

use crate::support::{root, tempdir, trials, Skip, BIN};

trials![
    regions_agree_with_gnu_ld,
    deep_nesting_exits_2_with_a_position,
    defsym_and_overlap_warning_end_to_end
];

/// A GNU ld and the ways to make an empty object it accepts.
struct Toolchain {
    ld: &'static str,
    /// Assembler invocations (program, flags) tried in turn, with extra ld flags.
    objects: &'static [(
        &'static str,
        &'static [&'static str],
        &'static [&'static str],
    )],
}

const ARM: Toolchain = Toolchain {
    ld: "arm-none-eabi-ld",
    objects: &[
        ("arm-none-eabi-as", &[], &[]),
        ("arm-none-eabi-as", &["-EB"], &[]),
    ],
};
const AVR: Toolchain = Toolchain {
    ld: "avr-ld",
    // The object has no code, so its avr sub-architecture does not matter.
    objects: &[("avr-as", &[], &["--no-warn-mismatch"])],
};
const RISCV: Toolchain = Toolchain {
    ld: "riscv64-unknown-elf-ld",
    objects: &[
        ("riscv64-unknown-elf-as", &[], &[]),
        (
            "riscv64-unknown-elf-as",
            &["-march=rv32i", "-mabi=ilp32"],
            &[],
        ),
        ("riscv64-unknown-elf-as", &["-mbig-endian"], &[]),
        (
            "riscv64-unknown-elf-as",
            &["-march=rv32i", "-mabi=ilp32", "-mbig-endian"],
            &[],
        ),
    ],
};
const X86: Toolchain = Toolchain {
    ld: "ld",
    objects: &[
        ("as", &[], &["--no-warn-mismatch"]),
        ("as", &["--32"], &["--no-warn-mismatch"]),
        ("as", &["--x32"], &["--no-warn-mismatch"]),
    ],
};

struct Case {
    script: PathBuf,
    toolchain: &'static Toolchain,
    search_dirs: Vec<PathBuf>,
    defsyms: Vec<String>,
    /// Assembly for the object to link instead of an empty one (what the script's
    /// own crate would provide, e.g. cortex-m-rt's vector table).
    object: Option<PathBuf>,
}

/// A region as ld's map prints it: name, origin, length, and the printed width.
#[derive(Debug, PartialEq)]
struct MapRegion {
    name: String,
    origin: u64,
    length: u64,
    hex_digits: usize,
}

enum Outcome {
    Agree,
    Skip(String),
    Differ(String),
}

fn have(tool: &str) -> bool {
    Command::new(tool)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

fn system_cases() -> Vec<Case> {
    // Each directory's scripts are for the toolchain that installed them.
    let dirs: [(&str, &Toolchain); 7] = [
        ("/usr/lib/arm-none-eabi/ldscripts", &ARM),
        ("/usr/lib/avr/lib/ldscripts", &AVR),
        ("/usr/lib/riscv64-unknown-elf/ldscripts", &RISCV),
        ("/usr/lib/x86_64-linux-gnu/ldscripts", &X86),
        ("/usr/share/doc/gcc-arm-none-eabi/examples/ldscripts", &ARM),
        // newlib's multilib directories hold copies of the same script; the top one.
        ("/usr/lib/arm-none-eabi/newlib", &ARM),
        ("/usr/lib/avr/lib", &AVR),
    ];
    let mut cases = Vec::new();
    for (dir, toolchain) in dirs {
        let Ok(entries) = std::fs::read_dir(dir) else {
            continue;
        };
        let mut files: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file() && is_script_name(p))
            .collect();
        files.sort();
        cases.extend(files.into_iter().map(|script| Case {
            search_dirs: vec![script.parent().unwrap().to_path_buf()],
            script,
            toolchain,
            defsyms: Vec::new(),
            object: None,
        }));
    }
    cases
}

/// `*.ld`, `*.lds`, `*.x` and ld's `*.x?` variants (`.xbn`, `.xce`...).
fn is_script_name(p: &Path) -> bool {
    let ext = p.extension().and_then(|e| e.to_str()).unwrap_or("");
    ext == "ld" || ext == "lds" || (ext.starts_with('x') && ext.len() <= 5)
}

fn crate_cases() -> Vec<Case> {
    let root = root().join("tests/data/ld/crates");
    let manifest = std::fs::read_to_string(root.join("cases.txt")).expect("cases.txt");
    let mut cases = Vec::new();
    for line in manifest.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut words = line.split_whitespace();
        let toolchain = match words.next() {
            Some("arm") => &ARM,
            Some("avr") => &AVR,
            Some("riscv") => &RISCV,
            other => panic!("cases.txt: unknown toolchain {other:?} in '{line}'"),
        };
        let script = root.join(words.next().expect("script"));
        let mut case = Case {
            search_dirs: vec![script.parent().unwrap().to_path_buf()],
            script,
            toolchain,
            defsyms: Vec::new(),
            object: None,
        };
        while let Some(flag) = words.next() {
            let value = words.next().expect("flag value");
            match flag {
                "-L" => case.search_dirs.push(root.join(value)),
                "--defsym" => case.defsyms.push(value.to_string()),
                "--object" => case.object = Some(root.join(value)),
                _ => panic!("cases.txt: unknown flag {flag}"),
            }
        }
        cases.push(case);
    }
    cases
}

/// The "Memory Configuration" table of a map file, without `*default*`.
fn map_regions(map: &str) -> Option<Vec<MapRegion>> {
    let start = map.find("Memory Configuration")?;
    let mut lines = map[start..].lines().skip_while(|l| !l.starts_with("Name"));
    lines.next()?;
    let mut out = Vec::new();
    let mut pending_name: Option<String> = None;
    for line in lines {
        let words: Vec<&str> = line.split_whitespace().collect();
        if words.is_empty() {
            break;
        }
        // A long name is printed on a line of its own.
        let (name, rest) = match pending_name.take() {
            Some(n) => (n, &words[..]),
            None if words.len() == 1 => {
                pending_name = Some(words[0].to_string());
                continue;
            }
            None => (words[0].to_string(), &words[1..]),
        };
        let hex = |s: &str| u64::from_str_radix(s.trim_start_matches("0x"), 16).ok();
        let (origin, length) = (hex(rest.first()?)?, hex(rest.get(1)?)?);
        if name != "*default*" {
            out.push(MapRegion {
                name,
                origin,
                length,
                hex_digits: rest[0].len() - 2,
            });
        }
    }
    Some(out)
}

/// Links the case with ld; the map's regions, or why ld refused.
fn run_ld(case: &Case, dir: &Path) -> Result<Vec<MapRegion>, String> {
    let mut last_error = String::new();
    for (i, (asm, asm_flags, ld_flags)) in case.toolchain.objects.iter().enumerate() {
        let obj = dir.join(format!("empty{i}.o"));
        let assembled = Command::new(asm)
            .args(*asm_flags)
            .arg("-o")
            .arg(&obj)
            .arg(case.object.as_deref().unwrap_or(Path::new("/dev/null")))
            .output()
            .map_err(|e| format!("{asm}: {e}"))?;
        if !assembled.status.success() {
            continue;
        }
        let map = dir.join("out.map");
        let _ = std::fs::remove_file(&map);
        let mut cmd = Command::new(case.toolchain.ld);
        cmd.args(*ld_flags);
        for d in &case.defsyms {
            cmd.arg("--defsym").arg(d);
        }
        for d in &case.search_dirs {
            cmd.arg("-L").arg(d);
        }
        cmd.arg("-T").arg(&case.script).arg(&obj);
        cmd.arg("-o").arg(dir.join("out.elf")).arg("-Map").arg(&map);
        let out = cmd
            .output()
            .map_err(|e| format!("{}: {e}", case.toolchain.ld))?;
        if out.status.success() {
            let text = std::fs::read_to_string(&map).map_err(|e| e.to_string())?;
            return map_regions(&text).ok_or_else(|| "no Memory Configuration in map".into());
        }
        // The first object's error is the telling one (later ones only differ in ABI).
        if last_error.is_empty() {
            last_error = String::from_utf8_lossy(&out.stderr)
                .lines()
                .find(|l| !l.contains("warning"))
                .unwrap_or("failed")
                .to_string();
        }
    }
    Err(last_error)
}

fn compare(case: &Case, dir: &Path) -> Outcome {
    let expected = match run_ld(case, dir) {
        Ok(r) => r,
        Err(why) => return Outcome::Skip(format!("GNU ld rejects it: {why}")),
    };
    let options = ScriptOptions {
        search_dirs: case.search_dirs.clone(),
        defsyms: case
            .defsyms
            .iter()
            .map(|d| Defsym::parse(d).unwrap())
            .collect(),
    };
    let ours = match read_memory_file(&case.script, &options) {
        Ok(m) => m.regions,
        Err(LinkerScriptError::NoMemory { .. }) => Vec::new(),
        Err(e) => return Outcome::Differ(format!("membudget: {e}; ld: {expected:?}")),
    };
    let ours: Vec<MapRegion> = ours
        .iter()
        .zip(
            expected
                .iter()
                .map(|e| e.hex_digits)
                .chain(std::iter::repeat(16)),
        )
        .map(|(r, digits)| {
            // ld prints addresses at the target's width; compare at that width.
            let mask = if digits >= 16 {
                u64::MAX
            } else {
                (1u64 << (4 * digits)) - 1
            };
            MapRegion {
                name: r.name.clone(),
                origin: r.origin & mask,
                length: r.length & mask,
                hex_digits: digits,
            }
        })
        .collect();
    if ours == expected {
        Outcome::Agree
    } else {
        Outcome::Differ(format!("membudget {ours:?}\n      ld {expected:?}"))
    }
}

/// Every script with an installed ld is compared; an ld that is not installed makes the trial
/// a skip (a failure with `CI=true`) after the others were compared.
fn regions_agree_with_gnu_ld() -> Result<(), Skip> {
    let mut cases: Vec<Case> = system_cases();
    cases.extend(crate_cases());
    let dir = tempdir();
    let (mut agree, mut skipped, mut missing) = (0, 0, Vec::new());
    let mut differ = Vec::new();
    for case in &cases {
        if !have(case.toolchain.ld) {
            if !missing.contains(&case.toolchain.ld) {
                missing.push(case.toolchain.ld);
            }
            continue;
        }
        match compare(case, dir.path()) {
            Outcome::Agree => agree += 1,
            Outcome::Skip(why) => {
                skipped += 1;
                println!("not compared {}: {why}", case.script.display());
            }
            Outcome::Differ(what) => differ.push(format!(
                "{} (defsym {:?}):\n      {what}",
                case.script.display(),
                case.defsyms
            )),
        }
    }
    println!(
        "linker-script oracle: {} scripts, {agree} agree with GNU ld, {} differ, {skipped} skipped (ld rejects them)",
        cases.len(),
        differ.len()
    );
    assert!(
        differ.is_empty(),
        "regions differ from GNU ld's:\n{}",
        differ.join("\n")
    );
    assert!(missing.len() == 4 || agree > 0, "nothing was compared");
    if !missing.is_empty() {
        return Err(Skip::new(format!(
            "not installed, their scripts were not compared: {}",
            missing.join(", ")
        )));
    }
    Ok(())
}

/// Fuzzing found deep nesting aborting the process (exit 134) through every command
/// that reads a script; now it is a one-line error with a position and exit code 2.
fn deep_nesting_exits_2_with_a_position() {
    let dir = tempdir();
    let elf = root().join("fixtures/qemu-an386.elf");
    for (name, body) in [
        ("parens.ld", format!("{}1", "(".repeat(3400))),
        ("unary.ld", format!("{}1", "-!".repeat(26_000))),
    ] {
        let script = dir.path().join(name);
        std::fs::write(
            &script,
            format!("S = {body};\nMEMORY {{ R : ORIGIN = 0, LENGTH = 1 }}\n"),
        )
        .unwrap();
        let budget = dir.path().join(format!("{name}.budget.json"));
        std::fs::write(
            &budget,
            format!(
                r#"{{"schema": "membudget.budget/2", "budget": {{"linker_script": "{name}"}}}}"#
            ),
        )
        .unwrap();
        // Through the budget's linker_script (check, bless) and through --memory.
        for command in ["check", "bless"] {
            let out = membudget(&[
                command.as_ref(),
                elf.as_ref(),
                "--budget".as_ref(),
                budget.as_os_str(),
            ]);
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{command} {name}: {stderr}");
            assert!(
                stderr.contains(":1:") && stderr.contains("nested too deeply"),
                "{stderr}"
            );
        }
        for args in [vec!["report"], vec!["diff", elf.to_str().unwrap()]] {
            let out = Command::new(BIN)
                .args(&args)
                .arg(&elf)
                .arg("--memory")
                .arg(&script)
                .output()
                .unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{args:?} {name}: {stderr}");
            assert!(
                stderr.contains(":1:") && stderr.contains("nested too deeply"),
                "{stderr}"
            );
            assert_eq!(stderr.lines().count(), 1, "{stderr}");
        }
    }
}

fn membudget(args: &[&std::ffi::OsStr]) -> std::process::Output {
    Command::new(BIN).args(args).output().unwrap()
}

/// `--defsym` reaches the script through `report`, and an overlap of two regions is a
/// report warning that reads back from JSON (`diff` accepts the report it wrote).
fn defsym_and_overlap_warning_end_to_end() {
    let dir = tempdir();
    let elf = root().join("fixtures/qemu-an386.elf");
    let script = dir.path().join("memory.x");
    std::fs::write(
        &script,
        "RAM_SIZE = DEFINED(RAM_SIZE) ? RAM_SIZE : 64K;\n\
         MEMORY {\n  FLASH : ORIGIN = 0, LENGTH = 4M\n  RAM : ORIGIN = 0x20000000, LENGTH = RAM_SIZE\n\
           DTCM : ORIGIN = 0x20080000, LENGTH = 64K\n}\n",
    )
    .unwrap();
    let json = |defsyms: &[&str]| -> serde_json::Value {
        let mut args: Vec<&std::ffi::OsStr> = vec!["report".as_ref(), elf.as_ref()];
        args.extend([
            "--memory".as_ref(),
            script.as_os_str(),
            "--format".as_ref(),
            "json".as_ref(),
        ]);
        for d in defsyms {
            args.extend(["--defsym".as_ref(), std::ffi::OsStr::new(d)]);
        }
        let out = membudget(&args);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let ram_length = |v: &serde_json::Value| v["regions"][1]["length"].as_u64().unwrap();
    let plain = json(&[]);
    assert_eq!(ram_length(&plain), 64 * 1024);
    assert!(plain["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .all(|w| !w.as_str().unwrap().contains("overlap")));
    let big = json(&["RAM_SIZE=1M"]);
    assert_eq!(ram_length(&big), 1 << 20);
    let warnings: Vec<&str> = big["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_str().unwrap())
        .collect();
    assert!(
        warnings.contains(&"regions RAM and DTCM overlap at [0x20080000, 0x20090000)"),
        "{warnings:?}"
    );
    // The report JSON, warning included, reads back.
    let saved = dir.path().join("report.json");
    std::fs::write(&saved, serde_json::to_vec(&big).unwrap()).unwrap();
    let out = membudget(&["diff".as_ref(), saved.as_os_str(), saved.as_os_str()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // A bad --defsym is a usage error naming the problem.
    let out = membudget(&[
        "report".as_ref(),
        elf.as_ref(),
        "--memory".as_ref(),
        script.as_os_str(),
        "--defsym".as_ref(),
        "RAM_SIZE=".as_ref(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("expected an expression"));
}
