//! Selects the board layout: copies `layouts/<layout>/memory.x` into OUT_DIR (where cortex-m-rt's
//! `link.x` finds it via `INCLUDE memory.x`) and tells the firmware its layout and region names.
//!
//! Layout: env `MEMBUDGET_LAYOUT` (qemu-an386 | qemu-an505 | daisy | p2); default qemu-an386,
//! or p2 when feature `p2-overflow` / `p2-moved` is on.
use std::{env, fs, path::PathBuf};

struct Layout {
    name: &'static str,
    target: &'static str,
    /// Region names (as in memory.x) holding: hot state, DMA buffers, external buffer.
    dtcm: &'static str,
    dma: &'static str,
    ext: &'static str,
}

const LAYOUTS: &[Layout] = &[
    Layout {
        name: "qemu-an386",
        target: "thumbv7em-none-eabihf",
        dtcm: "DTCM",
        dma: "DMA",
        ext: "EXTRAM",
    },
    Layout {
        name: "qemu-an505",
        target: "thumbv8m.main-none-eabihf",
        dtcm: "DTCM",
        dma: "DMA",
        ext: "EXTRAM",
    },
    Layout {
        name: "daisy",
        target: "thumbv7em-none-eabihf",
        dtcm: "DTCMRAM",
        dma: "SRAM1",
        ext: "SDRAM",
    },
    Layout {
        name: "p2",
        target: "thumbv8m.main-none-eabihf",
        dtcm: "RAM",
        dma: "RAM",
        ext: "PSRAM",
    },
];

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=MEMBUDGET_LAYOUT");
    let p2_variant = env::var_os("CARGO_FEATURE_P2_OVERFLOW").is_some()
        || env::var_os("CARGO_FEATURE_P2_MOVED").is_some();
    let name = match env::var("MEMBUDGET_LAYOUT") {
        Ok(s) if !s.is_empty() => s,
        _ if p2_variant => "p2".to_string(),
        _ => "qemu-an386".to_string(),
    };
    let layout = LAYOUTS.iter().find(|l| l.name == name).unwrap_or_else(|| {
        let names: Vec<_> = LAYOUTS.iter().map(|l| l.name).collect();
        panic!("unknown MEMBUDGET_LAYOUT={name:?}; expected one of {names:?}")
    });
    if p2_variant && layout.name != "p2" {
        panic!("features p2-overflow / p2-moved need MEMBUDGET_LAYOUT=p2 (got {name})");
    }
    let target = env::var("TARGET").unwrap();
    if target != layout.target {
        panic!(
            "layout {name} is built for --target {} (got {target})",
            layout.target
        );
    }

    let manifest = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").unwrap());
    let src = manifest.join("layouts").join(layout.name).join("memory.x");
    println!("cargo:rerun-if-changed={}", src.display());
    let out = PathBuf::from(env::var_os("OUT_DIR").unwrap());
    fs::copy(&src, out.join("memory.x")).expect("copy memory.x");
    // cortex-m-rt's `device` feature INCLUDEs device.x (normally a PAC's weak handler aliases);
    // src/vectors.rs names its handlers directly, so there is nothing to alias.
    fs::write(
        out.join("device.x"),
        "/* membudget firmware: __INTERRUPTS is in src/vectors.rs */\n",
    )
    .expect("write device.x");
    // The size of __INTERRUPTS is the sub-architecture's maximum (as cortex-m-rt's own).
    println!("cargo:rustc-check-cfg=cfg(armv8m_main)");
    if target.starts_with("thumbv8m.main") {
        println!("cargo:rustc-cfg=armv8m_main");
    }
    println!("cargo:rustc-link-search={}", out.display());

    println!("cargo:rustc-env=MEMBUDGET_LAYOUT={}", layout.name);
    println!("cargo:rustc-env=MEMBUDGET_REGION_DTCM={}", layout.dtcm);
    println!("cargo:rustc-env=MEMBUDGET_REGION_DMA={}", layout.dma);
    println!("cargo:rustc-env=MEMBUDGET_REGION_EXT={}", layout.ext);
}
