#!/usr/bin/env bash
# Run a firmware ELF on QEMU and capture its measurement line.
#
# Usage: scripts/firmware-run-qemu.sh ELF LAYOUT OUT.json
#   LAYOUT: qemu-an386 | qemu-an505
#        scripts/firmware-run-qemu.sh --all DIR
#   runs every DIR/qemu-an386*.elf and DIR/qemu-an505*.elf (all builds, e.g. qemu-an505-o3.elf)
#   into DIR/<name>.measured.json; the layout is the file name's prefix.
# Writes the JSON object of the `MEMBUDGET_MEASURED {...}` line to OUT.json. Exits non-zero if
# QEMU fails or times out (QEMU_TIMEOUT, default 30 s), the line is missing, its layout differs
# or its "ok" is not true. The full QEMU output is kept in OUT.json.log on failure.
set -euo pipefail

if [ $# -eq 2 ] && [ "$1" = "--all" ]; then
  [ -d "$2" ] || { echo "error: no such directory: $2" >&2; exit 2; }
  n=0
  for elf in "$2"/qemu-an386*.elf "$2"/qemu-an505*.elf; do
    [ -f "$elf" ] || continue
    name=$(basename "$elf" .elf)
    "$0" "$elf" "${name:0:10}" "$2/$name.measured.json"
    n=$((n + 1))
  done
  [ $n -gt 0 ] || { echo "error: no qemu-an386*.elf / qemu-an505*.elf in $2" >&2; exit 1; }
  exit 0
fi
if [ $# -ne 3 ]; then
  echo "usage: $0 ELF LAYOUT OUT.json | $0 --all DIR" >&2
  exit 2
fi
ELF=$1 LAYOUT=$2 OUTJSON=$3
case "$LAYOUT" in
  qemu-an386) MACHINE=mps2-an386 CPU=cortex-m4 ;;
  qemu-an505) MACHINE=mps2-an505 CPU=cortex-m33 ;;
  *) echo "error: layout '$LAYOUT' is not runnable on QEMU (qemu-an386, qemu-an505)" >&2; exit 2 ;;
esac
[ -f "$ELF" ] || { echo "error: no such ELF: $ELF" >&2; exit 2; }
command -v qemu-system-arm >/dev/null || { echo "error: qemu-system-arm not found" >&2; exit 2; }

LOG=$(mktemp)
trap 'rm -f "$LOG"' EXIT
fail() {
  echo "error: $*" >&2
  cp "$LOG" "$OUTJSON.log" 2>/dev/null || true
  echo "--- QEMU output (also in $OUTJSON.log) ---" >&2
  tail -n 20 "$LOG" >&2
  exit 1
}

# Output to a file, not a pipe: a closed pipe can stall semihosting writes.
set +e
timeout --kill-after=5 "${QEMU_TIMEOUT:-30}" qemu-system-arm \
  -machine "$MACHINE" -cpu "$CPU" -nographic -monitor none -serial null \
  -semihosting-config enable=on,target=native \
  -kernel "$ELF" </dev/null >"$LOG" 2>&1
rc=$?
set -e
[ $rc -ne 124 ] && [ $rc -ne 137 ] || fail "QEMU timed out after ${QEMU_TIMEOUT:-30}s"
[ $rc -eq 0 ] || fail "QEMU exited with status $rc (firmware self-check failure, panic or fault)"

LINE=$(tr -d '\r' <"$LOG" | grep '^MEMBUDGET_MEASURED ' | tail -n 1 || true)
[ -n "$LINE" ] || fail "no MEMBUDGET_MEASURED line in QEMU output"
JSON=${LINE#MEMBUDGET_MEASURED }
case "$JSON" in *'"ok":true}') ;; *) fail '"ok" is not true' ;; esac
case "$JSON" in "{\"layout\":\"$LAYOUT\","*) ;; *) fail "measured layout is not $LAYOUT" ;; esac
if command -v python3 >/dev/null; then
  printf '%s' "$JSON" | python3 -c 'import json,sys; json.load(sys.stdin)' \
    || fail "measurement line is not valid JSON"
fi
printf '%s\n' "$JSON" >"$OUTJSON"
rm -f "$OUTJSON.log"
echo "ok: $OUTJSON" >&2
