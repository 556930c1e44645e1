mod support;
use support::*;

#[test]
fn dump() {
    let b = firmware().build();
    std::fs::write("/tmp/mbt/fw.elf", &b).unwrap();
    std::fs::write("/tmp/mbt/fw64be.elf", firmware().class64().big_endian().build()).unwrap();
}
