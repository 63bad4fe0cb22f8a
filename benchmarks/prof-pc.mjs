import { setBackend } from '@gridcells/tensor';
import { Adam } from '@gridcells/autograd';
import { ThreadPool, chunked, generateTrajectories, localRunner, makeArena, networkFor, presetConfig, runStreams, tensorKernels, weightList } from '@gridcells/navrnn';
const reps = +process.argv[2] || 9, threads = +process.argv[3] || 1;
const cfg = presetConfig('placecell', { backend: 'wasm' });
setBackend(tensorKernels('wasm'));
const pool = threads > 1 ? new ThreadPool(cfg, 'wasm', threads) : localRunner;
const network = chunked(networkFor(cfg, 'wasm'), pool, cfg.train.chunkTrials);
const streams = runStreams(cfg.seed);
const w = network.init(streams.init);
const tr = generateTrajectories(makeArena(cfg.arena), cfg.trajectory, cfg.train.batch, cfg.train.timeSteps, cfg.encoding, streams.data);
const batch = network.trainingBatch(tr, streams.data);
const adam = new Adam({ lr: 1e-3 }); const list = weightList(network, w);
const times = [];
for (let i = 0; i <= reps; i++) { const t0 = performance.now(); const r = network.lossAndGradient(w, batch); adam.step(list, r.grads); if (i) times.push(performance.now() - t0); }
times.sort((a,b)=>a-b); console.log('threads', threads, 'median', times[times.length>>1].toFixed(1), times.map(t=>t.toFixed(0)).join(' '));
if (pool.close) await pool.close();
