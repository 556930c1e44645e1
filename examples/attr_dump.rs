//! Development aid: print the origin of every sized symbol.
fn main() {
    let path = std::env::args().nth(1).expect("usage: attr_dump ELF [MAP]");
    let image = membudget::elf::load_path(std::path::Path::new(&path)).unwrap();
    let data = std::fs::read(&path).unwrap();
    let d = membudget::dwarf::read(&data);
    let map = std::env::args()
        .nth(2)
        .map(|m| membudget::mapfile::load_path(std::path::Path::new(&m)).unwrap());
    let style = membudget::attribution::PathStyle::default();
    let a = membudget::attribution::Attributor {
        dwarf: Some(&d),
        map: map.as_ref(),
        paths: &style,
    };
    for s in image.symbols.iter().filter(|s| s.size > 0) {
        let sec = s
            .section
            .and_then(|i| image.section_by_index(i))
            .map(|x| x.name.as_str());
        let name = membudget::demangle::demangle(&s.raw);
        println!("{:<60} {:?}", name, a.symbol(s, sec, None));
    }
}
