#!/usr/bin/env bash
# On the GPU machine, after `source .gpu/enter.sh`: the GPU benchmark suite (webgpu matmul and the
# CuevaRNN training step, each checked against the CPU path first, beside the wasm step in the same
# run). Results go to $OUT if set (else benchmarks/results/), with the log.
set -euo pipefail
cd "$(git rev-parse --show-toplevel 2>/dev/null || pwd)"
out="${OUT:-benchmarks/results}"
mkdir -p "$out"
{ node --version; nvidia-smi --query-gpu=name,driver_version --format=csv,noheader || true; } | tee "$out/bench-gpu.log"
BENCH_RESULTS="$out" node benchmarks/dist/run.js gpu 2>&1 | tee -a "$out/bench-gpu.log"
