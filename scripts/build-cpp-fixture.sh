#!/bin/sh
# Rebuild fixtures/cpp-m4.elf (the C++ Cortex-M4 fixture), its GNU ld map fixtures/cpp-m4.map
# (tests/attribution.rs reads it) and its binutils references
# fixtures/cpp-m4.elf.size-A.txt and fixtures/cpp-m4.elf.nm-SC.txt (plus .nm-S.txt and
# .readelf-lSW.txt, which tests/tests/corpus.rs also reads).
#
# Needs: gcc-arm-none-eabi, binutils-arm-none-eabi, libnewlib-arm-none-eabi and
# libstdc++-arm-none-eabi-newlib (Debian/Ubuntu package names).
#
# Reproducible: sources are compiled from inside fixtures/cpp with relative names (so the
# STT_FILE symbols are bare file names), -ffile-prefix-map removes the checkout path from
# the debug info, and there is no build ID. Output depends only on the toolchain version.
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SRC="$ROOT/fixtures/cpp"
OUT="$ROOT/fixtures/cpp-m4.elf"
PREFIX=${ARM_PREFIX:-arm-none-eabi-}

for t in g++ size nm readelf; do
    command -v "${PREFIX}$t" >/dev/null 2>&1 || {
        echo "error: ${PREFIX}$t not found (apt-get install gcc-arm-none-eabi binutils-arm-none-eabi libnewlib-arm-none-eabi libstdc++-arm-none-eabi-newlib)" >&2
        exit 2
    }
done

BUILD=$(mktemp -d)
trap 'rm -rf "$BUILD"' EXIT

CPU="-mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16"
CXXFLAGS="$CPU -std=c++17 -O2 -g -Wall -Wextra
    -ffunction-sections -fdata-sections -fno-exceptions -fno-rtti -fno-threadsafe-statics
    -fno-unwind-tables -fno-asynchronous-unwind-tables
    -ffile-prefix-map=$SRC=. -ffile-prefix-map=$BUILD=."

cd "$SRC"
OBJS=""
for f in startup.cpp main.cpp display.cpp shapes.cpp util.cpp; do
    o="${f%.cpp}.o"
    # shellcheck disable=SC2086
    "${PREFIX}g++" $CXXFLAGS -c "$f" -o "$BUILD/$o"
    OBJS="$OBJS $o"
done
cp cpp.ld "$BUILD/"

# Link inside the build directory with relative object names, so that the map names the
# objects without the temporary directory.
cd "$BUILD"
# shellcheck disable=SC2086
"${PREFIX}g++" $CPU -nostartfiles --specs=nano.specs --specs=nosys.specs \
    -Wl,--gc-sections -Wl,--build-id=none -Wl,-Map=cpp-m4.map \
    -T cpp.ld $OBJS -o "$OUT"
cp cpp-m4.map "$ROOT/fixtures/cpp-m4.map"

cd "$ROOT/fixtures"
# Reference outputs, like the conformance corpus has them (run from the fixtures
# directory so that the file name printed by size is the bare name).
LC_ALL=C "${PREFIX}size" -A cpp-m4.elf > cpp-m4.elf.size-A.txt
LC_ALL=C "${PREFIX}nm" -S cpp-m4.elf > cpp-m4.elf.nm-S.txt
LC_ALL=C "${PREFIX}nm" -S -C cpp-m4.elf > cpp-m4.elf.nm-SC.txt
LC_ALL=C "${PREFIX}readelf" -lSW cpp-m4.elf > cpp-m4.elf.readelf-lSW.txt

echo "built $OUT ($(wc -c < cpp-m4.elf) bytes) with $("${PREFIX}g++" --version | head -n1)"
"${PREFIX}size" cpp-m4.elf
