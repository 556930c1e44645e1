//! Development aid: time the DWARF reader on a file and print a summary.
fn main() {
    let path = std::env::args().nth(1).expect("usage: dwarf_dump ELF");
    let file = std::fs::File::open(&path).unwrap();
    // SAFETY: read-only private map of a file nobody modifies meanwhile.
    let data = unsafe { memmap2::Mmap::map(&file) }.unwrap();
    let t = std::time::Instant::now();
    let d = membudget::dwarf::read(&data);
    eprintln!(
        "{} units, {} entries, {} files, {} ranges in {:?}; note {:?}",
        d.units.len(),
        d.entries.len(),
        d.files.len(),
        d.ranges.len(),
        t.elapsed(),
        d.note
    );
}
