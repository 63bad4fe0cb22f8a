/**
 * Errors a user can act on: each names the op and the shapes or values at fault.
 */
export class ShapeError extends Error {
  override name = 'ShapeError';
}

/** A bad argument to a tensor op: wrong shape, dtype or value; the message names it. */
export class ValueError extends Error {
  override name = 'ValueError';
}

/** A shape as it appears in error messages: [2, 3]. */
export function fmtShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/**
 * Checks that `shape` is a list of non-negative integers. Refuses NaN, fractions, negatives and
 * non-numbers with a message that names the op, the offending entry and its position.
 */
export function checkShape(shape: unknown, op: string): number[] {
  if (!Array.isArray(shape)) {
    throw new ShapeError(`${op}: a shape must be an array of non-negative integers, got ${String(shape)}`);
  }
  shape.forEach((d, i) => {
    if (typeof d !== 'number' || !Number.isInteger(d) || d < 0) {
      throw new ShapeError(
        `${op}: shape ${JSON.stringify(shape)} has an invalid dimension ${String(d)} at position ${i} ` +
          `(each must be a non-negative integer)`,
      );
    }
  });
  return shape as number[];
}

/** Normalises an axis (negative counts from the end) and checks it fits rank `rank`. */
export function checkAxis(axis: number, rank: number, op: string): number {
  if (!Number.isInteger(axis) || axis < -rank || axis >= rank) {
    throw new ShapeError(`${op}: axis ${axis} is out of range for a tensor of rank ${rank}`);
  }
  return axis < 0 ? axis + rank : axis;
}
