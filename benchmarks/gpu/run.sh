#!/usr/bin/env bash
# On the GPU machine, after `source .gpu/enter.sh`: the GPU benchmarks, then copies of the results.
set -euo pipefail
cd "$(git rev-parse --show-toplevel 2>/dev/null || pwd)"
node --version
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader || true
node benchmarks/dist/run.js gpu step 2>&1 | tee "${OUT:-/tmp}/bench-gpu.log"
if [ -n "${OUT:-}" ]; then cp benchmarks/results/gpu.json benchmarks/results/step.json "$OUT/"; fi
