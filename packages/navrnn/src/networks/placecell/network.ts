/**
 * The PlaceCellRNN (model.ts) as a `Network`, on the fused BPTT (bptt.ts) with the tensor kernels.
 * Its position estimate is Sorscher et al.'s decoding: the mean centre of the three most active
 * place cells.
 */
import type { Backend, Rng } from '@gridcells/tensor';
import { gatherTrials, type Trajectories } from '../../world/trajectory.js';
import type { Activity, LossAndGradient, Network, TrialSum } from '../network.js';
import { placeCellFinish, placeCellLossAndGrad, placeCellPartial, placeCellRollout } from './bptt.js';
import {
  PlaceCells, initPlaceCellParams, placeCellBatch, placeCellShapes, type PlaceCellConfig, type PlaceCellParams, type PlaceCellTrials,
} from './model.js';

/** Trials [from, to) of a batch: their inputs and positions (starts included), gathered per step. */
export function slicePlaceCellTrials(data: PlaceCellTrials, from: number, to: number, nInputs: number): PlaceCellTrials {
  const { steps: T, batch: B } = data;
  return {
    steps: T, batch: to - from, inputs: gatherTrials(data.inputs, T, B, from, to, nInputs), positions: gatherTrials(data.positions, T + 1, B, from, to, 2),
  };
}

/** The run-folder name (without .npy) of the place cells' centres. */
export const PLACE_CELLS_FILE = 'place_cells';

/**
 * @example
 * const cells = PlaceCells.inArena(arena, 256, 0.12, 2, rng);
 * const net = new PlaceCellNetwork(config, cells, getBackend());
 * const { estimates } = net.run(net.init(rng), trajectories);
 */
export class PlaceCellNetwork implements Network<PlaceCellParams, PlaceCellTrials> {
  readonly kind = 'placecell';
  readonly units: number;
  readonly shapes: Record<string, number[]>;
  readonly signedRates = false;
  readonly startsAtCentre = false;
  readonly trials: TrialSum<PlaceCellParams, PlaceCellTrials>;
  /**
   * The start position reaches the network as the plain (centre-only) code: it is sharp, so the
   * network knows where it starts; the targets are the difference-of-softmaxes code. Sorscher et
   * al. encode the start with the targets' code; with that, the small networks here did not learn
   * to path-integrate within the CPU budget (decoded error above answering the centre).
   */
  readonly startCells: PlaceCells;
  readonly fixedArrays: Record<string, { data: Float64Array; shape: number[] }>;

  /** `cells`: the run's place cells with their target code; `kernels`: the matrix products. */
  constructor(readonly model: PlaceCellConfig, readonly cells: PlaceCells, readonly kernels: Backend) {
    this.units = model.hidden;
    this.shapes = placeCellShapes(model);
    this.startCells = cells.withoutSurround();
    this.fixedArrays = { [PLACE_CELLS_FILE]: { data: cells.centres, shape: [cells.count, 2] } };
    const m = model;
    this.trials = {
      trials: (batch) => batch.batch,
      slice: (batch, from, to) => (from === 0 && to === batch.batch ? batch : slicePlaceCellTrials(batch, from, to, m.nInputs)),
      // each chunk codes its own positions: the codes are most of the cost of a batch's data
      partial: (w, chunk, whole) => placeCellPartial(m, w, this.codes(chunk), kernels, whole),
      finish: (w, batch, sums, grads) => {
        const r = placeCellFinish(m, w, sums[0], grads, batch.steps, batch.batch);
        return { loss: r.loss, grads: r.grads, parts: { cross_entropy: r.crossEntropy } };
      },
    };
  }

  init(rng: Rng): PlaceCellParams {
    return initPlaceCellParams(this.model, rng);
  }

  /** The trajectories' inputs and positions; their codes are made where the loss is computed. Nothing is drawn. */
  trainingBatch(tr: Trajectories, _rng: Rng): PlaceCellTrials {
    return { steps: tr.steps, batch: tr.batch, inputs: tr.inputs, positions: tr.positions };
  }

  /** Start codes (plain) and target codes (the run's code) of trials. */
  codes(trials: PlaceCellTrials) {
    return placeCellBatch(this.startCells, trials, this.cells);
  }

  lossAndGradient(w: PlaceCellParams, batch: PlaceCellTrials, whileComputing?: () => void): LossAndGradient {
    const r = placeCellLossAndGrad(this.model, w, this.codes(batch), this.kernels);
    whileComputing?.();
    return { loss: r.loss, grads: r.grads, parts: { cross_entropy: r.crossEntropy } };
  }

  run(w: PlaceCellParams, tr: Trajectories): Activity {
    const { rates, logits } = placeCellRollout(this.model, w, placeCellBatch(this.startCells, tr), this.kernels);
    return { rates, estimates: this.startCells.decode(logits, tr.steps * tr.batch) };
  }

  dispose(): void {}
}
