import { Tensor, full, broadcastTo, sameShape, sumToShape, type DType } from '@gridcells/tensor';

/**
 * One primitive op: its forward, and beside it the two derivatives (the pattern of HIPS
 * autograd's `defvjp` and tinygrad's gradient table).
 *
 * - `vjp(g, ...)` returns, for each input, the cotangent g . d(out)/d(input) (null where
 *   `needs[i]` is false). It may return it at the broadcast output shape; `apply` sums it back to
 *   the input's shape.
 * - `jvp(tangents, ...)` returns d(out) for input tangents (null means a zero tangent).
 */
export interface OpDef<A = undefined> {
  name: string;
  forward(inputs: Tensor[], attrs: A): Tensor;
  vjp(g: Tensor, inputs: Tensor[], out: Tensor, attrs: A, needs: boolean[]): (Tensor | null)[];
  jvp(tangents: (Tensor | null)[], inputs: Tensor[], out: Tensor, attrs: A): Tensor;
}

interface Node {
  op: OpDef<any>;
  inputs: Var[];
  attrs: unknown;
}

/**
 * A value in a differentiable computation: a tensor, the node that made it (reverse mode), and
 * its tangent (forward mode).
 */
export class Var {
  readonly value: Tensor;
  readonly requiresGrad: boolean;
  /** d(value) along the direction being pushed forward by `jvp`, or null (zero). */
  readonly tangent: Tensor | null;
  /** @internal */
  readonly node: Node | null;

  constructor(value: Tensor, requiresGrad = false, tangent: Tensor | null = null, node: Node | null = null) {
    this.value = value;
    this.requiresGrad = requiresGrad;
    this.tangent = tangent;
    this.node = node;
  }

  get shape(): number[] {
    return this.value.shape;
  }
  get dtype(): DType {
    return this.value.dtype;
  }
  get size(): number {
    return this.value.size;
  }
  item(): number {
    return this.value.item();
  }
  toString(): string {
    return `Var(${this.value.toString()})`;
  }
}

/** What ops take: a Var (on the tape), a Tensor or a number (constants). */
export type Value = Var | Tensor | number;

let gradEnabled = true;

/** Runs `fn` without recording a tape (evaluation, optimizer updates). */
export function noGrad<T>(fn: () => T): T {
  const prev = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = prev;
  }
}

/** Whether ops record a tape now (false inside `noGrad`). */
export function isGradEnabled(): boolean {
  return gradEnabled;
}

/** Lifts a number or tensor into a constant Var (no gradient, no tangent). */
export function lift(x: Value, like?: DType): Var {
  if (x instanceof Var) return x;
  if (x instanceof Tensor) return new Var(x);
  return new Var(full([], x, like ?? 'float32'));
}

/** The tensor inside a Value. */
export function valueOf(x: Value): Tensor {
  return x instanceof Var ? x.value : x instanceof Tensor ? x : full([], x);
}

/**
 * Applies a primitive op to Values: computes the forward, records the node when any input needs
 * a gradient, and pushes tangents forward when any input carries one.
 */
export function apply<A>(op: OpDef<A>, inputs: Value[], attrs: A): Var {
  const dtype = inputs.some((x) => (x instanceof Var || x instanceof Tensor) && valueOf(x).dtype === 'float64')
    ? 'float64'
    : 'float32';
  const vars = inputs.map((x) => lift(x, dtype));
  const values = vars.map((v) => v.value);
  const out = op.forward(values, attrs);
  const requiresGrad = gradEnabled && vars.some((v) => v.requiresGrad);
  let tangent: Tensor | null = null;
  if (vars.some((v) => v.tangent !== null)) {
    tangent = op.jvp(vars.map((v) => v.tangent), values, out, attrs);
    if (!sameShape(tangent.shape, out.shape)) tangent = broadcastTo(tangent, out.shape);
  }
  return new Var(out, requiresGrad, tangent, requiresGrad ? { op, inputs: vars, attrs } : null);
}

/** Nodes reachable from `root`, inputs before outputs. */
function topoOrder(root: Var): Var[] {
  const order: Var[] = [];
  const seen = new Set<Var>();
  // Iterative DFS: an RNN unrolled over 500 steps is deeper than the JS call stack likes.
  const stack: [Var, boolean][] = [[root, false]];
  while (stack.length) {
    const [v, done] = stack.pop()!;
    if (done) {
      order.push(v);
      continue;
    }
    if (seen.has(v)) continue;
    seen.add(v);
    stack.push([v, true]);
    for (const p of v.node?.inputs ?? []) if (p.requiresGrad && !seen.has(p)) stack.push([p, false]);
  }
  return order;
}

/**
 * Reverse-mode sweep: the cotangent of every Var that needs one, starting from `seed` at `root`.
 */
export function backward(root: Var, seed: Tensor): Map<Var, Tensor> {
  const grads = new Map<Var, Tensor>();
  if (!root.requiresGrad) return grads;
  grads.set(root, seed);
  const order = topoOrder(root);
  for (let i = order.length - 1; i >= 0; i--) {
    const v = order[i];
    const g = grads.get(v);
    if (!g || !v.node) continue;
    const { op, inputs, attrs } = v.node;
    const needs = inputs.map((x) => x.requiresGrad);
    const gi = op.vjp(g, inputs.map((x) => x.value), v.value, attrs, needs);
    inputs.forEach((x, k) => {
      const gk = gi[k];
      if (!needs[k] || !gk) return;
      const shaped = sameShape(gk.shape, x.shape) ? gk : sumToShape(gk, x.shape);
      const prev = grads.get(x);
      grads.set(x, prev ? addTensors(prev, shaped) : shaped);
    });
  }
  return grads;
}

function addTensors(a: Tensor, b: Tensor): Tensor {
  const out = a.data.slice();
  const bd = b.data;
  for (let i = 0; i < out.length; i++) out[i] += bd[i];
  return Tensor.fromData(out, a.shape);
}
