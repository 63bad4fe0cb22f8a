/**
 * The front door: the four packages work as npm packages, not only through workspace links. Each
 * is packed (`npm pack`, a clean build), the tarballs are installed into a fresh project outside
 * the repository, a strict TypeScript program (skipLibCheck off) is type-checked against their
 * declarations, and it runs: it trains a tiny network, analyses it and scores a map through the
 * public API. The installed `gridcells` and `gridscore` commands run too.
 *
 * It needs the npm registry or npm's cache for the packages' dependencies; CI has both.
 */
import { describe, it, expect } from 'vitest';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createRequire } from 'node:module';
import { encodeNpy } from '@gridcells/gridscore';

const ROOT = resolve(import.meta.dirname, '..');
const PACKAGES = ['tensor', 'autograd', 'gridscore', 'navrnn'];
const FIXTURE = join(import.meta.dirname, 'front-door');
/** Runs a command; a failure throws with what the command printed (a type error, say). */
function run(file: string, args: string[], cwd?: string): string {
  try {
    return execFileSync(file, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const { stdout, stderr } = e as { stdout?: string; stderr?: string };
    throw new Error(`${file} ${args.join(' ')} failed:\n${stdout ?? ''}${stderr ?? ''}`);
  }
}
const npm = (args: string[], cwd: string) => run('npm', args, cwd);

describe('front door: the packed packages in a fresh project', () => {
  it('install from tarballs, type-check strictly, train, analyse and score through the public API', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gridcells-consumer-'));
    const tarballs = join(dir, 'tarballs');
    mkdirSync(tarballs);
    for (const p of PACKAGES) npm(['pack', '--silent', '--pack-destination', tarballs], join(ROOT, 'packages', p));
    const files = readdirSync(tarballs).sort();
    expect(files).toEqual(['gridcells-autograd-0.1.0.tgz', 'gridcells-gridscore-0.1.0.tgz', 'gridcells-navrnn-0.1.0.tgz', 'gridcells-tensor-0.1.0.tgz']);
    for (const f of files) {
      const listing = execFileSync('tar', ['tzf', join(tarballs, f)], { encoding: 'utf8' }).split('\n');
      // types, the licence, and nothing from the tests or the build's leftovers
      expect(listing, f).toContain('package/LICENSE');
      expect(listing, f).toContain('package/dist/index.d.ts');
      expect(listing.filter((l) => /\/test\/|tsbuildinfo/.test(l)), f).toEqual([]);
    }

    const app = join(dir, 'app');
    mkdirSync(app);
    const deps = Object.fromEntries(files.map((f) => [`@gridcells/${f.replace(/^gridcells-|-0\.1\.0\.tgz$/g, '')}`, `file:../tarballs/${f}`]));
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module', dependencies: { ...deps, '@types/node': '^20.19.0' } }, null, 2));
    copyFileSync(join(FIXTURE, 'main.ts'), join(app, 'main.ts'));
    copyFileSync(join(FIXTURE, 'tsconfig.json'), join(app, 'tsconfig.json'));
    // gl is gpu.js's optional headless-WebGL binding: a native build that nothing here uses
    npm(['install', '--no-audit', '--no-fund', '--prefer-offline', '--omit=optional'], app);

    const tsc = join(dirname(createRequire(import.meta.url).resolve('typescript/package.json')), 'bin', 'tsc');
    run(process.execPath, [tsc, '-p', 'tsconfig.json'], app);
    const out = JSON.parse(run(process.execPath, ['out/main.js'], app).trim().split('\n').at(-1)!);
    expect(out.step).toBe(20);
    expect(Number.isFinite(out.evalErrorCm)).toBe(true);
    expect(out.units).toBe(8);
    expect(out.latticeClass).toBe('grid');
    expect(out.gradOk).toBe(true);

    const bin = (name: string) => join(app, 'node_modules', '.bin', name);
    const trained = run(bin('gridcells'), ['train', '--preset', 'quick', '--steps', '3', '--out', join(dir, 'cli-run')]);
    expect(trained).toMatch(/^step 3: held-out position error/);
    const maps = join(dir, 'maps.npy');
    writeFileSync(maps, encodeNpy(new Float32Array(2 * 10 * 10).map((_, i) => (i % 10) / 10), [2, 10, 10]));
    const csv = run(bin('gridscore'), [maps]).trim().split('\n');
    expect(csv[0]).toMatch(/^index,score60/);
    expect(csv).toHaveLength(3);
  }, 300_000);
});
