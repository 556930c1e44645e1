#!/usr/bin/env bash
# Rebuild the stack-analysis fixtures (needs arm-none-eabi-gcc/as/ld):
#  - tests/data/stack/seqs.elf: hand-written Thumb sequences for the SP tracker;
#  - fixtures/stack-c/app-*.elf + *.su: a C firmware (app.c + switch.c) with GCC's
#    -fstack-usage output, which tests/tests/stack.rs compares with the decoded frames:
#    m4 (ARMv7E-M + FPU, -O2), m0 (ARMv6-M, -O2), m0s (ARMv6-M, -Os: switches through
#    __gnu_thumb1_case_*), m23 (ARMv8-M baseline, -Os: the same helpers).
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

arm-none-eabi-as -mthumb -o "$tmp/seqs.o" tests/data/stack/seqs.s
arm-none-eabi-ld -T tests/data/stack/seqs.ld -o tests/data/stack/seqs.elf "$tmp/seqs.o"

build() { # name, opt level, cpu flags...
    local name=$1 opt=$2; shift 2
    mkdir -p "$tmp/$name"
    for src in app switch; do
        # Relative source path and a mapped build directory: two checkouts build the same bytes.
        arm-none-eabi-gcc "$@" "$opt" -g -ffreestanding -fno-builtin -fstack-usage \
            -ffunction-sections -fdebug-prefix-map="$PWD"=. \
            -c "fixtures/stack-c/$src.c" -o "$tmp/$name/$src.o"
    done
    arm-none-eabi-gcc "$@" -nostdlib -nostartfiles -T fixtures/stack-c/app.ld -Wl,--gc-sections \
        -o "fixtures/stack-c/app-$name.elf" "$tmp/$name/app.o" "$tmp/$name/switch.o" -lgcc
    cat "$tmp/$name/app.su" "$tmp/$name/switch.su" > "fixtures/stack-c/app-$name.su"
}
build m4 -O2 -mcpu=cortex-m4 -mthumb -mfpu=fpv4-sp-d16 -mfloat-abi=hard
build m0 -O2 -mcpu=cortex-m0 -mthumb -mfloat-abi=soft
build m0s -Os -mcpu=cortex-m0 -mthumb -mfloat-abi=soft
build m23 -Os -mcpu=cortex-m23 -mthumb -mfloat-abi=soft
arm-none-eabi-gcc --version | head -1 > fixtures/stack-c/GCC_VERSION
