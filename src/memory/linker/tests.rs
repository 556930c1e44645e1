//! Unit tests of the linker-script reader. The GNU ld behaviours they pin (evaluation
//! order, DEFINED, PROVIDE, lexer states) were read from ld 2.40's maps for the same
//! scripts; `tests/tests/linker.rs` compares with ld automatically on real scripts.

use super::*;

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/ld")
        .join(name)
}

fn regions(text: &str) -> Vec<Region> {
    parse_memory_str(text, "memory.x", None).unwrap_or_else(|e| panic!("{e}"))
}

fn summary(rs: &[Region]) -> Vec<(&str, u64, u64)> {
    rs.iter()
        .map(|r| (r.name.as_str(), r.origin, r.length))
        .collect()
}

fn err(text: &str) -> String {
    parse_memory_str(text, "memory.x", None)
        .unwrap_err()
        .to_string()
}

/// Value of `expr` used as a region's LENGTH.
fn eval(expr: &str) -> u64 {
    let rs = regions(&format!(
        "MEMORY {{ A : ORIGIN = 0x100, LENGTH = 0x20 }}\nMEMORY {{ B : ORIGIN = 0, LENGTH = {expr} }}"
    ));
    rs[1].length
}

#[test]
fn cortex_m_rt_memory_x() {
    let rs = parse_memory_file(&data("cortex_m_rt_memory.x")).unwrap();
    assert_eq!(
        summary(&rs),
        [
            ("FLASH", 0x0800_0000, 256 * 1024),
            ("RAM", 0x2000_0000, 40 * 1024),
            ("CCRAM", 0x1000_0000, 8 * 1024),
        ]
    );
    assert!(rs.iter().all(|r| r.attributes.is_none()));
}

#[test]
fn cubemx_script_with_sections() {
    let rs = parse_memory_file(&data("stm32f411_cubemx.ld")).unwrap();
    assert_eq!(
        summary(&rs),
        [
            ("RAM", 0x2000_0000, 128 * 1024),
            ("FLASH", 0x0800_0000, 512 * 1024)
        ]
    );
    assert_eq!(rs[0].attributes.as_deref(), Some("xrw"));
    assert_eq!(rs[1].attributes.as_deref(), Some("rx"));
}

#[test]
fn daisy_stm32h750() {
    let rs = parse_memory_file(&data("stm32h750_daisy.lds")).unwrap();
    let k = 1024;
    assert_eq!(
        summary(&rs),
        [
            ("FLASH", 0x0800_0000, 128 * k),
            ("DTCMRAM", 0x2000_0000, 128 * k),
            ("SRAM", 0x2400_0000, 512 * k),
            ("SRAM1", 0x3000_0000, 128 * k),
            ("SRAM2", 0x3002_0000, 128 * k),
            ("SRAM3", 0x3004_0000, 32 * k),
            ("RAM_D3", 0x3800_0000, 64 * k),
            ("BACKUP_SRAM", 0x3880_0000, 4 * k),
            ("ITCMRAM", 0, 64 * k),
            ("SDRAM", 0xC000_0000, 64 * k * k),
            ("QSPIFLASH", 0x9000_0000, 8 * k * k),
        ]
    );
    assert_eq!(rs[0].attributes.as_deref(), Some("RX"));
}

#[test]
fn nordic_include_quoted_and_search_dir() {
    let rs = parse_memory_file(&data("nrf52840_app.ld")).unwrap();
    assert_eq!(
        summary(&rs),
        [
            ("FLASH", 0x27000, 0xd9000),
            ("RAM", 0x2000_2ae8, 0x3d518),
            ("uicr_bootloader_start_address", 0xff8, 4),
        ]
    );
}

#[test]
fn particle_style_includes_and_symbols() {
    let rs = parse_memory_file(&data("p2_app.ld")).unwrap();
    assert_eq!(
        summary(&rs),
        [
            ("BACKUP_RAM", 0x1007_A000, 0x1000),
            ("APP_FLASH", 0x0840_0000, 0x20_0000),
            ("SRAM", 0x1000_5000, 0x75000),
            ("PSRAM", 0x0200_0000, 0x40_0000),
        ]
    );
}

#[test]
fn parse_str_resolves_includes_against_base_dir() {
    let text = "INCLUDE platform_ram.ld\nMEMORY { R : ORIGIN = platform_ram_start, LENGTH = platform_ram_size }";
    let base = data("");
    let rs = parse_memory_str(text, "inline.ld", Some(&base)).unwrap();
    assert_eq!(summary(&rs), [("R", 0x1000_5000, 472 * 1024)]);
}

#[test]
fn multiple_memory_blocks_and_order() {
    let rs = regions(
        "MEMORY { FLASH (rx) : ORIGIN = 0x0, LENGTH = 1M }\n\
         SECTIONS { .text : { *(.text) } > FLASH }\n\
         MEMORY\n{\n  RAM (rwx) : ORIGIN = 0x20000000, LENGTH = 256K\n  RAM2 : org = ORIGIN(RAM) + LENGTH(RAM), len = 4K\n}\n\
         MEMORY { NOCOMMA : o = 0x30000000 LENGTH = 1K, X(!rx) : ORIGIN =0x40000000,l =8 }",
    );
    assert_eq!(
        summary(&rs),
        [
            ("FLASH", 0, 1 << 20),
            ("RAM", 0x2000_0000, 256 * 1024),
            ("RAM2", 0x2004_0000, 4096),
            ("NOCOMMA", 0x3000_0000, 1024),
            ("X", 0x4000_0000, 8),
        ]
    );
    assert_eq!(rs[4].attributes.as_deref(), Some("!rx"));
}

#[test]
fn skips_other_commands_robustly() {
    let rs = regions(
        "/* MEMORY { FAKE : ORIGIN = 0, LENGTH = 1 } */\n\
         OUTPUT_ARCH(arm)\nEXTERN(__vectors _start)\nENTRY(Reset)\n\
         REGION_ALIAS(\"REGION_TEXT\", FLASH);\n\
         PROVIDE(__stack_size = 0x800);\n\
         ASSERT(1 == 1, \"MEMORY { } ; strings are skipped\")\n\
         SECTIONS { .a : { KEEP(*(.a)) . = ALIGN(4); x = 1; { } } >FLASH AT>FLASH\n .b (NOLOAD) : { *(.b) } }\n\
         INSERT AFTER .text;\n\
         MEMORY { FLASH : ORIGIN = 0x1000, LENGTH = 0x2000 }\n\
         MEMORY { RAM : ORIGIN = ORIGIN(REGION_TEXT) + LENGTH(\"REGION_TEXT\"), LENGTH = __stack_size }",
    );
    assert_eq!(
        summary(&rs),
        [("FLASH", 0x1000, 0x2000), ("RAM", 0x3000, 0x800)]
    );
}

#[test]
fn number_forms() {
    assert_eq!(eval("0x1F"), 0x1f);
    assert_eq!(eval("0X1f"), 0x1f);
    assert_eq!(eval("$1F"), 0x1f);
    assert_eq!(eval("1Fh"), 0x1f);
    assert_eq!(eval("0ABh"), 0xab);
    assert_eq!(eval("17o"), 15);
    assert_eq!(eval("101b"), 5);
    assert_eq!(eval("99d"), 99);
    assert_eq!(eval("1234"), 1234);
    assert_eq!(eval("0"), 0);
    assert_eq!(eval("010"), 8);
    assert_eq!(eval("4K"), 4096);
    assert_eq!(eval("4k"), 4096);
    assert_eq!(eval("2M"), 2 << 20);
    assert_eq!(eval("2m"), 2 << 20);
    assert_eq!(eval("0x10K"), 16 * 1024);
    assert_eq!(eval("$10M"), 16 << 20);
    assert_eq!(eval("0xFFFFFFFFFFFFFFFF"), u64::MAX);
}

#[test]
fn operators_and_precedence() {
    assert_eq!(eval("1 + 2 * 3"), 7);
    assert_eq!(eval("(1 + 2) * 3"), 9);
    assert_eq!(eval("10 - 4 - 3"), 3);
    assert_eq!(eval("100 / 7 % 4"), 2);
    assert_eq!(eval("1 << 4 + 1"), 32);
    assert_eq!(eval("0x100 >> 4"), 0x10);
    assert_eq!(eval("0xF0 | 0x0F & 0x3C"), 0xFC);
    assert_eq!(eval("0xF0 ^ 0xFF"), 0x0F);
    assert_eq!(eval("~0 & 0xFF"), 0xFF);
    assert_eq!(eval("-0 + 5"), 5);
    assert_eq!(eval("+5"), 5);
    assert_eq!(eval("!0 + !7"), 1);
    assert_eq!(
        eval("2 < 3 && 3 <= 3 && 4 > 3 && 4 >= 4 && 1 == 1 && 1 != 2"),
        1
    );
    assert_eq!(eval("0 || 0"), 0);
    assert_eq!(eval("1 ? 2 : 3"), 2);
    assert_eq!(eval("0 ? 2 : 1 ? 4 : 5"), 4);
    assert_eq!(eval("256K - 0x4000"), 256 * 1024 - 0x4000);
    assert_eq!(eval("MAX(3, 9) + MIN(3, 9)"), 12);
    assert_eq!(eval("ALIGN(0x1001, 0x100)"), 0x1100);
    assert_eq!(eval("ABSOLUTE(7)"), 7);
    assert_eq!(eval("LOG2CEIL(1000)"), 10);
    assert_eq!(eval("ORIGIN(A) + LENGTH(A)"), 0x120);
    assert_eq!(eval("( ( ORIGIN ( A ) ) )"), 0x100);
}

#[test]
fn symbols_from_assignments() {
    let rs = regions(
        "FLASH_START = 0x08000000;\nFLASH_SIZE = 1M;\nFLASH_SIZE -= 16K;\nBOOT = FLASH_START;\n\
         PROVIDE(BOOT = 0xdead);\nPROVIDE(APP_OFF = 16K);\n\
         MEMORY { FLASH : ORIGIN = FLASH_START + APP_OFF, LENGTH = FLASH_SIZE }\n\
         _estack = ORIGIN(FLASH) + LENGTH(FLASH);\n\
         MEMORY { STACKTOP : ORIGIN = _estack, LENGTH = BOOT - 0x08000000 }",
    );
    // GNU ld runs the assignments before it evaluates any region, with ORIGIN()
    // 0 and LENGTH() all ones: its map shows STACKTOP at 0xffffffff (32-bit).
    assert_eq!(
        summary(&rs),
        [
            ("FLASH", 0x0800_4000, 1008 * 1024),
            ("STACKTOP", u64::MAX, 0)
        ]
    );
}

#[test]
fn error_positions() {
    // (input, expected message) — positions are 1-based line:column of the bad token.
    let cases = [
        (
            "MEMORY\n{\n  FLASH : ORIGIN = 0, LENGTH = 1K\n  RAM : ORIGIN LENGTH = 1K\n}",
            "memory.x:4:16: expected '=' after ORIGIN, found 'LENGTH'",
        ),
        (
            "MEMORY {\n  RAM : ORIGIN = ORIGIN(RAM2), LENGTH = 1K\n}",
            "memory.x:2:25: unknown region 'RAM2' in ORIGIN()",
        ),
        (
            "MEMORY {\n  RAM : ORIGIN = 0, LENGTH = LENGTH(FLASH)\n}",
            "memory.x:2:37: unknown region 'FLASH' in LENGTH()",
        ),
        (
            "MEMORY { RAM : ORIGIN = 0, LENGTH = 1K }\n\n/* trailing\n  comment",
            "memory.x:3:1: unterminated comment",
        ),
        (
            "MEMORY {\n  RAM : ORIGIN = 0, LENGTH = 1K\n\tRAM : ORIGIN = 0x100, LENGTH = 1K\n}",
            "memory.x:3:2: duplicate region 'RAM' (first defined at memory.x:2:3)",
        ),
        ("MEMORY {\n  RAM ORIGIN = 0, LENGTH = 1K\n}", "memory.x:2:7: expected ':' after region name 'RAM', found 'ORIGIN'"),
        ("MEMORY {\n  RAM : START = 0, LENGTH = 1K\n}", "memory.x:2:9: expected ORIGIN, found 'START'"),
        ("MEMORY {\n  RAM : ORIGIN = 0, SIZE = 1K\n}", "memory.x:2:21: expected LENGTH, found 'SIZE'"),
        ("MEMORY {\n  RAM : ORIGIN = 0, LENGTH = \n}", "memory.x:3:1: expected an expression, found '}'"),
        ("MEMORY {\n  RAM : ORIGIN = 0, LENGTH = 1K\n", "memory.x:1:8: unclosed '{' of MEMORY command"),
        ("MEMORY {\n  RAM : ORIGIN = (1 + 2, LENGTH = 1K\n}", "memory.x:2:24: expected ')' to close '(', found ','"),
        ("MEMORY {\n  RAM : ORIGIN = 0x1G, LENGTH = 1K\n}", "memory.x:2:18: invalid number '0x1G'"),
        ("MEMORY {\n  RAM : ORIGIN = 09, LENGTH = 1K\n}", "memory.x:2:18: invalid number '09'"),
        ("MEMORY {\n  RAM : ORIGIN = 0x10000000000000000, LENGTH = 1K\n}", "memory.x:2:18: number '0x10000000000000000' does not fit in 64 bits"),
        ("MEMORY {\n  RAM : ORIGIN = 0xFFFFFFFFFFFFFFFF + 1, LENGTH = 1K\n}", "memory.x:2:37: arithmetic overflow in '+'"),
        ("MEMORY {\n  RAM : ORIGIN = 0, LENGTH = 1 - 2\n}", "memory.x:2:32: arithmetic overflow in '-'"),
        ("MEMORY {\n  RAM : ORIGIN = 0, LENGTH = 0x100000000 * 0x100000000\n}", "memory.x:2:42: arithmetic overflow in '*'"),
        ("MEMORY {\n  RAM : ORIGIN = 0, LENGTH = 1 << 64\n}", "memory.x:2:32: arithmetic overflow in '<<'"),
        ("MEMORY {\n  RAM : ORIGIN = 0, LENGTH = 0xFFFFFFFFFFFFFM\n}", "memory.x:2:30: number '0xFFFFFFFFFFFFFM' does not fit in 64 bits"),
        ("MEMORY {\n  RAM : ORIGIN = 0, LENGTH = 1 / 0\n}", "memory.x:2:32: division by zero"),
        ("MEMORY {\n  RAM : ORIGIN = -4, LENGTH = 1\n}", "memory.x:2:18: negative value"),
        ("MEMORY {\n  RAM : ORIGIN = BASE, LENGTH = 1\n}", "memory.x:2:18: unknown symbol 'BASE'"),
        ("BASE = . ;\nMEMORY {\n  RAM : ORIGIN = BASE, LENGTH = 1\n}", "memory.x:3:18: symbol 'BASE' is not a constant"),
        ("MEMORY {\n  RAM : ORIGIN = ADDR(.text), LENGTH = 1\n}", "memory.x:2:18: cannot evaluate ADDR() here"),
        ("MEMORY {\n  RAM (rwq) : ORIGIN = 0, LENGTH = 1\n}", "memory.x:2:10: invalid memory attribute 'q' (expected r, w, x, a, i, l or !)"),
        ("MEMORY {\n  RAM : ORIGIN = 0, LENGTH = 1;\n}", "memory.x:2:31: expected a region name, found ';'"),
        ("MEMORY\n  RAM : ORIGIN = 0, LENGTH = 1\n", "memory.x:2:3: expected '{' after MEMORY, found 'RAM'"),
        ("MEMORY { RAM : ORIGIN = 0, LENGTH = 1 }\nSECTIONS {\n  .text : { *(.text) }\n", "memory.x:2:10: unclosed '{'"),
        ("MEMORY { RAM : ORIGIN = 0, LENGTH = 1 }\n}\n", "memory.x:2:1: unexpected '}'"),
        ("MEMORY {\n  // flash\n  RAM : ORIGIN = 0, LENGTH = 1\n}", "memory.x:2:3: '//' comments are not supported by gnu ld; use /* ... */"),
        ("MEMORY { RAM : ORIGIN = 0, LENGTH=1 }", "memory.x:1:28: expected LENGTH, found 'LENGTH=1' (gnu ld reads 'LENGTH=1' as one name; put spaces around '=')"),
        ("MEMORY { A : ORIGIN = 0 l = 1 }", "memory.x:1:25: expected LENGTH, found 'l'"),
        ("X=1;\nMEMORY { RAM : ORIGIN = 0, LENGTH = 1 }", "memory.x:1:1: gnu ld reads 'X=1' as one name; put spaces around '='"),
        ("MEMORY { A : ORIGIN = ORIGIN(B), LENGTH = 1\n B : ORIGIN = 0, LENGTH = 1 }", "memory.x:1:30: region 'B' is defined after this one; gnu ld reads its ORIGIN as 0 here"),
        ("MEMORY { A : ORIGIN = 0xFFFFFFFFFFFFFFFF, LENGTH = 2 }", "memory.x:1:10: region 'A' runs past the end of the address space (origin 0xffffffffffffffff, length 0x2)"),
        ("ASSERT(1, \"oops)\nMEMORY { RAM : ORIGIN = 0, LENGTH = 1 }", "memory.x:1:11: unterminated string"),
        ("MEMORY {\n  FLASH : ORIGIN = 0, LENGTH = 1\n  INCLUDE\n}", "memory.x:4:1: expected a file name after INCLUDE, found '}'"),
    ];
    for (input, expected) in cases {
        assert_eq!(err(input), expected, "input:\n{input}");
    }
}

#[test]
fn column_counts_characters_not_bytes() {
    assert_eq!(
        err("/* é */ MEMORY { RAM : ORIGIN = x, LENGTH = 1 }"),
        "memory.x:1:33: unknown symbol 'x'"
    );
}

#[test]
fn no_memory_command() {
    assert_eq!(
        err("ENTRY(main)\nSECTIONS { }"),
        "no MEMORY command in memory.x"
    );
    let e = parse_memory_file(&data("no_memory.ld")).unwrap_err();
    assert!(matches!(e, LinkerScriptError::NoMemory { .. }));
    assert!(e.to_string().starts_with("no MEMORY command in "), "{e}");
    assert!(e.to_string().ends_with("no_memory.ld"), "{e}");
    // An empty MEMORY command is a MEMORY command.
    assert_eq!(regions("MEMORY { }"), []);
}

#[test]
fn missing_include() {
    let e = parse_memory_file(&data("include_missing.ld")).unwrap_err();
    let msg = e.to_string();
    assert!(matches!(e, LinkerScriptError::Include { .. }));
    assert!(
        msg.ends_with("include_missing.ld:2:3: cannot read included file 'common.ld': No such file or directory"),
        "{msg}"
    );
    let e = parse_memory_str("app.ld\n", "x", None).unwrap_err();
    assert_eq!(e.to_string(), "no MEMORY command in x");
    let e = parse_memory_str(
        "MEMORY {}\nINCLUDE \"/nonexistent/dir/common.ld\"",
        "app.ld",
        None,
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "app.ld:2:1: cannot read included file '/nonexistent/dir/common.ld': No such file or directory"
    );
}

#[test]
fn missing_top_level_file() {
    let e = parse_memory_file(Path::new("/nonexistent/memory.x")).unwrap_err();
    assert_eq!(
        e.to_string(),
        "cannot read /nonexistent/memory.x: No such file or directory"
    );
}

#[test]
fn include_cycle() {
    let e = parse_memory_file(&data("cycle_a.ld")).unwrap_err();
    let msg = e.to_string();
    assert!(
        msg.ends_with("cycle_b.ld:2:1: INCLUDE cycle: 'cycle_a.ld' is already being read"),
        "{msg}"
    );
}

#[test]
fn include_depth_limit() {
    let dir = tempfile::tempdir().unwrap();
    // d0 includes d1 includes ... d12: deeper than ld's limit of 10.
    for n in 0..12 {
        std::fs::write(
            dir.path().join(format!("d{n}.ld")),
            format!("INCLUDE d{}.ld\n", n + 1),
        )
        .unwrap();
    }
    std::fs::write(
        dir.path().join("d12.ld"),
        "MEMORY { R : ORIGIN = 0, LENGTH = 1 }",
    )
    .unwrap();
    let msg = parse_memory_file(&dir.path().join("d0.ld"))
        .unwrap_err()
        .to_string();
    assert!(
        msg.ends_with("d10.ld:1:1: INCLUDE nested too deeply (more than 10 levels)"),
        "{msg}"
    );
    // Exactly 10 levels is fine.
    let rs = parse_memory_file(&dir.path().join("d2.ld")).unwrap();
    assert_eq!(summary(&rs), [("R", 0, 1)]);
}

#[test]
fn include_relative_to_including_script_in_subdir_and_search_dirs() {
    let dir = tempfile::tempdir().unwrap();
    let sub = dir.path().join("sub");
    let lib = dir.path().join("lib");
    std::fs::create_dir_all(&sub).unwrap();
    std::fs::create_dir_all(&lib).unwrap();
    std::fs::write(
        dir.path().join("top.ld"),
        "INCLUDE sub/mid.ld\nINCLUDE from_lib.ld",
    )
    .unwrap();
    // mid.ld's own INCLUDE resolves next to mid.ld, not next to top.ld.
    std::fs::write(sub.join("mid.ld"), "MEMORY {\n INCLUDE regions.inc\n}").unwrap();
    std::fs::write(
        sub.join("regions.inc"),
        "FLASH (rx) : ORIGIN = 0, LENGTH = 64K,\nRAM (rwx) : ORIGIN = 0x20000000, LENGTH = 16K",
    )
    .unwrap();
    std::fs::write(
        lib.join("from_lib.ld"),
        "MEMORY { EXTRA : ORIGIN = ORIGIN(RAM) + LENGTH(RAM), LENGTH = 1K }",
    )
    .unwrap();
    let e = parse_memory_file(&dir.path().join("top.ld")).unwrap_err();
    assert!(matches!(e, LinkerScriptError::Include { .. }), "{e}");
    let rs = parse_memory_file_with_search_dirs(&dir.path().join("top.ld"), &[lib]).unwrap();
    assert_eq!(
        summary(&rs),
        [
            ("FLASH", 0, 65536),
            ("RAM", 0x2000_0000, 16384),
            ("EXTRA", 0x2000_4000, 1024)
        ]
    );
    // SEARCH_DIR in the script does the same.
    std::fs::write(
        dir.path().join("top2.ld"),
        "SEARCH_DIR(lib)\nINCLUDE sub/mid.ld\nINCLUDE from_lib.ld",
    )
    .unwrap();
    assert_eq!(
        parse_memory_file(&dir.path().join("top2.ld"))
            .unwrap()
            .len(),
        3
    );
}

#[test]
fn errors_in_included_files_name_that_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("app.ld"),
        "MEMORY {\n  INCLUDE \"regions.ld\"\n}",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("regions.ld"),
        "FLASH : ORIGIN = 0,\n  LENGTH == 4",
    )
    .unwrap();
    let msg = parse_memory_file(&dir.path().join("app.ld"))
        .unwrap_err()
        .to_string();
    assert!(
        msg.ends_with("regions.ld:2:11: expected an expression, found '='"),
        "{msg}"
    );
}

#[test]
fn never_panics_on_garbage() {
    let inputs = [
        "",
        "MEMORY",
        "MEMORY {",
        "MEMORY { R",
        "MEMORY { R (",
        "MEMORY { R (rx",
        "MEMORY { R :",
        "MEMORY { R : ORIGIN",
        "MEMORY { R : ORIGIN =",
        "MEMORY { R : ORIGIN = 1 ,",
        "MEMORY { R : ORIGIN = 1 , LENGTH = ORIGIN(",
        "INCLUDE",
        "REGION_ALIAS(",
        "PROVIDE(",
        "X =",
        "X += 1",
        "SEARCH_DIR(",
        "\"",
        "/*",
        "*/",
        "{",
        "}",
        ")",
        "(",
        "MEMORY { R : ORIGIN = 1 ? 2 , LENGTH = 1 }",
        "MEMORY { R : ORIGIN = MAX(1, LENGTH = 1 }",
        "$",
        "0x",
        "1K K",
        "MEMORY { R : ORIGIN = ~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~0, LENGTH = 1 }",
    ];
    for input in inputs {
        let _ = parse_memory_str(input, "fuzz.ld", None);
    }
    // Some garbage in bytes, every prefix of a real script.
    let script = std::fs::read_to_string(data("stm32f411_cubemx.ld")).unwrap();
    for (i, _) in script.char_indices() {
        let _ = parse_memory_str(&script[..i], "prefix.ld", None);
    }
}

fn with_defsyms(text: &str, defsyms: &[&str]) -> Result<ScriptRegions, LinkerScriptError> {
    let options = ScriptOptions {
        search_dirs: Vec::new(),
        defsyms: defsyms.iter().map(|d| Defsym::parse(d).unwrap()).collect(),
    };
    read_memory_str(text, "memory.x", None, &options)
}

fn origins(text: &str, defsyms: &[&str]) -> Vec<u64> {
    with_defsyms(text, defsyms)
        .unwrap_or_else(|e| panic!("{e}"))
        .regions
        .iter()
        .map(|r| r.origin)
        .collect()
}

// Each expectation below was read from GNU ld 2.40's map ("Memory Configuration")
// for the same script linked with `ld --defsym ... -T script empty.o -Map`.
#[test]
fn defined_idiom_and_defsym() {
    let idiom = "X = DEFINED(X) ? X : 5;\nMEMORY { R : ORIGIN = X, LENGTH = 16 }";
    assert_eq!(origins(idiom, &[]), [5]);
    assert_eq!(origins(idiom, &["X=7"]), [7]);
    assert_eq!(origins(idiom, &["X=0x10+4", "X = 0x20"]), [0x20]);
    // --defsym comes first: an unconditional script assignment wins.
    assert_eq!(
        origins("X = 5; MEMORY { R : ORIGIN = X, LENGTH = 16 }", &["X=7"]),
        [5]
    );
    // Defsyms see regions as ld's first pass does (ORIGIN() is 0).
    assert_eq!(
        origins(
            "MEMORY { R : ORIGIN = X, LENGTH = 16 }",
            &["X=(1<<4)*2+ORIGIN(R)"]
        ),
        [32]
    );
}

#[test]
fn defined_inside_memory_and_statement_order() {
    let m = "MEMORY { R : ORIGIN = DEFINED(Q) ? Q : 0x40, LENGTH = 16 }";
    assert_eq!(origins(m, &[]), [0x40]);
    assert_eq!(origins(m, &["Q=0x80"]), [0x80]);
    // MEMORY is evaluated after every assignment, wherever it stands.
    assert_eq!(
        origins("MEMORY { R : ORIGIN = X, LENGTH = 16 } X = 0x100;", &[]),
        [0x100]
    );
    assert_eq!(
        origins(
            "X = 0x100; MEMORY { R : ORIGIN = X, LENGTH = 16 } X = 0x200;",
            &[]
        ),
        [0x200]
    );
    assert_eq!(
        origins(
            "MEMORY { R : ORIGIN = DEFINED(X) ? 1 : 2, LENGTH = 16 } X = 3;",
            &[]
        ),
        [1]
    );
    // ...but DEFINED() in an assignment only sees what came before it.
    assert_eq!(
        origins(
            "Z = DEFINED(X) ? 10 : 20; X = 3; MEMORY { R : ORIGIN = Z, LENGTH = 16 }",
            &[]
        ),
        [20]
    );
    // Assignments in SECTIONS and in output sections count.
    assert_eq!(
        origins(
            "SECTIONS { Y = 0x300; .text : { Z = 0x40; *(.text) } }\nMEMORY { R : ORIGIN = Y + Z, LENGTH = 16 }",
            &[]
        ),
        [0x340]
    );
    // A symbol used before ld's single pass defines it has no value.
    assert_eq!(
        err("Y = X; X = 5; MEMORY { R : ORIGIN = Y, LENGTH = 16 }"),
        "memory.x:1:37: unknown symbol 'Y'"
    );
}

#[test]
fn provide_defines_only_referenced_symbols() {
    assert_eq!(
        origins(
            "PROVIDE(P = 0x40); MEMORY { R : ORIGIN = P, LENGTH = 16 }",
            &[]
        ),
        [0x40]
    );
    assert_eq!(
        origins(
            "PROVIDE(P = 0x40); MEMORY { R : ORIGIN = DEFINED(P) ? P : 2, LENGTH = 16 }",
            &[]
        ),
        [2]
    );
    assert_eq!(
        origins(
            "PROVIDE(P = 0x40); P = 0x80; MEMORY { R : ORIGIN = P, LENGTH = 16 }",
            &[]
        ),
        [0x80]
    );
    assert_eq!(
        err("PROVIDE(P = 0x40); Q = P; MEMORY { R : ORIGIN = Q, LENGTH = 16 }"),
        "memory.x:1:49: unknown symbol 'Q'"
    );
}

#[test]
fn slash_star_in_input_section_patterns() {
    let rs = regions(
        "MEMORY { R : ORIGIN = 0x100, LENGTH = 16 }\n\
         SECTIONS {\n  .text : { *lib/btstack/*(.text*) */cli/*(*.text*) /* real comment */ *(.x) } > R\n\
           .data : { *(.data) } > R AT > R\n}\n\
         MEMORY { Q : ORIGIN = 0x200, LENGTH = 4 } /* after */",
    );
    assert_eq!(summary(&rs), [("R", 0x100, 16), ("Q", 0x200, 4)]);
}

#[test]
fn hash_comments() {
    let rs = regions(
        "# leading\nMEMORY { R : ORIGIN = 0x10, # origin\n LENGTH = 16 } # trailing\n#include \"x.h\"",
    );
    assert_eq!(summary(&rs), [("R", 0x10, 16)]);
}

#[test]
fn overlapping_regions_warn() {
    let m = with_defsyms(
        "MEMORY { R : ORIGIN = 0x100, LENGTH = 16\n Q : ORIGIN = 0x108, LENGTH = 16\n S : ORIGIN = 0x118, LENGTH = 0 }",
        &[],
    )
    .unwrap();
    assert_eq!(
        m.warnings,
        [ScriptWarning::OverlappingRegions {
            first: "R".into(),
            second: "Q".into(),
            start: 0x108,
            end: 0x110
        }]
    );
    let m = with_defsyms(
        "MEMORY { R : ORIGIN = 0, LENGTH = 8\n Q : ORIGIN = 8, LENGTH = 8 }",
        &[],
    )
    .unwrap();
    assert!(m.warnings.is_empty());
}

#[test]
fn bad_defsym() {
    for (text, msg) in [
        (
            "X",
            "--defsym:1:2: expected '=' after 'X', found end of file",
        ),
        ("X=4;", "--defsym:1:4: unexpected ';' after the expression"),
        ("=4", "--defsym:1:1: expected a symbol name, found '='"),
        (
            "X=",
            "--defsym:1:3: expected an expression, found end of file",
        ),
    ] {
        assert_eq!(Defsym::parse(text).unwrap_err().to_string(), msg);
    }
    assert_eq!(
        Defsym::parse("__STACKSIZE__ = 16K").unwrap().name(),
        "__STACKSIZE__"
    );
}

/// Fuzzing found these overflowing the stack (exit 134) through every command
/// that reads a script; they must be errors with a position.
#[test]
fn deep_nesting_is_an_error_not_an_abort() {
    let parens = format!(
        "S = {}1{};\nMEMORY {{ R : ORIGIN = 0, LENGTH = 1 }}",
        "(".repeat(3400),
        ")".repeat(3400)
    );
    assert_eq!(
        err(&parens),
        "memory.x:1:105: expression nested too deeply (more than 100 levels)"
    );
    for op in ["-", "!", "~", "+"] {
        let unary = format!(
            "S = {}1;\nMEMORY {{ R : ORIGIN = 0, LENGTH = 1 }}",
            op.repeat(52_000)
        );
        assert_eq!(
            err(&unary),
            "memory.x:1:104: expression nested too deeply (more than 100 levels)",
            "{op}"
        );
    }
    let chain = format!(
        "MEMORY {{ R : ORIGIN = 0, LENGTH = 1{} }}",
        " + 1".repeat(100_000)
    );
    assert!(err(&chain).contains("expression nested too deeply"));
    let defsym = format!("X={}1{}", "(".repeat(100_000), ")".repeat(100_000));
    assert!(Defsym::parse(&defsym)
        .unwrap_err()
        .to_string()
        .contains("nested too deeply"));
    // Just inside the limit is fine.
    let ok = format!(
        "MEMORY {{ R : ORIGIN = 0, LENGTH = {}1{} }}",
        "(".repeat(95),
        ")".repeat(95)
    );
    assert_eq!(summary(&regions(&ok)), [("R", 0, 1)]);
}
