/**
 * The differentiable ops: every primitive's forward with its VJP (reverse mode) and JVP
 * (forward mode) side by side, in one table. Rules are written with the plain tensor ops of
 * @gridcells/tensor (first-order only: higher derivatives are not needed).
 */
import * as T from '@gridcells/tensor';
import { Tensor, reducedShape, checkAxis } from '@gridcells/tensor';
import { apply, valueOf, type OpDef, type Value, type Var } from './var.js';

type Maybe = Tensor | null;

/** Sum of the non-null terms (null if all are null): tangents of linear ops. */
function total(...terms: Maybe[]): Tensor {
  const present = terms.filter((t): t is Tensor => t !== null);
  return present.reduce((s, t) => T.add(s, t));
}

/**
 * An op that passes one of its two inputs through: `second(a, b)` is 1 where b is the one chosen.
 * The gradient goes to the chosen input.
 */
function select(name: string, f: (a: Tensor, b: Tensor) => Tensor, second: (a: Tensor, b: Tensor) => Tensor): OpDef {
  return {
    name,
    forward: ([a, b]) => f(a, b),
    vjp: (g, [a, b]) => {
      const m = second(a, b);
      return [T.mul(g, T.sub(1, m)), T.mul(g, m)];
    },
    jvp: ([ta, tb], [a, b]) => {
      const m = second(a, b);
      return total(ta && T.mul(ta, T.sub(1, m)), tb && T.mul(tb, m));
    },
  };
}

function unary(name: string, f: (a: Tensor) => Tensor, dfdx: (a: Tensor, out: Tensor) => Tensor): OpDef {
  return {
    name,
    forward: ([a]) => f(a),
    vjp: (g, [a], out) => [T.mul(g, dfdx(a, out))],
    jvp: ([ta], [a], out) => T.mul(ta!, dfdx(a, out)),
  };
}

/** Every differentiable op: its forward, its VJP (reverse mode) and its JVP (forward mode), side by side. */
export const ops = {
  add: {
    name: 'add',
    forward: ([a, b]) => T.add(a, b),
    vjp: (g) => [g, g],
    jvp: ([ta, tb]) => total(ta, tb),
  } as OpDef,
  sub: {
    name: 'sub',
    forward: ([a, b]) => T.sub(a, b),
    vjp: (g, _, __, ___, needs) => [g, needs[1] ? T.neg(g) : null],
    jvp: ([ta, tb]) => total(ta, tb && T.neg(tb)),
  } as OpDef,
  mul: {
    name: 'mul',
    forward: ([a, b]) => T.mul(a, b),
    vjp: (g, [a, b], _, __, needs) => [needs[0] ? T.mul(g, b) : null, needs[1] ? T.mul(g, a) : null],
    jvp: ([ta, tb], [a, b]) => total(ta && T.mul(ta, b), tb && T.mul(a, tb)),
  } as OpDef,
  div: {
    name: 'div',
    forward: ([a, b]) => T.div(a, b),
    vjp: (g, [, b], out, _, needs) => [needs[0] ? T.div(g, b) : null, needs[1] ? T.neg(T.div(T.mul(g, out), b)) : null],
    jvp: ([ta, tb], [, b], out) => total(ta && T.div(ta, b), tb && T.neg(T.div(T.mul(tb, out), b))),
  } as OpDef,
  pow: {
    name: 'pow',
    forward: ([a, b]) => T.pow(a, b),
    // d(a^b)/da = b a^(b-1); d(a^b)/db = a^b log a (only formed when b needs it: log a < 0 is NaN)
    vjp: (g, [a, b], out, _, needs) => [
      needs[0] ? T.mul(g, T.mul(b, T.pow(a, T.sub(b, 1)))) : null,
      needs[1] ? T.mul(g, T.mul(out, T.log(a))) : null,
    ],
    jvp: ([ta, tb], [a, b], out) =>
      total(ta && T.mul(ta, T.mul(b, T.pow(a, T.sub(b, 1)))), tb && T.mul(tb, T.mul(out, T.log(a)))),
  } as OpDef,
  // the selected input takes the gradient; ties go to the first argument
  maximum: select('maximum', T.maximum, (a, b) => T.greater(b, a)),
  minimum: select('minimum', T.minimum, (a, b) => T.greater(a, b)),

  neg: unary('neg', T.neg, (a) => T.full([], -1, a.dtype)),
  exp: unary('exp', T.exp, (_, out) => out),
  log: unary('log', T.log, (a) => T.div(1, a)),
  tanh: unary('tanh', T.tanh, (_, out) => T.sub(1, T.square(out))),
  relu: unary('relu', T.relu, (a) => T.greater(a, 0)),
  sigmoid: unary('sigmoid', T.sigmoid, (_, out) => T.mul(out, T.sub(1, out))),
  square: unary('square', T.square, (a) => T.mul(a, 2)),
  sqrt: unary('sqrt', T.sqrt, (_, out) => T.div(0.5, out)),
  abs: unary('abs', T.abs, (a) => T.sign(a)),
  clamp: {
    name: 'clamp',
    forward: ([a], { lo, hi }) => T.clamp(a, lo, hi),
    vjp: (g, [a], _, { lo, hi }) => [T.mul(g, T.inRange(a, lo, hi))],
    jvp: ([ta], [a], _, { lo, hi }) => T.mul(ta!, T.inRange(a, lo, hi)),
  } as OpDef<{ lo: number; hi: number }>,

  sum: {
    name: 'sum',
    forward: ([a], { axes, keepdims }) => T.sum(a, axes, keepdims),
    vjp: (g, [a], _, { axes }) => [T.broadcastTo(T.reshape(g, keptShape(a, axes)), a.shape)],
    jvp: ([ta], _, __, { axes, keepdims }) => T.sum(ta!, axes, keepdims),
  } as OpDef<ReduceAttrs>,
  mean: {
    name: 'mean',
    forward: ([a], { axes, keepdims }) => T.mean(a, axes, keepdims),
    vjp: (g, [a], out, { axes }) => [
      T.broadcastTo(T.reshape(T.div(g, a.size / Math.max(out.size, 1)), keptShape(a, axes)), a.shape),
    ],
    jvp: ([ta], _, __, { axes, keepdims }) => T.mean(ta!, axes, keepdims),
  } as OpDef<ReduceAttrs>,
  max: {
    name: 'max',
    forward: ([a], { axes, keepdims }) => T.max(a, axes, keepdims),
    // ties share the gradient equally (the subgradient NumPy-based autodiff libraries use)
    vjp: (g, [a], out, { axes }) => {
      const w = maxWeights(a, out, axes);
      return [T.mul(w, T.reshape(g, keptShape(a, axes)))];
    },
    jvp: ([ta], [a], out, { axes, keepdims }) => T.sum(T.mul(ta!, maxWeights(a, out, axes)), axes, keepdims),
  } as OpDef<ReduceAttrs>,

  matmul: {
    name: 'matmul',
    forward: ([a, b]) => T.matmul(a, b),
    vjp: (g, [a, b], _, __, needs) => [
      needs[0] ? T.matmul(g, swapLast(b)) : null,
      needs[1] ? T.matmul(swapLast(a), g) : null,
    ],
    jvp: ([ta, tb], [a, b]) => total(ta && T.matmul(ta, b), tb && T.matmul(a, tb)),
  } as OpDef,

  transpose: {
    name: 'transpose',
    forward: ([a], { perm }) => T.transpose(a, perm).contiguous(),
    vjp: (g, _, __, { perm }) => [T.transpose(g, inversePerm(perm)).contiguous()],
    jvp: ([ta], _, __, { perm }) => T.transpose(ta!, perm).contiguous(),
  } as OpDef<{ perm: number[] }>,
  reshape: {
    name: 'reshape',
    forward: ([a], { shape }) => T.reshape(a, shape),
    vjp: (g, [a]) => [T.reshape(g, a.shape)],
    jvp: ([ta], _, out) => T.reshape(ta!, out.shape),
  } as OpDef<{ shape: number[] }>,
  slice: {
    name: 'slice',
    forward: ([a], { ranges }) => T.slice(a, ranges).contiguous(),
    vjp: (g, [a], _, { ranges }) => [T.unslice(g, a.shape, ranges)],
    jvp: ([ta], _, __, { ranges }) => T.slice(ta!, ranges).contiguous(),
  } as OpDef<{ ranges: ([number, number] | null)[] }>,
  concat: {
    name: 'concat',
    forward: (xs, { axis }) => T.concat(xs, axis),
    vjp: (g, xs, _, { axis }) => {
      let off = 0;
      return xs.map((x) => {
        const ranges: ([number, number] | null)[] = x.shape.map(() => null);
        ranges[axis] = [off, off + x.shape[axis]];
        off += x.shape[axis];
        return T.slice(g, ranges).contiguous();
      });
    },
    jvp: (ts, xs, _, { axis }) => T.concat(ts.map((t, i) => t ?? T.zeros(xs[i].shape, xs[i].dtype)), axis),
  } as OpDef<{ axis: number }>,
  gather: {
    name: 'gather',
    forward: ([a], { indices, axis }) => T.gather(a, indices, axis),
    vjp: (g, [a], _, { indices, axis }) => [T.scatterAdd(g, indices, axis, a.shape)],
    jvp: ([ta], _, __, { indices, axis }) => T.gather(ta!, indices, axis),
  } as OpDef<{ indices: number[]; axis: number }>,

  softmax: {
    name: 'softmax',
    forward: ([a], { axis }) => T.softmax(a, axis),
    vjp: (g, _, out, { axis }) => [T.mul(out, T.sub(g, T.sum(T.mul(g, out), axis, true)))],
    jvp: ([ta], _, out, { axis }) => T.mul(out, T.sub(ta!, T.sum(T.mul(ta!, out), axis, true))),
  } as OpDef<{ axis: number }>,
  logSoftmax: {
    name: 'logSoftmax',
    forward: ([a], { axis }) => T.logSoftmax(a, axis),
    vjp: (g, _, out, { axis }) => [T.sub(g, T.mul(T.exp(out), T.sum(g, axis, true)))],
    jvp: ([ta], _, out, { axis }) => T.sub(ta!, T.sum(T.mul(T.exp(out), ta!), axis, true)),
  } as OpDef<{ axis: number }>,
  logsumexp: {
    name: 'logsumexp',
    forward: ([a], { axis, keepdims }) => T.logsumexp(a, axis, keepdims),
    vjp: (g, [a], _, { axis }) => [T.mul(T.softmax(a, axis), T.reshape(g, reducedShape(a.shape, [axis], true)))],
    jvp: ([ta], [a], _, { axis, keepdims }) => T.sum(T.mul(T.softmax(a, axis), ta!), axis, keepdims),
  } as OpDef<{ axis: number; keepdims: boolean }>,
};

interface ReduceAttrs {
  axes: number[];
  keepdims: boolean;
}

function keptShape(a: Tensor, axes: number[]): number[] {
  return reducedShape(a.shape, axes, true);
}

/** 1/(number of maxima) at each maximum of its reduction group, 0 elsewhere. */
function maxWeights(a: Tensor, out: Tensor, axes: number[]): Tensor {
  const mask = T.equal(a, T.reshape(out, keptShape(a, axes)));
  return T.div(mask, T.sum(mask, axes, true));
}

function swapLast(t: Tensor): Tensor {
  const perm = [...Array(t.rank).keys()];
  [perm[t.rank - 2], perm[t.rank - 1]] = [perm[t.rank - 1], perm[t.rank - 2]];
  return T.transpose(t, perm);
}

function inversePerm(perm: number[]): number[] {
  const inv = new Array<number>(perm.length);
  perm.forEach((p, i) => (inv[p] = i));
  return inv;
}

function axesOf(x: Value, axes: number | number[] | undefined, op: string): number[] {
  const rank = valueOf(x).rank;
  if (axes === undefined) return [...Array(rank).keys()];
  const list = (typeof axes === 'number' ? [axes] : axes).map((a) => checkAxis(a, rank, op));
  return [...new Set(list)].sort((p, q) => p - q);
}

// ---------------------------------------------------------------------------------------------
// The user's functions: take Vars, tensors or numbers; return Vars.

/** a + b with broadcasting, recorded for gradients. */
export const add = (a: Value, b: Value): Var => apply(ops.add, [a, b], undefined);
/** a - b with broadcasting, recorded for gradients. */
export const sub = (a: Value, b: Value): Var => apply(ops.sub, [a, b], undefined);
/** a * b with broadcasting, recorded for gradients. */
export const mul = (a: Value, b: Value): Var => apply(ops.mul, [a, b], undefined);
/** a / b with broadcasting, recorded for gradients. */
export const div = (a: Value, b: Value): Var => apply(ops.div, [a, b], undefined);
/** a ** b with broadcasting, recorded for gradients. */
export const pow = (a: Value, b: Value): Var => apply(ops.pow, [a, b], undefined);
/** The larger of a and b (the gradient goes to the larger), recorded for gradients. */
export const maximum = (a: Value, b: Value): Var => apply(ops.maximum, [a, b], undefined);
/** The smaller of a and b (the gradient goes to the smaller), recorded for gradients. */
export const minimum = (a: Value, b: Value): Var => apply(ops.minimum, [a, b], undefined);
/** -a, recorded for gradients. */
export const neg = (a: Value): Var => apply(ops.neg, [a], undefined);
/** e ** a, recorded for gradients. */
export const exp = (a: Value): Var => apply(ops.exp, [a], undefined);
/** ln a, recorded for gradients. */
export const log = (a: Value): Var => apply(ops.log, [a], undefined);
/** tanh(a), recorded for gradients. */
export const tanh = (a: Value): Var => apply(ops.tanh, [a], undefined);
/** max(a, 0), recorded for gradients. */
export const relu = (a: Value): Var => apply(ops.relu, [a], undefined);
/** 1 / (1 + e ** -a), recorded for gradients. */
export const sigmoid = (a: Value): Var => apply(ops.sigmoid, [a], undefined);
/** a * a, recorded for gradients. */
export const square = (a: Value): Var => apply(ops.square, [a], undefined);
/** The square root of a, recorded for gradients. */
export const sqrt = (a: Value): Var => apply(ops.sqrt, [a], undefined);
/** |a|, recorded for gradients. */
export const abs = (a: Value): Var => apply(ops.abs, [a], undefined);
/** a limited to [lo, hi] (zero gradient outside), recorded for gradients. */
export const clamp = (a: Value, lo: number, hi: number): Var => apply(ops.clamp, [a], { lo, hi });

/** The sum over `axes` (default: all), recorded for gradients. */
export const sum = (a: Value, axes?: number | number[], keepdims = false): Var =>
  apply(ops.sum, [a], { axes: axesOf(a, axes, 'sum'), keepdims });
/** The mean over `axes` (default: all), recorded for gradients. */
export const mean = (a: Value, axes?: number | number[], keepdims = false): Var =>
  apply(ops.mean, [a], { axes: axesOf(a, axes, 'mean'), keepdims });
/** The maximum over `axes` (default: all), recorded for gradients. */
export const max = (a: Value, axes?: number | number[], keepdims = false): Var =>
  apply(ops.max, [a], { axes: axesOf(a, axes, 'max'), keepdims });

/** The matrix product a b of 2-D values, recorded for gradients. @example ag.matmul(u, wRec) */
export const matmul = (a: Value, b: Value): Var => apply(ops.matmul, [a, b], undefined);
/** The axes permuted (default: reversed), recorded for gradients. */
export const transpose = (a: Value, perm?: number[]): Var =>
  apply(ops.transpose, [a], { perm: perm ?? [...Array(valueOf(a).rank).keys()].reverse() });
/** The same values in a new shape (one -1 is inferred), recorded for gradients. */
export const reshape = (a: Value, shape: number[]): Var => {
  const s = T.reshape(valueOf(a), shape).shape; // resolves -1 and validates once, up front
  return apply(ops.reshape, [a], { shape: s });
};
/** A sub-block: [start, end) per axis, null for the whole axis, recorded for gradients. */
export const slice = (a: Value, ranges: ([number, number] | null)[]): Var => apply(ops.slice, [a], { ranges });
/** Values joined along `axis`, recorded for gradients. */
export const concat = (xs: Value[], axis = 0): Var =>
  apply(ops.concat, xs, { axis: checkAxis(axis, valueOf(xs[0] ?? 0).rank, 'concat') });
/** Values of one shape stacked along a new `axis`, recorded for gradients. */
export const stack = (xs: Value[], axis = 0): Var => {
  if (xs.length === 0) throw new T.ShapeError('stack: needs at least one tensor');
  const shape = valueOf(xs[0]).shape;
  const ax = checkAxis(axis, shape.length + 1, 'stack');
  return concat(xs.map((x) => reshape(x, [...valueOf(x).shape.slice(0, ax), 1, ...valueOf(x).shape.slice(ax)])), ax);
};
/** The entries at `indices` along `axis`, recorded for gradients. */
export const gather = (a: Value, indices: number[], axis = 0): Var =>
  apply(ops.gather, [a], { indices, axis: checkAxis(axis, valueOf(a).rank, 'gather') });
/** exp(a) / sum(exp(a)) along `axis`, recorded for gradients. */
export const softmax = (a: Value, axis = -1): Var =>
  apply(ops.softmax, [a], { axis: checkAxis(axis, valueOf(a).rank, 'softmax') });
/** a - logsumexp(a) along `axis`, recorded for gradients. */
export const logSoftmax = (a: Value, axis = -1): Var =>
  apply(ops.logSoftmax, [a], { axis: checkAxis(axis, valueOf(a).rank, 'logSoftmax') });
/** log(sum(exp(a))) along `axis`, computed stably, recorded for gradients. */
export const logsumexp = (a: Value, axis = -1, keepdims = false): Var =>
  apply(ops.logsumexp, [a], { axis: checkAxis(axis, valueOf(a).rank, 'logsumexp'), keepdims });

