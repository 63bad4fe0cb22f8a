/**
 * A sweep folder: the spec as given, the expanded points, each point's config, one ordinary run
 * folder per point (every `gridcells` command works on it), and the state.
 *
 *   SWEEP/spec.json            the spec as given
 *   SWEEP/points.json          every point: name, the values it sets, seed
 *   SWEEP/configs/NAME.json    each point's full config
 *   SWEEP/runs/NAME/           each point's run folder
 *   SWEEP/state.json           per point: done / partial / pending, and how the sweep ran
 *
 * A point's status is read from its run folder, so the state cannot disagree with the runs: done
 * when its analysis is written, partial when it has a checkpoint, else pending.
 */
import { existsSync, readFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeAtomic } from '../run/files.js';
import { RunFolderError } from '../run/folder.js';
import { readJsonFile } from '../run/load.js';
import { checkSpec, expandSweep, type SweepPoint, type SweepSpec } from './spec.js';

/** Where a point stands. */
export type PointStatus = 'done' | 'partial' | 'pending';

/** A point as points.json lists it. */
export interface PointEntry {
  name: string;
  params: Record<string, unknown>;
  seed: number;
}

/** The run folder of a point. */
export const runOf = (sweep: string, name: string) => join(sweep, 'runs', name);
/** The config file of a point. */
export const configOf = (sweep: string, name: string) => join(sweep, 'configs', `${name}.json`);

/** A point's status from its run folder. */
export function pointStatus(sweep: string, name: string): PointStatus {
  const run = runOf(sweep, name);
  if (existsSync(join(run, 'analysis', 'summary.json'))) return 'done';
  if (existsSync(join(run, 'checkpoints', 'latest'))) return 'partial';
  return 'pending';
}

/**
 * Writes a new sweep folder from a spec file, or opens an existing one. An existing folder must
 * hold the same spec (a changed spec would mix two sweeps in one folder).
 */
export function openSweep(specFile: string, sweep: string): { spec: SweepSpec; points: SweepPoint[] } {
  const spec = checkSpec(readJsonFile(specFile, 'the sweep spec'), specFile);
  const points = expandSweep(spec, specFile);
  const specPath = join(sweep, 'spec.json');
  if (existsSync(specPath)) {
    const before = readFileSync(specPath, 'utf8');
    if (before !== JSON.stringify(spec, null, 2) + '\n') {
      throw new RunFolderError(`${sweep} holds another sweep (its spec.json differs from ${specFile}); choose a new folder`);
    }
  } else if (existsSync(sweep) && existsSync(join(sweep, 'runs'))) {
    throw new RunFolderError(`${sweep} holds runs but no spec.json; choose a new folder`);
  }
  mkdirSync(join(sweep, 'configs'), { recursive: true });
  mkdirSync(join(sweep, 'runs'), { recursive: true });
  for (const p of points) {
    const text = JSON.stringify(p.config, null, 2) + '\n';
    const file = configOf(sweep, p.name);
    if (!existsSync(file) || readFileSync(file, 'utf8') !== text) writeAtomic(file, text);
  }
  const entries: PointEntry[] = points.map(({ name, params, seed }) => ({ name, params, seed }));
  writeAtomic(join(sweep, 'points.json'), JSON.stringify(entries, null, 2) + '\n');
  if (!existsSync(specPath)) writeAtomic(specPath, JSON.stringify(spec, null, 2) + '\n');
  return { spec, points };
}

/** The points of an existing sweep folder. */
export function readPoints(sweep: string): PointEntry[] {
  const raw = readJsonFile(join(sweep, 'points.json'), 'the sweep\'s points');
  if (!Array.isArray(raw)) throw new RunFolderError(`${join(sweep, 'points.json')} is not a list of points`);
  return raw as PointEntry[];
}

/** Each point's status, and the counts. */
export function sweepStatus(sweep: string): { points: (PointEntry & { status: PointStatus })[]; counts: Record<PointStatus, number> } {
  const points = readPoints(sweep).map((p) => ({ ...p, status: pointStatus(sweep, p.name) }));
  const counts: Record<PointStatus, number> = { done: 0, partial: 0, pending: 0 };
  for (const p of points) counts[p.status]++;
  return { points, counts };
}

/** Records how the sweep is run (executor, job id) beside each point's status, atomically. */
export function writeState(sweep: string, extra: Record<string, unknown>): void {
  const { points, counts } = sweepStatus(sweep);
  writeAtomic(join(sweep, 'state.json'), JSON.stringify({ ...extra, updated: new Date().toISOString(), counts, points: points.map((p) => ({ name: p.name, status: p.status })) }, null, 2) + '\n');
}
