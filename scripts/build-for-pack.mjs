// Builds the package in the current folder for `npm pack`: `tsc -b`, then every file in dist/
// whose source no longer exists (a module moved or removed since the last build) is deleted, so
// the tarball holds exactly what the sources compile to. Live outputs are never touched, so tests
// that run the built CLI at the same time are not disturbed.
import { existsSync, readdirSync, rmSync, rmdirSync, statSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';

const tsc = join(dirname(createRequire(import.meta.url).resolve('typescript/package.json')), 'bin', 'tsc');
execFileSync(process.execPath, [tsc, '-b'], { stdio: 'inherit' });

function prune(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      prune(path);
      if (readdirSync(path).length === 0) rmdirSync(path);
      continue;
    }
    const base = relative('dist', path).replace(/(\.d\.ts\.map|\.d\.ts|\.js\.map|\.js)$/, '');
    if (!existsSync(join('src', `${base}.ts`))) rmSync(path);
  }
}
if (existsSync('dist')) prune('dist');
