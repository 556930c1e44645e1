//! One test per accounting rule of `report::analyze`, on synthetic ELF files built in
//! memory (see `support/elf_spec.rs`), with exact expected numbers.

use crate::support::elf_spec::*;
use crate::support::trials;
use membudget::analyze::{self as report, Options};
use membudget::elf::{self, SectionKind, SymbolKind};
use membudget::memory::Region;
use membudget::memory::Reservation;
use membudget::render::{self, Format, View};
use membudget::report::{RegionUsage, Report, SectionUsage, SymbolUsage};

trials![
    data_is_charged_in_run_region_and_load_region,
    nobits_cost_run_region_only_and_uninit_is_its_own_kind,
    overflow_past_region_end,
    section_outside_every_region_is_unmapped,
    symbols_zero_size_aliases_and_overlaps,
    thumb_bit_cleared_on_arm_functions_only,
    all_classes_and_endiannesses_load_alike,
    sixty_four_bit_addresses_above_4gib,
    stack_from_stack_start_and_end_is_reserved,
    cortex_m_rt_default_stack_is_not_reserved,
    stack_section_is_reserved,
    heap_section_is_a_reserved_arena,
    heap_static_object_is_reserved_not_used,
    heap_from_heapbase_heaplimit,
    inferred_regions_cover_every_section,
    reservation_overlapping_bss,
    firmware_fixture_numbers,
    json_rendering_is_deterministic,
    heap_at_top_of_address_space_does_not_overflow,
];

fn region<'a>(r: &'a Report, name: &str) -> &'a RegionUsage {
    r.regions
        .iter()
        .find(|x| x.name == name)
        .unwrap_or_else(|| {
            panic!(
                "no region {name} in {:?}",
                r.regions.iter().map(|x| &x.name).collect::<Vec<_>>()
            )
        })
}

fn section<'a>(r: &'a Report, name: &str) -> &'a SectionUsage {
    r.sections
        .iter()
        .find(|x| x.name == name)
        .unwrap_or_else(|| panic!("no section {name}"))
}

fn symbol<'a>(r: &'a Report, name: &str) -> Option<&'a SymbolUsage> {
    r.symbols.iter().find(|x| x.raw == name)
}

/// Invariants every report must satisfy.
fn check_invariants(r: &Report) {
    for reg in &r.regions {
        if reg.overflow > 0 {
            // ld's "overflowed by N" counts what runs past the end: nothing is free.
            assert_eq!(reg.free, 0, "region {} overflows", reg.name);
        } else if reg.used + reg.reserved <= reg.length {
            assert_eq!(
                reg.used + reg.reserved + reg.free,
                reg.length,
                "region {}",
                reg.name
            );
        }
    }
    for s in &r.sections {
        let sym: u64 = r
            .symbols
            .iter()
            .filter(|y| y.section == s.name)
            .map(|y| y.bytes)
            .sum();
        assert_eq!(sym + s.unattributed, s.size, "section {}", s.name);
    }
}

fn analyze_with(bytes: &[u8], opts: &Options) -> Report {
    let image = elf::load_bytes(bytes, "test.elf").expect("synthetic ELF must load");
    let r = report::analyze(&image, opts).expect("analysis must succeed");
    check_invariants(&r);
    r
}

fn analyze(bytes: &[u8]) -> Report {
    analyze_with(bytes, &options())
}

fn data_is_charged_in_run_region_and_load_region() {
    let elf = ElfSpec::new()
        .text(".text", FLASH, 0x400)
        .data(".data", RAM, FLASH + 0x400, 0x40)
        .object("COUNTER", ".data", RAM, 0x10)
        .build();
    let r = analyze(&elf);

    let data = section(&r, ".data");
    assert_eq!(data.kind, SectionKind::Data);
    assert_eq!(data.addr, RAM);
    assert_eq!(data.load_addr, FLASH + 0x400);
    assert_eq!(data.region.as_deref(), Some("RAM"));
    assert_eq!(data.load_region.as_deref(), Some("FLASH"));

    let flash = region(&r, "FLASH");
    assert_eq!(flash.by_kind.code, 0x400);
    assert_eq!(flash.by_kind.load_image, 0x40);
    assert_eq!(flash.by_kind.data, 0);
    assert_eq!(flash.used, 0x440);
    assert_eq!(flash.free, FLASH_LEN - 0x440);
    assert_eq!(flash.sections, vec![".text", ".data"]);

    let ram = region(&r, "RAM");
    assert_eq!(ram.by_kind.data, 0x40);
    assert_eq!(ram.by_kind.load_image, 0);
    assert_eq!(ram.used, 0x40);
    assert_eq!(ram.free, RAM_LEN - 0x40);
    assert_eq!(ram.sections, vec![".data"]);

    // Symbols of .data carry both regions too.
    let c = symbol(&r, "COUNTER").unwrap();
    assert_eq!(c.region.as_deref(), Some("RAM"));
    assert_eq!(c.load_region.as_deref(), Some("FLASH"));
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
}

fn nobits_cost_run_region_only_and_uninit_is_its_own_kind() {
    // A .bss whose segment has a physical address in FLASH (as ld writes it after
    // `.data AT>FLASH`) still costs no flash.
    let elf = ElfSpec::new()
        .text(".text", FLASH, 0x100)
        .section(
            ".bss",
            SecType::Nobits,
            SHF_ALLOC | SHF_WRITE,
            RAM,
            FLASH + 0x100,
            0x200,
        )
        .nobits(".uninit", RAM + 0x200, 0x80)
        .build();
    let r = analyze(&elf);

    let bss = section(&r, ".bss");
    assert_eq!(bss.kind, SectionKind::Bss);
    assert_eq!(bss.region.as_deref(), Some("RAM"));
    assert_eq!(bss.load_region, None);
    let uninit = section(&r, ".uninit");
    assert_eq!(uninit.kind, SectionKind::Uninit);
    assert_eq!(uninit.load_region, None);

    let flash = region(&r, "FLASH");
    assert_eq!(flash.used, 0x100);
    assert_eq!(flash.by_kind.load_image, 0);
    assert_eq!(flash.sections, vec![".text"]);

    let ram = region(&r, "RAM");
    assert_eq!(ram.by_kind.bss, 0x200);
    assert_eq!(ram.by_kind.uninit, 0x80);
    assert_eq!(ram.by_kind.data, 0);
    assert_eq!(ram.used, 0x280);
    assert_eq!(ram.free, RAM_LEN - 0x280);
}

fn overflow_past_region_end() {
    let elf = ElfSpec::new()
        .text(".text", FLASH, 0x100)
        .nobits(".bss", RAM + RAM_LEN - 0x100, 0x100 + 100)
        .build();
    let r = analyze(&elf);

    let bss = section(&r, ".bss");
    assert_eq!(bss.region.as_deref(), Some("RAM"));
    assert_eq!(bss.overflow, 100);
    let ram = region(&r, "RAM");
    assert_eq!(ram.overflow, 100);
    // Only the bytes inside the region are used; the rest is the overflow.
    assert_eq!(ram.used, 0x100);
    assert_eq!(ram.by_kind.bss, 0x100);
    // An overflowing region has no room left, whatever gaps lie below the overflow.
    assert_eq!(ram.free, 0);
    assert_eq!(region(&r, "FLASH").overflow, 0);
    assert!(
        r.warnings
            .iter()
            .any(|w| w.to_string().contains("RAM") && w.to_string().contains("100")),
        "{:?}",
        r.warnings
    );
    assert!(r.unmapped.is_empty());
}

fn section_outside_every_region_is_unmapped() {
    let elf = ElfSpec::new()
        .text(".text", FLASH, 0x100)
        .data(".ccmram", 0x1000_0000, 0x1000_0000, 0x80)
        .object("ccm_buf", ".ccmram", 0x1000_0000, 0x80)
        .build();
    let r = analyze(&elf);

    assert_eq!(r.unmapped, vec![".ccmram"]);
    let s = section(&r, ".ccmram");
    assert_eq!(s.region, None);
    assert_eq!(s.load_region, None);
    assert_eq!(s.size, 0x80);
    assert_eq!(symbol(&r, "ccm_buf").unwrap().region, None);
    assert!(
        r.warnings.iter().any(|w| w.to_string().contains(".ccmram")),
        "{:?}",
        r.warnings
    );
    // Neither region is charged.
    assert_eq!(region(&r, "FLASH").used, 0x100);
    assert_eq!(region(&r, "RAM").used, 0);

    // A load image stored outside every region is warned about and charged nowhere.
    let elf = ElfSpec::new()
        .text(".text", FLASH, 0x100)
        .data(".data", RAM, 0x0900_0000, 0x40)
        .build();
    let r = analyze(&elf);
    let d = section(&r, ".data");
    assert_eq!(d.region.as_deref(), Some("RAM"));
    assert_eq!(d.load_region, None);
    assert!(r.unmapped.is_empty());
    assert!(
        r.warnings
            .iter()
            .any(|w| w.to_string().contains(".data") && w.to_string().contains("0x9000000")),
        "{:?}",
        r.warnings
    );
    assert_eq!(region(&r, "FLASH").by_kind.load_image, 0);
    assert_eq!(region(&r, "RAM").used, 0x40);
}

fn symbols_zero_size_aliases_and_overlaps() {
    let ro = FLASH;
    let elf = ElfSpec::new()
        .rodata(".rodata", ro, 0x100)
        .object("zero_sized", ".rodata", ro + 0x10, 0)
        .object("alias_strong", ".rodata", ro, 0x20)
        .symbol(
            "alias_weak",
            Some(".rodata"),
            ro,
            0x20,
            SymType::Object,
            Bind::Weak,
        )
        .object("ov_a", ".rodata", ro + 0x40, 0x30) // 0x40..0x70
        .object("inner", ".rodata", ro + 0x48, 0x08) // inside ov_a
        .object("ov_b", ".rodata", ro + 0x60, 0x30) // 0x60..0x90, 0x10 shared with ov_a
        .object("tail", ".rodata", ro + 0xf0, 0x20) // runs 0x10 past the section end
        .build();
    let r = analyze(&elf);

    assert!(
        symbol(&r, "zero_sized").is_none(),
        "zero-size symbols are not listed"
    );
    assert!(
        symbol(&r, "alias_weak").is_none(),
        "aliases are merged into one entry"
    );
    let a = symbol(&r, "alias_strong").unwrap();
    assert_eq!(a.aliases, vec!["alias_weak"]);
    assert_eq!((a.addr, a.size, a.bytes), (ro, 0x20, 0x20));

    let bytes = |n: &str| symbol(&r, n).unwrap_or_else(|| panic!("no {n}")).bytes;
    assert_eq!(bytes("ov_a"), 0x30);
    assert_eq!(bytes("inner"), 0);
    assert_eq!(bytes("ov_b"), 0x20);
    assert_eq!(bytes("tail"), 0x10);
    assert_eq!(symbol(&r, "ov_b").unwrap().size, 0x30, "size stays st_size");
    assert_eq!(r.symbols.len(), 5);

    let covered = 0x20 + 0x30 + 0x20 + 0x10;
    let s = section(&r, ".rodata");
    assert_eq!(s.unattributed, 0x100 - covered);
    let sum: u64 = r.symbols.iter().map(|s| s.bytes).sum();
    assert_eq!(sum + s.unattributed, s.size);

    // Largest attributed bytes first, then larger st_size, then name.
    let order: Vec<&str> = r.symbols.iter().map(|s| s.raw.as_str()).collect();
    assert_eq!(order, vec!["ov_a", "ov_b", "alias_strong", "tail", "inner"]);
}

fn thumb_bit_cleared_on_arm_functions_only() {
    let spec = |machine| {
        ElfSpec::new()
            .machine(machine)
            .text(".text", FLASH + 0x100, 0x100)
            .rodata(".rodata", FLASH + 0x200, 0x10)
            .func("thumb_fn", ".text", FLASH + 0x101, 0x20)
            .object("odd_obj", ".rodata", FLASH + 0x201, 0x3)
            .symbol(
                "$t",
                Some(".text"),
                FLASH + 0x100,
                0,
                SymType::NoType,
                Bind::Local,
            )
            .symbol(
                "$d.1",
                Some(".rodata"),
                FLASH + 0x200,
                0,
                SymType::NoType,
                Bind::Local,
            )
    };

    let arm = spec(EM_ARM).build();
    let image = elf::load_bytes(&arm, "arm.elf").unwrap();
    assert!(
        image.symbols.iter().all(|s| !s.raw.starts_with('$')),
        "ARM mapping symbols hidden"
    );
    let r = analyze(&arm);
    let f = symbol(&r, "thumb_fn").unwrap();
    assert_eq!(f.addr, 0x0800_0200 - 0x100);
    assert_eq!(f.kind, SymbolKind::Func);
    assert_eq!(f.bytes, 0x20);
    // Only STT_FUNC gets the bit cleared.
    assert_eq!(symbol(&r, "odd_obj").unwrap().addr, FLASH + 0x201);
    assert_eq!(section(&r, ".text").unattributed, 0x100 - 0x20);

    let rv = spec(EM_RISCV).build();
    let image = elf::load_bytes(&rv, "rv.elf").unwrap();
    assert!(
        image.symbols.iter().any(|s| s.raw == "$t"),
        "mapping symbols are an ARM thing"
    );
    let r = analyze(&rv);
    let f = symbol(&r, "thumb_fn").unwrap();
    assert_eq!(f.addr, 0x0800_0101);
    // 0x101..0x121 inside 0x100..0x200.
    assert_eq!(f.bytes, 0x20);
}

fn layout_spec() -> ElfSpec {
    ElfSpec::new()
        .text(".text", FLASH, 0x300)
        .rodata(".rodata", FLASH + 0x300, 0x50)
        .data(".data", RAM, FLASH + 0x350, 0x30)
        .nobits(".bss", RAM + 0x30, 0x120)
        .func("main", ".text", FLASH, 0x200)
        .object("TABLE", ".rodata", FLASH + 0x300, 0x40)
        .object("state", ".bss", RAM + 0x30, 0x100)
}

fn assert_layout(r: &Report) {
    let flash = region(r, "FLASH");
    assert_eq!(flash.by_kind.code, 0x300);
    assert_eq!(flash.by_kind.rodata, 0x50);
    assert_eq!(flash.by_kind.load_image, 0x30);
    assert_eq!(flash.used, 0x380);
    let ram = region(r, "RAM");
    assert_eq!(ram.by_kind.data, 0x30);
    assert_eq!(ram.by_kind.bss, 0x120);
    assert_eq!(ram.used, 0x150);
    let names: Vec<&str> = r.sections.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, vec![".text", ".rodata", ".data", ".bss"]);
    assert_eq!(section(r, ".data").load_addr, FLASH + 0x350);
    let main = symbol(r, "main").unwrap();
    assert_eq!((main.addr, main.size, main.bytes), (FLASH, 0x200, 0x200));
    let t = symbol(r, "TABLE").unwrap();
    assert_eq!((t.addr, t.size, t.bytes), (FLASH + 0x300, 0x40, 0x40));
    let s = symbol(r, "state").unwrap();
    assert_eq!((s.addr, s.size, s.bytes), (RAM + 0x30, 0x100, 0x100));
    assert_eq!(section(r, ".text").unattributed, 0x100);
    assert_eq!(section(r, ".bss").unattributed, 0x20);
}

fn all_classes_and_endiannesses_load_alike() {
    let base = analyze(&layout_spec().build());
    assert_eq!((base.elf.class, base.elf.endian), (32, "little"));
    assert_layout(&base);

    let cases = [
        (
            layout_spec().machine(EM_RISCV).class64(),
            64,
            "little",
            "RISC-V",
        ),
        (
            layout_spec().machine(object::elf::EM_PPC.0).big_endian(),
            32,
            "big",
            "PowerPC",
        ),
        (
            layout_spec()
                .machine(object::elf::EM_PPC64.0)
                .class64()
                .big_endian(),
            64,
            "big",
            "PowerPC64",
        ),
        (layout_spec().big_endian(), 32, "big", "ARM"),
    ];
    for (spec, class, endian, machine) in cases {
        let bytes = spec.build();
        let r = analyze(&bytes);
        assert_eq!(r.elf.class, class);
        assert_eq!(r.elf.endian, endian);
        assert_eq!(r.elf.machine, machine);
        assert_eq!(r.elf.file_type, "EXEC");
        assert!(r.elf.has_symbols);
        assert_layout(&r);
    }
}

fn sixty_four_bit_addresses_above_4gib() {
    let base = 0x1_0000_0000u64;
    let elf = ElfSpec::new()
        .machine(object::elf::EM_AARCH64.0)
        .class64()
        .text(".text", base + 0x1000, 0x800)
        .nobits(".bss", base + 0x10_0000, 0x400)
        .func("kmain", ".text", base + 0x1001, 0x100) // low bit kept: not ARM (32-bit)
        .object("pages", ".bss", base + 0x10_0000, 0x400)
        .build();
    let opts = Options {
        regions: vec![Region::new("DRAM", base, 0x20_0000)],
        ..Default::default()
    };
    let r = analyze_with(&elf, &opts);
    assert_eq!(r.elf.class, 64);
    assert_eq!(r.elf.machine, "AArch64");
    let d = region(&r, "DRAM");
    assert_eq!(d.by_kind.code, 0x800);
    assert_eq!(d.by_kind.bss, 0x400);
    assert_eq!(d.used, 0xc00);
    assert_eq!(d.free, 0x20_0000 - 0xc00);
    assert_eq!(symbol(&r, "kmain").unwrap().addr, base + 0x1001);
    assert_eq!(symbol(&r, "pages").unwrap().bytes, 0x400);
    assert_eq!(section(&r, ".bss").unattributed, 0);
}

fn stack_from_stack_start_and_end_is_reserved() {
    let elf = ElfSpec::new()
        .text(".text", FLASH, 0x100)
        .nobits(".bss", RAM, 0x200)
        .abs("_stack_start", RAM + RAM_LEN)
        .abs("_stack_end", RAM + RAM_LEN - 0x1000)
        .build();
    let r = analyze(&elf);
    let s = r.stack.as_ref().expect("stack found");
    assert!(s.sized);
    assert_eq!(s.top, RAM + RAM_LEN);
    assert_eq!(s.bottom, RAM + RAM_LEN - 0x1000);
    assert_eq!(s.size, 0x1000);
    assert_eq!(s.region.as_deref(), Some("RAM"));
    let ram = region(&r, "RAM");
    assert_eq!(ram.stack, 0x1000);
    assert_eq!(ram.reserved, 0x1000);
    assert_eq!(ram.used, 0x200);
    assert_eq!(ram.free, RAM_LEN - 0x200 - 0x1000);
    assert_eq!(region(&r, "FLASH").reserved, 0);
}

fn cortex_m_rt_default_stack_is_not_reserved() {
    // cortex-m-rt's link.x: `_stack_end = __euninit` unless the user sets it.
    let elf = ElfSpec::new()
        .text(".text", FLASH, 0x100)
        .nobits(".bss", RAM, 0x200)
        .nobits(".uninit", RAM + 0x200, 0x40)
        .abs("__euninit", RAM + 0x240)
        .abs("_stack_end", RAM + 0x240)
        .abs("_stack_start", RAM + RAM_LEN)
        .build();
    let r = analyze(&elf);
    let s = r.stack.as_ref().expect("stack found");
    assert!(!s.sized);
    assert_eq!(s.bottom, RAM + 0x240);
    assert_eq!(s.top, RAM + RAM_LEN);
    assert_eq!(s.size, RAM_LEN - 0x240);
    assert_eq!(s.region.as_deref(), Some("RAM"));
    let ram = region(&r, "RAM");
    assert_eq!(ram.stack, 0);
    assert_eq!(ram.reserved, 0);
    assert_eq!(ram.used, 0x240);
    assert_eq!(ram.free, RAM_LEN - 0x240);
}

fn stack_section_is_reserved() {
    let elf = ElfSpec::new()
        .text(".text", FLASH, 0x100)
        .nobits(".bss", RAM, 0x100)
        .nobits(".stack", RAM + 0x100, 0x800)
        .build();
    let r = analyze(&elf);
    let s = r.stack.as_ref().expect("stack found");
    assert!(s.sized);
    assert_eq!((s.bottom, s.top, s.size), (RAM + 0x100, RAM + 0x900, 0x800));
    let ram = region(&r, "RAM");
    assert_eq!(ram.stack, 0x800);
    assert_eq!(ram.reserved, 0x800);
    assert_eq!(ram.used, 0x100);
    assert_eq!(ram.free, RAM_LEN - 0x900);
}

fn heap_section_is_a_reserved_arena() {
    let elf = ElfSpec::new()
        .text(".text", FLASH, 0x100)
        .nobits(".bss", RAM, 0x200)
        .nobits(".heap", RAM + 0x200, 0x800)
        .build();
    let r = analyze(&elf);
    assert_eq!(r.heap.len(), 1);
    let h = &r.heap[0];
    assert_eq!(h.name, ".heap");
    assert_eq!((h.addr, h.size), (RAM + 0x200, 0x800));
    assert_eq!(h.region.as_deref(), Some("RAM"));
    let ram = region(&r, "RAM");
    assert_eq!(ram.heap, 0x800);
    assert_eq!(ram.reserved, 0x800);
    assert_eq!(ram.used, 0x200);
    assert_eq!(ram.free, RAM_LEN - 0xa00);
}

fn heap_static_object_is_reserved_not_used() {
    let elf = ElfSpec::new()
        .text(".text", FLASH, 0x100)
        .nobits(".bss", RAM, 0x1100)
        .object("other", ".bss", RAM, 0x100)
        .object("HEAP_MEM", ".bss", RAM + 0x100, 4096)
        .build();
    let r = analyze(&elf);
    assert_eq!(r.heap.len(), 1, "{:?}", r.heap);
    let h = &r.heap[0];
    assert_eq!(h.name, "HEAP_MEM");
    assert_eq!((h.addr, h.size), (RAM + 0x100, 4096));
    assert_eq!(h.region.as_deref(), Some("RAM"));
    let ram = region(&r, "RAM");
    assert_eq!(ram.heap, 4096);
    assert_eq!(ram.reserved, 4096);
    assert_eq!(ram.used, 0x100);
    assert_eq!(ram.free, RAM_LEN - 0x1100);
    // The symbol itself is still listed with its bytes.
    assert_eq!(symbol(&r, "HEAP_MEM").unwrap().bytes, 4096);
}

fn heap_from_heapbase_heaplimit() {
    let elf = ElfSpec::new()
        .text(".text", FLASH, 0x100)
        .nobits(".bss", RAM, 0x100)
        .abs("__HeapBase", RAM + 0x1000)
        .abs("__HeapLimit", RAM + 0x3000)
        .build();
    let r = analyze(&elf);
    assert_eq!(r.heap.len(), 1);
    let h = &r.heap[0];
    assert_eq!((h.addr, h.size), (RAM + 0x1000, 0x2000));
    assert_eq!(h.region.as_deref(), Some("RAM"));
    let ram = region(&r, "RAM");
    assert_eq!(ram.heap, 0x2000);
    assert_eq!(ram.reserved, 0x2000);
    assert_eq!(ram.used, 0x100);
    assert_eq!(ram.free, RAM_LEN - 0x2100);
}

fn inferred_regions_cover_every_section() {
    let bytes = firmware().build();
    let image = elf::load_bytes(&bytes, "fw.elf").unwrap();
    let r = report::analyze(&image, &Options::default()).unwrap();
    check_invariants(&r);
    assert_eq!(r.regions_source.kind, "inferred");
    assert!(!r.regions.is_empty());
    for reg in &r.regions {
        assert!(reg.inferred);
        assert_eq!(reg.name, format!("LOAD@{:#x}", reg.origin));
    }
    for s in image.sections.iter().filter(|s| s.is_alloc() && s.size > 0) {
        let run = r
            .regions
            .iter()
            .find(|g| s.addr >= g.origin && s.end() <= g.origin + g.length)
            .unwrap_or_else(|| panic!("{} at {:#x} in no inferred region", s.name, s.addr));
        assert_eq!(
            section(&r, &s.name).region.as_deref(),
            Some(run.name.as_str())
        );
        if s.has_load_copy() {
            let load = r
                .regions
                .iter()
                .find(|g| s.load_addr >= g.origin && s.load_addr + s.size <= g.origin + g.length)
                .unwrap_or_else(|| panic!("load image of {} in no inferred region", s.name));
            assert_eq!(
                section(&r, &s.name).load_region.as_deref(),
                Some(load.name.as_str())
            );
        }
    }
    assert!(r.unmapped.is_empty());
    let names: Vec<&str> = r.regions.iter().map(|g| g.name.as_str()).collect();
    assert_eq!(names, vec!["LOAD@0x8000000", "LOAD@0x20000000"]);
    assert_eq!(region(&r, "LOAD@0x8000000").used, 0x640);
}

fn reservation_overlapping_bss() {
    let bytes = firmware().build(); // .bss at RAM+0x40..RAM+0x240
    let opts = Options {
        regions: regions(),
        reservations: vec![Reservation {
            name: "softdevice".into(),
            origin: RAM + 0x100,
            length: 0x100,
        }],
        ..Default::default()
    };
    let r = analyze_with(&bytes, &opts);
    assert_eq!(r.reservations.len(), 1);
    let res = &r.reservations[0];
    assert_eq!(res.name, "softdevice");
    assert_eq!(res.region.as_deref(), Some("RAM"));
    assert_eq!(res.overlap, 0x100);
    assert_eq!(res.sections.len(), 1);
    assert_eq!(res.sections[0].section, ".bss");
    assert_eq!(res.sections[0].bytes, 0x100);
    let ram = region(&r, "RAM");
    assert_eq!(ram.external, 0x100);
    assert_eq!(ram.reserved, 0x100);
    assert_eq!(region(&r, "FLASH").external, 0);

    // A reservation clear of the image overlaps nothing.
    let opts = Options {
        regions: regions(),
        reservations: vec![Reservation {
            name: "bootloader-ram".into(),
            origin: RAM + 0x4000,
            length: 0x1000,
        }],
        ..Default::default()
    };
    let r = analyze_with(&bytes, &opts);
    assert_eq!(r.reservations[0].overlap, 0);
    assert!(r.reservations[0].sections.is_empty());
    let ram = region(&r, "RAM");
    assert_eq!(ram.external, 0x1000);
    assert_eq!(ram.used, 0x340);
    assert_eq!(ram.free, RAM_LEN - 0x340 - 0x1000);
}

fn firmware_fixture_numbers() {
    let r = analyze(&firmware().build());
    let flash = region(&r, "FLASH");
    assert_eq!(flash.used, 0x640);
    assert_eq!(
        (
            flash.by_kind.code,
            flash.by_kind.rodata,
            flash.by_kind.load_image
        ),
        (0x400, 0x200, 0x40)
    );
    let ram = region(&r, "RAM");
    assert_eq!(ram.used, 0x340);
    assert_eq!(
        (ram.by_kind.data, ram.by_kind.bss, ram.by_kind.uninit),
        (0x40, 0x200, 0x100)
    );
    // Only `_stack_start`: the stack grows down to the statics and is not reserved.
    let s = r.stack.as_ref().unwrap();
    assert!(!s.sized);
    assert_eq!(s.bottom, RAM + 0x340);
    assert_eq!(ram.reserved, 0);
    // Rust names are demangled and get a crate.
    let main = symbol(&r, "_ZN7my_firm4main17h0123456789abcdefE").unwrap();
    assert_eq!(main.name, "my_firm::main");
    assert_eq!(main.krate.as_deref(), Some("my_firm"));
    assert_eq!(main.addr, FLASH + 0x180);
    assert_eq!(symbol(&r, "memcpy").unwrap().krate, None);
    // Non-allocated sections (`.comment`) are not part of the memory report.
    assert!(r.sections.iter().all(|s| s.name != ".comment"));
}

fn json_rendering_is_deterministic() {
    let render = |bytes: &[u8]| {
        let r = analyze(bytes);
        let mut out = Vec::new();
        render::render_report(&r, &View::default(), Format::Json, &mut out).unwrap();
        let mut again = Vec::new();
        render::render_report(&r, &View::default(), Format::Json, &mut again).unwrap();
        assert_eq!(out, again);
        out
    };
    let a = render(&firmware().build());
    let b = render(&firmware().build());
    assert_eq!(a, b, "two builds of the same spec give the same JSON");
    let v: serde_json::Value = serde_json::from_slice(&a).unwrap();
    assert_eq!(v["schema"], "membudget.report/2");
    assert_eq!(v["file"], "test.elf");
}

fn heap_at_top_of_address_space_does_not_overflow() {
    // A 64-bit image whose `.heap` ends exactly at 2^64, plus a heap-named static in it.
    let elf = top_of_address_space()
        .object("big_heap", ".heap", TOP_PAGE, 0x1000)
        .build();
    let image = elf::load_bytes(&elf, "top.elf").unwrap();
    let r = report::analyze(&image, &Options::default()).expect("no panic, no error");
    assert_eq!(
        r.heap.len(),
        1,
        "the static inside .heap is not a second arena: {:?}",
        r.heap
    );
    assert_eq!(r.heap[0].name, ".heap");
    let mut out = Vec::new();
    render::render_report(&r, &View::default(), Format::Json, &mut out).unwrap();
    render::render_report(&r, &View::default(), Format::Csv, &mut out).unwrap();
}
