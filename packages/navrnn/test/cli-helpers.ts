/** Running the built `gridcells` CLI in tests, and checking its one-line errors. */
import { expect } from 'vitest';
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CLI = fileURLToPath(new URL('../bin/gridcells.js', import.meta.url));

/** Runs `gridcells ARGS` to completion (at most 60 s: a hang fails the test instead of stalling it). */
export const run = (...args: string[]) => runWith({}, ...args);

/** The same with spawn options (environment, input). */
export function runWith(opts: SpawnSyncOptions, ...args: string[]) {
  return spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 60_000, ...opts }) as ReturnType<typeof spawnSync> & { stdout: string; stderr: string };
}

/** A fresh temporary folder. */
export const dir = () => mkdtempSync(join(tmpdir(), 'gridcells-cli-'));

/**
 * The command failed with `status` (default 2) and one line on stderr matching `pattern` (the
 * training banner and progress lines aside).
 */
export function oneLineError(r: { status: number | null; stderr: string }, pattern: RegExp, status = 2): void {
  expect(r.status, r.stderr).toBe(status);
  const lines = r.stderr.trim().split('\n').filter((l) => !l.startsWith('gridcells: training') && !/^step\s+\d+\/\d+ /.test(l));
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
}
