/**
 * Synthetic rate maps for tests, built from the formulas of the validation generator
 * (fixtures/validation/README.md): bin (i, j) has its centre at x = j + 0.5, y = i + 0.5.
 */
import { rateMap, type RateMap } from '@gridcells/gridscore';

export type Field = (x: number, y: number) => number;

export function render(n: number, f: Field): RateMap {
  const d: number[] = [];
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) d.push(f(j + 0.5, i + 0.5));
  return rateMap(d, n);
}

/** Hexagonal grid: three cosines 60 degrees apart; fields `spacing` bins apart, lattice at `orientation` degrees. */
export function hexGrid(spacing: number, orientation: number, phase: [number, number] = [0, 0], rect = 0): Field {
  const k = (4 * Math.PI) / (Math.sqrt(3) * spacing);
  // wave vectors sit 30 degrees off the lattice directions of the fields
  const dirs = [0, 60, 120].map((a) => ((a + orientation + 30) * Math.PI) / 180);
  return (x, y) => {
    const g = dirs.reduce((s, a) => s + Math.cos(k * ((x - phase[0]) * Math.cos(a) + (y - phase[1]) * Math.sin(a))), 0);
    return Math.max(g - rect, 0) / (3 - rect);
  };
}

export function band(wavelength: number, direction: number, phase = 0): Field {
  const a = (direction * Math.PI) / 180;
  return (x, y) => Math.max(0, Math.cos((2 * Math.PI * (x * Math.cos(a) + y * Math.sin(a))) / wavelength + phase));
}

export function placeField(cx: number, cy: number, sigma: number): Field {
  return (x, y) => Math.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * sigma * sigma));
}

/** Firing that decays with distance from the wall x = n (the right wall). */
export function wallField(n: number, depth: number): Field {
  return (x) => Math.exp(-(n - x - 0.5) / depth);
}

/**
 * A ramp along `direction` degrees across a box of side n: 1 + tanh(steepness p / n), p the
 * position along the direction measured from the box's centre; nearly linear for small steepness,
 * a step across the middle for large. The trivial solution of a Cartesian position readout
 * through tanh units. (An off-centre sigmoid whose rise hugs a wall is a wall field, not a ramp.)
 */
export function ramp(direction: number, n = 20, steepness = 1): Field {
  const a = (direction * Math.PI) / 180;
  return (x, y) => 1 + Math.tanh((steepness * ((x - n / 2) * Math.cos(a) + (y - n / 2) * Math.sin(a))) / n);
}
