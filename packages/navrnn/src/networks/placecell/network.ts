/**
 * The PlaceCellRNN (model.ts) as a `Network`, on the fused BPTT (bptt.ts) with the tensor kernels.
 * Its position estimate is Sorscher et al.'s decoding: the mean centre of the three most active
 * place cells.
 */
import type { Backend, Rng } from '@gridcells/tensor';
import { gatherTrials, type Trajectories } from '../../world/trajectory.js';
import type { Activity, LossAndGradient, Network, TrialSum } from '../network.js';
import { placeCellFinish, placeCellLossAndGrad, placeCellPartial, placeCellRollout } from './bptt.js';
import { PlaceCells, initPlaceCellParams, placeCellBatch, placeCellShapes, type PlaceCellBatch, type PlaceCellConfig, type PlaceCellParams } from './model.js';

/** Trials [from, to) of a batch: their inputs and target codes (gathered per step) and start codes. */
export function slicePlaceCellTrials(data: PlaceCellBatch, from: number, to: number, m: PlaceCellConfig): PlaceCellBatch {
  const { steps: T, batch: B } = data;
  const take = (src: Float32Array, width: number) => gatherTrials(src, T, B, from, to, width);
  return {
    steps: T, batch: to - from, inputs: take(data.inputs, m.nInputs), targets: take(data.targets, m.places),
    start: data.start.slice(from * m.places, to * m.places),
  };
}

/**
 * @example
 * const cells = PlaceCells.inArena(arena, 256, 0.12, 2, rng);
 * const net = new PlaceCellNetwork(config, cells, getBackend());
 * const { estimates } = net.run(net.init(rng), trajectories);
 */
export class PlaceCellNetwork implements Network<PlaceCellParams, PlaceCellBatch> {
  readonly kind = 'placecell';
  readonly units: number;
  readonly shapes: Record<string, number[]>;
  readonly signedRates = false;
  readonly startsAtCentre = false;
  readonly trials: TrialSum<PlaceCellParams, PlaceCellBatch>;
  /**
   * The start position reaches the network as the plain (centre-only) code: it is sharp, so the
   * network knows where it starts; the targets are the difference-of-softmaxes code. Sorscher et
   * al. encode the start with the targets' code; with that, the small networks here did not learn
   * to path-integrate within the CPU budget (decoded error above answering the centre).
   */
  readonly startCells: PlaceCells;

  /** `cells`: the run's place cells with their target code; `kernels`: the matrix products. */
  constructor(readonly model: PlaceCellConfig, readonly cells: PlaceCells, readonly kernels: Backend) {
    this.units = model.hidden;
    this.shapes = placeCellShapes(model);
    this.startCells = cells.withoutSurround();
    const m = model;
    this.trials = {
      trials: (batch) => batch.batch,
      slice: (batch, from, to) => (from === 0 && to === batch.batch ? batch : slicePlaceCellTrials(batch, from, to, m)),
      partial: (w, chunk, whole) => placeCellPartial(m, w, chunk, kernels, whole),
      finish: (w, batch, sums, grads) => {
        const r = placeCellFinish(m, w, sums[0], grads, batch.steps, batch.batch);
        return { loss: r.loss, grads: r.grads, parts: { cross_entropy: r.crossEntropy } };
      },
    };
  }

  init(rng: Rng): PlaceCellParams {
    return initPlaceCellParams(this.model, rng);
  }

  /** Start codes (plain) and target codes (the run's code) of the trajectories; nothing is drawn. */
  trainingBatch(tr: Trajectories, _rng: Rng): PlaceCellBatch {
    return placeCellBatch(this.startCells, tr, this.cells);
  }

  lossAndGradient(w: PlaceCellParams, batch: PlaceCellBatch, whileComputing?: () => void): LossAndGradient {
    const r = placeCellLossAndGrad(this.model, w, batch, this.kernels);
    whileComputing?.();
    return { loss: r.loss, grads: r.grads, parts: { cross_entropy: r.crossEntropy } };
  }

  run(w: PlaceCellParams, tr: Trajectories): Activity {
    const { rates, logits } = placeCellRollout(this.model, w, placeCellBatch(this.startCells, tr), this.kernels);
    return { rates, estimates: this.startCells.decode(logits, tr.steps * tr.batch) };
  }

  dispose(): void {}
}
