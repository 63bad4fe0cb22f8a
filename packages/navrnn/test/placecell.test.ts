/**
 * PlaceCellRNN (Sorscher et al.): the fused BPTT gives the autograd tape's loss and gradients
 * (float64 to 1e-10 on random sizes; float32 on the wasm and js kernels to 1e-4), the tape itself
 * agrees with central differences (checkGrads), and the place-cell code is what Sorscher et al.
 * define: a distribution over cells that peaks at the cell nearest the position, with a
 * surround that dips below the far-field level before the shift.
 */
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { Rng, Tensor, WasmBackend, referenceBackend } from '@gridcells/tensor';
import { valueAndGrad, checkGrads } from '@gridcells/autograd';
import {
  PlaceCells, initPlaceCellParams, placeCellBatch, placeCellLossAndGrad, placeCellLossTape, placeCellRollout, makeArena, generateTrajectories,
  SORSCHER_DEFAULTS, type PlaceCellConfig, type PlaceCellParams,
} from '@gridcells/navrnn';
import { worstRel } from './helpers.js';

function setup(G: number, P: number, T: number, B: number, seed: number, dtype: 'float32' | 'float64') {
  const cfg: PlaceCellConfig = { hidden: G, places: P, nInputs: 2, sigma: 0.12, surround: 2, weightDecay: 0.01 };
  const rng = new Rng(seed);
  const arena = makeArena({ kind: 'square', side: 2.2 });
  const cells = PlaceCells.inArena(arena, P, cfg.sigma, cfg.surround, rng);
  const tr = generateTrajectories(arena, SORSCHER_DEFAULTS, B, T, 'velocity', rng);
  const data = placeCellBatch(cells, tr);
  const p = initPlaceCellParams(cfg, rng, dtype);
  return { cfg, data, p, cells };
}

const tapeOf = (cfg: PlaceCellConfig, p: PlaceCellParams, data: ReturnType<typeof setup>['data'], dtype: 'float32' | 'float64') =>
  valueAndGrad((a, b, c, d) => placeCellLossTape(cfg, a, b, c, d, data, dtype), [0, 1, 2, 3])(p.wEnc, p.wRec, p.wIn, p.wOut);


describe('PlaceCellRNN', () => {
  it('fused BPTT = autograd tape in float64 (random sizes), loss and every gradient to 1e-10', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 10 }), fc.integer({ min: 2, max: 9 }), fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 4 }), fc.nat(),
      (G, P, T, B, seed) => {
        const { cfg, data, p } = setup(G, P, T, B, seed, 'float64');
        const tape = tapeOf(cfg, p, data, 'float64');
        const fused = placeCellLossAndGrad(cfg, p, data, referenceBackend);
        expect(Math.abs(fused.loss - tape.value) / Math.abs(tape.value)).toBeLessThan(1e-10);
        expect(worstRel(fused.grads, tape.grads)).toBeLessThan(1e-10);
      }), { numRuns: 30 });
  });

  it('the tape agrees with central differences (checkGrads)', () => {
    const { cfg, data, p } = setup(5, 4, 3, 2, 7, 'float64');
    const r = checkGrads((a, b, c, d) => placeCellLossTape(cfg, a, b, c, d, data, 'float64'), [p.wEnc, p.wRec, p.wIn, p.wOut]);
    expect(r.ok, JSON.stringify(r.worst)).toBe(true);
  });

  it('float32 on the wasm and js kernels: within 1e-4 of the float64 tape (Ng 48, Np 40, T 12, B 10)', () => {
    const { cfg, data, p } = setup(48, 40, 12, 10, 3, 'float32');
    const p64 = { wEnc: p.wEnc.astype('float64'), wRec: p.wRec.astype('float64'), wIn: p.wIn.astype('float64'), wOut: p.wOut.astype('float64') };
    const tape = tapeOf(cfg, p64, data, 'float64');
    for (const backend of [WasmBackend.create()!, referenceBackend]) {
      const fused = placeCellLossAndGrad(cfg, p, data, backend);
      expect(Math.abs(fused.loss - tape.value) / tape.value, backend.name).toBeLessThan(1e-5);
      expect(worstRel(fused.grads, tape.grads), backend.name).toBeLessThan(1e-4);
      // the rollout's rates are the forward pass's
      const again = placeCellRollout(cfg, p, data, backend);
      expect(again.rates.length).toBe(12 * 10 * 48);
      expect(again.rates.every((v) => v >= 0)).toBe(true);
    }
  });

  it('the place code is a distribution peaking at the nearest cell, with an inhibitory surround', () => {
    const cells = new PlaceCells(3, 0.12, 2, Float64Array.of(0, 0, 0.2, 0, 1, 0));
    const code = new Float64Array(3);
    cells.codeInto(0, 0, code, 0);
    expect(code.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(code[0]).toBeGreaterThan(code[1]);
    // the cell 0.2 m away sits in the surround (centre minus surround < the far cell's level)
    expect(code[1]).toBeLessThan(code[2]);
    expect(Math.min(...code)).toBeGreaterThanOrEqual(0);
    // decoding the code returns the nearest centre
    const at = cells.decode(code, 1, 1);
    expect([at[0], at[1]]).toEqual([0, 0]);
  });
});
