/**
 * A session's analysis: each unit's scores against its own shuffles. A grid cell is significant
 * and a unit whose activity ignores position is not; a ramp passes no threshold test however
 * significant its tuning; the percentiles repeat for a seed and do not depend on the thread count.
 */
import { describe, it, expect } from 'vitest';
import { analyseSession, analyseSessionThreads, minimumShift, mulberry32, type Session } from '@gridcells/gridscore';
import { hexGrid } from './synthetic.js';

/** A random walk in the unit box, reflected at the walls, and four units: a grid cell, a border cell, a tanh ramp, noise. */
function session(T: number, seed: number): Session & { x: Float64Array; y: Float64Array; activity: Float64Array } {
  const rand = mulberry32(seed);
  const x = new Float64Array(T);
  const y = new Float64Array(T);
  let [px, py, h] = [0.5, 0.5, 0];
  for (let t = 0; t < T; t++) {
    h += (rand() - 0.5) * 1.2;
    px += 0.03 * Math.cos(h);
    py += 0.03 * Math.sin(h);
    if (px < 0 || px > 1) [px, h] = [Math.min(1, Math.max(0, px)), Math.PI - h];
    if (py < 0 || py > 1) [py, h] = [Math.min(1, Math.max(0, py)), -h];
    [x[t], y[t]] = [px, py];
  }
  const grid = hexGrid(7, 10);
  const units = 4;
  const activity = new Float64Array(T * units);
  for (let t = 0; t < T; t++) {
    activity.set([
      grid(x[t] * 20, y[t] * 20) + 0.2 * rand(),
      Math.tanh(3 * (2 * Math.exp(-x[t] / 0.08) - 1)),
      Math.tanh(1.5 * (x[t] - 0.5) + (y[t] - 0.5)),
      rand(),
    ], t * units);
  }
  return { x, y, activity, units, trajectoryLength: 500 };
}

const opts = { maps: { bins: [20, 20] as [number, number], bounds: [[0, 1], [0, 1]] as [[number, number], [number, number]] }, shuffles: 30, seed: 3 };

describe('significance against shuffles', () => {
  const s = session(20000, 1);
  const a = analyseSession(s, opts);

  it('a grid cell and a border cell are significant in their class; a noise unit in none', () => {
    expect(a.units.map((u) => u.class)).toEqual(['grid', 'border', 'irregular', 'irregular']);
    expect(a.units.map((u) => u.significantClass)).toEqual(['grid', 'border', 'irregular', 'irregular']);
    expect(a.units[0].percentiles.grid).toBe(100);
    expect(a.units[1].percentiles.border).toBe(100);
    expect(a.units[3].significant.grid || a.units[3].significant.border || a.units[3].significant.band).toBe(false);
    expect(a.significantCounts).toEqual({ grid: 1, border: 1, band: 0, irregular: 2 });
  });

  it('a ramp is spatially significant (its information and band fit beat the shuffles) but passes no test, so it is irregular', () => {
    const ramp = a.units[2];
    expect(ramp.significant.spatialInfo).toBe(true);
    expect(ramp.tests).toEqual({ grid: false, border: false, band: false });
  });

  it('shuffles shift by at least 10% of a trajectory, and 20 s where the sample interval is known', () => {
    expect(a.minShift).toBe(50);
    expect(minimumShift(20000, 500, 0.02)).toBe(1000);
    expect(() => analyseSession({ ...s, x: s.x.slice(0, 90), y: s.y.slice(0, 90), activity: s.activity.slice(0, 360), trajectoryLength: 500 }, opts)).toThrow(/too few to shuffle by at least 50/);
  });

  it('is reproducible for a seed; another seed draws other shuffles', () => {
    const again = analyseSession(s, opts);
    expect(again.units.map((u) => u.percentiles)).toEqual(a.units.map((u) => u.percentiles));
    const other = analyseSession(s, { ...opts, seed: 4 });
    expect(other.units.map((u) => u.percentiles)).not.toEqual(a.units.map((u) => u.percentiles));
  });

  it('gives the same numbers on 1, 2 and 3 threads', async () => {
    const one = JSON.stringify(await analyseSessionThreads(s, opts, 1));
    expect(JSON.stringify(await analyseSessionThreads(s, opts, 2))).toBe(one);
    expect(JSON.stringify(await analyseSessionThreads(s, opts, 3))).toBe(one);
  });
});
