/**
 * The function transforms: `grad`, `valueAndGrad`, `vjp` (reverse mode) and `jvp` (forward mode).
 * Each wraps the chosen arguments in Vars, runs the user's function once, and reads the result.
 */
import { Tensor, ShapeError, fmtShape, full, sameShape } from '@gridcells/tensor';
import { Var, backward, noGrad, valueOf, type Value } from './var.js';

type Fn = (...args: any[]) => Var | Tensor | number;

function toVar(out: Var | Tensor | number): Var {
  return out instanceof Var ? out : new Var(valueOf(out));
}

function argList(argnums: number | number[]): number[] {
  return typeof argnums === 'number' ? [argnums] : argnums;
}

function checkArg(x: unknown, i: number, op: string): Tensor {
  if (x instanceof Var) return x.value;
  if (x instanceof Tensor) return x;
  throw new TypeError(`${op}: argument ${i} must be a Tensor to be differentiated, got ${typeof x}`);
}

/**
 * `valueAndGrad(f, argnums)(...args)` returns f's scalar value and its gradient with respect to
 * the arguments at `argnums` (a single Tensor for a single index, else an array).
 */
export function valueAndGrad(f: Fn, argnums: number | number[] = 0) {
  const which = argList(argnums);
  return (...args: unknown[]): { value: number; grads: Tensor[]; grad: Tensor } => {
    const wrapped = args.map((a, i) => (which.includes(i) ? new Var(checkArg(a, i, 'grad'), true) : a));
    const out = toVar(f(...wrapped));
    if (out.size !== 1) {
      throw new ShapeError(`grad: the function must return a scalar, got shape ${fmtShape(out.shape)} (use vjp for non-scalar outputs)`);
    }
    const grads = backward(out, full(out.shape, 1, out.dtype));
    const result = which.map((i) => {
      const v = wrapped[i] as Var;
      return grads.get(v) ?? full(v.shape, 0, v.dtype);
    });
    return { value: out.item(), grads: result, grad: result[0] };
  };
}

/** `grad(f, argnums)(...args)`: the gradient (one Tensor for one argnum, else an array). */
export function grad(f: Fn, argnums: number | number[] = 0) {
  const vg = valueAndGrad(f, argnums);
  return (...args: unknown[]): Tensor | Tensor[] => {
    const { grads } = vg(...args);
    return typeof argnums === 'number' ? grads[0] : grads;
  };
}

/**
 * Reverse mode for any output shape: returns f(primals) and a pullback that maps a cotangent of
 * the output's shape to one cotangent per primal (J^T v).
 */
export function vjp(f: (...xs: Var[]) => Var | Tensor, primals: Tensor[]) {
  const vars = primals.map((p) => new Var(p, true));
  const out = toVar(f(...vars));
  const pullback = (cotangent: Tensor): Tensor[] => {
    if (!sameShape(cotangent.shape, out.shape)) {
      throw new ShapeError(`vjp: cotangent shape ${fmtShape(cotangent.shape)} differs from the output shape ${fmtShape(out.shape)}`);
    }
    const grads = backward(out, cotangent);
    return vars.map((v) => grads.get(v) ?? full(v.shape, 0, v.dtype));
  };
  return { out: out.value, pullback };
}

/**
 * Forward mode: f(primals) and the directional derivative J u along `tangents` (one per primal,
 * same shapes), in one forward pass that carries tangents beside values.
 */
export function jvp(f: (...xs: Var[]) => Var | Tensor, primals: Tensor[], tangents: Tensor[]): { out: Tensor; tangent: Tensor } {
  if (tangents.length !== primals.length) {
    throw new ShapeError(`jvp: ${primals.length} primals but ${tangents.length} tangents`);
  }
  primals.forEach((p, i) => {
    if (!sameShape(p.shape, tangents[i].shape)) {
      throw new ShapeError(`jvp: tangent ${i} has shape ${fmtShape(tangents[i].shape)}, its primal ${fmtShape(p.shape)}`);
    }
  });
  return noGrad(() => {
    const out = toVar(f(...primals.map((p, i) => new Var(p, false, tangents[i]))));
    return { out: out.value, tangent: out.tangent ?? full(out.shape, 0, out.dtype) };
  });
}
