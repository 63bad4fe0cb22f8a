/**
 * The run configuration: one schema (zod) with documented defaults and presets. Validation errors
 * name the field, the allowed range and the value given.
 */
import { availableParallelism } from 'node:os';
import { z } from 'zod';
import { Rng } from '@gridcells/tensor';
import { makeArena, type ArenaSpec } from './world/arena.js';
import { CUEVA_DEFAULTS, SORSCHER_DEFAULTS } from './world/trajectory.js';
import { BACKENDS } from './backends/resolve.js';

const int = (min: number, max: number) => z.number().int(`must be an integer`).min(min, `must be >= ${min}`).max(max, `must be <= ${max}`);
const nonneg = (max = Infinity) => z.number().min(0, 'must be >= 0').max(max, `must be <= ${max}`);
const positive = () => z.number().gt(0, 'must be > 0').refine(Number.isFinite, 'must be finite');
const point = z.tuple([z.number(), z.number()]);

/** An arena as a config gives it (world/arena.ts builds it). */
export const arenaSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('square'), side: positive() }),
  z.strictObject({ kind: z.literal('rectangle'), width: positive(), height: positive() }),
  z.strictObject({ kind: z.literal('triangle'), side: positive() }),
  z.strictObject({ kind: z.literal('hexagon'), side: positive() }),
  z.strictObject({ kind: z.literal('circle'), radius: positive() }),
  z.strictObject({ kind: z.literal('polygon'), vertices: z.array(point).min(3, 'needs at least 3 vertices') }),
]);

/** The CuevaRNN's rate functions: tanh (the paper's), relu, rectified tanh max(0, tanh(x)). */
export const ACTIVATIONS = ['tanh', 'relu', 'rectified-tanh'] as const;
/** One of ACTIVATIONS. */
export type Activation = (typeof ACTIVATIONS)[number];

/** The trajectory generator and its parameters (world/trajectory.ts). */
export const trajectorySchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('cueva'),
    turnStd: nonneg().default(CUEVA_DEFAULTS.turnStd),
    speed: z.strictObject({ distribution: z.enum(['halfnormal', 'rayleigh', 'constant']), scale: positive() }).default(CUEVA_DEFAULTS.speed),
    zeroSpeedFraction: nonneg(0.99).default(CUEVA_DEFAULTS.zeroSpeedFraction),
    /**
     * 'centre' (the paper): every trial starts at the arena's centre with the state at zero;
     * 'uniform': anywhere, and the CuevaRNN's initial state encodes the start position.
     */
    start: z.enum(['centre', 'uniform']).default('centre'),
  }),
  z.strictObject({
    kind: z.literal('sorscher'),
    dt: positive().default(SORSCHER_DEFAULTS.dt),
    speedScale: positive().default(SORSCHER_DEFAULTS.speedScale),
    turnRateStd: nonneg().default(SORSCHER_DEFAULTS.turnRateStd),
    borderRegion: nonneg().default(SORSCHER_DEFAULTS.borderRegion),
    borderSlowdown: nonneg(1).default(SORSCHER_DEFAULTS.borderSlowdown),
  }),
]);

/** The whole run configuration (zod schema), with every default documented where it is set. */
export const configSchema = z.strictObject({
  /** Name of the preset this config came from, if any (informational). */
  preset: z.string().optional(),
  seed: int(0, 2 ** 31 - 1).default(0),
  /** Which kernels compute the loss and its gradient (backends/resolve.ts: BACKENDS). */
  backend: z.enum(BACKENDS).default('auto'),
  /**
   * The network: 'cueva' (Cueva & Wei 2018: tanh units read out as x, y) or 'placecell' (Sorscher
   * et al. 2019/2023: ReLU units read out as place cells; `placeCells` below; of `model`, only
   * `hidden` applies).
   */
  network: z.enum(['cueva', 'placecell']).default('cueva'),
  arena: arenaSchema.default({ kind: 'square', side: 1 }),
  trajectory: trajectorySchema.default({ ...CUEVA_DEFAULTS, start: 'centre' }),
  /** Network inputs: the paper's speed and direction angle, speed with cos/sin of the heading, or velocity. */
  encoding: z.enum(['speed-direction', 'speed-cos-sin', 'velocity']).default('speed-direction'),
  model: z.strictObject({
    hidden: int(1, 4096).default(100),
    alpha: z.number().gt(0, 'must be > 0').max(1, 'must be <= 1').default(0.1),
    /**
     * The paper gives no values for the noise and the two costs; these defaults were chosen so a
     * network learns the task, not taken from the paper.
     */
    noiseStd: nonneg().default(0.05),
    lambdaWeights: nonneg().default(1e-4),
    lambdaRates: nonneg().default(1e-3),
    init: z.enum(['orthogonal', 'gaussian']).default('orthogonal'),
    initGain: positive().default(1),
    /** The CuevaRNN's rate function: tanh (the paper), relu, or rectified tanh max(0, tanh). */
    activation: z.enum(ACTIVATIONS).default('tanh'),
  }).prefault({}),
  /** The PlaceCellRNN's readout (used when network is 'placecell'); defaults as Sorscher et al. */
  placeCells: z.strictObject({
    count: int(2, 100_000).default(512),
    /** Place-field width, m. */
    sigma: positive().default(0.12),
    /** Surround variance as a multiple of sigma^2 (difference of softmaxes); 0: no surround. */
    surround: nonneg().default(2),
    /** L2 penalty on W_rec. */
    weightDecay: nonneg().default(1e-4),
  }).prefault({}),
  train: z.strictObject({
    steps: int(1, 10_000_000).default(1000),
    /** Trials per step (the paper: 500). */
    batch: int(1, 100_000).default(64),
    /** Time steps per trial (the paper: 500). */
    timeSteps: int(1, 100_000).default(500),
    /** 'adam' (default), 'sgd' (with momentum), or 'hf': Hessian-free (Martens & Sutskever 2011), the paper's optimizer. */
    optimizer: z.enum(['adam', 'sgd', 'hf']).default('adam'),
    /** Hessian-free settings (used when optimizer is 'hf'; lr, momentum, clip and schedule are not). */
    hf: z.strictObject({
      /** Initial Levenberg-Marquardt damping. */
      damping: positive().default(1),
      /** Structural damping weight mu (Martens & Sutskever 2011 used 1/30). */
      structuralDamping: nonneg().default(1 / 30),
      maxCgIterations: int(1, 10_000).default(50),
      /** Curvature mini-batch as a fraction of the gradient batch (Martens 2010: smaller than the gradient's). */
      curvatureFraction: z.number().gt(0, 'must be > 0').max(1, 'must be <= 1').default(0.2),
      preconditioner: z.enum(['none', 'diagonal']).default('diagonal'),
    }).prefault({}),
    lr: positive().default(1e-3),
    momentum: nonneg(0.999).default(0.9),
    /** Global gradient-norm clip (null: none). */
    clip: positive().nullable().default(1),
    /** Learning rate over training: constant, exponential decay to lr*final, or cosine to lr*final. */
    schedule: z.strictObject({ kind: z.enum(['constant', 'exponential', 'cosine']).default('constant'), final: nonneg(1).default(0.1) }).default({ kind: 'constant', final: 0.1 }),
    /**
     * Threads that compute a training step, this one included (worker threads split the batch;
     * the CPU kernels only). Default: the machine's cores. A run's numbers do not depend on it.
     */
    threads: int(1, 1024).default(() => availableParallelism()),
    /**
     * Trials per chunk of a step's batch: the unit the threads share. The numbers of a run depend on
     * it (sums are taken chunk by chunk, in order), not on the number of threads.
     */
    chunkTrials: int(1, 100_000).default(8),
    evalEvery: int(1, 10_000_000).default(50),
    evalBatch: int(1, 100_000).default(64),
    checkpointEvery: int(1, 10_000_000).default(100),
  }).prefault({}),
});

/** A validated run configuration, every default filled in. */
export type RunConfig = z.infer<typeof configSchema>;
/** A run configuration as a user writes it (every field optional). */
export type ConfigInput = z.input<typeof configSchema>;

const PAPER = { batch: 500, timeSteps: 500 };

/** Named configs: the paper's three arenas, the PlaceCellRNN at two sizes, and a quick one for trying things out. */
export const PRESETS: Record<string, { description: string; config: ConfigInput }> = {
  'cueva-square': {
    description: 'Cueva & Wei at the paper\'s size: 1 m square, N 100, batch 500 x 500 steps, speed + direction inputs',
    config: { arena: { kind: 'square', side: 1 }, model: { hidden: 100, init: 'orthogonal' }, train: { ...PAPER, steps: 10_000 } },
  },
  'cueva-triangle': {
    description: 'Cueva & Wei, equilateral triangle of side 1.2 m, orthogonal init',
    config: { arena: { kind: 'triangle', side: 1.2 }, model: { hidden: 100, init: 'orthogonal' }, train: { ...PAPER, steps: 10_000 } },
  },
  'cueva-hexagon': {
    description: 'Cueva & Wei, regular hexagon of side 0.6 m, Gaussian init with variance 1.5^2/N',
    config: { arena: { kind: 'hexagon', side: 0.6 }, model: { hidden: 100, init: 'gaussian', initGain: 1.5 }, train: { ...PAPER, steps: 10_000 } },
  },
  placecell: {
    description: 'PlaceCellRNN (Sorscher et al.) sized for a 2-core CPU: 2.2 m square, 256 ReLU units, 256 place cells (sigma 12 cm, surround), batch 200 x 20 steps in 2 chunks of 100 (one a core), Adam lr 1e-3; about 3.5 min of training on 2 cores',
    config: {
      network: 'placecell', arena: { kind: 'square', side: 2.2 }, trajectory: { kind: 'sorscher' }, encoding: 'velocity',
      model: { hidden: 256 }, placeCells: { count: 256 },
      train: { steps: 4000, batch: 200, timeSteps: 20, chunkTrials: 100, lr: 1e-3, clip: null, evalEvery: 250, evalBatch: 200, checkpointEvery: 500 },
    },
  },
  'sorscher-square': {
    description: 'PlaceCellRNN at Sorscher et al.\'s size: 2.2 m square, 4096 ReLU units, 512 place cells, batch 200 x 20 steps, Adam lr 1e-4, 100,000 steps',
    config: {
      network: 'placecell', arena: { kind: 'square', side: 2.2 }, trajectory: { kind: 'sorscher' }, encoding: 'velocity',
      model: { hidden: 4096 }, placeCells: { count: 512 },
      train: { steps: 100_000, batch: 200, timeSteps: 20, chunkTrials: 50, lr: 1e-4, clip: null, evalEvery: 1000, evalBatch: 200, checkpointEvery: 5000 },
    },
  },
  quick: {
    description: 'a small network for trying things out and for tests: N 32, batch 32 x 50 steps, 300 steps (~10 s)',
    config: {
      arena: { kind: 'square', side: 1 },
      model: { hidden: 32, noiseStd: 0, lambdaRates: 1e-4 },
      train: { steps: 300, batch: 32, timeSteps: 50, lr: 3e-3, evalEvery: 50, evalBatch: 64, checkpointEvery: 100 },
    },
  },
};

/** A config (or a combination of its fields) that cannot run; the message names the field and value. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

function valueAt(input: unknown, path: PropertyKey[]): unknown {
  let v: unknown = input;
  for (const k of path) v = v !== null && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[k] : undefined;
  return v;
}

/** Validates a config; the error names each bad field, what is allowed and what was given. */
export function parseConfig(input: unknown): RunConfig {
  const r = configSchema.safeParse(input);
  if (r.success) {
    checkArena(r.data);
    return r.data;
  }
  const msgs = r.error.issues.map((i) => {
    const field = i.path.length ? i.path.join('.') : '(config)';
    const got = valueAt(input, i.path);
    return `${field}: ${i.message}${got !== undefined ? ` (got ${JSON.stringify(got)})` : ''}`;
  });
  throw new ConfigError(`invalid config: ${msgs.join('; ')}`);
}

/** The arena must be a proper one, and hold the trials' start when they start at the origin. */
function checkArena(cfg: RunConfig): void {
  let arena;
  try {
    arena = makeArena(cfg.arena);
  } catch (e) {
    throw new ConfigError(`invalid config: ${(e as Error).message}`);
  }
  if (cfg.trajectory.kind === 'cueva' && !arena.contains([0, 0])) {
    throw new ConfigError(
      "invalid config: arena: cueva trajectories start at the origin (0, 0), which is outside this arena; centre the arena on the origin, or use trajectory.kind 'sorscher' (uniform starts)",
    );
  }
}

function merge(base: unknown, over: unknown): unknown {
  if (over === undefined) return base;
  if (base && over && typeof base === 'object' && typeof over === 'object' && !Array.isArray(base) && !Array.isArray(over)) {
    const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
    for (const [k, v] of Object.entries(over)) out[k] = merge(out[k], v);
    return out;
  }
  return over;
}

/** A preset's config, with overrides merged field by field. */
export function presetConfig(name: string, overrides: unknown = {}): RunConfig {
  const p = PRESETS[name];
  if (!p) throw new ConfigError(`unknown preset '${name}' (have: ${Object.keys(PRESETS).join(', ')})`);
  return parseConfig(merge({ ...p.config, preset: name }, overrides));
}

/** `overrides` merged into `base` field by field (objects recursively; anything else replaced). */
export function mergeConfig(base: unknown, overrides: unknown): unknown {
  return merge(base, overrides);
}

export type { ArenaSpec };

/**
 * The generators of a run, all derived from its seed: initial weights, training data, the held-out
 * evaluation trials, and the place cells' centres.
 */
export function runStreams(seed: number): { init: Rng; data: Rng; evaluation: Rng; placeCells: Rng } {
  const root = new Rng(seed);
  return { init: root.split(), data: root.split(), evaluation: root.split(), placeCells: root.split() };
}
