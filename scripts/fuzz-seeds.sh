#!/bin/sh
# Fill fuzz/corpus/<target>/ with seed inputs: the repository's own fixtures, goldens and test
# data, the committed small seeds in fuzz/seeds/<target>/, and the ELFs (and linker scripts,
# when present) of the third-party corpus. The corpus directories are not committed: seeds
# from ../shared/corpus are third-party binaries.
#
# Usage: scripts/fuzz-seeds.sh [CORPUS_DIR]   (default: $MEMBUDGET_CORPUS or ../shared/corpus)
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
CORPUS=${1:-${MEMBUDGET_CORPUS:-$ROOT/../shared/corpus}}
OUT=fuzz/corpus
TARGETS="elf_report linker_script budget_check report_diff map_file dwarf_attr stack"

seed() { # target file...
    t=$1; shift
    mkdir -p "$OUT/$t"
    for f in "$@"; do
        [ -f "$f" ] || continue
        # Content-addressed names, as libFuzzer writes them: re-running adds nothing twice.
        cp "$f" "$OUT/$t/$(sha1sum < "$f" | cut -c1-40)"
    done
}

for t in $TARGETS; do
    [ -d "fuzz/seeds/$t" ] && seed "$t" fuzz/seeds/"$t"/*
done

# ELFs: the fixtures (built here), and the third-party corpus if present. libFuzzer caps
# inputs at -max_len, so the big ones seed their first bytes (headers, section tables of
# the smaller ones) only.
seed elf_report fixtures/*.elf
[ -d "$CORPUS" ] && seed elf_report "$CORPUS"/*.elf

# Linker scripts: the tests' scripts, the firmware layouts, binutils' own default scripts
# for ARM/AVR (when installed), and any in the corpus.
seed linker_script tests/data/ld/*.ld tests/data/ld/*.x firmware/layouts/*/*.x firmware/layouts/*/*.ld
for d in /usr/lib/avr/lib/ldscripts /usr/lib/arm-none-eabi/lib/ldscripts; do
    [ -d "$d" ] && seed linker_script "$d"/*.x "$d"/*.xn
done
[ -d "$CORPUS" ] && seed linker_script "$CORPUS"/*.ld "$CORPUS"/*.x

# Budget files: the tests' budget files alone, and each golden followed by a NUL byte and
# its baseline (the budget_check target's input format).
seed budget_check tests/data/budget/*.budget.json tests/data/budget/*/*.budget.json
tmp=$(mktemp -d)
for b in golden/*.budget.json; do
    base=${b%.budget.json}.baseline.json
    { cat "$b"; [ -f "$base" ] && { printf '\000'; cat "$base"; }; } > "$tmp/$(basename "$b")"
done
seed budget_check "$tmp"/*.budget.json golden/*.budget.json
rm -rf "$tmp"

# JSON reports of the fixtures, for diff.
if [ -x target/release/membudget ] || [ -x target/debug/membudget ]; then
    BIN=target/release/membudget
    [ -x "$BIN" ] || BIN=target/debug/membudget
    tmp=$(mktemp -d)
    for f in fixtures/*.elf; do
        "$BIN" report "$f" --format json > "$tmp/$(basename "$f").json" 2>/dev/null || true
    done
    seed report_diff "$tmp"/*.json
    rm -rf "$tmp"
fi
seed report_diff golden/*.baseline.json

# Linker maps (map_file fuzzes a map against fixtures/cpp-m4.elf, whose map comes first).
seed map_file fixtures/*.map tests/data/*/*.map
[ -d "$CORPUS" ] && seed map_file "$CORPUS"/*.map

# ELFs with DWARF, small enough for -max_len: the stack-analysis fixtures (built with -g),
# the C++ fixture, and the corpus ELFs that carry .debug_info (the big ones seed their
# first bytes only).
seed dwarf_attr fixtures/stack-c/*.elf fixtures/cpp-m4.elf
if [ -d "$CORPUS" ]; then
    for f in "$CORPUS"/*.elf; do
        readelf -S "$f" 2>/dev/null | grep -q '\.debug_info' && seed dwarf_attr "$f"
    done
fi

# Code for the stack analysis: the stack fixtures, the QEMU firmware and the Cortex-M ELFs of
# the corpus, with their debug info stripped (it is most of their bytes; .debug_frame goes
# too, so the stack fixtures, which keep it, seed the CFI cross-check).
seed stack fixtures/stack-c/*.elf tests/data/stack/*.elf fuzz/seeds/elf_report/*.elf
OBJCOPY=$(command -v arm-none-eabi-objcopy || command -v objcopy || true)
if [ -n "$OBJCOPY" ]; then
    tmp=$(mktemp -d)
    for f in fixtures/qemu-an386.elf fixtures/qemu-an505.elf fixtures/qemu-an505-oz.elf \
             "$CORPUS"/*.elf; do
        [ -f "$f" ] || continue
        readelf -h "$f" 2>/dev/null | grep -q 'Machine:.*ARM' || continue
        "$OBJCOPY" --strip-debug "$f" "$tmp/$(basename "$f")" 2>/dev/null || continue
        seed stack "$tmp/$(basename "$f")"
    done
    rm -rf "$tmp"
fi

for t in $TARGETS; do
    printf '%-14s %s seeds\n' "$t" "$(ls "$OUT/$t" 2>/dev/null | wc -l)"
done
