//! Built-in memory maps for common chips/boards, for when there is no linker script.
//!
//! Every figure comes from the vendor document cited above its preset. Region names
//! follow the names the vendor's (or the board SDK's) own linker scripts use where
//! there is a common convention, and the reference-manual bank names otherwise.
//!
//! Regions cover physical memories only (no peripheral space, no boot ROM); regions
//! of one preset never overlap. `reservations` are parts of a region that the
//! application cannot use (another image, a bootloader, a filesystem...).

use std::borrow::Cow;

use crate::memory::{Region, Reservation};

/// A chip or board's memory map.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChipPreset {
    /// Canonical, lowercase name (what `--chip` prints).
    pub name: &'static str,
    /// One line for `membudget chips`.
    pub description: &'static str,
    /// Other names accepted by [`find`] (lowercase; `-`, `_` and spaces are ignored when matching).
    pub aliases: &'static [&'static str],
    /// `(name, origin, length)`, in address order.
    pub regions: &'static [(&'static str, u64, u64)],
    /// Parts of regions the application cannot use.
    pub reservations: &'static [PresetReservation],
}

/// A part of a preset's region that is not available to the application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresetReservation {
    /// Name of the region it lies in.
    pub region: &'static str,
    /// The reserved range.
    pub range: Reservation,
    /// Who reserves it, and the source of the figure.
    pub note: &'static str,
}

impl ChipPreset {
    /// The regions as [`Region`]s.
    pub fn regions(&self) -> Vec<Region> {
        self.regions
            .iter()
            .map(|&(name, origin, length)| Region::new(name, origin, length))
            .collect()
    }
}

const K: u64 = 1024;
const M: u64 = 1024 * 1024;

static PRESETS: &[ChipPreset] = &[
    // STM32H750 value line as on the Electrosmith Daisy Seed.
    // On-chip memories: ST RM0433 Rev 8 (STM32H742/743/753/750 reference manual),
    // §2.3 "Memory organization" / Table 7 "Register boundary addresses", and
    // DS12556 (STM32H750VB/ZB/IB/XB datasheet): 128 KB flash, 1 MB RAM total.
    // Board memories: Electrosmith Daisy Seed datasheet: 8 MB QSPI NOR flash
    // (IS25LP064A) on the QUADSPI bank at 0x90000000, 64 MB SDRAM (AS4C32M16SB) on FMC
    // SDRAM bank 1 at 0xC0000000 (as in libDaisy's core/STM32H750IB_flash.lds).
    // Names: libDaisy calls AXI SRAM "SRAM" and SRAM1..3 "RAM_D2" (288K, contiguous),
    // SRAM4 "RAM_D3"; CubeMX calls AXI SRAM "RAM_D1". Here the banks are split and
    // named after RM0433 so that each bank's budget is visible.
    ChipPreset {
        name: "stm32h750",
        description: "STM32H750xB (Daisy Seed memory map: + 8 MiB QSPI flash, 64 MiB SDRAM)",
        aliases: &[
            "stm32h750xb", "stm32h750ib", "stm32h750vb", "stm32h750zb", "stm32h750ibk6", "daisy",
            "daisy seed", "electrosmith daisy",
        ],
        regions: &[
            ("ITCMRAM", 0x0000_0000, 64 * K),
            ("FLASH", 0x0800_0000, 128 * K),
            ("DTCMRAM", 0x2000_0000, 128 * K),
            ("AXI_SRAM", 0x2400_0000, 512 * K),
            ("SRAM1", 0x3000_0000, 128 * K),
            ("SRAM2", 0x3002_0000, 128 * K),
            ("SRAM3", 0x3004_0000, 32 * K),
            ("SRAM4", 0x3800_0000, 64 * K),
            ("BACKUP_SRAM", 0x3880_0000, 4 * K),
            ("QSPIFLASH", 0x9000_0000, 8 * M),
            ("SDRAM", 0xC000_0000, 64 * M),
        ],
        reservations: &[],
    },
    // STM32F769xI: ST RM0410 Rev 4 (STM32F76xxx/F77xxx reference manual), §2.2.2
    // "Memory map and register boundary addresses" and §2.3 "Embedded SRAM":
    // 512 KB system SRAM = DTCM 128 KB + SRAM1 368 KB + SRAM2 16 KB, plus 16 KB ITCM
    // RAM and 4 KB backup SRAM; DS11532 (STM32F765/767/768/769 datasheet): 2 MB flash.
    // Flash is shown at its AXIM address (also readable through ITCM at 0x00200000).
    ChipPreset {
        name: "stm32f769",
        description: "STM32F769xI (2 MiB flash, 512 KiB SRAM + 16 KiB ITCM RAM)",
        aliases: &["stm32f769xi", "stm32f769ni", "stm32f769bi", "stm32f769ii", "stm32f769i-disco", "stm32f769i-discovery"],
        regions: &[
            ("ITCMRAM", 0x0000_0000, 16 * K),
            ("FLASH", 0x0800_0000, 2 * M),
            ("DTCMRAM", 0x2000_0000, 128 * K),
            ("SRAM1", 0x2002_0000, 368 * K),
            ("SRAM2", 0x2007_C000, 16 * K),
            ("BACKUP_SRAM", 0x4002_4000, 4 * K),
        ],
        reservations: &[],
    },
    // STM32F407xG: ST RM0090 Rev 19 (STM32F405/415/407/417/427/437/429/439 reference
    // manual), §2.3 "Memory map" and §2.3.1 "Embedded SRAM" (SRAM1 112 KB + SRAM2 16 KB
    // + 64 KB CCM data RAM, 4 KB backup SRAM); DS8626 (STM32F405xx/407xx
    // datasheet): 1 MB flash for the xG parts. CubeMX scripts merge SRAM1+SRAM2 as "RAM".
    ChipPreset {
        name: "stm32f407",
        description: "STM32F407xG (1 MiB flash, 192 KiB SRAM incl. 64 KiB CCM)",
        aliases: &["stm32f407xg", "stm32f407vg", "stm32f407zg", "stm32f407ig", "stm32f4discovery", "stm32f4-disco"],
        regions: &[
            ("FLASH", 0x0800_0000, M),
            ("CCMRAM", 0x1000_0000, 64 * K),
            ("SRAM1", 0x2000_0000, 112 * K),
            ("SRAM2", 0x2001_C000, 16 * K),
            ("BACKUP_SRAM", 0x4002_4000, 4 * K),
        ],
        reservations: &[],
    },
    // STM32F411xE: ST RM0383 Rev 3 (STM32F411xC/E reference manual), §2.3 "Memory map"
    // and §3.3 (128 KB SRAM at 0x20000000); DS10314 (STM32F411xC/xE datasheet):
    // 512 KB flash for the xE parts (the xC parts have 256 KB).
    ChipPreset {
        name: "stm32f411",
        description: "STM32F411xE (512 KiB flash, 128 KiB SRAM)",
        aliases: &["stm32f411xe", "stm32f411re", "stm32f411ce", "stm32f411ve", "blackpill-f411", "nucleo-f411re"],
        regions: &[("FLASH", 0x0800_0000, 512 * K), ("RAM", 0x2000_0000, 128 * K)],
        reservations: &[],
    },
    // Particle P2 / Photon 2 (Realtek RTL8721DM, KM4 Cortex-M33 application core).
    // Address map: Particle P2 datasheet and Device OS build/arm/linker/rtl872x/
    // platform_ram.ld / platform_flash.ld: 4 MB PSRAM at 0x02000000, 8 MB external QSPI
    // flash mapped at 0x08000000, on-chip SRAM at 0x1000xxxx.
    // FLASH: the user application slot, modelled at 0x08000000 with the 2 MiB user-part
    // size of Device OS's platform_flash.ld (`platform_user_part_flash_size` default 2M;
    // the real slot is [0x08400000, 0x08600000) — only the size matters for a budget).
    // SRAM: the application's window [0x10005000, 0x1007B000) (472 KiB); by this
    // project's convention Device OS owns its top 128 KiB, [0x1005B000, 0x1007B000).
    // Device OS also keeps part of PSRAM for itself in modular builds (the user part
    // gets the top 2 MiB); that is not modelled as a reservation here.
    ChipPreset {
        name: "p2",
        description: "Particle P2 / Photon 2 (RTL8721DM: 472 KiB SRAM, top 128 KiB for Device OS; 4 MiB PSRAM; 2 MiB app flash)",
        aliases: &["particle-p2", "photon2", "particle-photon2", "rtl8721dm", "rtl8721d"],
        regions: &[
            ("PSRAM", 0x0200_0000, 4 * M),
            ("FLASH", 0x0800_0000, 2 * M),
            ("SRAM", 0x1000_5000, 0x7_6000),
        ],
        reservations: &[PresetReservation {
            region: "SRAM",
            range: Reservation {
                name: Cow::Borrowed("Device OS"),
                origin: 0x1005_B000,
                length: 128 * K,
            },
            note: "top 128 KiB of SRAM, [0x1005B000, 0x1007B000), belongs to Device OS",
        }],
    },
    // RP2040: Raspberry Pi "RP2040 Datasheet" §2.2 "Address map" and §2.6.2 "SRAM"
    // (264 KB: SRAM0-3 striped 256 KB at 0x20000000, SRAM4 and SRAM5 4 KB each at
    // 0x20040000/0x20041000); flash size is board-dependent: 2 MB W25Q16JV on the
    // Raspberry Pi Pico ("Raspberry Pi Pico Datasheet"). Names and split as in pico-sdk's
    // src/rp2_common/pico_standard_link/memmap_default.ld (RAM, SCRATCH_X, SCRATCH_Y).
    ChipPreset {
        name: "rp2040",
        description: "Raspberry Pi RP2040 (Pico: 2 MiB XIP flash, 264 KiB SRAM)",
        aliases: &["pico", "raspberry-pi-pico", "rpi-pico", "pico-w"],
        regions: &[
            ("FLASH", 0x1000_0000, 2 * M),
            ("RAM", 0x2000_0000, 256 * K),
            ("SCRATCH_X", 0x2004_0000, 4 * K),
            ("SCRATCH_Y", 0x2004_1000, 4 * K),
        ],
        // The image itself must put its `.boot2` stage at the start of FLASH, so that is
        // not a reservation the image has to avoid.
        reservations: &[],
    },
    // nRF52840: Nordic "nRF52840 Product Specification" v1.7, §4.2 "Memory"
    // (1 MB flash at 0x00000000, 256 KB RAM at 0x20000000).
    ChipPreset {
        name: "nrf52840",
        description: "Nordic nRF52840 (1 MiB flash, 256 KiB RAM)",
        aliases: &["nrf52840_xxaa", "nrf52840-dk"],
        regions: &[("FLASH", 0x0000_0000, M), ("RAM", 0x2000_0000, 256 * K)],
        reservations: &[],
    },
    // nRF52833: Nordic "nRF52833 Product Specification" v1.6, §4.2 "Memory"
    // (512 KB flash at 0x00000000, 128 KB RAM at 0x20000000).
    ChipPreset {
        name: "nrf52833",
        description: "Nordic nRF52833 (512 KiB flash, 128 KiB RAM)",
        aliases: &["nrf52833_xxaa", "nrf52833-dk", "microbit-v2"],
        regions: &[("FLASH", 0x0000_0000, 512 * K), ("RAM", 0x2000_0000, 128 * K)],
        reservations: &[],
    },
];

/// Every preset.
pub fn presets() -> &'static [ChipPreset] {
    PRESETS
}

/// Lowercase, without `-`, `_`, `.` and whitespace.
fn normalize(name: &str) -> String {
    name.chars()
        .filter(|c| !matches!(c, '-' | '_' | '.') && !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Finds a preset by name or alias, ignoring case, `-`, `_`, `.` and spaces
/// (`"STM32H750xB"`, `"daisy"`, `"Photon 2"`, `"nrf52840_xxaa"`).
pub fn find(name: &str) -> Option<&'static ChipPreset> {
    let wanted = normalize(name);
    if wanted.is_empty() {
        return None;
    }
    PRESETS
        .iter()
        .find(|p| normalize(p.name) == wanted || p.aliases.iter().any(|a| normalize(a) == wanted))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn regions_do_not_overlap_and_names_are_unique() {
        for p in presets() {
            let rs = p.regions();
            assert!(!rs.is_empty(), "{}", p.name);
            let names: HashSet<_> = rs.iter().map(|r| r.name.as_str()).collect();
            assert_eq!(names.len(), rs.len(), "duplicate region name in {}", p.name);
            for (i, a) in rs.iter().enumerate() {
                assert!(a.length > 0, "{}: {} is empty", p.name, a.name);
                assert!(
                    a.origin.checked_add(a.length).is_some(),
                    "{}: {} wraps",
                    p.name,
                    a.name
                );
                for b in &rs[i + 1..] {
                    assert!(
                        a.end() <= b.origin || b.end() <= a.origin,
                        "{}: {} [{:#x}, {:#x}) overlaps {} [{:#x}, {:#x})",
                        p.name,
                        a.name,
                        a.origin,
                        a.end(),
                        b.name,
                        b.origin,
                        b.end()
                    );
                }
            }
            // Listed in address order.
            assert!(
                rs.windows(2).all(|w| w[0].origin < w[1].origin),
                "{} not in address order",
                p.name
            );
        }
    }

    #[test]
    fn reservations_lie_inside_their_region_and_do_not_overlap() {
        for p in presets() {
            for (i, r) in p.reservations.iter().enumerate() {
                let region = p
                    .regions()
                    .into_iter()
                    .find(|g| g.name == r.region)
                    .unwrap_or_else(|| {
                        panic!(
                            "{}: reservation {} names unknown region {}",
                            p.name, r.range.name, r.region
                        )
                    });
                assert!(r.range.length > 0);
                assert!(
                    r.range.origin >= region.origin && r.range.end() <= region.end(),
                    "{}: reservation {} outside {}",
                    p.name,
                    r.range.name,
                    region.name
                );
                for o in &p.reservations[i + 1..] {
                    // source::resolve de-duplicates reservations by name.
                    let (a, b) = (&r.range, &o.range);
                    assert_ne!(a.name, b.name, "{}: reservation name used twice", p.name);
                    assert!(o.region != r.region || a.end() <= b.origin || b.end() <= a.origin);
                }
            }
        }
    }

    #[test]
    fn names_and_aliases_are_unique_and_findable() {
        let mut seen = HashSet::new();
        for p in presets() {
            assert_eq!(p.name, p.name.to_lowercase());
            for n in std::iter::once(&p.name).chain(p.aliases) {
                assert!(seen.insert(normalize(n)), "{n} used twice");
                assert_eq!(find(n).map(|f| f.name), Some(p.name), "{n}");
            }
        }
    }

    #[test]
    fn find_is_case_insensitive_and_accepts_aliases() {
        let name = |q: &str| find(q).map(|p| p.name);
        assert_eq!(name("stm32h750"), Some("stm32h750"));
        assert_eq!(name("STM32H750XB"), Some("stm32h750"));
        assert_eq!(name("stm32h750xb"), Some("stm32h750"));
        assert_eq!(name("Daisy"), Some("stm32h750"));
        assert_eq!(name("daisy-seed"), Some("stm32h750"));
        assert_eq!(name("STM32F769I-DISCO"), Some("stm32f769"));
        assert_eq!(name("P2"), Some("p2"));
        assert_eq!(name("Photon 2"), Some("p2"));
        assert_eq!(name("RP2040"), Some("rp2040"));
        assert_eq!(name("pico"), Some("rp2040"));
        assert_eq!(name("nRF52840_xxAA"), Some("nrf52840"));
        assert_eq!(name("stm32h7"), None);
        assert_eq!(name(""), None);
        assert_eq!(name("-"), None);
    }

    fn layout(name: &str) -> Vec<(String, u64, u64)> {
        find(name)
            .unwrap()
            .regions()
            .into_iter()
            .map(|r| (r.name, r.origin, r.length))
            .collect()
    }

    #[test]
    fn stm32h750_daisy_figures() {
        let l = layout("daisy");
        let get = |n: &str| l.iter().find(|r| r.0 == n).map(|r| (r.1, r.2)).unwrap();
        assert_eq!(get("ITCMRAM"), (0, 0x1_0000));
        assert_eq!(get("FLASH"), (0x0800_0000, 0x2_0000));
        assert_eq!(get("DTCMRAM"), (0x2000_0000, 0x2_0000));
        assert_eq!(get("AXI_SRAM"), (0x2400_0000, 0x8_0000));
        assert_eq!(get("SRAM1"), (0x3000_0000, 0x2_0000));
        assert_eq!(get("SRAM2"), (0x3002_0000, 0x2_0000));
        assert_eq!(get("SRAM3"), (0x3004_0000, 0x8000));
        assert_eq!(get("SRAM4"), (0x3800_0000, 0x1_0000));
        assert_eq!(get("QSPIFLASH"), (0x9000_0000, 0x80_0000));
        assert_eq!(get("SDRAM"), (0xC000_0000, 0x400_0000));
        // SRAM1..3 are contiguous (libDaisy's 288K RAM_D2).
        assert_eq!(get("SRAM3").0 + get("SRAM3").1 - get("SRAM1").0, 288 * 1024);
    }

    #[test]
    fn stm32f769_figures() {
        let l = layout("stm32f769");
        let get = |n: &str| l.iter().find(|r| r.0 == n).map(|r| (r.1, r.2)).unwrap();
        assert_eq!(get("FLASH"), (0x0800_0000, 2 * M));
        assert_eq!(get("DTCMRAM"), (0x2000_0000, 128 * K));
        assert_eq!(get("SRAM1"), (0x2002_0000, 368 * K));
        assert_eq!(get("SRAM2"), (0x2007_C000, 16 * K));
        // DTCM + SRAM1 + SRAM2 = 512 KiB, contiguous.
        assert_eq!(get("SRAM2").0 + get("SRAM2").1, 0x2008_0000);
    }

    #[test]
    fn p2_figures() {
        let p = find("p2").unwrap();
        let sram = p.regions().into_iter().find(|r| r.name == "SRAM").unwrap();
        assert_eq!(
            (sram.origin, sram.end(), sram.length),
            (0x1000_5000, 0x1007_B000, 472 * K)
        );
        let dos = p.reservations.iter().find(|r| r.region == "SRAM").unwrap();
        assert_eq!(
            (dos.range.name.as_ref(), dos.range.origin, dos.range.end()),
            ("Device OS", 0x1005_B000, 0x1007_B000)
        );
        assert_eq!(p.reservations.len(), 1);
    }
}
