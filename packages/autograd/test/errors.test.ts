/**
 * Bad input gets an error a user can act on: it names the op and the shapes or values at fault.
 */
import { describe, it, expect } from 'vitest';
import { Tensor, zeros, ones, reshape, tensor } from '@gridcells/tensor';
import * as ag from '@gridcells/autograd';
import { apply, checkGrads, type OpDef, type Var } from '@gridcells/autograd';
import * as T from '@gridcells/tensor';

describe('shape errors name the op and both shapes', () => {
  it('broadcasting mismatch', () => {
    expect(() => ag.add(zeros([2, 3]), zeros([4, 3]))).toThrow(/add: shapes \[2, 3\] and \[4, 3\] cannot be broadcast/);
  });
  it('matmul inner dimensions', () => {
    expect(() => ag.matmul(zeros([2, 3]), zeros([4, 5]))).toThrow(/matmul: inner dimensions differ: \[2, 3\] x \[4, 5\]/);
  });
  it('reshape to a different size', () => {
    expect(() => reshape(zeros([2, 3]), [4, 2])).toThrow(/reshape: cannot reshape \[2, 3\] \(6 values\) into \[4, 2\]/);
  });
  it('an axis out of range', () => {
    expect(() => ag.sum(zeros([2, 3]), 2)).toThrow(/sum: axis 2 is out of range for a tensor of rank 2/);
  });
});

describe('invalid shapes are refused with a message', () => {
  it.each([
    [[2, 1.5], /invalid dimension 1.5 at position 1/],
    [[NaN, 2], /invalid dimension NaN at position 0/],
    [[-1], /invalid dimension -1 at position 0/],
    [['3' as unknown as number], /invalid dimension 3 at position 0/],
  ])('zeros(%j)', (shape, msg) => {
    expect(() => zeros(shape as number[])).toThrow(msg);
  });
  it('data that does not fill the shape', () => {
    expect(() => tensor([1, 2, 3], [2, 2])).toThrow(/3 values cannot fill shape \[2, 2\]/);
  });
  it('a ragged nested array', () => {
    expect(() => tensor([[1, 2], [3]])).toThrow(/ragged/);
  });
  it('grad of a non-scalar function', () => {
    expect(() => ag.grad((x: Var) => ag.mul(x, 2))(ones([3]))).toThrow(/grad: the function must return a scalar, got shape \[3\]/);
  });
});

describe('checkGrads', () => {
  // a deliberately wrong derivative: d(x^3)/dx should be 3x^2, here 3x^2 except at one entry
  const badCube: OpDef = {
    name: 'badCube',
    forward: ([a]) => T.mul(T.square(a), a),
    vjp: (g, [a]) => [T.mul(g, wrongAtOne(T.mul(T.square(a), 3)))],
    jvp: ([t], [a]) => T.mul(t!, wrongAtOne(T.mul(T.square(a), 3))),
  };
  function wrongAtOne(d: Tensor): Tensor {
    const c = d.clone();
    c.data[5] *= 1.5; // index [1, 2] of a [2, 3] tensor
    return c;
  }

  it('reports the worst coordinate: argument, index, analytic and numeric values', () => {
    const x = T.normal(new T.Rng(1), [2, 3], 0, 1, 'float64');
    const r = checkGrads((v: Var) => apply(badCube, [v], undefined), [x]);
    expect(r.ok).toBe(false);
    expect(r.worst?.arg).toBe(0);
    expect(r.worst?.index).toEqual([1, 2]);
    expect(r.message).toMatch(/worst coordinate: argument 0 at \[1, 2\]/);
    // coordinates are of the projected scalar <v, f(x)>: the wrong entry is 1.5x the true one
    expect(r.worst!.analytic / r.worst!.numeric).toBeCloseTo(1.5, 5);
  });

  it('passes a correct op and would pass the same op with the right derivative', () => {
    const x = T.normal(new T.Rng(2), [2, 3], 0, 1, 'float64');
    expect(checkGrads((v: Var) => ag.mul(ag.square(v), v), [x]).ok).toBe(true);
  });
});
