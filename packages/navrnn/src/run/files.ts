/** Writing files so that a reader never sees half of one. */
import { renameSync, writeFileSync } from 'node:fs';

/** Writes a file by temp file + rename: a kill at any moment leaves the old file or the new one. */
export function writeAtomic(path: string, data: string | Uint8Array): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}
