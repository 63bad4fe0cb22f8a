/** Writing files so that a reader never sees half of one, and making folders without surprises. */
import { existsSync, mkdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/** A folder cannot be made or used where it was asked for. */
export class FolderError extends Error {
  override name = 'FolderError';
}

/**
 * Runs `fn`, which writes `path`; a file-system error (a full disk, a read-only file system, a
 * missing permission) comes back as a FolderError that names the path.
 */
export function writing<T>(path: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (typeof err.code !== 'string' || typeof err.syscall !== 'string') throw e;
    throw new FolderError(`cannot write ${path}: ${err.message}`);
  }
}

/**
 * Writes a file by temp file + rename: a kill at any moment leaves the old file or the new one. A
 * failed write leaves no temp file behind.
 */
export function writeAtomic(path: string, data: string | Uint8Array): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writing(path, () => {
    try {
      writeFileSync(tmp, data);
      renameSync(tmp, path);
    } catch (e) {
      rmSync(tmp, { force: true });
      throw e;
    }
  });
}

/**
 * Makes a folder and its missing parents, one level at a time (Node's recursive mkdir spins
 * forever under /proc). A path that is a file, or a parent that cannot hold folders, is a
 * FolderError naming it.
 */
export function makeFolder(path: string): void {
  const target = resolve(path);
  if (existsSync(target)) {
    if (!statSync(target).isDirectory()) throw new FolderError(`${path} is a file, not a folder`);
    return;
  }
  const missing: string[] = [];
  let p = target;
  while (!existsSync(p)) {
    missing.unshift(p);
    const up = dirname(p);
    if (up === p) break;
    p = up;
  }
  if (existsSync(p) && !statSync(p).isDirectory()) throw new FolderError(`cannot make the folder ${path}: ${p} is a file, not a folder`);
  for (const m of missing) {
    try {
      mkdirSync(m);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EEXIST' && statSync(m).isDirectory()) continue;
      throw new FolderError(`cannot make the folder ${path}: ${(e as Error).message}`);
    }
  }
}
