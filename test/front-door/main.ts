// A library user's first program, type-checked strictly against the packed packages: train a tiny
// CuevaRNN through the public API, evaluate it, and score a rate map.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng, normal } from '@gridcells/tensor';
import { valueAndGrad, type Var } from '@gridcells/autograd';
import * as ag from '@gridcells/autograd';
import { classify, scoreMap, type RateMap } from '@gridcells/gridscore';
import { analyzeParams, presetConfig, train, type TrainResult } from '@gridcells/navrnn';

const cfg = presetConfig('quick', { seed: 1, model: { hidden: 8 }, train: { steps: 20, batch: 8, timeSteps: 20, evalEvery: 10, checkpointEvery: 10 } });
const result: TrainResult = await train(cfg, { out: join(mkdtempSync(join(tmpdir(), 'front-door-')), 'run') });
const analysis = await analyzeParams(cfg, result.params, { trials: 10, bins: 10 });

// a hexagonal lattice (three plane waves 60 degrees apart), 30 x 30 bins, spacing 10 bins
const n = 30;
const data = new Float64Array(n * n);
for (let r = 0; r < n; r++) {
  for (let c = 0; c < n; c++) {
    let v = 0;
    for (const a of [0, Math.PI / 3, (2 * Math.PI) / 3]) v += Math.cos(((4 * Math.PI) / (Math.sqrt(3) * 10)) * (c * Math.cos(a) + r * Math.sin(a)));
    data[r * n + c] = Math.max(0, v);
  }
}
const map: RateMap = { data, height: n, width: n };
const scores = scoreMap(map);

// the autograd package on its own: d/dx sum(x^2) = 2x
const x = normal(new Rng(2), [3]);
const { grads } = valueAndGrad((v: Var) => ag.sum(ag.square(v)), [0])(x);

console.log(JSON.stringify({
  step: result.step, backend: result.backend, evalErrorCm: result.evalErrorCm, units: analysis.units.length,
  latticeClass: classify(scores), score60: scores.score60,
  gradOk: grads[0].data.every((g, i) => Math.abs(g - 2 * x.data[i]) < 1e-6),
}));
