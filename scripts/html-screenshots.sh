#!/bin/sh
# Regenerates the README's screenshots of the HTML views (docs/*.png) from the bundled
# fixtures: the report of the QEMU firmware, the check of the P2 overflow variant, and a
# dashboard over three P2 builds. Needs chromium (apt-get install chromium).
#
# Usage: scripts/html-screenshots.sh
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
OUT="$ROOT/target/html-screenshots"
rm -rf "$OUT"
mkdir -p "$OUT/builds" docs
cargo build --release --quiet
B="$ROOT/target/release/membudget"

"$B" report fixtures/qemu-an386.elf --memory firmware/layouts/qemu-an386/memory.x --format html \
    --label commit=9b3e7d10 --label branch=main > "$OUT/report.html"
"$B" check fixtures/p2-overflow.elf --budget golden/p2.budget.json --format html > "$OUT/check.html" || true
n=101
for elf in p2 p2-moved p2-overflow; do
    # Three builds of one firmware: one ELF name (the dashboard refuses unrelated firmware).
    mkdir -p "$OUT/elf-$n"
    cp "fixtures/$elf.elf" "$OUT/elf-$n/p2.elf"
    "$B" report "$OUT/elf-$n/p2.elf" --budget golden/p2.budget.json --format json \
        --label "build=$n" --label "date=2026-11-$((n - 81))" --label "branch=main" > "$OUT/builds/$n.json"
    n=$((n + 1))
done
"$B" dashboard "$OUT/builds" -o "$OUT/site" --budget golden/p2.budget.json

shot() { # PAGE#FRAGMENT PNG HEIGHT
    chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --no-first-run \
        --user-data-dir="$OUT/profile" --window-size="1400,$3" \
        --screenshot="$ROOT/docs/$2" "file://$OUT/$1" 2>/dev/null
}
shot "report.html#zoom=FLASH&search=fmt" html-report.png 1330
shot "check.html" html-check.png 2360
shot "site/index.html#search=LOG_BUF" html-dashboard.png 1560
ls -l docs/html-*.png
