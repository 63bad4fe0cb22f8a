/**
 * @gridcells/navrnn: arenas and trajectories (world/), the path-integrating networks (networks/),
 * backends (backends/), training into run folders (run/), analysis and reports (analysis/), sweeps
 * of many runs, locally or on Slurm (sweep/), and the run configuration (config.ts). The `gridcells` CLI (cli.ts) is built on these exports.
 */
export * from './world/arena.js';
export * from './world/trajectory.js';
export * from './config.js';

export * from './backends/resolve.js';
export * from './backends/webgpu.js';
export { gpujsMatmul } from './backends/gpujs-matmul.js';

export * from './networks/network.js';
export * from './networks/build.js';
export * from './networks/chunks.js';
export * from './networks/cueva/model.js';
export * from './networks/cueva/bptt.js';
export * from './networks/cueva/network.js';
export { GpuJsCueva, type GpuJsShape } from './networks/cueva/gpujs.js';
export { type CounterNoise, expandNoise, isCounterNoise, noiseNormal } from './networks/cueva/counter-noise.js';
export * from './networks/placecell/model.js';
export * from './networks/placecell/bptt.js';
export * from './networks/placecell/network.js';

export * from './run/checkpoint.js';
export * from './run/folder.js';
export * from './run/load.js';
export * from './run/optimizer.js';
export * from './run/train.js';
export { ThreadPool } from './run/threads.js';
export { formatProgress, progressReporter } from './run/progress.js';
export { writeAtomic } from './run/files.js';

export * from './analysis/analyze.js';
export * from './analysis/analyze-run.js';
export * from './analysis/long-path.js';
export * from './analysis/report.js';
export { lineChart, histogram, type Series } from './analysis/svg.js';

export * from './sweep/spec.js';
export * from './sweep/folder.js';
export * from './sweep/local.js';
export * from './sweep/slurm.js';
export * from './sweep/collect.js';
