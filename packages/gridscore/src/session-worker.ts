/** A worker thread of analyseSessionThreads: analyses its group of units and posts the result. */
import { parentPort, workerData } from 'node:worker_threads';
import { analyseSession } from './session.js';
import type { SessionJob } from './session-threads.js';

try {
  const { session, opts } = workerData as SessionJob;
  parentPort!.postMessage({ result: analyseSession(session, opts) });
} catch (e) {
  parentPort!.postMessage({ error: (e as Error).message });
}
