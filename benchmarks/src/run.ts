/**
 * `npm run bench`: runs the benchmarks, prints each as a table beside its peers, and writes
 * benchmarks/results/<name>.json (one object per case) with the machine and the date.
 *   npm run bench                  all
 *   npm run bench -- gridscore     one
 */
import { fileURLToPath } from 'node:url';
import { benchGridscore } from './gridscore.bench.js';
import { machine, printTable, writeJson, type Row } from './table.js';

const suites: Record<string, { run: () => Row[]; columns: string[] }> = {
  gridscore: { run: () => benchGridscore(), columns: ['case', 'backend', 'maps', 'maps_per_s', 'note'] },
};

const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const names = wanted.length ? wanted : Object.keys(suites);
for (const name of names) {
  const suite = suites[name];
  if (!suite) {
    console.error(`bench: unknown benchmark '${name}' (have: ${Object.keys(suites).join(', ')})`);
    process.exit(2);
  }
  const rows = suite.run();
  const info = { benchmark: name, date: new Date().toISOString(), machine: machine() };
  printTable(`${name} — ${info.machine} — ${info.date.slice(0, 10)}`, rows, suite.columns);
  const out = fileURLToPath(new URL(`../results/${name}.json`, import.meta.url));
  writeJson(out, { ...info, cases: rows });
  console.log(`wrote ${out}`);
}
