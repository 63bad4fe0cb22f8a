/**
 * The recurrent noise xi drawn from a counter-based generator: xi[t][r][j] is a pure function of
 * (seed, t, r N + j), so a GPU kernel can draw it where it is used instead of receiving it. At the
 * paper's batch (500 trials x 500 steps x 100 units) the noise is 95 MiB a training step; drawing
 * it on the CPU and uploading it through gpu.js cost more than half of an H100 step.
 *
 * The functions below are the kernel source too (gpu.js `addFunction`), so they are written in
 * the subset gpu.js translates to WGSL/WebAssembly: 32-bit integer arithmetic only through
 * function arguments (a local variable would become f32 and lose bits), wrapping adds made
 * explicit with `| 0` (JavaScript numbers do not wrap, WGSL and WebAssembly i32 do; `| 0`
 * makes all three agree bit for bit). Argument names must not be kernel constants' names: gpu.js's
 * cpu backend reads a helper's `a` as the kernel's constant `a` (the leak rate).
 */

/** The recurrent noise as a seed: xi[t][r][j] = std * noiseNormal(seed's halves, t, r N + j). */
export interface CounterNoise {
  /** 32-bit unsigned seed (drawn from the run's data stream each training step). */
  seed: number;
  /** Standard deviation of xi. */
  std: number;
}

/** Whether a batch's noise is given as a seed (CounterNoise) rather than an array. */
export function isCounterNoise(x: unknown): x is CounterNoise {
  return typeof x === 'object' && x !== null && !ArrayBuffer.isView(x) && typeof (x as CounterNoise).seed === 'number';
}

// Bob Jenkins' 32-bit integer hash: six shift-add/xor rounds and no multiplications (whose
// wrapping would depend on how gpu.js types an integer product), one round a function so every
// intermediate stays an i32 argument in the translated kernels.
export function noiseRound1(word: number): number { return (word + 2127912214 + (word << 12)) | 0; }
export function noiseRound2(word: number): number { return (word ^ -949894596) ^ (word >>> 19); }
export function noiseRound3(word: number): number { return (word + 374761393 + (word << 5)) | 0; }
export function noiseRound4(word: number): number { return ((word + -744332180) | 0) ^ (word << 9); }
export function noiseRound5(word: number): number { return (word + -42973499 + (word << 3)) | 0; }
export function noiseRound6(word: number): number { return (word ^ -1252372727) ^ (word >>> 16); }

/** The 32-bit hash of a word (as a signed 32-bit integer). */
export function noiseMix(word: number): number {
  return noiseRound6(noiseRound5(noiseRound4(noiseRound3(noiseRound2(noiseRound1(word))))));
}

/**
 * Uniform in (0, 1) for counter i of time step t: 23 hash bits plus a half, exact in f32 and f64.
 * The counter is mixed twice: after one round, counters 2 i and 2 i + 1 (a Box-Muller pair) gave
 * correlated uniforms (53 standard errors over 200,000 pairs) and visibly non-normal draws.
 * The seed comes as two 16-bit halves because gpu.js passes scalar arguments as f32.
 */
export function noiseUniform(seedHi: number, seedLo: number, t: number, i: number): number {
  return ((noiseMix(noiseMix(noiseMix(noiseMix((seedHi << 16) | seedLo) ^ t) ^ i)) >>> 9) + 0.5) / 8388608;
}

/** Standard normal for element i of time step t (Box-Muller on counters 2 i and 2 i + 1). */
export function noiseNormal(seedHi: number, seedLo: number, t: number, i: number): number {
  return Math.sqrt(-2 * Math.log(noiseUniform(seedHi, seedLo, t, 2 * i))) * Math.cos(6.283185307179586 * noiseUniform(seedHi, seedLo, t, 2 * i + 1));
}

/** The kernels' helper functions with their gpu.js types, callees first. */
export const NOISE_KERNEL_FUNCTIONS: [Function, { argumentTypes: Record<string, string>; returnType: string }][] = [
  ...[noiseRound1, noiseRound2, noiseRound3, noiseRound4, noiseRound5, noiseRound6, noiseMix].map(
    (f) => [f, { argumentTypes: { word: 'Integer' }, returnType: 'Integer' }] as [Function, { argumentTypes: Record<string, string>; returnType: string }],
  ),
  [noiseUniform, { argumentTypes: { seedHi: 'Float', seedLo: 'Float', t: 'Integer', i: 'Integer' }, returnType: 'Float' }],
  [noiseNormal, { argumentTypes: { seedHi: 'Float', seedLo: 'Float', t: 'Integer', i: 'Integer' }, returnType: 'Float' }],
];

/** The two 16-bit halves of a seed, as the kernels take it. */
export function seedHalves(seed: number): [number, number] {
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new Error(`counter noise: seed must be an integer in [0, 2^32), got ${seed}`);
  return [seed >>> 16, seed & 0xffff];
}

/** The noise as an array [T][B][N] (what the CPU kernels and the tape read). */
export function expandNoise(noise: CounterNoise, steps: number, batch: number, hidden: number): Float32Array {
  const [hi, lo] = seedHalves(noise.seed);
  const out = new Float32Array(steps * batch * hidden);
  const per = batch * hidden;
  for (let t = 0; t < steps; t++) {
    for (let i = 0; i < per; i++) out[t * per + i] = noise.std * noiseNormal(hi, lo, t, i);
  }
  return out;
}
