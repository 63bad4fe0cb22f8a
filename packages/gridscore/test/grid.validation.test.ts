/**
 * With unvisited bins as zeros, the grid scores reproduce DeepMind's GridScorer on every map of
 * the public validation set (reference numbers computed with the upstream Python code): score60
 * (mean and min-max form) and score90 within 1e-9, the ring that gave each maximum, and NaN
 * exactly where the reference is NaN.
 */
import { describe, it, expect } from 'vitest';
import { gridScores } from '@gridcells/gridscore';
import { readScores, mapOf, num } from './validation.js';

const rows = readScores();

function expectMatch(ours: number, ref: number, what: string): void {
  if (Number.isNaN(ref)) expect(ours, what).toBeNaN();
  else expect(Math.abs(ours - ref), `${what}: ours ${ours}, reference ${ref}`).toBeLessThan(1e-9);
}

describe('DeepMind grid scores on the validation set', () => {
  it('has maps of all three sizes and every family', () => {
    expect(new Set(rows.map((r) => r.n))).toEqual(new Set(['20', '32', '40']));
    expect(new Set(rows.map((r) => r.family)).size).toBe(8);
  });
  it.each(rows.map((r) => [`${r.file}[${r.index}] ${r.family}/${r.variant}`, r] as const))('%s', (_, row) => {
    const s = gridScores(mapOf(row), { unvisited: 'zero' });
    expectMatch(s.score60, num(row.dm_score60_mean), 'score60');
    expectMatch(s.score60Minmax, num(row.dm_score60_minmax), 'score60 minmax');
    expectMatch(s.score90, num(row.dm_score90_mean), 'score90');
    expect(s.ring60).toBe(num(row.dm_mask60_end_mean));
    expect(s.ring60Minmax).toBe(num(row.dm_mask60_end_minmax));
    expect(s.ring90).toBe(num(row.dm_mask90_end));
    let maxAbs = 0;
    for (const v of s.sac.data) maxAbs = Math.max(maxAbs, Math.abs(v));
    expectMatch(maxAbs, num(row.dm_sac_max_abs), 'SAC max |value|');
  });
});
