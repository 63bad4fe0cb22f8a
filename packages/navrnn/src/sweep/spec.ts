/**
 * A sweep: a base config (a preset and fields over it, as in a config file), axes of values or a
 * list of points, and seeds. Expanded, it is one ordinary run config per point and seed.
 *
 *   { "base": { "preset": "cueva-square", "train": { "steps": 2000 } },
 *     "axes": { "model.noiseStd": [0.05, 0.2], "model.lambdaRates": [0.001, 0.1] },
 *     "seeds": [0] }
 *
 * Axis names are dotted config paths; every point's config is validated like a config file, and
 * an error names the point and the field.
 */
import { ConfigError, mergeConfig, parseConfig, presetConfig, type RunConfig } from '../config.js';

/** A sweep as written in SPEC.json. */
export interface SweepSpec {
  base: Record<string, unknown>;
  /** Values per dotted config path; every combination is a point. */
  axes?: Record<string, unknown[]>;
  /** Or the points themselves: each a map of dotted paths to values. */
  points?: Record<string, unknown>[];
  /** Seeds for every point (default [0]). */
  seeds?: number[];
}

/** One run of a sweep: its folder name, the values it sets, its seed and its config. */
export interface SweepPoint {
  name: string;
  params: Record<string, unknown>;
  seed: number;
  config: RunConfig;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The nested object that sets `path` (dotted) to `value`. */
function atPath(path: string, value: unknown): Record<string, unknown> {
  return path.split('.').reduceRight<unknown>((inner, key) => ({ [key]: inner }), value) as Record<string, unknown>;
}

/** A folder-safe label of a value. */
function label(v: unknown): string {
  return (typeof v === 'string' ? v : JSON.stringify(v)).replace(/[^A-Za-z0-9.+-]+/g, '_');
}

/** Checks a spec's shape; every problem is a ConfigError naming `file` and the field. */
export function checkSpec(raw: unknown, file: string): SweepSpec {
  const fail = (what: string): never => {
    throw new ConfigError(`${file}: ${what}`);
  };
  if (!isObject(raw)) fail(`a sweep spec must be a JSON object, got ${JSON.stringify(raw)?.slice(0, 40)}`);
  const s = raw as Record<string, unknown>;
  for (const k of Object.keys(s)) if (!['base', 'axes', 'points', 'seeds'].includes(k)) fail(`unknown field '${k}' (have: base, axes, points, seeds)`);
  if (!isObject(s.base)) fail('base must be an object (a preset and config fields)');
  if ((s.axes === undefined) === (s.points === undefined)) fail('give either axes (values per config path) or points (a list), not both or neither');
  if (s.axes !== undefined) {
    if (!isObject(s.axes) || Object.keys(s.axes).length === 0) fail('axes must be an object of config paths to lists of values');
    for (const [k, v] of Object.entries(s.axes as Record<string, unknown>)) {
      if (!Array.isArray(v) || v.length === 0) fail(`axes.${k} must be a non-empty list of values`);
    }
  }
  if (s.points !== undefined && (!Array.isArray(s.points) || s.points.length === 0 || !s.points.every(isObject))) {
    fail('points must be a non-empty list of objects (config paths to values)');
  }
  const seeds = s.seeds ?? [0];
  if (!Array.isArray(seeds) || seeds.length === 0 || !seeds.every((x) => Number.isInteger(x) && x >= 0)) fail(`seeds must be a list of integers >= 0, got ${JSON.stringify(s.seeds)}`);
  return { base: s.base as Record<string, unknown>, axes: s.axes as SweepSpec['axes'], points: s.points as SweepSpec['points'], seeds: seeds as number[] };
}

/** Every point of a sweep, in order (axes vary fastest to the right; seeds innermost), each config validated. */
export function expandSweep(spec: SweepSpec, file = 'sweep spec'): SweepPoint[] {
  let combos: Record<string, unknown>[];
  if (spec.axes) {
    combos = [{}];
    for (const [path, values] of Object.entries(spec.axes)) combos = combos.flatMap((c) => values.map((v) => ({ ...c, [path]: v })));
  } else {
    combos = spec.points!;
  }
  const { preset, ...fields } = spec.base;
  if (preset !== undefined && typeof preset !== 'string') throw new ConfigError(`${file}: base.preset must be a preset name, got ${JSON.stringify(preset)}`);
  const names = new Set<string>();
  return combos.flatMap((params) => (spec.seeds ?? [0]).map((seed) => {
    const over = Object.entries(params).reduce<unknown>((acc, [path, v]) => mergeConfig(acc, atPath(path, v)), fields);
    const withSeed = mergeConfig(over, { seed });
    const name = [...Object.entries(params).map(([path, v]) => `${path.split('.').at(-1)}${label(v)}`), `seed${seed}`].join('_');
    let config: RunConfig;
    try {
      config = preset ? presetConfig(preset as string, withSeed) : parseConfig(withSeed);
    } catch (e) {
      throw new ConfigError(`${file}: point ${name}: ${(e as Error).message}`);
    }
    if (names.has(name)) throw new ConfigError(`${file}: two points are both named ${name}; give each point different values`);
    names.add(name);
    return { name, params, seed, config };
  }));
}
