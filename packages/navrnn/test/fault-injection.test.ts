/**
 * Fault injection: a training process killed (SIGKILL) at random moments and resumed each time
 * ends with exactly the run that was never interrupted: the same metrics (wall clock aside), the
 * same final weights and the same optimizer and generator state, byte for byte.
 */
import { describe, it, expect } from 'vitest';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, dir, run } from './cli-helpers.js';
import { runRecord } from './helpers.js';

/** Starts `gridcells ARGS` and kills it after `ms` milliseconds unless it finishes first; resolves its exit code (null: killed). */
function runAndKill(ms: number, ...args: string[]): Promise<number | null> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: 'ignore' });
    const timer = setTimeout(() => child.kill('SIGKILL'), ms);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

describe('fault injection', () => {
  it('killed at random moments and resumed, a run ends byte-equal to an uninterrupted one', async () => {
    const cfg = join(dir(), 'small.json');
    // about 6 s of training on one core: long enough for a dozen kills
    writeFileSync(cfg, JSON.stringify({ seed: 3, model: { hidden: 48 }, train: { steps: 3000, batch: 16, timeSteps: 40, evalEvery: 5, checkpointEvery: 25, evalBatch: 4 } }));
    const whole = join(dir(), 'whole');
    expect(run('train', '--config', cfg, '--out', whole).status).toBe(0);

    const out = join(dir(), 'killed');
    let s = 12345; // a seeded generator for the kill times: the same schedule every run
    const next = () => (s = (s * 16807) % 2147483647) / 2147483647;
    let kills = 0;
    let code: number | null = null;
    for (let attempt = 0; attempt < 40 && code !== 0; attempt++) {
      // as a requeued job would: the same command with --resume (a kill before anything was written leaves nothing to resume)
      const args = ['train', '--config', cfg, '--out', out, ...(attempt === 0 ? [] : ['--resume'])];
      // the CLI needs about 0.3 s to start: most kills land while it trains, some before it writes anything
      code = await runAndKill(attempt < 12 ? 150 + 1100 * next() : 60_000, ...args);
      if (code === null) kills++;
      else expect(code, `attempt ${attempt} exited with ${code}`).toBe(0);
    }
    expect(code).toBe(0);
    console.log(`fault injection: ${kills} kills, then a resumed run finished`);
    expect(kills).toBeGreaterThanOrEqual(8);
    expect(runRecord(out)).toEqual(runRecord(whole));
  }, 120_000);
});
