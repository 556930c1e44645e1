#!/usr/bin/env bash
# Build every firmware layout/variant (full debug info, machine-independent paths) and copy the
# ELFs to OUTDIR (default: fixtures/):
#   qemu-an386.elf qemu-an386-tlsf.elf qemu-an505.elf daisy.elf p2.elf p2-overflow.elf p2-moved.elf
#   (cargo profile `release`: opt-level "s", fat LTO), and for the on-target stack check the two
#   QEMU layouts in four more profiles (firmware/Cargo.toml): qemu-an386-o3.elf (opt-level 3),
#   -oz.elf (opt-level "z"), -o3-lto.elf (3 + fat LTO), -o0.elf (debug, opt-level 0); same for
#   qemu-an505.
#
# Usage: scripts/firmware-build.sh [OUTDIR]
# Env:   FIRMWARE_TARGET_DIR  cargo target dir (default firmware/target; one sub-dir per variant)
#        FIRMWARE_VARIANTS    space-separated subset of variant names to build (default: all)
# Needs: the Rust toolchain pinned by firmware/rust-toolchain.toml with its thumb targets.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
FW="$ROOT/firmware"
OUT=${1:-"$ROOT/fixtures"}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd -P)
TARGET_DIR=${FIRMWARE_TARGET_DIR:-"$FW/target"}
mkdir -p "$TARGET_DIR"
TARGET_DIR=$(cd "$TARGET_DIR" && pwd -P)
CARGO_HOME_DIR=${CARGO_HOME:-"$HOME/.cargo"}

cd "$FW"
# rustc of the toolchain pinned in firmware/rust-toolchain.toml.
SYSROOT=$(rustc --print sysroot)

# Remap every machine-specific path in debug info/panic locations. The last matching remap wins,
# so the most specific prefixes come last.
flags=(
  -C link-arg=-Tlink.x
  "--remap-path-prefix=$SYSROOT=/rust/sysroot"
  "--remap-path-prefix=$CARGO_HOME_DIR=/cargo"
  "--remap-path-prefix=$TARGET_DIR=/membudget/firmware/target"
  "--remap-path-prefix=$FW=/membudget/firmware"
)
# CARGO_ENCODED_RUSTFLAGS: \x1f-separated, so paths with spaces survive. It replaces the
# rustflags of .cargo/config.toml, hence -Tlink.x above.
CARGO_ENCODED_RUSTFLAGS=$(IFS=$'\x1f'; printf '%s' "${flags[*]}")
export CARGO_ENCODED_RUSTFLAGS
unset RUSTFLAGS
export SOURCE_DATE_EPOCH=0

# name              layout      target                     features     profile
VARIANTS="
qemu-an386          qemu-an386  thumbv7em-none-eabihf      -            release
qemu-an386-tlsf     qemu-an386  thumbv7em-none-eabihf      tlsf         release
qemu-an505          qemu-an505  thumbv8m.main-none-eabihf  -            release
daisy               daisy       thumbv7em-none-eabihf      -            release
p2                  p2          thumbv8m.main-none-eabihf  -            release
p2-overflow         p2          thumbv8m.main-none-eabihf  p2-overflow  release
p2-moved            p2          thumbv8m.main-none-eabihf  p2-moved     release
qemu-an386-o3       qemu-an386  thumbv7em-none-eabihf      -            o3
qemu-an386-oz       qemu-an386  thumbv7em-none-eabihf      -            oz
qemu-an386-o3-lto   qemu-an386  thumbv7em-none-eabihf      -            o3-lto
qemu-an386-o0       qemu-an386  thumbv7em-none-eabihf      -            o0
qemu-an505-o3       qemu-an505  thumbv8m.main-none-eabihf  -            o3
qemu-an505-oz       qemu-an505  thumbv8m.main-none-eabihf  -            oz
qemu-an505-o3-lto   qemu-an505  thumbv8m.main-none-eabihf  -            o3-lto
qemu-an505-o0       qemu-an505  thumbv8m.main-none-eabihf  -            o0
"

want() { [ -z "${FIRMWARE_VARIANTS:-}" ] || [[ " $FIRMWARE_VARIANTS " == *" $1 "* ]]; }

while read -r name layout target features profile; do
  [ -n "$name" ] || continue
  want "$name" || continue
  echo "== $name (layout $layout, target $target, features $features, profile $profile)" >&2
  feat=()
  [ "$features" = "-" ] || feat=(--features "$features")
  MEMBUDGET_LAYOUT=$layout cargo build --locked --profile "$profile" --target "$target" \
    --target-dir "$TARGET_DIR/$name" "${feat[@]}"
  cp "$TARGET_DIR/$name/$target/$profile/membudget-firmware" "$OUT/$name.elf"
  echo "   -> $OUT/$name.elf" >&2
done <<<"$VARIANTS"
