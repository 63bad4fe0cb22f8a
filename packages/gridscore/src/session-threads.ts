/**
 * `analyseSession` on worker threads (Node): the units are split into contiguous groups, one a
 * thread, and each thread analyses its group with the same seed, so every unit gets the same
 * shuffles as on one thread and the result does not depend on the thread count.
 */
import { Worker } from 'node:worker_threads';
import { analyseSession, tally, type Session, type SessionAnalysis, type SessionOptions } from './session.js';

/** The worker script: the built JavaScript beside this module (tests run the sources, so map src to dist). */
function workerUrl(): URL {
  const here = import.meta.url;
  if (here.endsWith('.ts')) return new URL(here.replace(/\/src\/session-threads\.ts$/, '/dist/session-worker.js'));
  return new URL('./session-worker.js', here);
}

/** What a worker is given: the session with its group's activity columns, and the options. */
export interface SessionJob {
  session: Session;
  opts: SessionOptions;
}

/**
 * Analyses a session on up to `threads` worker threads (1: this thread). Same numbers for any
 * thread count.
 *
 * @example const a = await analyseSessionThreads(session, { shuffles: 100 }, 2);
 */
export async function analyseSessionThreads(s: Session, opts: SessionOptions, threads: number): Promise<SessionAnalysis> {
  const groups = Math.max(1, Math.min(Math.floor(threads), s.units));
  if (groups === 1) return analyseSession(s, opts);
  const T = s.x.length;
  const cut = (g: number) => Math.round((g * s.units) / groups);
  const jobs = Array.from({ length: groups }, (_, g) => {
    const [from, to] = [cut(g), cut(g + 1)];
    const width = to - from;
    const activity = new Float64Array(T * width);
    for (let t = 0; t < T; t++) for (let u = 0; u < width; u++) activity[t * width + u] = s.activity[t * s.units + from + u];
    return { from, job: { session: { ...s, activity, units: width }, opts } as SessionJob };
  });
  const parts = await Promise.all(jobs.map(({ job }) => new Promise<SessionAnalysis>((resolve, reject) => {
    const w = new Worker(workerUrl(), { workerData: job });
    w.once('message', (m: { result?: SessionAnalysis; error?: string }) => (m.error ? reject(new Error(m.error)) : resolve(m.result!)));
    w.once('error', reject);
    w.once('exit', (code) => code !== 0 && reject(new Error(`a session worker stopped with exit code ${code}`)));
  })));
  const units = parts.flatMap((p, g) => p.units.map((u) => ({ ...u, unit: u.unit + jobs[g].from })));
  return { ...parts[0], units, maps: parts.flatMap((p) => p.maps), ...tally(units) };
}
