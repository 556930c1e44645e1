//! Static stack analysis (`membudget stack`): ELF bytes → code decoded per ISA, call graph,
//! CFI cross-check, roots and bounds → every output format. Bad input (not an ELF, no
//! supported code) is an error; anything else is a report, never a panic or a hang.
#![no_main]

use std::io;

use libfuzzer_sys::fuzz_target;
use membudget::error::Error;
use membudget::render::{self, Format};

fuzz_target!(|data: &[u8]| {
    let report = match membudget::stack::analyze_bytes(data, "fuzz.elf") {
        Ok(r) => r,
        Err(Error::Internal(m)) => panic!("internal error: {m}"),
        Err(_) => return,
    };
    for format in [Format::Table, Format::Json, Format::Csv, Format::Markdown] {
        render::stack::render(&report, format, &mut io::sink()).expect("sink");
    }
    let _ = report.need();
});
