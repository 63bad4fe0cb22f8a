import { defineConfig } from 'vitest/config';
import { fileURLToPath } from 'node:url';

// Tests run from the TypeScript sources: each workspace package resolves to its src/index.ts,
// so `npm test` needs no build of dist/ to exercise the code (tsc -b still type-checks it first).
const src = (pkg: string) => fileURLToPath(new URL(`./packages/${pkg}/src/index.ts`, import.meta.url));

export default defineConfig({
  resolve: {
    alias: {
      '@gridcells/tensor': src('tensor'),
      '@gridcells/autograd': src('autograd'),
      '@gridcells/gridscore': src('gridscore'),
      '@gridcells/navrnn': src('navrnn'),
    },
  },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'benchmarks/test/**/*.test.ts', 'test/*.test.ts'],
    testTimeout: 60_000,
    pool: 'threads',
  },
});
