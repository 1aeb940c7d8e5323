#!/usr/bin/env bash
# Tessera GPU check kit: a ResNet-50 training step at 224 px, batch 32 and 64, on the tfjs `webgpu`
# backend (Dawn over Vulkan) and, when `import torch` works, in PyTorch on the same GPU. Needs no
# internet: Node, the bench, Dawn and the Vulkan loader are in this folder (see VERSIONS).
#
#   ./run.sh            # prints one JSON line per case (plus a first "env" line), < 8 minutes
#
# Env: TESSERA_KIT_CASES=tiny   a CI-size run (tiny ResNet-18, 32 px, one step) on any Vulkan
#                               driver, lavapipe included; the default is the GPU cases.
#      TESSERA_KIT_WORK=DIR     where to unpack (default: ./unpacked, or a temp dir if read-only).
#      VK_ICD_FILENAMES=FILE    use this Vulkan driver manifest instead of searching for NVIDIA's.
#      PYTHON=python3           the interpreter to try PyTorch with (default: the first of python3,
#                               /usr/bin/python3 that can import torch).
# Progress and diagnostics go to stderr; stdout is only JSON lines.
set -uo pipefail
KIT="$(cd "$(dirname "$0")" && pwd)"
MODE="${TESSERA_KIT_CASES:-gpu}"
START=$SECONDS
BUDGET_S=470 # the whole run stays under 8 minutes; each case gets min(its timeout, what is left)

esc() { printf '%s' "$1" | tr '\n\t' '  ' | sed 's/\\/\\\\/g; s/"/\\"/g' | cut -c1-400; }
fail_line() { printf '{"case":"%s","framework":"%s","error":"%s"}\n' "$1" "$2" "$(esc "$3")"; }
log() { printf '[kit %3ss] %s\n' "$((SECONDS - START))" "$*" >&2; }

case "$MODE" in
  gpu | tiny) ;;
  *)
    fail_line setup kit "TESSERA_KIT_CASES must be 'gpu' or 'tiny', received '$MODE'"
    exit 2
    ;;
esac

# --- unpack: node, the bench and Dawn beside each other, the Vulkan loader under vulkan/ ---------
WORK="${TESSERA_KIT_WORK:-$KIT/unpacked}"
if ! mkdir -p "$WORK" 2>/dev/null || [ ! -w "$WORK" ]; then WORK="$(mktemp -d)"; fi
unpack() {
  if [ ! -x "$WORK/node" ]; then
    gunzip -c "$KIT/node.gz" >"$WORK/node.tmp" && chmod +x "$WORK/node.tmp" && mv "$WORK/node.tmp" "$WORK/node" || return 1
  fi
  mkdir -p "$WORK/node_modules/webgpu/dist/linux-x64" &&
    cp "$KIT/bench.mjs" "$WORK/" &&
    cp "$KIT/node_modules/webgpu/package.json" "$KIT/node_modules/webgpu/index.js" "$WORK/node_modules/webgpu/" || return 1
  local dawn="$WORK/node_modules/webgpu/dist/linux-x64/dawn.node"
  [ -f "$dawn" ] || { gunzip -c "$KIT/node_modules/webgpu/dist/linux-x64/dawn.node.gz" >"$dawn.tmp" && mv "$dawn.tmp" "$dawn"; }
}
if ! err="$(unpack 2>&1)"; then
  fail_line setup kit "unpacking into $WORK failed: $err"
  exit 1
fi

# The kit's loader first; the machine's own (if any) is the fallback when the .deb cannot be opened.
deb="$(ls "$KIT"/debs/libvulkan1_*.deb 2>/dev/null | head -n1)"
loader="system"
if [ -n "$deb" ] && [ ! -e "$WORK/vulkan/usr/lib/x86_64-linux-gnu/libvulkan.so.1" ]; then
  if command -v dpkg >/dev/null; then
    dpkg -x "$deb" "$WORK/vulkan" 2>/dev/null
  elif command -v ar >/dev/null; then
    mkdir -p "$WORK/vulkan" && (cd "$WORK/vulkan" && ar p "$deb" data.tar.xz | tar xJ) 2>/dev/null
  fi
fi
if [ -e "$WORK/vulkan/usr/lib/x86_64-linux-gnu/libvulkan.so.1" ]; then
  export LD_LIBRARY_PATH="$WORK/vulkan/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  loader="$(basename "$deb")"
fi

# --- find the Vulkan driver (ICD) manifest ---------------------------------------------------
ICD_DIRS="/usr/share/vulkan/icd.d /etc/vulkan/icd.d /usr/local/nvidia/share/vulkan/icd.d /usr/local/share/vulkan/icd.d /usr/share/nvidia /etc/glvnd"
find_icd() { # $1: a file-name pattern
  local d f
  for d in $ICD_DIRS; do
    for f in "$d"/$1; do [ -f "$f" ] && { echo "$f"; return 0; }; done
  done
  return 1
}
icd="${VK_ICD_FILENAMES:-${VK_DRIVER_FILES:-}}"
if [ -z "$icd" ] && [ "$MODE" = tiny ]; then icd="$(find_icd 'lvp_icd*.json' || find_icd '*.json' || true)"; fi
if [ -z "$icd" ] && [ "$MODE" = gpu ]; then
  icd="$(find_icd 'nvidia_icd*.json' || true)"
  # Containers often mount NVIDIA's driver libraries but not its manifest: write one for them.
  if [ -z "$icd" ] && { ldconfig -p 2>/dev/null || /sbin/ldconfig -p 2>/dev/null; } | grep -q 'libGLX_nvidia.so.0'; then
    icd="$WORK/nvidia_icd.json"
    printf '{"file_format_version":"1.0.0","ICD":{"library_path":"libGLX_nvidia.so.0","api_version":"1.3"}}\n' >"$icd"
  fi
fi
if [ -n "$icd" ]; then export VK_ICD_FILENAMES="$icd" VK_DRIVER_FILES="$icd"; fi
gpu_name="$(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>/dev/null | head -n1)"
printf '{"case":"env","mode":"%s","icd":"%s","vulkan_loader":"%s","nvidia_smi":"%s","work":"%s"}\n' \
  "$MODE" "$(esc "${icd:-none found}")" "$(esc "$loader")" "$(esc "${gpu_name:-none}")" "$(esc "$WORK")"

# --- the cases -----------------------------------------------------------------------------------
# Runs a command under min(timeout, time left) and prints its last JSON line, or a failure line.
run_case() { # case framework timeout_s cmd...
  local name="$1" fw="$2" limit="$3" left out status
  shift 3
  left=$((BUDGET_S - (SECONDS - START)))
  [ "$limit" -gt "$left" ] && limit=$left
  if [ "$limit" -lt 10 ]; then
    fail_line "$name" "$fw" "skipped: the kit's 8-minute budget is spent"
    return
  fi
  log "$name $fw (timeout ${limit}s)"
  out="$(timeout -k 5 "$limit" "$@" 2>"$WORK/$name-$fw.err")"
  status=$?
  line="$(printf '%s\n' "$out" | grep '^{' | tail -n1)"
  if [ -n "$line" ]; then
    printf '%s\n' "$line"
  elif [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
    fail_line "$name" "$fw" "timed out after ${limit}s"
  else
    fail_line "$name" "$fw" "exit $status: $(tail -n 3 "$WORK/$name-$fw.err")"
  fi
}

find_python() {
  local py
  for py in ${PYTHON:-python3 /usr/bin/python3}; do
    command -v "$py" >/dev/null && "$py" -c 'import torch' 2>/dev/null && { echo "$py"; return 0; }
  done
  return 1
}
PY="$(find_python || true)"

torch_case() { # case model size batch steps device timeout
  if [ -z "$PY" ]; then
    fail_line "$1" pytorch "torch missing: no python3 here can 'import torch'"
    return
  fi
  run_case "$1" pytorch "$7" "$PY" "$KIT/train_step_torch.py" --case "$1" --model "$2" --size "$3" \
    --batch "$4" --steps "$5" --device "$6"
}

webgpu_case() { # case model size batch steps width timeout
  run_case "$1" tfjs-webgpu "$7" "$WORK/node" "$WORK/bench.mjs" --case "$1" --model "$2" --size "$3" \
    --batch "$4" --steps "$5" --width "$6"
}

if [ "$MODE" = tiny ]; then
  webgpu_case tiny resnet18 32 2 1 0.125 120
  # No GPU in CI: PyTorch, when present, runs the same tiny step on the CPU.
  torch_case tiny resnet18 32 2 1 cpu 60
else
  for batch in 32 64; do
    webgpu_case "resnet50-224-b$batch" resnet50 224 "$batch" 3 1 150
    torch_case "resnet50-224-b$batch" resnet50 224 "$batch" 5 cuda 75
  done
fi
log "done"
