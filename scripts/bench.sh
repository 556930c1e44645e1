#!/bin/sh
# Benchmark `membudget report` (table, JSON, and `--by file` with DWARF source attribution)
# against `nm -S --size-sort -C` with hyperfine,
# on the largest ELF of the conformance corpus and on a large DWARF-heavy ELF (membudget's
# own debug binary). Prints a markdown table (also written to target/bench/bench.md).
#
# Usage: scripts/bench.sh [CORPUS_DIR]     (default: $MEMBUDGET_CORPUS or ../shared/corpus)
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
CORPUS=${1:-${MEMBUDGET_CORPUS:-$ROOT/../shared/corpus}}
OUT_DIR="$ROOT/target/bench"
mkdir -p "$OUT_DIR"

command -v hyperfine >/dev/null 2>&1 || { echo "error: hyperfine not found (apt-get install hyperfine)" >&2; exit 2; }
if command -v arm-none-eabi-nm >/dev/null 2>&1; then NM=arm-none-eabi-nm; else NM=nm; fi

cargo build --release --quiet
cargo build --quiet   # target/debug/membudget: the DWARF-heavy input
BIN="$ROOT/target/release/membudget"

# How long the HTML report takes to open in headless chromium: the page's own clock from
# navigation start to drawn (JSON parsed, tree built, treemap laid out, a search run), as its
# self-test hook reports it. Median of 5 runs.
html_open_time() {
    command -v chromium >/dev/null 2>&1 || { echo "(chromium not found: HTML open time not measured)"; echo; return; }
    page="$OUT_DIR/$(basename "$1").html"
    "$BIN" report "$1" --format html > "$page"
    times=""
    for _ in 1 2 3 4 5; do
        t=$(chromium --headless --no-sandbox --disable-gpu --user-data-dir="$OUT_DIR/chromium-profile" \
            --dump-dom "file://$page#selftest&search=main" 2>/dev/null |
            sed -n 's/.*"drawn_ms":\([0-9]*\).*/\1/p')
        times="$times $t"
    done
    median=$(echo $times | tr ' ' '\n' | sort -n | sed -n 3p)
    echo "HTML report: $(($(wc -c < "$page") / 1024)) KiB, drawn in $median ms in headless chromium (median of$times ms)."
    echo
}

FILES=""
if [ -d "$CORPUS" ]; then
    # Largest *.elf in the corpus.
    BIG=$(ls -S "$CORPUS"/*.elf 2>/dev/null | head -n 1 || true)
    [ -n "$BIG" ] && FILES="$BIG"
else
    echo "note: corpus $CORPUS not found, benchmarking the debug binary only" >&2
fi
# Copy the debug binary: cargo may rewrite it while the benchmark runs.
cp "$ROOT/target/debug/membudget" "$OUT_DIR/membudget-debug.elf"
FILES="$FILES $OUT_DIR/membudget-debug.elf"

: > "$OUT_DIR/bench.md"
for f in $FILES; do
    name=$(basename "$f")
    size=$(wc -c < "$f" | tr -d ' ')
    # arm-none-eabi-nm cannot read the host's own binary: fall back to the host nm.
    FNM=$NM
    "$FNM" -S "$f" > /dev/null 2>&1 || FNM=nm
    # Fail early (and visibly) if either command fails on this file.
    "$BIN" report "$f" --format json --top 0 > /dev/null
    "$BIN" report "$f" --by file > /dev/null
    "$FNM" -S --size-sort -C "$f" > /dev/null
    md="$OUT_DIR/$name.md"
    hyperfine --warmup 3 --style basic --export-markdown "$md" \
        -n "membudget report" "'$BIN' report '$f' > /dev/null" \
        -n "membudget report --format json --top 0" "'$BIN' report '$f' --format json --top 0 > /dev/null" \
        -n "membudget report --format html" "'$BIN' report '$f' --format html > /dev/null" \
        -n "membudget report --by file (DWARF)" "'$BIN' report '$f' --by file > /dev/null" \
        -n "$FNM -S --size-sort -C" "$FNM -S --size-sort -C '$f' > /dev/null" >&2
    # Peak resident memory (GNU time's %M, KiB), when GNU time is installed.
    peak() { if [ -x /usr/bin/time ]; then /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -n 1; else echo "?"; fi; }
    {
        echo "### $name ($((size / 1024)) KiB)"
        echo
        cat "$md"
        echo
        echo "Peak memory: table $(peak "$BIN" report "$f") KiB, JSON $(peak "$BIN" report "$f" --format json --top 0) KiB, nm $(peak "$FNM" -S --size-sort -C "$f") KiB."
        echo
        html_open_time "$f"
    } >> "$OUT_DIR/bench.md"
done

# `membudget stack` decodes the same code objdump does: compare them on the largest ELF of
# the corpus that the stack analysis supports (a Cortex-M image).
if [ -d "$CORPUS" ] && command -v arm-none-eabi-objdump >/dev/null 2>&1; then
    CM=""
    for f in $(ls -S "$CORPUS"/*.elf); do
        if "$BIN" stack "$f" > /dev/null 2>&1; then CM=$f; break; fi
    done
    if [ -n "$CM" ]; then
        name=$(basename "$CM")
        size=$(wc -c < "$CM" | tr -d ' ')
        md="$OUT_DIR/stack-$name.md"
        hyperfine --warmup 3 --style basic --export-markdown "$md" \
            -n "membudget stack" "'$BIN' stack '$CM' > /dev/null" \
            -n "membudget stack --format json" "'$BIN' stack '$CM' --format json > /dev/null" \
            -n "arm-none-eabi-objdump -d" "arm-none-eabi-objdump -d '$CM' > /dev/null" >&2
        {
            echo "### stack analysis: $name ($((size / 1024)) KiB)"
            echo
            cat "$md"
            echo
        } >> "$OUT_DIR/bench.md"
    fi
fi

echo
echo "Machine: $(uname -sm), $(nproc) CPU(s); $("$NM" --version | head -n 1); $(nm --version | head -n 1)"
echo
cat "$OUT_DIR/bench.md"
