/**
 * Reference implementations of every tensor op (plain TypeScript over row-major `.data`).
 * Ops never mutate their inputs and always return contiguous tensors (views excepted:
 * `transpose`, `reshape` of a contiguous tensor, and `slice` return views sharing storage).
 */
import ndarray from 'ndarray';
import { ShapeError, ValueError, checkAxis, checkShape, fmtShape } from './errors.js';
import { broadcastShapes, broadcastStrides, offsets, sameShape, sizeOf } from './shape.js';
import { Tensor, allocate, resultDType, type Data } from './tensor.js';
import { getBackend } from './backend.js';
import { full } from './create.js';

/** A tensor or a plain number (broadcast as a scalar). */
export type TensorLike = Tensor | number;

function asTensor(x: TensorLike, like?: Tensor): Tensor {
  return typeof x === 'number' ? full([], x, like?.dtype ?? 'float32') : x;
}

// ---------------------------------------------------------------------------------------------
// Elementwise

/** Applies `f` to each value. */
export function map(a: Tensor, f: (x: number) => number): Tensor {
  const src = a.data;
  const out = allocate(a.dtype, src.length);
  for (let i = 0; i < src.length; i++) out[i] = f(src[i]);
  return Tensor.fromData(out, a.shape);
}

/** Applies `f` pairwise with NumPy broadcasting. */
export function zipWith(op: string, x: TensorLike, y: TensorLike, f: (a: number, b: number) => number): Tensor {
  const a = asTensor(x, typeof y === 'number' ? undefined : y);
  const b = asTensor(y, a);
  const dtype = resultDType(a, b);
  const ad = a.data;
  const bd = b.data;
  if (sameShape(a.shape, b.shape)) {
    const out = allocate(dtype, ad.length);
    for (let i = 0; i < out.length; i++) out[i] = f(ad[i], bd[i]);
    return Tensor.fromData(out, a.shape);
  }
  const shape = broadcastShapes(a.shape, b.shape, op);
  const out = allocate(dtype, sizeOf(shape));
  if (b.size === 1) {
    // a scalar-like b: out has a's values in a's order (the shape may only gain leading 1s)
    const bv = bd[0];
    for (let i = 0; i < out.length; i++) out[i] = f(ad[i], bv);
    return Tensor.fromData(out, shape);
  }
  if (a.size === 1 && bd.length === out.length) {
    const av = ad[0];
    for (let i = 0; i < out.length; i++) out[i] = f(av, bd[i]);
    return Tensor.fromData(out, shape);
  }
  const pa = offsets(shape, broadcastStrides(a.shape, shape));
  const pb = offsets(shape, broadcastStrides(b.shape, shape));
  for (let i = 0; i < out.length; i++) out[i] = f(ad[pa[i]], bd[pb[i]]);
  return Tensor.fromData(out, shape);
}

/** a + b, elementwise with NumPy broadcasting. */
export const add = (a: TensorLike, b: TensorLike) => zipWith('add', a, b, (x, y) => x + y);
/** a - b, elementwise with NumPy broadcasting. */
export const sub = (a: TensorLike, b: TensorLike) => zipWith('sub', a, b, (x, y) => x - y);
/** a * b, elementwise with NumPy broadcasting. */
export const mul = (a: TensorLike, b: TensorLike) => zipWith('mul', a, b, (x, y) => x * y);
/** a / b, elementwise with NumPy broadcasting. */
export const div = (a: TensorLike, b: TensorLike) => zipWith('div', a, b, (x, y) => x / y);
/** a ** b, elementwise with NumPy broadcasting. */
export const pow = (a: TensorLike, b: TensorLike) => zipWith('pow', a, b, (x, y) => Math.pow(x, y));
/** The larger of a and b, elementwise with NumPy broadcasting. */
export const maximum = (a: TensorLike, b: TensorLike) => zipWith('maximum', a, b, (x, y) => (x >= y ? x : y));
/** The smaller of a and b, elementwise with NumPy broadcasting. */
export const minimum = (a: TensorLike, b: TensorLike) => zipWith('minimum', a, b, (x, y) => (x <= y ? x : y));
/** 1 where a > b, else 0 (masks for gradients). */
export const greater = (a: TensorLike, b: TensorLike) => zipWith('greater', a, b, (x, y) => (x > y ? 1 : 0));
/** 1 where a == b, else 0. */
export const equal = (a: TensorLike, b: TensorLike) => zipWith('equal', a, b, (x, y) => (x === y ? 1 : 0));

/** -a, elementwise. */
export const neg = (a: Tensor) => map(a, (x) => -x);
/** e ** a, elementwise. */
export const exp = (a: Tensor) => map(a, Math.exp);
/** The natural logarithm of a, elementwise. */
export const log = (a: Tensor) => map(a, Math.log);
/** tanh(a), elementwise. */
export const tanh = (a: Tensor) => map(a, Math.tanh);
/** max(a, 0), elementwise. */
export const relu = (a: Tensor) => map(a, (x) => (x > 0 ? x : 0));
/** 1 / (1 + e ** -a), elementwise (computed without overflow for either sign). */
export const sigmoid = (a: Tensor) => map(a, (x) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x))));
/** a * a, elementwise. */
export const square = (a: Tensor) => map(a, (x) => x * x);
/** The square root of a, elementwise. */
export const sqrt = (a: Tensor) => map(a, Math.sqrt);
/** |a|, elementwise. */
export const abs = (a: Tensor) => map(a, Math.abs);
/** -1, 0 or 1 for the sign of each element. */
export const sign = (a: Tensor) => map(a, (x) => (x > 0 ? 1 : x < 0 ? -1 : 0));
/** Each element limited to [lo, hi]. */
export function clamp(a: Tensor, lo: number, hi: number): Tensor {
  if (!(lo <= hi)) throw new ValueError(`clamp: lower bound ${lo} must not exceed upper bound ${hi}`);
  return map(a, (x) => (x < lo ? lo : x > hi ? hi : x));
}
/** 1 inside [lo, hi], 0 outside: the derivative mask of clamp. */
export const inRange = (a: Tensor, lo: number, hi: number) => map(a, (x) => (x >= lo && x <= hi ? 1 : 0));

// ---------------------------------------------------------------------------------------------
// Reductions

function normAxes(axes: number | readonly number[] | undefined, rank: number, op: string): number[] {
  if (axes === undefined) return [...Array(rank).keys()];
  const list = typeof axes === 'number' ? [axes] : [...axes];
  const out = list.map((ax) => checkAxis(ax, rank, op));
  if (new Set(out).size !== out.length) throw new ShapeError(`${op}: repeated axis in ${JSON.stringify(list)}`);
  return out.sort((x, y) => x - y);
}

/** Shape after reducing `axes` (kept as 1 when keepdims). */
export function reducedShape(shape: readonly number[], axes: readonly number[], keepdims: boolean): number[] {
  return keepdims ? shape.map((d, i) => (axes.includes(i) ? 1 : d)) : shape.filter((_, i) => !axes.includes(i));
}

function reduce(
  op: string, a: Tensor, axes: number | readonly number[] | undefined, keepdims: boolean,
  init: number, f: (acc: number, x: number) => number,
): { out: Tensor; axes: number[] } {
  const ax = normAxes(axes, a.rank, op);
  const shape = a.shape;
  const kept = reducedShape(shape, ax, true);
  const out = allocate(a.dtype, sizeOf(kept)).fill(init);
  const po = offsets(shape, broadcastStrides(kept, shape));
  const src = a.data;
  for (let i = 0; i < src.length; i++) out[po[i]] = f(out[po[i]], src[i]);
  return { out: Tensor.fromData(out, reducedShape(shape, ax, keepdims)), axes: ax };
}

/** The sum over `axes` (default: all), keeping them as size 1 with `keepdims`. */
export function sum(a: Tensor, axes?: number | readonly number[], keepdims = false): Tensor {
  return reduce('sum', a, axes, keepdims, 0, (s, x) => s + x).out;
}

/** The mean over `axes` (default: all), keeping them as size 1 with `keepdims`. */
export function mean(a: Tensor, axes?: number | readonly number[], keepdims = false): Tensor {
  const { out, axes: ax } = reduce('mean', a, axes, keepdims, 0, (s, x) => s + x);
  const count = ax.reduce((n, i) => n * a.shape[i], 1);
  const d = out.data;
  for (let i = 0; i < d.length; i++) d[i] /= count;
  return out;
}

/** The maximum over `axes` (default: all), keeping them as size 1 with `keepdims`. */
export function max(a: Tensor, axes?: number | readonly number[], keepdims = false): Tensor {
  if (a.size === 0) throw new ShapeError(`max: cannot reduce an empty tensor of shape ${fmtShape(a.shape)}`);
  return reduce('max', a, axes, keepdims, -Infinity, (m, x) => (x > m || Number.isNaN(x) ? x : m)).out;
}

// ---------------------------------------------------------------------------------------------
// Shape ops

/** Permutes axes (default: reverse them). Returns a view. */
export function transpose(a: Tensor, perm?: readonly number[]): Tensor {
  const p = perm ? [...perm] : [...Array(a.rank).keys()].reverse();
  if (p.length !== a.rank || [...p].sort((x, y) => x - y).some((v, i) => v !== i)) {
    throw new ShapeError(`transpose: ${JSON.stringify(perm)} is not a permutation of the axes of shape ${fmtShape(a.shape)}`);
  }
  return new Tensor(a.nd.transpose(...p));
}

/** Reshapes (one entry may be -1). A view when the input is contiguous. */
export function reshape(a: Tensor, shape: readonly number[]): Tensor {
  const s = [...shape];
  const unknown = s.indexOf(-1);
  if (unknown >= 0) {
    const rest = sizeOf(s.filter((_, i) => i !== unknown));
    s[unknown] = rest === 0 ? 0 : a.size / rest;
  }
  checkShape(s, 'reshape');
  if (sizeOf(s) !== a.size) {
    throw new ShapeError(`reshape: cannot reshape ${fmtShape(a.shape)} (${a.size} values) into ${fmtShape(shape)}`);
  }
  return Tensor.fromData(a.data, s);
}

/** A copy of `a` broadcast to `shape` under NumPy rules; a ValueError names incompatible shapes. */
export function broadcastTo(a: Tensor, shape: readonly number[]): Tensor {
  const target = broadcastShapes(a.shape, shape, 'broadcastTo');
  if (!sameShape(target, shape)) {
    throw new ShapeError(`broadcastTo: shape ${fmtShape(a.shape)} cannot be broadcast to ${fmtShape(shape)}`);
  }
  const c = a.contiguous();
  const view = new Tensor(ndarray(c.nd.data, [...shape], broadcastStrides(c.shape, shape), 0));
  return view.contiguous();
}

/**
 * Sums a broadcast result back to `shape`: the adjoint of broadcasting, used by every gradient
 * of a broadcasting op.
 */
export function sumToShape(a: Tensor, shape: readonly number[]): Tensor {
  if (sameShape(a.shape, shape)) return a;
  const lead = a.rank - shape.length;
  if (lead < 0) throw new ShapeError(`sumToShape: ${fmtShape(a.shape)} has fewer axes than ${fmtShape(shape)}`);
  const axes: number[] = [];
  for (let i = 0; i < a.rank; i++) if (i < lead || (shape[i - lead] === 1 && a.shape[i] !== 1)) axes.push(i);
  return reshape(sum(a, axes, false), shape);
}

/**
 * Slices each axis: `ranges[i] = [start, end)` (null keeps the whole axis). Returns a view.
 */
export function slice(a: Tensor, ranges: readonly ([number, number] | null)[]): Tensor {
  if (ranges.length > a.rank) throw new ShapeError(`slice: ${ranges.length} ranges for a tensor of rank ${a.rank}`);
  let v = a.nd;
  const lo: number[] = [];
  const hi: number[] = [];
  a.shape.forEach((d, i) => {
    const r = ranges[i] ?? [0, d];
    const [s, e] = r;
    if (!Number.isInteger(s) || !Number.isInteger(e) || s < 0 || e > d || s > e) {
      throw new ShapeError(`slice: range [${s}, ${e}) is out of bounds for axis ${i} of shape ${fmtShape(a.shape)}`);
    }
    lo.push(s);
    hi.push(e - s);
  });
  v = v.lo(...lo).hi(...hi);
  return new Tensor(v);
}

/** Tensors of equal shape but along `axis` joined along it. */
export function concat(ts: readonly Tensor[], axis = 0): Tensor {
  if (ts.length === 0) throw new ShapeError('concat: needs at least one tensor');
  const ax = checkAxis(axis, ts[0].rank, 'concat');
  const base = ts[0].shape;
  for (const t of ts) {
    if (t.rank !== base.length || t.shape.some((d, i) => i !== ax && d !== base[i])) {
      throw new ShapeError(`concat: shapes ${fmtShape(base)} and ${fmtShape(t.shape)} differ outside axis ${ax}`);
    }
  }
  const shape = [...base];
  shape[ax] = ts.reduce((n, t) => n + t.shape[ax], 0);
  const dtype = resultDType(...ts);
  const out = allocate(dtype, sizeOf(shape));
  const outer = sizeOf(shape.slice(0, ax));
  const inner = sizeOf(shape.slice(ax + 1));
  const rowOut = shape[ax] * inner;
  let off = 0;
  for (const t of ts) {
    const d = t.data;
    const row = t.shape[ax] * inner;
    for (let o = 0; o < outer; o++) {
      for (let j = 0; j < row; j++) out[o * rowOut + off + j] = d[o * row + j];
    }
    off += row;
  }
  return Tensor.fromData(out, shape);
}

/** Tensors of one shape stacked along a new `axis`. */
export function stack(ts: readonly Tensor[], axis = 0): Tensor {
  if (ts.length === 0) throw new ShapeError('stack: needs at least one tensor');
  const ax = checkAxis(axis, ts[0].rank + 1, 'stack');
  for (const t of ts) {
    if (!sameShape(t.shape, ts[0].shape)) {
      throw new ShapeError(`stack: shapes ${fmtShape(ts[0].shape)} and ${fmtShape(t.shape)} differ`);
    }
  }
  return concat(ts.map((t) => reshape(t, [...t.shape.slice(0, ax), 1, ...t.shape.slice(ax)])), ax);
}

function checkIndices(indices: readonly number[], n: number, op: string): void {
  indices.forEach((ix, i) => {
    if (!Number.isInteger(ix) || ix < 0 || ix >= n) {
      throw new ShapeError(`${op}: index ${ix} at position ${i} is out of range [0, ${n})`);
    }
  });
}

/**
 * The adjoint of `slice`: a zero tensor of `shape` with `g` written at `ranges`.
 */
export function unslice(g: Tensor, shape: readonly number[], ranges: readonly ([number, number] | null)[]): Tensor {
  const out = allocate(g.dtype, sizeOf(shape));
  const target = slice(Tensor.fromData(out, shape), ranges);
  if (!sameShape(target.shape, g.shape)) {
    throw new ShapeError(`unslice: values of shape ${fmtShape(g.shape)} do not fit the slice of shape ${fmtShape(target.shape)}`);
  }
  const src = g.data;
  const at = offsets(target.shape, target.nd.stride, target.nd.offset);
  for (let i = 0; i < src.length; i++) out[at[i]] = src[i];
  return Tensor.fromData(out, shape);
}

/** Takes entries `indices` along `axis` (like numpy.take). */
export function gather(a: Tensor, indices: readonly number[], axis = 0): Tensor {
  const ax = checkAxis(axis, a.rank, 'gather');
  checkIndices(indices, a.shape[ax], 'gather');
  const shape = [...a.shape];
  shape[ax] = indices.length;
  const out = allocate(a.dtype, sizeOf(shape));
  const outer = sizeOf(a.shape.slice(0, ax));
  const inner = sizeOf(a.shape.slice(ax + 1));
  const src = a.data;
  for (let o = 0; o < outer; o++) {
    for (let k = 0; k < indices.length; k++) {
      const from = (o * a.shape[ax] + indices[k]) * inner;
      const to = (o * indices.length + k) * inner;
      for (let j = 0; j < inner; j++) out[to + j] = src[from + j];
    }
  }
  return Tensor.fromData(out, shape);
}

/** The adjoint of gather: adds the rows of `g` into a zero tensor of `shape` at `indices`. */
export function scatterAdd(g: Tensor, indices: readonly number[], axis: number, shape: readonly number[]): Tensor {
  const ax = checkAxis(axis, shape.length, 'scatterAdd');
  checkIndices(indices, shape[ax], 'scatterAdd');
  const out = allocate(g.dtype, sizeOf(shape));
  const outer = sizeOf(shape.slice(0, ax));
  const inner = sizeOf(shape.slice(ax + 1));
  const src = g.data;
  for (let o = 0; o < outer; o++) {
    for (let k = 0; k < indices.length; k++) {
      const to = (o * shape[ax] + indices[k]) * inner;
      const from = (o * indices.length + k) * inner;
      for (let j = 0; j < inner; j++) out[to + j] += src[from + j];
    }
  }
  return Tensor.fromData(out, shape);
}

/** Rows of length `depth`, 1 at each index and 0 elsewhere: [indices.length, depth]. */
export function oneHot(indices: readonly number[], depth: number): Tensor {
  checkShape([depth], 'oneHot');
  checkIndices(indices, depth, 'oneHot');
  const out = allocate('float32', indices.length * depth);
  indices.forEach((ix, i) => (out[i * depth + ix] = 1));
  return Tensor.fromData(out, [indices.length, depth]);
}

// ---------------------------------------------------------------------------------------------
// Matrix product

/**
 * Matrix product of the last two axes, with broadcasting over leading (batch) axes:
 * [..., m, k] x [..., k, n] -> [..., m, n]. Runs on the current backend.
 */
export function matmul(a: Tensor, b: Tensor): Tensor {
  if (a.rank < 2 || b.rank < 2) {
    throw new ShapeError(`matmul: both operands need at least 2 axes, got ${fmtShape(a.shape)} and ${fmtShape(b.shape)}`);
  }
  const [m, k] = a.shape.slice(-2);
  const [k2, n] = b.shape.slice(-2);
  if (k !== k2) {
    throw new ShapeError(`matmul: inner dimensions differ: ${fmtShape(a.shape)} x ${fmtShape(b.shape)} (${k} vs ${k2})`);
  }
  const batchShape = broadcastShapes(a.shape.slice(0, -2), b.shape.slice(0, -2), 'matmul');
  const batch = sizeOf(batchShape);
  const dtype = resultDType(a, b);
  // Bring both operands to the batch shape (free when they already have it or are a single matrix).
  const expand = (t: Tensor): { data: Data; stride: number } => {
    const c = t.dtype === dtype ? t : t.astype(dtype);
    if (sizeOf(t.shape.slice(0, -2)) === 1) return { data: c.data, stride: 0 };
    const full = sameShape(t.shape.slice(0, -2), batchShape) ? c : broadcastTo(c, [...batchShape, ...t.shape.slice(-2)]);
    return { data: full.data, stride: t.shape.at(-2)! * t.shape.at(-1)! };
  };
  const A = expand(a);
  const B = expand(b);
  const out = allocate(dtype, batch * m * n);
  getBackend().matmul(A.data, B.data, out, batch, m, k, n, A.stride, B.stride);
  return Tensor.fromData(out, [...batchShape, m, n]);
}

// ---------------------------------------------------------------------------------------------
// Softmax family (stable: the max is subtracted first)

/** log(sum(exp(a))) along `axis`, computed stably (the maximum subtracted first). */
export function logsumexp(a: Tensor, axis = -1, keepdims = false): Tensor {
  const ax = checkAxis(axis, a.rank, 'logsumexp');
  const m = max(a, ax, true);
  // A row of -inf has max -inf; subtract 0 there so the result is -inf, not NaN.
  const safe = map(m, (x) => (Number.isFinite(x) ? x : 0));
  const s = log(sum(exp(sub(a, safe)), ax, true));
  const out = add(s, safe);
  return keepdims ? out : reshape(out, reducedShape(a.shape, [ax], false));
}

/** exp(a) / sum(exp(a)) along `axis`, computed stably. */
export function softmax(a: Tensor, axis = -1): Tensor {
  const ax = checkAxis(axis, a.rank, 'softmax');
  return exp(sub(a, logsumexp(a, ax, true)));
}

/** a - logsumexp(a) along `axis`. */
export function logSoftmax(a: Tensor, axis = -1): Tensor {
  const ax = checkAxis(axis, a.rank, 'logSoftmax');
  return sub(a, logsumexp(a, ax, true));
}

/** Sum of elementwise products of two same-shaped tensors, in float64. */
export function dot(a: Tensor, b: Tensor): number {
  if (!sameShape(a.shape, b.shape)) throw new ShapeError(`dot: shapes ${fmtShape(a.shape)} and ${fmtShape(b.shape)} differ`);
  const x = a.data;
  const y = b.data;
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * y[i];
  return s;
}

