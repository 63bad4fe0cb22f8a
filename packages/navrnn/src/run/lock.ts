/**
 * One owner for a run folder at a time: RUN/.lock names the process that trains it. A lock whose
 * process is gone does not block anyone: on this host its pid is checked; from another host (a
 * cluster's shared file system) the lock counts as gone when its heartbeat, refreshed every
 * HEARTBEAT_S seconds while the run lives, is older than STALE_S seconds.
 */
import { existsSync, linkSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { RunFolderError } from './folder.js';

const HEARTBEAT_S = 20;
const STALE_S = 120;

/** Who holds a run folder. */
interface Holder {
  pid: number;
  host: string;
  started: string;
}

function readHolder(path: string): Holder | null {
  try {
    const h = JSON.parse(readFileSync(path, 'utf8'));
    return h && typeof h.pid === 'number' && typeof h.host === 'string' ? h : null;
  } catch {
    return null;
  }
}

/**
 * A killed process whose parent is gone too stays a zombie until something reaps it (in a
 * container without an init, nothing does): it still answers kill(pid, 0), but holds nothing.
 */
function zombie(pid: number): boolean {
  try {
    // /proc/PID/stat: "pid (comm) state ...", comm may hold spaces and parentheses
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z';
  } catch {
    return false;
  }
}

function alive(h: Holder, lockPath: string): boolean {
  if (h.host === hostname()) {
    if (h.pid === process.pid) return true;
    try {
      process.kill(h.pid, 0);
    } catch (e) {
      return (e as NodeJS.ErrnoException).code === 'EPERM';
    }
    return !zombie(h.pid);
  }
  try {
    return (Date.now() - statSync(lockPath).mtimeMs) / 1000 < STALE_S;
  } catch {
    return false;
  }
}

/**
 * Takes the run folder's lock, or refuses with a RunFolderError naming its holder. Returns the
 * function that releases it (also called when the process exits).
 */
export function acquireRunLock(runDir: string): () => void {
  const lock = join(runDir, '.lock');
  const me: Holder = { pid: process.pid, host: hostname(), started: new Date().toISOString() };
  const mine = `${lock}.${process.pid}`;
  writeFileSync(mine, JSON.stringify(me) + '\n');
  try {
    let taken = false;
    for (let attempt = 0; attempt < 3 && !taken; attempt++) {
      try {
        linkSync(mine, lock); // atomic: fails when a lock exists
        taken = true;
        break;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
      const holder = readHolder(lock);
      if (holder && alive(holder, lock)) {
        throw new RunFolderError(`run folder ${runDir} is in use by process ${holder.pid} on ${holder.host} (since ${holder.started}); wait for it to finish, or stop it`);
      }
      // the holder is gone: move its lock aside, unless another process replaced it meanwhile
      const aside = `${lock}.stale-${process.pid}`;
      try {
        renameSync(lock, aside);
      } catch {
        continue;
      }
      const moved = readHolder(aside);
      if (holder && moved && (moved.pid !== holder.pid || moved.host !== holder.host)) renameSync(aside, lock);
      else rmSync(aside, { force: true });
    }
    if (!taken) throw new RunFolderError(`run folder ${runDir}: could not take its lock (${lock})`);
  } finally {
    rmSync(mine, { force: true });
  }
  const beat = setInterval(() => {
    try {
      const now = new Date();
      utimesSync(lock, now, now);
    } catch {
      // the folder went away; the run will fail on its next write
    }
  }, HEARTBEAT_S * 1000);
  beat.unref();
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    clearInterval(beat);
    process.off('exit', release);
    const h = readHolder(lock);
    if (h && h.pid === me.pid && h.host === me.host && existsSync(lock)) rmSync(lock, { force: true });
  };
  process.on('exit', release);
  return release;
}
