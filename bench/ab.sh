#!/usr/bin/env bash
# A/B of wasm training-step speed between two checkouts, interleaved with PyTorch in one command so
# load changes on a shared machine hit every side alike. Prints one line per measurement.
#   bench/ab.sh OLD_CHECKOUT [models] [rounds]    (e.g. a `git archive` of the old commit with
#                                                  node_modules symlinked)
set -euo pipefail
old="$1"; models="${2:-resnet18,resnet50}"; rounds="${3:-2}"
new="$(cd "$(dirname "$0")/.." && pwd)"
py=/usr/bin/python3; command -v python3 >/dev/null && python3 -c 'import torch' 2>/dev/null && py=python3
for r in $(seq "$rounds"); do
  for m in ${models//,/ }; do
    for side in old new; do
      dir=$old; [ $side = new ] && dir=$new
      echo "$r $m $side $(cd "$dir" && node --import tsx bench/train-step.ts --child "$m,128,wasm,8,2,1,train" | tail -n1)"
    done
    echo "$r $m torch $($py "$new/bench/train_step_torch.py" --model "$m" --size 128 --batch 8 --steps 2 --threads 1)"
  done
done
