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
    // "Memory organization" and its "Register boundary addresses" table, and
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
    // STM32F769xI: ST RM0410 Rev 4 (STM32F76xxx/F77xxx reference manual),
    // "Memory map and register boundary addresses" and "Embedded SRAM":
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
    // STM32F411xE: ST RM0383 Rev 3 (STM32F411xC/E reference manual), chapter 2 "Memory
    // and bus architecture", "Memory map" (128 KB SRAM at 0x20000000); DS10314 (STM32F411xC/xE datasheet):
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
    // ATmega328P (Arduino Uno/Nano): Microchip DS40002061A "ATmega328P" datasheet, "AVR
    // Memories": 32 KB flash, 2 KB SRAM at data addresses 0x0100-0x08FF (figure "Data
    // Memory Map"), 1 KB EEPROM. Addresses are GNU ld's AVR ones:
    // binutils' avr5 ldscripts put data memory at 0x800000 + data address and EEPROM at
    // 0x810000, and avr-gcc's device specs pass the device's sizes (avr-libc
    // <avr/iom328p.h>: RAMSTART 0x100, RAMEND 0x8FF, E2END 0x3FF, FLASHEND 0x7FFF).
    // Region names are the ldscripts' (`text`, `data`, `eeprom`).
    ChipPreset {
        name: "atmega328p",
        description: "Microchip ATmega328P (Arduino Uno/Nano: 32 KiB flash, 2 KiB SRAM, 1 KiB EEPROM)",
        aliases: &["atmega328p-pu", "atmega328p-au", "arduino uno", "arduino nano", "uno"],
        regions: &[
            ("text", 0x0, 32 * K),
            ("data", 0x80_0100, 2 * K),
            ("eeprom", 0x81_0000, K),
        ],
        reservations: &[],
    },
    // ATmega2560 (Arduino Mega 2560): Atmel-2549Q (Microchip DS40002211A)
    // "ATmega640/1280/1281/2560/2561" datasheet, §8 "AVR Memories": 256 KB flash (§8.1),
    // 8 KB internal SRAM at data addresses 0x0200-0x21FF (§8.2, Figure 8-2 "Data Memory
    // Map"), 4 KB EEPROM (§8.3). GNU ld avr6 addresses as for the ATmega328P (avr-libc
    // <avr/iom2560.h>: RAMSTART 0x200, RAMEND 0x21FF, E2END 0xFFF, FLASHEND 0x3FFFF).
    // External SRAM (XMEM, up to 64 KB above 0x2200) is board-specific and not included.
    ChipPreset {
        name: "atmega2560",
        description: "Microchip ATmega2560 (Arduino Mega 2560: 256 KiB flash, 8 KiB SRAM, 4 KiB EEPROM)",
        aliases: &["atmega2560-16au", "arduino mega", "arduino mega 2560", "mega2560"],
        regions: &[
            ("text", 0x0, 256 * K),
            ("data", 0x80_0200, 8 * K),
            ("eeprom", 0x81_0000, 4 * K),
        ],
        reservations: &[],
    },
    // ESP32 (Xtensa LX6): the regions of ESP-IDF's components/esp_system/ld/esp32/memory.ld.in
    // (espressif/esp-idf@0f549fa1) with the default configuration (flash sections on, no
    // Bluetooth DRAM reserve, no ULP reserve, no bootloader RTC reserve), names as there.
    // Physical map: Espressif "ESP32 Technical Reference Manual" v5, chapter "System and
    // Memory", tables "Embedded Memory Address Mapping" and "External Memory Address
    // Mapping" (SRAM2 at 0x3FFAE000 on the data bus, SRAM0 at 0x40070000 on the instruction
    // bus, RTC FAST 8 KB, RTC SLOW 8 KB, flash through the cache at 0x3F400000 (data, 4 MB)
    // and 0x400C2000 (instructions), external RAM at 0x3F800000 (4 MB)).
    // dram0_0_seg is IDF's 0x2C200 (176 KiB) of SRAM2 for statics (the rest is heap at run
    // time); enabling Bluetooth moves its start up by CONFIG_BTDM_RESERVE_DRAM. ESP-IDF
    // v3 and older started iram0_2_seg at 0x400D0018 instead of 0x400D0020.
    ChipPreset {
        name: "esp32",
        description: "Espressif ESP32 (ESP-IDF memory.ld regions: 176.5 KiB DRAM, 128 KiB IRAM, 4 MiB flash-mapped data)",
        aliases: &["esp32-d0wd", "esp32-wroom-32", "esp32-devkitc"],
        regions: &[
            ("drom0_0_seg", 0x3F40_0020, 0x40_0000 - 0x20),
            ("extern_ram_seg", 0x3F80_0000, 0x40_0000),
            ("rtc_data_seg", 0x3FF8_0000, 0x2000),
            ("dram0_0_seg", 0x3FFB_0000, 0x2_C200),
            ("iram0_0_seg", 0x4008_0000, 0x2_0000),
            ("rtc_iram_seg", 0x400C_0000, 0x2000),
            ("iram0_2_seg", 0x400D_0020, 0x33_0000 - 0x20),
            ("rtc_slow_seg", 0x5000_0000, 0x2000 - 24),
            ("rtc_slow_reserved_seg", 0x5000_2000 - 24, 24),
        ],
        reservations: &[],
    },
    // ESP32-C3 (RISC-V): ESP-IDF components/esp_system/ld/esp32c3/memory.ld.in
    // (espressif/esp-idf@6d0d2366), default configuration, names as there. Physical map:
    // "ESP32-C3 Technical Reference Manual" chapter 3 "System and Memory",
    // "Internal Memory" and "External Memory" (SRAM0 16 KB for the ICache at
    // 0x4037C000, SRAM1 384 KB at 0x3FC80000 (data bus) = 0x40380000 (instruction bus),
    // RTC FAST 8 KB at 0x50000000, flash through the cache at 0x3C000000 (data) and
    // 0x42000000 (instructions), 8 MB each). iram0_0_seg and dram0_0_seg are the two bus
    // views of the same SRAM1 bytes, ending where the 2nd-stage bootloader's
    // iram_loader_seg starts; ESP-IDF links a `.dram0.dummy` NOBITS section over the part
    // of DRAM that IRAM uses, so each byte is still counted once.
    ChipPreset {
        name: "esp32c3",
        description: "Espressif ESP32-C3 (ESP-IDF memory.ld regions: 313.8 KiB shared IRAM/DRAM, 8 MiB flash-mapped)",
        aliases: &["esp32-c3-devkitm-1", "esp32-c3-mini-1"],
        regions: &[
            ("drom0_0_seg", 0x3C00_0020, 0x80_0000 - 0x20),
            ("dram0_0_seg", 0x3FC8_0000, 0x4_E710),
            ("iram0_0_seg", 0x4038_0000, 0x4_E710),
            ("iram0_2_seg", 0x4200_0020, 0x80_0000 - 0x20),
            ("rtc_iram_seg", 0x5000_0000, 0x2000 - 24),
            ("rtc_reserved_seg", 0x5000_2000 - 24, 24),
        ],
        reservations: &[],
    },
    // ESP32-S3 (Xtensa LX7): ESP-IDF components/esp_system/ld/esp32s3/memory.ld.in
    // (espressif/esp-idf@019a0195), default configuration (16 KB instruction cache), names
    // as there. Physical map: "ESP32-S3 Technical Reference Manual" chapter 4 "System and
    // Memory", "Internal Memory" and "External Memory" (SRAM0 32 KB at
    // 0x40370000, SRAM1 416 KB at 0x3FC88000 (data) = 0x40378000 (instructions), SRAM2
    // 64 KB at 0x3FCF0000, RTC FAST 8 KB at 0x600FE000, RTC SLOW 8 KB at 0x50000000,
    // flash/PSRAM through the caches at 0x3C000000 (data) and 0x42000000 (instructions),
    // 32 MB each). IDF's extern_ram_seg shares its addresses with drom0_0_seg (IDF
    // separates them with a dummy section), so it is not a separate region here.
    ChipPreset {
        name: "esp32s3",
        description: "Espressif ESP32-S3 (ESP-IDF memory.ld regions: 333.8 KiB DRAM / 349.8 KiB IRAM views, 32 MiB flash-mapped data)",
        aliases: &["esp32-s3-devkitc-1", "esp32-s3-wroom-1"],
        regions: &[
            ("drom0_0_seg", 0x3C00_0020, 0x200_0000 - 0x20),
            ("dram0_0_seg", 0x3FC8_8000, 0x5_3700),
            ("iram0_0_seg", 0x4037_4000, 0x5_7700),
            ("iram0_2_seg", 0x4200_0020, 0x80_0000 - 0x20),
            ("rtc_slow_seg", 0x5000_0000, 0x2000),
            ("rtc_iram_seg", 0x600F_E000, 0x2000 - 24),
            ("rtc_reserved_seg", 0x6010_0000 - 24, 24),
        ],
        reservations: &[],
    },
    // STM32F030x8: ST DS9773 (STM32F030x4/x6/x8/xC datasheet), Table 2 "device features and
    // peripheral counts" (64 KB flash, 8 KB SRAM) and "Memory mapping"; RM0360
    // "Memory organization" (flash at 0x08000000, SRAM at 0x20000000). Names as CubeMX.
    ChipPreset {
        name: "stm32f030x8",
        description: "STM32F030x8 (64 KiB flash, 8 KiB SRAM)",
        aliases: &["stm32f030c8", "stm32f030r8", "nucleo-f030r8"],
        regions: &[("FLASH", 0x0800_0000, 64 * K), ("RAM", 0x2000_0000, 8 * K)],
        reservations: &[],
    },
    // STM32F103xB: ST DS5319 (STM32F103x8/xB datasheet), Table 2 "device features and
    // peripheral counts" (128 KB flash, 20 KB SRAM) and "Memory mapping"; RM0008 §3.3
    // "Memory map" (flash at 0x08000000, SRAM at 0x20000000). The "Blue Pill" part.
    ChipPreset {
        name: "stm32f103xb",
        description: "STM32F103xB (128 KiB flash, 20 KiB SRAM)",
        aliases: &["stm32f103cb", "stm32f103rb", "stm32f103vb", "nucleo-f103rb"],
        regions: &[("FLASH", 0x0800_0000, 128 * K), ("RAM", 0x2000_0000, 20 * K)],
        reservations: &[],
    },
    // STM32G071xB: ST DS12232 (STM32G071x8/xB datasheet), Table 2 "features and peripheral
    // counts" (128 KB flash, 36 KB SRAM, 32 KB of it with parity) and "Memory mapping";
    // RM0444 "Memory organization" (flash at 0x08000000, SRAM at 0x20000000).
    ChipPreset {
        name: "stm32g071xb",
        description: "STM32G071xB (128 KiB flash, 36 KiB SRAM)",
        aliases: &["stm32g071rb", "stm32g071kb", "stm32g071cb", "nucleo-g071rb"],
        regions: &[("FLASH", 0x0800_0000, 128 * K), ("RAM", 0x2000_0000, 36 * K)],
        reservations: &[],
    },
    // STM32G474xE: ST DS12288 (STM32G474xB/xC/xE datasheet), Table 2 "features and
    // peripheral counts" (512 KB flash; 128 KB SRAM = SRAM1 80 KB + SRAM2 16 KB + CCM SRAM
    // 32 KB) and "Embedded SRAM"; RM0440 "Embedded SRAM" (SRAM1 at 0x20000000,
    // SRAM2 at 0x20014000, CCM SRAM at 0x10000000 on the I-bus, aliased at 0x20018000).
    // SRAM1+SRAM2 are contiguous ("RAM"); CCM SRAM at its 0x10000000 address ("CCMRAM"),
    // as in ST's and Betaflight's G474 linker scripts.
    ChipPreset {
        name: "stm32g474xe",
        description: "STM32G474xE (512 KiB flash, 96 KiB SRAM + 32 KiB CCM SRAM)",
        aliases: &["stm32g474re", "stm32g474ve", "stm32g474ce", "nucleo-g474re"],
        regions: &[
            ("FLASH", 0x0800_0000, 512 * K),
            ("CCMRAM", 0x1000_0000, 32 * K),
            ("RAM", 0x2000_0000, 96 * K),
        ],
        reservations: &[],
    },
    // STM32L476xG: ST DS10198 (STM32L476xx datasheet), Table 2 "features and peripheral
    // counts" (1 MB flash, 128 KB SRAM) and "Embedded SRAM" (96 KB SRAM1 + 32 KB
    // SRAM2); RM0351 "Embedded SRAM" (SRAM1 at 0x20000000, SRAM2 at 0x10000000, also
    // aliased at 0x20018000). Names as CubeMX's STM32L476RGTx_FLASH.ld (RAM, RAM2).
    ChipPreset {
        name: "stm32l476xg",
        description: "STM32L476xG (1 MiB flash, 96 KiB SRAM1 + 32 KiB SRAM2)",
        aliases: &["stm32l476rg", "stm32l476vg", "stm32l476zg", "nucleo-l476rg"],
        regions: &[
            ("FLASH", 0x0800_0000, M),
            ("RAM2", 0x1000_0000, 32 * K),
            ("RAM", 0x2000_0000, 96 * K),
        ],
        reservations: &[],
    },
    // STM32U585xI: ST DS13086 (STM32U585xx datasheet), Table 2 "features and peripheral
    // counts" (2 MB flash, 786 KB SRAM incl. 2 KB backup SRAM) and "Embedded SRAMs";
    // RM0456 "Memory organization" / "Memory map" (non-secure aliases: flash at
    // 0x08000000, SRAM1 192 KB at 0x20000000, SRAM2 64 KB at 0x20030000, SRAM3 512 KB at
    // 0x20040000, SRAM4 16 KB at 0x28000000). SRAM1-3 are contiguous ("RAM", 768 KiB) as in
    // CubeMX's STM32U585AIIX_FLASH.ld; backup SRAM (peripheral space) is not included.
    ChipPreset {
        name: "stm32u585xi",
        description: "STM32U585xI (2 MiB flash, 768 KiB SRAM1-3 + 16 KiB SRAM4)",
        aliases: &["stm32u585ai", "stm32u585ci", "stm32u585ri", "stm32u585", "b-u585i-iot02a"],
        regions: &[
            ("FLASH", 0x0800_0000, 2 * M),
            ("RAM", 0x2000_0000, 768 * K),
            ("SRAM4", 0x2800_0000, 16 * K),
        ],
        reservations: &[],
    },
    // ATSAMD21G18A: Microchip DS40001882 ("SAM D21/DA1 Family Data Sheet"),
    // "Physical Memory Map" (its table: 256 KB flash at 0x00000000, 32 KB SRAM at
    // 0x20000000 for the x18 parts). Bootloaders (Arduino/UF2, 8 KB at the start of flash)
    // are board-specific and not modelled.
    ChipPreset {
        name: "atsamd21g18",
        description: "Microchip ATSAMD21G18A (Arduino Zero, Feather M0: 256 KiB flash, 32 KiB SRAM)",
        aliases: &["atsamd21g18a", "samd21g18", "samd21g18a", "arduino zero"],
        regions: &[("FLASH", 0x0000_0000, 256 * K), ("RAM", 0x2000_0000, 32 * K)],
        reservations: &[],
    },
    // ATSAMD51J19A: Microchip DS60001507 ("SAM D5x/E5x Family Data Sheet"), "Physical
    // Memory Map" (its table: 512 KB flash at 0x00000000, 192 KB SRAM at 0x20000000, 8 KB
    // backup RAM at 0x47000000 for the x19 parts).
    ChipPreset {
        name: "atsamd51j19",
        description: "Microchip ATSAMD51J19A (Metro M4, Feather M4: 512 KiB flash, 192 KiB SRAM, 8 KiB backup RAM)",
        aliases: &["atsamd51j19a", "samd51j19", "samd51j19a"],
        regions: &[
            ("FLASH", 0x0000_0000, 512 * K),
            ("RAM", 0x2000_0000, 192 * K),
            ("BKUPRAM", 0x4700_0000, 8 * K),
        ],
        reservations: &[],
    },
    // ATSAMD51J20A: as the J19 (DS60001507, "Physical Memory Map"), x20 parts: 1 MB flash, 256 KB SRAM.
    ChipPreset {
        name: "atsamd51j20",
        description: "Microchip ATSAMD51J20A (1 MiB flash, 256 KiB SRAM, 8 KiB backup RAM)",
        aliases: &["atsamd51j20a", "samd51j20", "samd51j20a"],
        regions: &[
            ("FLASH", 0x0000_0000, M),
            ("RAM", 0x2000_0000, 256 * K),
            ("BKUPRAM", 0x4700_0000, 8 * K),
        ],
        reservations: &[],
    },
    // RP2350: Raspberry Pi "RP2350 Datasheet" §2.2 "Address map" and §4.2 "SRAM" (520 KB:
    // SRAM0-7 striped 512 KB at 0x20000000, SRAM8 and SRAM9 4 KB each at 0x20080000 and
    // 0x20081000; XIP flash at 0x10000000); flash size is board-dependent: 4 MB W25Q32RV on
    // the Raspberry Pi Pico 2 ("Raspberry Pi Pico 2 Datasheet"). Names and split as in
    // pico-sdk's rp2350 memmap_default.ld (RAM, SCRATCH_X, SCRATCH_Y).
    ChipPreset {
        name: "rp2350",
        description: "Raspberry Pi RP2350 (Pico 2: 4 MiB XIP flash, 520 KiB SRAM)",
        aliases: &["pico2", "raspberry-pi-pico-2", "rpi-pico2", "pico2-w"],
        regions: &[
            ("FLASH", 0x1000_0000, 4 * M),
            ("RAM", 0x2000_0000, 512 * K),
            ("SCRATCH_X", 0x2008_0000, 4 * K),
            ("SCRATCH_Y", 0x2008_1000, 4 * K),
        ],
        reservations: &[],
    },
    // nRF5340 application core: Nordic "nRF5340 Product Specification" v1.3, application
    // core chapter, "Memory" (1 MB flash at 0x00000000, 512 KB SRAM at 0x20000000). The
    // network core (256 KB flash at 0x01000000, 64 KB RAM at 0x21000000) runs its own
    // image and is not part of this preset.
    ChipPreset {
        name: "nrf5340",
        description: "Nordic nRF5340 application core (1 MiB flash, 512 KiB RAM)",
        aliases: &["nrf5340_xxaa", "nrf5340_xxaa_app", "nrf5340-app", "nrf5340-dk"],
        regions: &[("FLASH", 0x0000_0000, M), ("RAM", 0x2000_0000, 512 * K)],
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

    /// A memory as its vendor's memory map prints it: the preset's name for it, its first
    /// and its last byte (inclusive, as the documents write them).
    type MapEntry = (&'static str, u64, u64);

    /// `chip`'s regions are exactly `map`'s entries, in address order: written from the cited
    /// documents in their own form, not from the preset table.
    fn assert_memory_map(chip: &str, map: &[MapEntry]) {
        let regions: Vec<(String, u64, u64)> = find(chip)
            .unwrap_or_else(|| panic!("no preset {chip}"))
            .regions()
            .into_iter()
            .map(|r| (r.name.clone(), r.origin, r.end() - 1))
            .collect();
        let mut want: Vec<(String, u64, u64)> =
            map.iter().map(|&(n, a, b)| (n.to_string(), a, b)).collect();
        want.sort_by_key(|r| r.1);
        assert_eq!(
            regions, want,
            "{chip}: regions vs its documents' memory map"
        );
    }

    fn size(chip: &str, region: &str) -> u64 {
        find(chip)
            .unwrap()
            .regions()
            .into_iter()
            .find(|r| r.name == region)
            .unwrap_or_else(|| panic!("{chip}: no region {region}"))
            .length
    }

    #[test]
    fn stm32h750_daisy_matches_rm0433_ds12556_and_the_daisy_seed_datasheet() {
        // ST RM0433 Rev 8 (STM32H742/743/753/750 reference manual), "Memory
        // organization", memory map: ITCM-RAM 0x0000 0000-0x0000 FFFF, DTCM-RAM
        // 0x2000 0000-0x2001 FFFF, AXI SRAM 0x2400 0000-0x2407 FFFF, SRAM1 0x3000 0000-
        // 0x3001 FFFF, SRAM2 0x3002 0000-0x3003 FFFF, SRAM3 0x3004 0000-0x3004 7FFF, SRAM4
        // 0x3800 0000-0x3800 FFFF, Backup SRAM 0x3880 0000-0x3880 0FFF.
        // ST DS12556 (STM32H750VB/ZB/IB/XB datasheet): 128 Kbytes of flash from 0x0800 0000.
        // Electrosmith Daisy Seed datasheet: 8 MB QSPI flash (IS25LP064A) on the QUADSPI bank
        // at 0x9000 0000, 64 MB SDRAM (AS4C32M16SB) on FMC SDRAM bank 1 at 0xC000 0000.
        assert_memory_map(
            "stm32h750",
            &[
                ("ITCMRAM", 0x0000_0000, 0x0000_FFFF),
                ("FLASH", 0x0800_0000, 0x0801_FFFF),
                ("DTCMRAM", 0x2000_0000, 0x2001_FFFF),
                ("AXI_SRAM", 0x2400_0000, 0x2407_FFFF),
                ("SRAM1", 0x3000_0000, 0x3001_FFFF),
                ("SRAM2", 0x3002_0000, 0x3003_FFFF),
                ("SRAM3", 0x3004_0000, 0x3004_7FFF),
                ("SRAM4", 0x3800_0000, 0x3800_FFFF),
                ("BACKUP_SRAM", 0x3880_0000, 0x3880_0FFF),
                ("QSPIFLASH", 0x9000_0000, 0x907F_FFFF),
                ("SDRAM", 0xC000_0000, 0xC3FF_FFFF),
            ],
        );
        // DS12556's totals: "192 Kbytes of TCM RAM" and "864 Kbytes of user SRAM".
        let h750 = |r| size("stm32h750", r);
        assert_eq!(h750("ITCMRAM") + h750("DTCMRAM"), 192 * K);
        let user: u64 = ["AXI_SRAM", "SRAM1", "SRAM2", "SRAM3", "SRAM4"]
            .map(h750)
            .iter()
            .sum();
        assert_eq!(user, 864 * K);
        // The Daisy's names resolve to it.
        assert_eq!(find("daisy").map(|p| p.name), Some("stm32h750"));
    }

    #[test]
    fn stm32f769_matches_rm0410_and_ds11532() {
        // ST RM0410 Rev 4 (STM32F76xxx/F77xxx reference manual), "Memory map and
        // register boundary addresses": ITCM RAM 0x0000 0000-0x0000 3FFF, flash on AXIM
        // 0x0800 0000-0x081F FFFF, DTCM RAM 0x2000 0000-0x2001 FFFF, SRAM1 0x2002 0000-
        // 0x2007 BFFF, SRAM2 0x2007 C000-0x2007 FFFF, backup SRAM 0x4002 4000-0x4002 4FFF.
        assert_memory_map(
            "stm32f769",
            &[
                ("ITCMRAM", 0x0000_0000, 0x0000_3FFF),
                ("FLASH", 0x0800_0000, 0x081F_FFFF),
                ("DTCMRAM", 0x2000_0000, 0x2001_FFFF),
                ("SRAM1", 0x2002_0000, 0x2007_BFFF),
                ("SRAM2", 0x2007_C000, 0x2007_FFFF),
                ("BACKUP_SRAM", 0x4002_4000, 0x4002_4FFF),
            ],
        );
        // DS11532: "512 Kbytes of SRAM including 128 Kbytes of data TCM RAM", 2 Mbytes of flash.
        let f769 = |r| size("stm32f769", r);
        assert_eq!(f769("DTCMRAM") + f769("SRAM1") + f769("SRAM2"), 512 * K);
        assert_eq!(f769("FLASH"), 2 * M);
    }

    #[test]
    fn p2_matches_device_os_linker_scripts() {
        // Particle Device OS, build/arm/linker/rtl872x/platform_ram.ld:
        // platform_psram_start = 0x02000000, platform_psram_size = 4M;
        // platform_ram_start = 0x10005000, platform_ram_size = 472K. platform_flash.ld: the
        // user part is 2M (modelled at 0x08000000, see the preset).
        assert_memory_map(
            "p2",
            &[
                ("PSRAM", 0x0200_0000, 0x0200_0000 + 4 * M - 1),
                ("FLASH", 0x0800_0000, 0x0800_0000 + 2 * M - 1),
                ("SRAM", 0x1000_5000, 0x1000_5000 + 472 * K - 1),
            ],
        );
        // This project's convention: Device OS owns the top 128 KiB of SRAM.
        let p = find("p2").unwrap();
        let dos: Vec<_> = p
            .reservations
            .iter()
            .map(|r| (r.region, &r.range))
            .collect();
        assert_eq!(dos.len(), 1);
        let (region, range) = dos[0];
        assert_eq!(region, "SRAM");
        assert_eq!(range.name, "Device OS");
        assert_eq!(
            (range.origin, range.end()),
            (0x1000_5000 + 472 * K - 128 * K, 0x1000_5000 + 472 * K)
        );
    }

    /// A memory as a cited source states it: what, base address, size in bytes.
    type Memory = (&'static str, u64, u64);

    /// The source's memories as address ranges, adjacent ones joined (a preset region may
    /// span two banks that the document lists separately, e.g. ESP32-S3 SRAM0 + SRAM1).
    fn ranges(memories: &[Memory]) -> Vec<(u64, u64)> {
        let mut r: Vec<(u64, u64)> = memories.iter().map(|m| (m.1, m.1 + m.2)).collect();
        r.sort_unstable();
        let mut joined: Vec<(u64, u64)> = Vec::new();
        for (a, b) in r {
            match joined.last_mut() {
                Some(last) if a <= last.1 => last.1 = last.1.max(b),
                _ => joined.push((a, b)),
            }
        }
        joined
    }

    /// Checks a preset against the memories its source lists: every region lies inside
    /// them; with `whole`, the regions inside each memory start at its base and add up to
    /// its size (the preset describes every byte of that memory and nothing outside).
    fn check_against_source(chip: &str, memories: &[Memory], whole: bool) {
        let regions = find(chip)
            .unwrap_or_else(|| panic!("no preset {chip}"))
            .regions();
        let joined = ranges(memories);
        for r in &regions {
            assert!(
                joined.iter().any(|&(a, b)| r.origin >= a && r.end() <= b),
                "{chip}: region {} [{:#x}, {:#x}) lies outside the memories of its source",
                r.name,
                r.origin,
                r.end()
            );
        }
        if !whole {
            return;
        }
        for &(what, base, size) in memories {
            let inside: Vec<_> = regions
                .iter()
                .filter(|r| r.origin >= base && r.end() <= base + size)
                .collect();
            let total: u64 = inside.iter().map(|r| r.length).sum();
            assert_eq!(
                total, size,
                "{chip}: {what}: regions cover {total} bytes, the source says {size}"
            );
            assert_eq!(
                inside.iter().map(|r| r.origin).min(),
                Some(base),
                "{chip}: {what} starts elsewhere"
            );
        }
        let covered: u64 = memories.iter().map(|m| m.2).sum();
        let declared: u64 = regions.iter().map(|r| r.length).sum();
        assert_eq!(
            declared, covered,
            "{chip}: regions beyond the source's memories"
        );
    }

    fn region(chip: &str, name: &str) -> Region {
        find(chip)
            .unwrap()
            .regions()
            .into_iter()
            .find(|r| r.name == name)
            .unwrap_or_else(|| panic!("{chip}: no region {name}"))
    }

    #[test]
    fn avr_presets_match_datasheets_and_gnu_ld_addresses() {
        // GNU ld's AVR scripts (binutils ldscripts/avr5.xn, avr6.xn) map data memory at
        // 0x800000 + data address and EEPROM at 0x810000.
        const DATA: u64 = 0x80_0000;
        const EEPROM: u64 = 0x81_0000;
        // DS40002061A "AVR Memories", "Data Memory Map": 32 KB flash, 2048 B SRAM from 0x0100, 1 KB EEPROM.
        check_against_source(
            "atmega328p",
            &[
                ("flash", 0, 32 * K),
                ("SRAM", DATA + 0x0100, 2048),
                ("EEPROM", EEPROM, 1024),
            ],
            true,
        );
        // avr-libc <avr/iom328p.h>: RAMEND 0x8FF, FLASHEND 0x7FFF, E2END 0x3FF (last bytes).
        assert_eq!(region("atmega328p", "data").end(), DATA + 0x8FF + 1);
        assert_eq!(region("atmega328p", "text").end(), 0x7FFF + 1);
        assert_eq!(region("atmega328p", "eeprom").end(), EEPROM + 0x3FF + 1);
        // Atmel-2549Q §8.1-8.3, Figure 8-2: 256 KB flash, 8192 B SRAM from 0x0200, 4 KB EEPROM.
        check_against_source(
            "atmega2560",
            &[
                ("flash", 0, 256 * K),
                ("SRAM", DATA + 0x0200, 8192),
                ("EEPROM", EEPROM, 4096),
            ],
            true,
        );
        // <avr/iom2560.h>: RAMEND 0x21FF.
        assert_eq!(region("atmega2560", "data").end(), DATA + 0x21FF + 1);
    }

    #[test]
    fn stm32_presets_match_datasheets() {
        // DS9773 Table 2 / RM0360: STM32F030x8, 64 KB flash, 8 KB SRAM.
        check_against_source(
            "stm32f030x8",
            &[("flash", 0x0800_0000, 64 * K), ("SRAM", 0x2000_0000, 8 * K)],
            true,
        );
        // DS5319 Table 2 / RM0008 §3.3: STM32F103xB, 128 KB flash, 20 KB SRAM.
        check_against_source(
            "stm32f103xb",
            &[
                ("flash", 0x0800_0000, 128 * K),
                ("SRAM", 0x2000_0000, 20 * K),
            ],
            true,
        );
        // DS12232 Table 2 / RM0444: STM32G071xB, 128 KB flash, 36 KB SRAM.
        check_against_source(
            "stm32g071xb",
            &[
                ("flash", 0x0800_0000, 128 * K),
                ("SRAM", 0x2000_0000, 36 * K),
            ],
            true,
        );
        // DS12288 Table 2 / RM0440: STM32G474xE, 512 KB flash, SRAM1 80 KB at
        // 0x20000000 and SRAM2 16 KB at 0x20014000 (contiguous), CCM SRAM 32 KB at 0x10000000.
        let g474 = [
            ("flash", 0x0800_0000, 512 * K),
            ("SRAM1", 0x2000_0000, 80 * K),
            ("SRAM2", 0x2001_4000, 16 * K),
            ("CCM SRAM", 0x1000_0000, 32 * K),
        ];
        check_against_source("stm32g474xe", &g474, false);
        check_against_source(
            "stm32g474xe",
            &[
                g474[0],
                ("SRAM1+SRAM2", 0x2000_0000, (80 + 16) * K),
                g474[3],
            ],
            true,
        );
        // The datasheet's headline: 128 KB of SRAM in total.
        let g474_sram: u64 = g474[1..].iter().map(|m| m.2).sum();
        assert_eq!(g474_sram, 128 * K);
        // DS10198 Table 2 / RM0351: STM32L476xG, 1 MB flash, SRAM1 96 KB at 0x20000000,
        // SRAM2 32 KB at 0x10000000.
        check_against_source(
            "stm32l476xg",
            &[
                ("flash", 0x0800_0000, 1024 * K),
                ("SRAM1", 0x2000_0000, 96 * K),
                ("SRAM2", 0x1000_0000, 32 * K),
            ],
            true,
        );
        // DS13086 Table 2 / RM0456: STM32U585xI, 2 MB flash; SRAM1 192 KB at 0x20000000,
        // SRAM2 64 KB at 0x20030000, SRAM3 512 KB at 0x20040000, SRAM4 16 KB at 0x28000000;
        // 786 KB in total with the 2 KB backup SRAM.
        let u585 = [
            ("flash", 0x0800_0000, 2048 * K),
            ("SRAM1", 0x2000_0000, 192 * K),
            ("SRAM2", 0x2003_0000, 64 * K),
            ("SRAM3", 0x2004_0000, 512 * K),
            ("SRAM4", 0x2800_0000, 16 * K),
        ];
        check_against_source("stm32u585xi", &u585, false);
        check_against_source(
            "stm32u585xi",
            &[
                u585[0],
                ("SRAM1-3", 0x2000_0000, (192 + 64 + 512) * K),
                u585[4],
            ],
            true,
        );
        let u585_sram: u64 = u585[1..].iter().map(|m| m.2).sum();
        assert_eq!(u585_sram + 2 * K, 786 * K);
    }

    #[test]
    fn samd_rp2350_nrf5340_presets_match_datasheets() {
        // DS40001882 "Physical Memory Map": SAMD21x18, 256 KB flash, 32 KB SRAM.
        check_against_source(
            "atsamd21g18",
            &[("flash", 0, 256 * K), ("SRAM", 0x2000_0000, 32 * K)],
            true,
        );
        // DS60001507 "Physical Memory Map": SAMD51x19 512 KB / 192 KB, x20 1 MB / 256 KB; 8 KB
        // backup RAM at 0x47000000.
        check_against_source(
            "atsamd51j19",
            &[
                ("flash", 0, 512 * K),
                ("SRAM", 0x2000_0000, 192 * K),
                ("backup RAM", 0x4700_0000, 8 * K),
            ],
            true,
        );
        check_against_source(
            "atsamd51j20",
            &[
                ("flash", 0, 1024 * K),
                ("SRAM", 0x2000_0000, 256 * K),
                ("backup RAM", 0x4700_0000, 8 * K),
            ],
            true,
        );
        // RP2350 datasheet §2.2, §4.2: 520 KB SRAM = SRAM0-7 (8 x 64 KB, striped, from
        // 0x20000000) + SRAM8 + SRAM9 (4 KB each); Pico 2 datasheet: 4 MB flash at 0x10000000.
        check_against_source(
            "rp2350",
            &[
                ("XIP flash", 0x1000_0000, 4096 * K),
                ("SRAM0-7", 0x2000_0000, 8 * 64 * K),
                ("SRAM8", 0x2008_0000, 4 * K),
                ("SRAM9", 0x2008_1000, 4 * K),
            ],
            true,
        );
        let rp2350_sram: u64 = [8 * 64, 4, 4].iter().sum::<u64>() * K;
        assert_eq!(rp2350_sram, 520 * K);
        // nRF5340 PS v1.3, application core memory: 1 MB flash at 0, 512 KB SRAM at 0x20000000.
        check_against_source(
            "nrf5340",
            &[("flash", 0, 1024 * K), ("SRAM", 0x2000_0000, 512 * K)],
            true,
        );
    }

    #[test]
    fn esp32_preset_matches_trm_and_esp_idf() {
        // ESP32 TRM, "Embedded Memory Address Mapping" / "External Memory Address Mapping".
        let trm = [
            ("external flash (data)", 0x3F40_0000, 4096 * K),
            ("external RAM", 0x3F80_0000, 4096 * K),
            ("RTC FAST (data)", 0x3FF8_0000, 8 * K),
            ("SRAM2 (data)", 0x3FFA_E000, 200 * K),
            ("SRAM1 (data)", 0x3FFE_0000, 128 * K),
            ("SRAM0 (instruction)", 0x4007_0000, 192 * K),
            ("SRAM1 (instruction)", 0x400A_0000, 128 * K),
            ("RTC FAST (instruction)", 0x400C_0000, 8 * K),
            (
                "external flash (instruction)",
                0x400C_2000,
                0x40C0_0000 - 0x400C_2000,
            ),
            ("RTC SLOW", 0x5000_0000, 8 * K),
        ];
        check_against_source("esp32", &trm, false);
        // Datasheet: 520 KB of SRAM (SRAM0 + SRAM1 + SRAM2).
        assert_eq!(trm[3].2 + trm[4].2 + trm[5].2, 520 * K);
        // esp32/memory.ld.in: statics in SRAM2 from 0x3FFB0000, DRAM0_0_SEG_LEN 0x2c200
        // ("the 176KB mark"); IRAM 0x20000 from 0x40080000; flash-mapped segments 0x20 past
        // a 64 KB page; RTC SLOW minus the 24-byte rtc timer reserve at its top.
        let dram = region("esp32", "dram0_0_seg");
        assert_eq!((dram.origin, dram.length), (0x3FFB_0000, 176 * K + 0x200));
        assert_eq!(region("esp32", "iram0_0_seg").origin, 0x4008_0000);
        assert_eq!(region("esp32", "iram0_0_seg").length, 128 * K);
        assert_eq!(region("esp32", "drom0_0_seg").origin % 0x1_0000, 0x20);
        assert_eq!(region("esp32", "iram0_2_seg").origin % 0x1_0000, 0x20);
        assert_eq!(region("esp32", "drom0_0_seg").end(), 0x3F40_0000 + 4 * M);
        assert_eq!(region("esp32", "rtc_slow_reserved_seg").length, 24);
        assert_eq!(
            region("esp32", "rtc_slow_reserved_seg").end(),
            0x5000_0000 + 8 * K
        );
        assert_eq!(region("esp32", "rtc_slow_seg").length + 24, 8 * K);
    }

    #[test]
    fn esp32c3_preset_matches_trm_and_esp_idf() {
        // ESP32-C3 TRM chapter 3, "Internal Memory" / "External Memory": SRAM0 16 KB (ICache) at 0x4037C000, SRAM1 384 KB at
        // 0x3FC80000 (data) / 0x40380000 (instruction), RTC FAST 8 KB at 0x50000000,
        // cache-mapped flash 8 MB at 0x3C000000 (data) and 0x42000000 (instruction).
        check_against_source(
            "esp32c3",
            &[
                ("flash (data)", 0x3C00_0000, 8 * M),
                ("SRAM1 (data)", 0x3FC8_0000, 384 * K),
                ("SRAM0 (instruction)", 0x4037_C000, 16 * K),
                ("SRAM1 (instruction)", 0x4038_0000, 384 * K),
                ("flash (instruction)", 0x4200_0000, 8 * M),
                ("RTC FAST", 0x5000_0000, 8 * K),
            ],
            false,
        );
        // esp32c3/memory.ld.in: SRAM_IRAM_START 0x4037C000, SRAM_DRAM_START 0x3FC7C000,
        // ICACHE_SIZE 0x4000, SRAM_DRAM_END = 0x403CE710 - I_D_SRAM_OFFSET (bootloader's
        // iram_loader_seg); RESERVE_RTC_MEM = 24 bytes of rtc timer data.
        let (iram_start, dram_start, icache) = (0x4037_C000, 0x3FC7_C000, 0x4000);
        let offset = iram_start - dram_start;
        let dram_end = 0x403C_E710 - offset;
        let size = dram_end - (dram_start + icache);
        let dram = region("esp32c3", "dram0_0_seg");
        let iram = region("esp32c3", "iram0_0_seg");
        assert_eq!((dram.origin, dram.length), (dram_start + icache, size));
        assert_eq!((iram.origin, iram.length), (iram_start + icache, size));
        assert_eq!(
            region("esp32c3", "rtc_reserved_seg").end(),
            0x5000_0000 + 8 * K
        );
        assert_eq!(region("esp32c3", "rtc_iram_seg").length, 8 * K - 24);
        // Datasheet: 400 KB SRAM, 16 KB of it for the cache.
        assert_eq!(16 * K + 384 * K, 400 * K);
    }

    #[test]
    fn esp32s3_preset_matches_trm_and_esp_idf() {
        // ESP32-S3 TRM chapter 4, "Internal Memory" / "External Memory": SRAM0 32 KB at 0x40370000 (instruction), SRAM1 416 KB at
        // 0x3FC88000 (data) / 0x40378000 (instruction), SRAM2 64 KB at 0x3FCF0000 (data),
        // RTC SLOW 8 KB at 0x50000000, RTC FAST 8 KB at 0x600FE000, cache-mapped external
        // memory 32 MB at 0x3C000000 (data) and 0x42000000 (instruction).
        let trm = [
            ("external (data)", 0x3C00_0000, 32 * M),
            ("SRAM1 (data)", 0x3FC8_8000, 416 * K),
            ("SRAM2 (data)", 0x3FCF_0000, 64 * K),
            ("SRAM0 (instruction)", 0x4037_0000, 32 * K),
            ("SRAM1 (instruction)", 0x4037_8000, 416 * K),
            ("external (instruction)", 0x4200_0000, 32 * M),
            ("RTC SLOW", 0x5000_0000, 8 * K),
            ("RTC FAST", 0x600F_E000, 8 * K),
        ];
        check_against_source("esp32s3", &trm, false);
        // Datasheet: 512 KB SRAM.
        assert_eq!(trm[1].2 + trm[2].2 + trm[3].2, 512 * K);
        // esp32s3/memory.ld.in: SRAM_IRAM_START 0x40370000, SRAM_DIRAM_I_START 0x40378000,
        // SRAM_IRAM_END 0x403CB700, SRAM_DRAM_START 0x3FC88000, ICACHE_SIZE 0x8000, default
        // CONFIG_ESP32S3_INSTRUCTION_CACHE_SIZE 0x4000.
        let offset = 0x4037_8000 - 0x3FC8_8000;
        let dram_end = 0x403C_B700 - offset;
        let id_size = dram_end - 0x3FC8_8000;
        let dram = region("esp32s3", "dram0_0_seg");
        let iram = region("esp32s3", "iram0_0_seg");
        assert_eq!((dram.origin, dram.length), (0x3FC8_8000, id_size));
        assert_eq!(
            (iram.origin, iram.length),
            (0x4037_0000 + 0x4000, id_size + 0x8000 - 0x4000)
        );
        assert_eq!(
            region("esp32s3", "rtc_reserved_seg").end(),
            0x600F_E000 + 8 * K
        );
    }
}
