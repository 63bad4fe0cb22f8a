/** Loads the public validation set (fixtures/validation: reference rate maps and their scores). */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { readNpy, mapsFromArray, type RateMap } from '@gridcells/gridscore';

export const FIXTURES = fileURLToPath(new URL('./fixtures/validation/', import.meta.url));

export interface ValidationRow {
  [column: string]: string;
}

export function readScores(): ValidationRow[] {
  const [head, ...lines] = readFileSync(FIXTURES + 'scores.csv', 'utf8').trim().split('\n');
  const cols = head.split(',');
  return lines.map((l) => Object.fromEntries(l.split(',').map((v, i) => [cols[i], v])));
}

/** 'nan', 'inf' and '' as the CSV writes them. */
export function num(s: string): number {
  if (s === '' || s === 'nan') return NaN;
  if (s === 'inf') return Infinity;
  if (s === '-inf') return -Infinity;
  return Number(s);
}

const cache = new Map<string, RateMap[]>();
export function mapOf(row: ValidationRow): RateMap {
  if (!cache.has(row.file)) {
    const a = readNpy(FIXTURES + row.file);
    cache.set(row.file, mapsFromArray(a.data, a.shape, row.file));
  }
  return cache.get(row.file)![Number(row.index)];
}
