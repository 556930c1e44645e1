#!/usr/bin/env bash
# Rebuild the stack-analysis fixtures (needs arm-none-eabi-gcc/as/ld):
#  - tests/data/stack/seqs.elf: hand-written Thumb sequences for the SP tracker;
#  - fixtures/stack-c/app-{m4,m0}.elf + *.su: a C firmware with GCC's -fstack-usage
#    output, which tests/tests/stack.rs compares with the decoded frames.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

arm-none-eabi-as -mthumb -o "$tmp/seqs.o" tests/data/stack/seqs.s
arm-none-eabi-ld -T tests/data/stack/seqs.ld -o tests/data/stack/seqs.elf "$tmp/seqs.o"

build() { # name, cpu flags...
    local name=$1; shift
    mkdir -p "$tmp/$name"
    # Relative source path and a mapped build directory: two checkouts build the same bytes.
    arm-none-eabi-gcc "$@" -O2 -g -ffreestanding -fno-builtin -fstack-usage -ffunction-sections \
        -fdebug-prefix-map="$PWD"=. -c fixtures/stack-c/app.c -o "$tmp/$name/app.o"
    arm-none-eabi-gcc "$@" -nostdlib -nostartfiles -T fixtures/stack-c/app.ld -Wl,--gc-sections \
        -o "fixtures/stack-c/app-$name.elf" "$tmp/$name/app.o" -lgcc
    cp "$tmp/$name/app.su" "fixtures/stack-c/app-$name.su"
}
build m4 -mcpu=cortex-m4 -mthumb -mfpu=fpv4-sp-d16 -mfloat-abi=hard
build m0 -mcpu=cortex-m0 -mthumb -mfloat-abi=soft
arm-none-eabi-gcc --version | head -1 > fixtures/stack-c/GCC_VERSION
