export * from './arena.js';
export * from './trajectory.js';
export * from './model.js';
export * from './config.js';
export * from './checkpoint.js';
export * from './train.js';
export { formatProgress, progressReporter } from './progress.js';
export * from "./bptt.js";
export { GpuJsCueva, enableWebGpu, describeWebGpu, probeWebGpuQuietly, releaseWebGpu, gpujsMatmul, type GpuJsMode } from './gpujs.js';
