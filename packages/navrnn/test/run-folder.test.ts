/**
 * A run folder nothing can break, and no input that gets a stack trace: each family of hostile
 * input gets a one-line error naming the file, field or value (exit 2; 1 only for our own faults),
 * loses nothing, and hangs nowhere.
 */
import { describe, it, expect } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { encodeNpy, parseNpy } from '@gridcells/gridscore';
import { CLI, dir, oneLineError, run, runWith } from './cli-helpers.js';
import { runRecord } from './helpers.js';

/** Whether a small tmpfs can be mounted here (it needs root, which CI has) to fill a disk. */
const canMount = (() => {
  const probe = dir();
  const ok = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', probe]).status === 0;
  if (ok) spawnSync('umount', [probe]);
  return ok;
})();

/** A small CuevaRNN config file: `steps` steps, a checkpoint every `every`. */
function smallConfig(steps = 6, every = 3, extra: Record<string, unknown> = {}): string {
  const file = join(dir(), 'small.json');
  writeFileSync(file, JSON.stringify({ model: { hidden: 6 }, train: { steps, batch: 3, timeSteps: 8, evalEvery: 2, checkpointEvery: every, evalBatch: 4 }, ...extra }));
  return file;
}

/** A trained small run folder. */
function trainedRun(steps = 6, every = 3): { out: string; cfg: string } {
  const out = join(dir(), 'run');
  const cfg = smallConfig(steps, every);
  const r = run('train', '--config', cfg, '--out', out);
  expect(r.status, r.stderr).toBe(0);
  return { out, cfg };
}

/** metrics.jsonl as parsed lines without the wall clock. */
const metricsOf = (out: string) => readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => {
  const { time_s: _t, ...rest } = JSON.parse(l);
  return JSON.stringify(rest);
});

describe('torn metrics line', () => {
  it('resume drops a torn last line of metrics.jsonl, says so, and continues as if it never stopped', () => {
    const { out, cfg } = trainedRun(6, 3);
    writeFileSync(join(out, 'metrics.jsonl'), readFileSync(join(out, 'metrics.jsonl'), 'utf8') + '{"step":7,"loss":0.0');
    const r = run('train', '--out', out, '--resume', '--steps', '9');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/metrics\.jsonl: dropped a torn last line/);
    const whole = join(dir(), 'whole');
    expect(run('train', '--config', cfg, '--out', whole, '--steps', '9').status).toBe(0);
    expect(metricsOf(out)).toEqual(metricsOf(whole));
  });

  it('analyze reads a run whose metrics.jsonl ends in a torn line', () => {
    const { out } = trainedRun(4, 4);
    writeFileSync(join(out, 'metrics.jsonl'), readFileSync(join(out, 'metrics.jsonl'), 'utf8') + '{"step":5,"lo');
    const r = run('analyze', out, '--trials', '10', '--long-factor', '1');
    expect(r.status, r.stderr).toBe(0);
  });

  it('a broken line inside metrics.jsonl (not the last) is an error naming the file and line', () => {
    const { out } = trainedRun(6, 3);
    const lines = readFileSync(join(out, 'metrics.jsonl'), 'utf8').split('\n');
    lines[2] = '{"step": oops';
    writeFileSync(join(out, 'metrics.jsonl'), lines.join('\n'));
    oneLineError(run('train', '--out', out, '--resume', '--steps', '9'), /metrics\.jsonl:3: not valid JSON/);
  });
});

describe('one owner at a time', () => {
  it('a second process on a run folder in use is refused, naming the holder; the first finishes with every step once', async () => {
    // a network big enough that the first process is still training when the second one starts
    const out = join(dir(), 'run');
    const cfg = join(dir(), 'slow.json');
    writeFileSync(cfg, JSON.stringify({ model: { hidden: 48 }, train: { steps: 3, batch: 16, timeSteps: 40, evalEvery: 50, checkpointEvery: 200, evalBatch: 4 } }));
    expect(run('train', '--config', cfg, '--out', out).status).toBe(0);
    const first = spawn(process.execPath, [CLI, 'train', '--out', out, '--resume', '--steps', '400'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const done = new Promise<number | null>((resolve) => first.on('close', resolve));
    const lock = join(out, '.lock');
    for (let i = 0; i < 400 && !existsSync(lock); i++) await new Promise((r) => setTimeout(r, 25));
    expect(existsSync(lock)).toBe(true);
    oneLineError(run('train', '--out', out, '--resume', '--steps', '400'), new RegExp(`is in use by process ${first.pid} on ${hostname()}`));
    expect(await done).toBe(0);
    const steps = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).step);
    expect(steps).toEqual(Array.from({ length: 401 }, (_, i) => i));
    expect(existsSync(lock)).toBe(false);
  }, 120_000);

  it('a lock left by a killed process does not block the run', () => {
    const { out } = trainedRun(3, 3);
    const dead = spawnSync(process.execPath, ['-e', '0']).pid; // a process that has exited
    writeFileSync(join(out, '.lock'), JSON.stringify({ pid: dead, host: hostname(), started: new Date().toISOString() }));
    const r = run('train', '--out', out, '--resume', '--steps', '5');
    expect(r.status, r.stderr).toBe(0);
    expect(existsSync(join(out, '.lock'))).toBe(false);
  });
});

describe('a run that failed before its first checkpoint', () => {
  it('--resume starts it over from step 0 and says so; a fresh run is refused; --force starts over', () => {
    const { out, cfg } = trainedRun(6, 3);
    rmSync(join(out, 'checkpoints'), { recursive: true });
    oneLineError(run('train', '--config', cfg, '--out', out), /holds a run.*--resume.*--force/);
    const r = run('train', '--out', out, '--resume');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/no completed checkpoint .* starting over from step 0/);
    const again = run('train', '--config', cfg, '--out', out, '--force');
    expect(again.status, again.stderr).toBe(0);
    const whole = join(dir(), 'whole');
    expect(run('train', '--config', cfg, '--out', whole).status).toBe(0);
    expect(metricsOf(out)).toEqual(metricsOf(whole));
  });
});

describe('never overwrite what the tool did not write', () => {
  it('--out holding a user\'s config.json is refused and the file is untouched', () => {
    const out = dir();
    writeFileSync(join(out, 'config.json'), '{"mine": true}\n');
    oneLineError(run('train', '--config', smallConfig(), '--out', out), /is not empty and holds no gridcells run/);
    expect(readFileSync(join(out, 'config.json'), 'utf8')).toBe('{"mine": true}\n');
  });

  it('a folder holding only what a killed start left (its lock, a temp config) takes the run', () => {
    const out = dir();
    writeFileSync(join(out, 'config.json.tmp-999999'), '{"see');
    writeFileSync(join(out, '.lock'), JSON.stringify({ pid: 999999, host: hostname(), started: new Date().toISOString() }));
    const r = run('train', '--config', smallConfig(), '--out', out);
    expect(r.status, r.stderr).toBe(0);
  });

  it('--out holding other files is refused; --force does not apply to folders that hold no run', () => {
    const out = dir();
    writeFileSync(join(out, 'notes.txt'), 'keep me');
    oneLineError(run('train', '--config', smallConfig(), '--out', out, '--force'), /is not empty and holds no gridcells run/);
    expect(readdirSync(out)).toEqual(['notes.txt']);
  });

  it('--out naming a file, or a place no folder can be made (/proc), is refused at once', () => {
    const file = join(dir(), 'file');
    writeFileSync(file, 'x');
    oneLineError(run('train', '--config', smallConfig(), '--out', file), /is a file, not a folder/);
    oneLineError(run('train', '--config', smallConfig(), '--out', '/proc/gridcells-x'), /cannot make the folder \/proc\/gridcells-x/);
  });
});

describe('config files that are not config objects', () => {
  for (const [text, what] of [['[]', '\\[\\]'], ['42', '42'], ['null', 'null'], ['"x"', '"x"']] as const) {
    it(`a config file holding ${text} is refused with one line`, () => {
      const file = join(dir(), 'c.json');
      writeFileSync(file, text);
      oneLineError(run('train', '--config', file, '--out', join(dir(), 'x')), new RegExp(`c\\.json: a config must be a JSON object, got ${what}`));
    });
  }
  it('a config file that is a folder is refused with one line', () => {
    oneLineError(run('train', '--config', dir(), '--out', join(dir(), 'x')), /config file .* is a folder/);
  });
});

describe('arenas that cannot hold a run', () => {
  const arenas: [string, unknown, RegExp][] = [
    ['self-intersecting', { kind: 'polygon', vertices: [[-1, -1], [1, 1], [1, -1], [-1, 1]] }, /arena: the polygon crosses itself/],
    ['zero-area', { kind: 'polygon', vertices: [[0, 0], [1, 0], [2, 0]] }, /arena: the polygon has zero area/],
    ['not around the start', { kind: 'polygon', vertices: [[1, 1], [2, 1], [2, 2], [1, 2]] }, /arena: .*start at the origin \(0, 0\), which is outside/],
  ];
  for (const [name, arena, pattern] of arenas) {
    it(`a ${name} arena is a config error`, () => {
      const file = join(dir(), 'a.json');
      writeFileSync(file, JSON.stringify({ arena, model: { hidden: 4 }, train: { steps: 2, batch: 2, timeSteps: 4 } }));
      oneLineError(run('train', '--config', file, '--out', join(dir(), 'x')), pattern);
    });
  }
});

/** A state with Adam's first moment of the first weight read from `file`. */
function withSlotFile(s: Record<string, unknown>, file: string): unknown {
  const opt = s.optimizer as { slots: Record<string, unknown[]> };
  return { ...s, optimizer: { ...opt, slots: { ...opt.slots, m: [file, ...opt.slots.m.slice(1)] } } };
}

describe('checkpoint state', () => {
  it('keeps the optimizer\'s arrays beside state.json as float64 .npy (state.json names them); a checkpoint with them inline, as written before, resumes exactly', () => {
    const { out } = trainedRun(6, 3);
    const again = join(dir(), 'again');
    cpSync(out, again, { recursive: true });
    const ck = join(again, 'checkpoints', 'step-00000003');
    const state = JSON.parse(readFileSync(join(ck, 'state.json'), 'utf8'));
    const weights = readdirSync(ck).filter((f) => f.endsWith('.npy')).length;
    expect(state.optimizer.slots.m).toEqual(Array.from({ length: weights }, (_, i) => `optimizer/m-${i}.npy`));
    for (const f of [...state.optimizer.slots.m, ...state.optimizer.slots.v]) expect(parseNpy(readFileSync(join(ck, f))).descr).toBe('<f8');
    // step 3's checkpoint written the old way (arrays inline, no optimizer folder), the run cut back to it
    const inline = (files: string[]) => files.map((f) => Array.from(parseNpy(readFileSync(join(ck, f))).data));
    state.optimizer.slots = { m: inline(state.optimizer.slots.m), v: inline(state.optimizer.slots.v) };
    writeFileSync(join(ck, 'state.json'), JSON.stringify(state));
    rmSync(join(ck, 'optimizer'), { recursive: true });
    rmSync(join(again, 'checkpoints', 'step-00000006'), { recursive: true });
    writeFileSync(join(again, 'checkpoints', 'latest'), 'step-00000003\n');
    const lines = readFileSync(join(again, 'metrics.jsonl'), 'utf8').trim().split('\n').filter((l) => JSON.parse(l).step <= 3);
    writeFileSync(join(again, 'metrics.jsonl'), lines.join('\n') + '\n');
    const r = run('train', '--out', again, '--resume');
    expect(r.status, r.stderr).toBe(0);
    expect(metricsOf(again)).toEqual(metricsOf(out));
    expect(runRecord(again)).toEqual(runRecord(out));
  });

  it('an optimizer array of the wrong length is refused on resume, naming the slot', () => {
    const { out } = trainedRun(3, 3);
    writeFileSync(join(out, 'checkpoints', 'step-00000003', 'optimizer', 'v-1.npy'), encodeNpy(new Float64Array(3), [3]));
    oneLineError(run('train', '--out', out, '--resume', '--steps', '6'), /optimizer slot v does not hold one finite array per weight/);
  });

  const cases: [string, (s: Record<string, unknown>) => unknown, RegExp][] = [
    ['null', () => null, /state\.json: not an object/],
    ['a negative step', (s) => ({ ...s, step: -5 }), /state\.json: step -5 does not match the checkpoint's folder \(step 3\)/],
    ['another step than its folder', (s) => ({ ...s, step: 300 }), /step 300 does not match/],
    ['another optimizer\'s state', (s) => ({ ...s, optimizer: { kind: 'sgd', step: 3, slots: { velocity: [] } } }), /optimizer state is for sgd, the config trains with adam/],
    ['slots of the wrong size', (s) => ({ ...s, optimizer: { ...(s.optimizer as object), slots: { m: [[1, 2]], v: [[1, 2]] } } }), /optimizer slot m/],
    ['a broken generator state', (s) => ({ ...s, rng: { gen: [1, 2], spare: null } }), /state\.json: rng/],
    ['an optimizer array that is not there', (s) => withSlotFile(s, 'optimizer/m-9.npy'), /optimizer\/m-9\.npy: missing \(state\.json names it\)/],
    ['an optimizer array outside its folder', (s) => withSlotFile(s, '../../../config.json'), /optimizer array "\.\.\/\.\.\/\.\.\/config\.json" is not a file of its optimizer folder/],
  ];
  for (const [name, edit, pattern] of cases) {
    it(`state.json with ${name} is refused on resume, eval and analyze; nothing is written`, () => {
      const { out } = trainedRun(3, 3);
      const file = join(out, 'checkpoints', 'step-00000003', 'state.json');
      writeFileSync(file, JSON.stringify(edit(JSON.parse(readFileSync(file, 'utf8')))));
      const before = readFileSync(join(out, 'metrics.jsonl'), 'utf8');
      oneLineError(run('train', '--out', out, '--resume', '--steps', '6'), pattern);
      expect(readFileSync(join(out, 'metrics.jsonl'), 'utf8')).toBe(before);
    });
  }

  it('weights stored as int32 are refused, naming the file and dtype', () => {
    const { out } = trainedRun(3, 3);
    const file = join(out, 'checkpoints', 'step-00000003', 'b.npy');
    const npy = parseNpy(readFileSync(file));
    const bytes = Buffer.from(encodeNpy(new Float32Array(npy.data), npy.shape));
    const text = bytes.toString('latin1').replace("'<f4'", "'<i4'");
    writeFileSync(file, Buffer.from(text, 'latin1'));
    oneLineError(run('eval', out), /b\.npy: weights are stored as <i4; expected float32/);
  });

  it('--resume with --steps below the run\'s step is refused', () => {
    const { out } = trainedRun(6, 3);
    oneLineError(run('train', '--out', out, '--resume', '--steps', '4'), /--steps 4 is below the run's step 6/);
  });
});

describe('guards where work grows without bound', () => {
  it('eval --trials 1e8 is refused at once', () => {
    const { out } = trainedRun(3, 3);
    oneLineError(run('eval', out, '--trials', '1e8'), /--trials x --time-steps .* at most/);
  });

  it('analyze --burn-in beyond the trajectory, or negative, is refused', () => {
    const { out } = trainedRun(3, 3);
    oneLineError(run('analyze', out, '--burn-in', '1000'), /--burn-in 1000 leaves no steps of the 8/);
    oneLineError(run('analyze', out, '--burn-in', '-5'), /--burn-in must be >= 0/);
  });
});

describe('file system errors are one line', () => {
  it('an --out whose parent is a file (ENOTDIR) gets one line, not a stack trace', () => {
    const file = join(dir(), 'file');
    writeFileSync(file, 'x');
    oneLineError(run('train', '--config', smallConfig(), '--out', join(file, 'run')), /ENOTDIR|not a folder/);
  });

  it.skipIf(!canMount)('a full disk (ENOSPC) while training stops with one line', () => {
    const mount = join(dir(), 'small-disk');
    mkdirSync(mount);
    expect(spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', mount]).status).toBe(0);
    try {
      const out = join(mount, 'run');
      const cfg = smallConfig(2000, 5, { model: { hidden: 64 } });
      oneLineError(run('train', '--config', cfg, '--out', out), /cannot write .*small-disk\/run\/.*ENOSPC: no space left on device/);
      expect(readdirSync(join(out, 'checkpoints')).filter((f) => f.includes('.tmp-'))).toEqual([]);
    } finally {
      spawnSync('umount', [mount]);
    }
  });

  it.skipIf(!canMount)('a read-only file system (EROFS) gets one line naming the path', () => {
    const mount = join(dir(), 'read-only');
    mkdirSync(mount);
    expect(spawnSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=64k', 'tmpfs', mount]).status).toBe(0);
    try {
      oneLineError(run('train', '--config', smallConfig(), '--out', join(mount, 'run')), /cannot make the folder .*read-only\/run: EROFS/);
    } finally {
      spawnSync('umount', [mount]);
    }
  });

  it('--debug shows the stack of an error; without it, one line', () => {
    const r = run('train', '--debug', '--preset', 'nope', '--out', join(dir(), 'x'));
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/unknown preset 'nope'/);
    expect(r.stderr).toMatch(/\n\s+at /);
  });
});
