/**
 * Seeded, batched trajectories of an agent moving in an arena, and the network inputs they imply.
 *
 * Layout (time-major, as the RNN consumes it): positions [T + 1][B] (index 0 is the start),
 * headings and speeds [T][B] (the heading and distance of step t), inputs [T][B][nInputs].
 * Every step moves the agent by speed * (cos heading, sin heading), so the inputs integrate back to
 * the positions exactly (up to float error), and no position ever leaves the arena.
 */
import { Rng } from '@gridcells/tensor';
import type { Arena, Point } from './arena.js';

/** How a step reaches the network: speed and direction angle, speed with cos and sin of the heading, or velocity. */
export type Encoding = 'speed-direction' | 'speed-cos-sin' | 'velocity';

/** Inputs per step of each encoding. */
export const INPUT_SIZE: Record<Encoding, number> = { 'speed-direction': 2, 'speed-cos-sin': 3, velocity: 2 };

/** Cueva & Wei's random walk: heading noise, speed distribution and zero-speed periods. */
export interface CuevaTrajectoryOptions {
  kind: 'cueva';
  /** Standard deviation of the heading's Gaussian turn each step, radians (default 0.3). */
  turnStd: number;
  /** Step length distribution: |N(0, scale)| ('halfnormal', default), Rayleigh(scale), or constant. */
  speed: { distribution: 'halfnormal' | 'rayleigh' | 'constant'; scale: number };
  /** Probability that a step has zero speed (the paper's stationary periods; default 0.5). */
  zeroSpeedFraction: number;
  /**
   * Where trials start: 'centre' (the paper, default: the arena's centre, the origin) or 'uniform'
   * (anywhere in the arena; a CuevaRNN is then given the start position, see networks/cueva).
   */
  start?: 'centre' | 'uniform';
}

/** Sorscher et al.'s rat-like trajectories: time step, speed, turning, slowing near walls. */
export interface SorscherTrajectoryOptions {
  kind: 'sorscher';
  /** Time step, s (0.02). */
  dt: number;
  /** Rayleigh scale of the speed, m/s (0.13 * 2 pi). */
  speedScale: number;
  /** Standard deviation of the turn rate, rad/s (11.52). */
  turnRateStd: number;
  /** Within this distance of a wall (m) and heading towards it, turn parallel to it and slow down. */
  borderRegion: number;
  /** Speed factor near a wall (0.25). */
  borderSlowdown: number;
}

/** Either trajectory generator's options. */
export type TrajectoryOptions = CuevaTrajectoryOptions | SorscherTrajectoryOptions;

/** The Cueva trajectory defaults used by the paper's presets. */
export const CUEVA_DEFAULTS: CuevaTrajectoryOptions = {
  kind: 'cueva', turnStd: 0.3, speed: { distribution: 'halfnormal', scale: 0.03 }, zeroSpeedFraction: 0.5, start: 'centre',
};

/** The Sorscher trajectory defaults (as their published generator). */
export const SORSCHER_DEFAULTS: SorscherTrajectoryOptions = {
  kind: 'sorscher', dt: 0.02, speedScale: 0.13 * 2 * Math.PI, turnRateStd: 11.52, borderRegion: 0.03, borderSlowdown: 0.25,
};

/** A batch of trajectories, time-major (layout in the module's doc). */
export interface Trajectories {
  batch: number;
  steps: number;
  /** x, y of each position, [T + 1][B] flattened: index (t * B + b) * 2. */
  positions: Float64Array;
  /** [T][B]: heading of step t, radians in (-pi, pi]. */
  headings: Float64Array;
  /** [T][B]: distance moved in step t, metres. */
  speeds: Float64Array;
  /** [T][B]: 1 where step t met a wall (heading re-drawn, turned away, or the step cancelled). */
  boundary: Uint8Array;
  encoding: Encoding;
  /** [T][B][nInputs], float32, ready for the network. */
  inputs: Float32Array;
  nInputs: number;
  /** Speed inputs are distance per step divided by this (so they are O(1)). */
  speedUnit: number;
}

/**
 * The position after each step, [T][B] of x, y: what a network reading step t's input should
 * report (index (t * B + b) * 2; a view of `positions` without the starts, no copy).
 */
export function positionsAfterSteps(tr: Pick<Trajectories, 'positions' | 'batch'>): Float64Array {
  return tr.positions.subarray(tr.batch * 2);
}

/** Trials [from, to) of a time-major [T][B][width] array, gathered step by step into [T][to - from][width]. */
export function gatherTrials<A extends Float32Array | Float64Array>(src: A, steps: number, batch: number, from: number, to: number, width: number): A {
  const n = to - from;
  const out = (src instanceof Float64Array ? new Float64Array(steps * n * width) : new Float32Array(steps * n * width)) as A;
  for (let t = 0; t < steps; t++) out.set(src.subarray((t * batch + from) * width, (t * batch + to) * width), t * n * width);
  return out;
}

const TWO_PI = 2 * Math.PI;

/** Wraps an angle to (-pi, pi]. */
export function wrapAngle(a: number): number {
  const w = a - TWO_PI * Math.floor((a + Math.PI) / TWO_PI);
  return w === -Math.PI ? Math.PI : w;
}

function drawSpeed(rng: Rng, o: CuevaTrajectoryOptions): number {
  if (rng.uniform() < o.zeroSpeedFraction) return 0;
  const { distribution, scale } = o.speed;
  if (distribution === 'constant') return scale;
  if (distribution === 'rayleigh') return scale * Math.sqrt(-2 * Math.log(1 - rng.uniform()));
  return Math.abs(scale * rng.normal());
}

/** A start position drawn uniformly inside the arena (rejection from its bounding box). */
function uniformStart(arena: Arena, rng: Rng): Point {
  const [[x0, x1], [y0, y1]] = arena.bbox;
  for (let k = 0; k < 10000; k++) {
    const p: Point = [x0 + (x1 - x0) * rng.uniform(), y0 + (y1 - y0) * rng.uniform()];
    if (arena.contains(p)) return p;
  }
  throw new Error('trajectory: could not draw a start position inside the arena');
}

/**
 * Generates `batch` trajectories of `steps` steps. `start`: 'centre' (every trial starts at the
 * arena's centre, the origin) or 'uniform'; by default the options' own (Cueva's: centre unless
 * said; Sorscher's: uniform).
 */
export function generateTrajectories(
  arena: Arena, options: TrajectoryOptions, batch: number, steps: number, encoding: Encoding, rng: Rng,
  start: 'centre' | 'uniform' = options.kind === 'cueva' ? options.start ?? 'centre' : 'uniform',
): Trajectories {
  if (!(Number.isInteger(batch) && batch > 0)) throw new Error(`trajectory: batch must be a positive integer, got ${batch}`);
  if (!(Number.isInteger(steps) && steps > 0)) throw new Error(`trajectory: steps must be a positive integer, got ${steps}`);
  const positions = new Float64Array((steps + 1) * batch * 2);
  const headings = new Float64Array(steps * batch);
  const speeds = new Float64Array(steps * batch);
  const boundary = new Uint8Array(steps * batch);
  for (let b = 0; b < batch; b++) {
    let p: Point = start === 'centre' ? [0, 0] : uniformStart(arena, rng);
    if (!arena.contains(p)) throw new Error('trajectory: the arena does not contain its centre (0, 0); use start "uniform"');
    let h = rng.uniform() * TWO_PI;
    positions[b * 2] = p[0];
    positions[b * 2 + 1] = p[1];
    for (let t = 0; t < steps; t++) {
      let v: number;
      let turn = 0;
      let wall = false;
      if (options.kind === 'cueva') {
        h += options.turnStd * rng.normal();
        v = drawSpeed(rng, options);
        // at a wall, re-draw the heading until the step stays inside (or stand still)
        for (let tries = 0; v > 0 && !arena.contains([p[0] + v * Math.cos(h), p[1] + v * Math.sin(h)]); tries++) {
          wall = true;
          if (tries === 100) {
            v = 0;
            break;
          }
          h = rng.uniform() * TWO_PI;
        }
      } else {
        const o = options;
        v = o.speedScale * Math.sqrt(-2 * Math.log(1 - rng.uniform())) * o.dt;
        const { distance, normal } = arena.nearestWall(p);
        const towardWall = Math.atan2(-normal[1], -normal[0]);
        const aWall = wrapAngle(h - towardWall);
        if (distance < o.borderRegion && Math.abs(aWall) < Math.PI / 2) {
          v *= o.borderSlowdown;
          turn = Math.sign(aWall) * (Math.PI / 2 - Math.abs(aWall));
          wall = true;
        }
        turn += o.dt * o.turnRateStd * rng.normal();
        // the rare step that would still cross a wall is replaced by standing still
        if (!arena.contains([p[0] + v * Math.cos(h), p[1] + v * Math.sin(h)])) {
          v = 0;
          wall = true;
        }
      }
      h = wrapAngle(h);
      const k = t * batch + b;
      headings[k] = h;
      speeds[k] = v;
      boundary[k] = wall ? 1 : 0;
      p = [p[0] + v * Math.cos(h), p[1] + v * Math.sin(h)];
      positions[((t + 1) * batch + b) * 2] = p[0];
      positions[((t + 1) * batch + b) * 2 + 1] = p[1];
      h += turn;
    }
  }
  const speedUnit = options.kind === 'cueva' ? options.speed.scale : options.speedScale * options.dt;
  const nInputs = INPUT_SIZE[encoding];
  const inputs = encodeInputs(headings, speeds, encoding, speedUnit);
  return { batch, steps, positions, headings, speeds, boundary, encoding, inputs, nInputs, speedUnit };
}

/**
 * The network's inputs for each step:
 * - `speed-direction` (the paper): speed / speedUnit, heading angle in (-pi, pi];
 * - `speed-cos-sin`: speed / speedUnit, cos heading, sin heading;
 * - `velocity`: (speed / speedUnit) (cos heading, sin heading).
 */
export function encodeInputs(headings: Float64Array, speeds: Float64Array, encoding: Encoding, speedUnit: number): Float32Array {
  const n = INPUT_SIZE[encoding];
  const out = new Float32Array(headings.length * n);
  for (let k = 0; k < headings.length; k++) {
    const s = speeds[k] / speedUnit;
    const h = headings[k];
    if (encoding === 'speed-direction') out.set([s, h], k * n);
    else if (encoding === 'speed-cos-sin') out.set([s, Math.cos(h), Math.sin(h)], k * n);
    else out.set([s * Math.cos(h), s * Math.sin(h)], k * n);
  }
  return out;
}
