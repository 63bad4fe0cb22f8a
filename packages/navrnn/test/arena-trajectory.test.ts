/**
 * Arenas answer geometry questions correctly, and trajectories are what they claim to be: they
 * never leave their arena, their inputs integrate back to their positions, and their statistics
 * match their configuration.
 */
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { Rng } from '@gridcells/tensor';
import {
  makeArena, generateTrajectories, encodeInputs, wrapAngle, squareBounds, CUEVA_DEFAULTS, SORSCHER_DEFAULTS,
  type ArenaSpec, type Encoding, type TrajectoryOptions,
} from '@gridcells/navrnn';

describe('arenas', () => {
  it('square: contains, wall distances, area, bounding box', () => {
    const a = makeArena({ kind: 'square', side: 2 });
    expect(a.area).toBeCloseTo(4, 12);
    expect(a.bbox).toEqual([[-1, 1], [-1, 1]]);
    expect(a.contains([0.5, -0.9])).toBe(true);
    expect(a.contains([1.1, 0])).toBe(false);
    expect(a.wallDistances([0.5, 0]).sort()).toEqual([0.5, 1, 1, 1.5].sort());
    expect(a.nearestWall([0.9, 0]).normal.map((v) => Math.round(v * 1e12) / 1e12)).toEqual([-1, 0]);
  });
  it('rate maps of any arena get square bins: squareBounds is a square holding the bounding box', () => {
    for (const spec of [{ kind: 'triangle', side: 3 }, { kind: 'hexagon', side: 1 }, { kind: 'rectangle', width: 2, height: 0.5 }, { kind: 'square', side: 2 }] as ArenaSpec[]) {
      const a = makeArena(spec);
      const [[x0, x1], [y0, y1]] = squareBounds(a);
      expect(x1 - x0).toBeCloseTo(y1 - y0, 12);
      expect(x0).toBeLessThanOrEqual(a.bbox[0][0]);
      expect(x1).toBeGreaterThanOrEqual(a.bbox[0][1]);
      expect(y0).toBeLessThanOrEqual(a.bbox[1][0] + 1e-12);
      expect(y1).toBeGreaterThanOrEqual(a.bbox[1][1] - 1e-12);
    }
    expect(squareBounds(makeArena({ kind: 'square', side: 2 }))).toEqual([[-1, 1], [-1, 1]]);
  });

  it('triangle, hexagon and circle have the right areas and contain their centre', () => {
    const specs: [ArenaSpec, number][] = [
      [{ kind: 'triangle', side: 1.2 }, (Math.sqrt(3) / 4) * 1.44],
      [{ kind: 'hexagon', side: 0.6 }, ((3 * Math.sqrt(3)) / 2) * 0.36],
      [{ kind: 'circle', radius: 0.5 }, Math.PI * 0.25],
      [{ kind: 'rectangle', width: 2, height: 0.5 }, 1],
    ];
    for (const [spec, area] of specs) {
      const a = makeArena(spec);
      expect(a.area).toBeCloseTo(area, 10);
      expect(a.contains([0, 0])).toBe(true);
    }
  });
  it('refuses a self-crossing polygon and too few vertices with a clear message', () => {
    expect(() => makeArena({ kind: 'polygon', vertices: [[0, 0], [1, 1], [1, 0], [0, 1]] })).toThrow(/crosses itself/);
    expect(() => makeArena({ kind: 'polygon', vertices: [[0, 0], [1, 1]] })).toThrow(/at least 3 vertices/);
  });
});

/** Random arenas: the named shapes and random star-shaped polygons around the origin. */
const arenaArb: fc.Arbitrary<ArenaSpec> = fc.oneof(
  fc.double({ min: 0.3, max: 3, noNaN: true }).map((side): ArenaSpec => ({ kind: 'square', side })),
  fc.tuple(fc.double({ min: 0.3, max: 3, noNaN: true }), fc.double({ min: 0.3, max: 3, noNaN: true })).map(([width, height]): ArenaSpec => ({ kind: 'rectangle', width, height })),
  fc.double({ min: 0.5, max: 3, noNaN: true }).map((side): ArenaSpec => ({ kind: 'triangle', side })),
  fc.double({ min: 0.3, max: 2, noNaN: true }).map((side): ArenaSpec => ({ kind: 'hexagon', side })),
  fc.double({ min: 0.3, max: 2, noNaN: true }).map((radius): ArenaSpec => ({ kind: 'circle', radius })),
  fc.array(fc.double({ min: 0.4, max: 1.5, noNaN: true }), { minLength: 5, maxLength: 9 }).map((radii): ArenaSpec => ({
    kind: 'polygon',
    vertices: radii.map((r, k) => [r * Math.cos((2 * Math.PI * k) / radii.length), r * Math.sin((2 * Math.PI * k) / radii.length)]),
  })),
);

const optionsArb: fc.Arbitrary<TrajectoryOptions> = fc.oneof(
  fc.record({ scale: fc.double({ min: 0.005, max: 0.2, noNaN: true }), turn: fc.double({ min: 0, max: 1, noNaN: true }), zero: fc.double({ min: 0, max: 0.9, noNaN: true }) })
    .map(({ scale, turn, zero }): TrajectoryOptions => ({ ...CUEVA_DEFAULTS, turnStd: turn, zeroSpeedFraction: zero, speed: { distribution: 'halfnormal', scale } })),
  fc.double({ min: 0.1, max: 3, noNaN: true }).map((s): TrajectoryOptions => ({ ...SORSCHER_DEFAULTS, speedScale: s })),
);

describe('trajectories', () => {
  it('never leave their arena (random arenas, generators, speeds and seeds)', () => {
    fc.assert(fc.property(arenaArb, optionsArb, fc.nat(), (spec, opts, seed) => {
      const arena = makeArena(spec);
      const tr = generateTrajectories(arena, opts, 4, 300, 'velocity', new Rng(seed), 'uniform');
      for (let k = 0; k < tr.positions.length; k += 2) {
        expect(arena.contains([tr.positions[k], tr.positions[k + 1]])).toBe(true);
      }
    }), { numRuns: 60 });
  });

  it('have inputs that integrate back to the positions, for every encoding', () => {
    fc.assert(fc.property(optionsArb, fc.constantFrom<Encoding>('speed-direction', 'speed-cos-sin', 'velocity'), fc.nat(), (opts, enc, seed) => {
      const B = 3, T = 200;
      const tr = generateTrajectories(makeArena({ kind: 'square', side: 1 }), opts, B, T, enc, new Rng(seed), 'uniform');
      for (let b = 0; b < B; b++) {
        let x = tr.positions[b * 2];
        let y = tr.positions[b * 2 + 1];
        for (let t = 0; t < T; t++) {
          const i = tr.inputs.subarray((t * B + b) * tr.nInputs, (t * B + b + 1) * tr.nInputs);
          const [dx, dy] = enc === 'velocity' ? [i[0], i[1]] : enc === 'speed-cos-sin' ? [i[0] * i[1], i[0] * i[2]] : [i[0] * Math.cos(i[1]), i[0] * Math.sin(i[1])];
          x += dx * tr.speedUnit;
          y += dy * tr.speedUnit;
          // float32 inputs: each step carries ~1e-7 relative error
          expect(Math.abs(x - tr.positions[((t + 1) * B + b) * 2])).toBeLessThan(1e-5);
          expect(Math.abs(y - tr.positions[((t + 1) * B + b) * 2 + 1])).toBeLessThan(1e-5);
        }
      }
    }), { numRuns: 30 });
  });

  it('cueva: start at the centre; zero-speed fraction, speeds and turns match the config', () => {
    fc.assert(fc.property(fc.double({ min: 0.1, max: 0.8, noNaN: true }), fc.double({ min: 0.05, max: 0.5, noNaN: true }), fc.nat(), (zero, turn, seed) => {
      // a large arena so walls (which re-draw headings) are rare
      const opts: TrajectoryOptions = { ...CUEVA_DEFAULTS, zeroSpeedFraction: zero, turnStd: turn, speed: { distribution: 'halfnormal', scale: 0.01 } };
      const tr = generateTrajectories(makeArena({ kind: 'square', side: 100 }), opts, 20, 500, 'speed-direction', new Rng(seed));
      expect(tr.positions[0]).toBe(0);
      expect(tr.positions[1]).toBe(0);
      const n = tr.speeds.length;
      const zeros = tr.speeds.filter((v) => v === 0).length / n;
      expect(Math.abs(zeros - zero)).toBeLessThan(0.03);
      const moving = tr.speeds.filter((v) => v > 0);
      const mean = moving.reduce((a, b) => a + b, 0) / moving.length;
      expect(Math.abs(mean - 0.01 * Math.sqrt(2 / Math.PI)) / (0.01 * Math.sqrt(2 / Math.PI))).toBeLessThan(0.05);
      let s2 = 0, m = 0;
      for (let t = 1; t < 500; t++) for (let b = 0; b < 20; b++) {
        const d = wrapAngle(tr.headings[t * 20 + b] - tr.headings[(t - 1) * 20 + b]);
        s2 += d * d;
        m++;
      }
      expect(Math.abs(Math.sqrt(s2 / m) - turn) / turn).toBeLessThan(0.05);
    }), { numRuns: 10 });
  });

  it('sorscher: Rayleigh speeds away from walls, slowed to a quarter near them', () => {
    const tr = generateTrajectories(makeArena({ kind: 'square', side: 2.2 }), SORSCHER_DEFAULTS, 50, 400, 'velocity', new Rng(5));
    const expected = SORSCHER_DEFAULTS.speedScale * Math.sqrt(Math.PI / 2) * SORSCHER_DEFAULTS.dt;
    const mean = tr.speeds.reduce((a, b) => a + b, 0) / tr.speeds.length;
    // most steps are away from walls; the slowed ones pull the mean down a little
    expect(mean / expected).toBeGreaterThan(0.85);
    expect(mean / expected).toBeLessThan(1.02);
  });

  it('the same seed gives the same trajectories', () => {
    const a = generateTrajectories(makeArena({ kind: 'hexagon', side: 0.6 }), CUEVA_DEFAULTS, 5, 100, 'speed-direction', new Rng(7));
    const b = generateTrajectories(makeArena({ kind: 'hexagon', side: 0.6 }), CUEVA_DEFAULTS, 5, 100, 'speed-direction', new Rng(7));
    expect(Array.from(a.positions)).toEqual(Array.from(b.positions));
    expect(Array.from(a.inputs)).toEqual(Array.from(b.inputs));
  });

  it('encodes speed and direction as documented', () => {
    const x = encodeInputs(Float64Array.from([Math.PI / 2]), Float64Array.from([0.06]), 'speed-cos-sin', 0.03);
    expect(x[0]).toBeCloseTo(2, 6);
    expect(x[1]).toBeCloseTo(0, 6);
    expect(x[2]).toBeCloseTo(1, 6);
  });
});
