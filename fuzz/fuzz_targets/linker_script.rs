//! GNU ld linker scripts: lexer, parser and expression evaluator, as `--memory` and a
//! budget's `linker_script` use them. Any text must give regions or an error, never a panic,
//! an abort or a hang.
#![no_main]

use libfuzzer_sys::fuzz_target;
use membudget::memory::linker;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    // INCLUDE reads files: keep the fuzzer away from device and process files, which
    // never end or change under it (a relative INCLUDE finds nothing in the fuzz directory).
    if text.contains("/dev") || text.contains("/proc") || text.contains("/sys") {
        return;
    }
    let _ = linker::parse_memory_str(&text, "fuzz.ld", None);
});
