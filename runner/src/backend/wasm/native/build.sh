#!/usr/bin/env bash
# Rebuilds fused.wasm (for the single-threaded SIMD tfjs build, whose memory is not shared) and
# fused-shared.wasm (for the threaded build: its memory is a shared one of 4 GiB maximum, and an
# import must match both). Both import env.memory, tfjs's own heap. Debian 12: apt-get install clang lld llvm
# (clang 14); fused.test.ts checks that this reproduces the committed bytes.
# Usage: build.sh [out-dir]   (default: beside this script)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${1:-$here}"
flags=(--target=wasm32 -msimd128 -O3 -nostdlib -ffreestanding -Wl,--no-entry -Wl,--import-memory -Wl,--strip-all)
clang "${flags[@]}" -o "$out/fused.wasm" "$here/fused.c"
clang "${flags[@]}" -matomics -mbulk-memory -Wl,--shared-memory -Wl,--max-memory=4294967296 \
  -o "$out/fused-shared.wasm" "$here/fused.c"
# The module shares tfjs's heap, so it must own no memory: no data segment, and no use of the
# linker's shadow stack (__stack_pointer, global 0), which sits at the bottom of the heap tfjs uses.
# (Output captured first: with pipefail, `grep -q` closing the pipe early would fail the check.)
for f in "$out/fused.wasm" "$out/fused-shared.wasm"; do
  headers="$(llvm-objdump -h "$f")"
  code="$(llvm-objdump -d "$f")"
  if grep -qE ' DATA ' <<<"$headers"; then echo "$f: has a data section" >&2; exit 1; fi
  if grep -qE 'global\.(get|set)' <<<"$code"; then echo "$f: uses the shadow stack (a local array?)" >&2; exit 1; fi
done
