/**
 * One stepping interface over the optimizers a run can use: first-order (Adam, SGD with momentum;
 * global-norm clipping and a learning-rate schedule) and Hessian-free (Martens & Sutskever 2011,
 * the paper's optimizer). The training loop calls `step` and never asks which one it holds.
 */
import type { Tensor } from '@gridcells/tensor';
import {
  Adam, HessianFree, SGD, clipGradNorm, flatten, globalNorm, unflatten,
  type HessianFreeState, type Optimizer, type OptimizerState,
} from '@gridcells/autograd';
import type { RunConfig } from '../config.js';
import type { LossAndGradient, Network, Weights } from '../networks/network.js';
import type { MetricsLine } from './folder.js';

/** What one step computed: the loss and gradient at the weights before the update, and the optimizer's own metrics. */
export interface StepOutcome {
  result: LossAndGradient;
  gradNorm: number;
  /** lr for first-order optimizers; hf_damping, hf_rho, hf_cg_iterations, hf_rate for Hessian-free. */
  fields: Partial<MetricsLine>;
}

/** What a step needs: the network, its weights (updated in place), the batch and the step number (from 1). */
export interface StepInput<TB> {
  network: Network<Weights, TB>;
  weights: Weights;
  /** The weights as a list in the network's order (the same tensors as `weights`). */
  list: Tensor[];
  batch: TB;
  step: number;
  /**
   * Called with the loss and the gradient norm before the weights change; it throws to stop the
   * run with the weights as they were.
   */
  check: (loss: number, gradNorm: number) => void;
  /** Work for this thread while others compute (drawing the next batch); called exactly once. */
  whileComputing?: () => void;
}

/** An optimizer as the training loop sees it. */
export interface Stepper {
  step<TB>(s: StepInput<TB>): Promise<StepOutcome>;
  /** The state a checkpoint keeps, and its restoration on resume. */
  state(): OptimizerState | HessianFreeState;
  loadState(state: OptimizerState | HessianFreeState): void;
}

/** The learning rate of a step (counted from 0) under the config's schedule. */
export function learningRate(cfg: RunConfig, step: number): number {
  const { lr, steps, schedule } = cfg.train;
  const f = Math.min(1, step / steps);
  if (schedule.kind === 'exponential') return lr * Math.pow(schedule.final, f);
  if (schedule.kind === 'cosine') return lr * (schedule.final + (1 - schedule.final) * 0.5 * (1 + Math.cos(Math.PI * f)));
  return lr;
}

class FirstOrder implements Stepper {
  constructor(private readonly cfg: RunConfig, private readonly optimizer: Optimizer) {}

  async step<TB>({ network, weights, list, batch, step, check, whileComputing }: StepInput<TB>): Promise<StepOutcome> {
    const result = await network.lossAndGradient(weights, batch, whileComputing);
    const gradNorm = globalNorm(result.grads);
    check(result.loss, gradNorm);
    this.optimizer.lr = learningRate(this.cfg, step - 1);
    this.optimizer.step(list, this.cfg.train.clip ? clipGradNorm(result.grads, this.cfg.train.clip).grads : result.grads);
    return { result, gradNorm, fields: { lr: this.optimizer.lr } };
  }

  state() {
    return this.optimizer.state();
  }

  loadState(state: OptimizerState | HessianFreeState): void {
    this.optimizer.loadState(state as OptimizerState);
  }
}

class SecondOrder implements Stepper {
  constructor(private readonly cfg: RunConfig, private readonly optimizer: HessianFree) {}

  async step<TB>({ network, list, batch, check, whileComputing }: StepInput<TB>): Promise<StepOutcome> {
    if (!network.curvature) throw new Error(`network ${network.kind} has no curvature system for Hessian-free`);
    const system = network.curvature(batch, this.cfg.train.hf.curvatureFraction);
    const r = this.optimizer.step(system, flatten(list));
    const result = system.last!;
    const gradNorm = globalNorm(result.grads);
    check(result.loss, gradNorm);
    unflatten(r.theta, list.map((t) => t.shape), 'float32').forEach((t, i) => list[i].data.set(t.data));
    whileComputing?.();
    const i = r.info;
    return { result, gradNorm, fields: { hf_damping: i.damping, hf_rho: i.rho, hf_cg_iterations: i.cgIterations, hf_rate: i.rate } };
  }

  state() {
    return this.optimizer.state();
  }

  loadState(state: OptimizerState | HessianFreeState): void {
    this.optimizer.loadState(state as HessianFreeState);
  }
}

/** The config's optimizer (train.optimizer, with its settings) behind the stepping interface. */
export function makeStepper(cfg: RunConfig): Stepper {
  const t = cfg.train;
  if (t.optimizer === 'hf') {
    return new SecondOrder(cfg, new HessianFree({
      damping: t.hf.damping, structuralDamping: t.hf.structuralDamping, maxCgIterations: t.hf.maxCgIterations, preconditioner: t.hf.preconditioner,
    }));
  }
  return new FirstOrder(cfg, t.optimizer === 'sgd' ? new SGD({ lr: t.lr, momentum: t.momentum }) : new Adam({ lr: t.lr }));
}
