/**
 * A radix-2 complex FFT in place (iterative Cooley-Tukey), in one and two dimensions: what the
 * autocorrelogram of a large map needs, without a dependency.
 */

/** cos and sin of -2 pi k / n for k < n / 2, computed directly (no recurrence: rounding-level error). */
function twiddles(n: number): { cos: Float64Array; sin: Float64Array } {
  const cos = new Float64Array(n / 2);
  const sin = new Float64Array(n / 2);
  for (let k = 0; k < n / 2; k++) {
    cos[k] = Math.cos((2 * Math.PI * k) / n);
    sin[k] = -Math.sin((2 * Math.PI * k) / n);
  }
  return { cos, sin };
}

/** In-place FFT of n = 2^k complex values (re, im) at `offset` with `stride`; `inverse` scales by 1/n. */
function fft1(re: Float64Array, im: Float64Array, n: number, offset: number, stride: number, inverse: boolean, tw: { cos: Float64Array; sin: Float64Array }): void {
  // bit-reversal permutation
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      const a = offset + i * stride;
      const b = offset + j * stride;
      const tr = re[a];
      re[a] = re[b];
      re[b] = tr;
      const ti = im[a];
      im[a] = im[b];
      im[b] = ti;
    }
  }
  const sign = inverse ? -1 : 1;
  for (let len = 2; len <= n; len <<= 1) {
    const half = len >> 1;
    const jump = n / len;
    for (let k = 0; k < half; k++) {
      const wr = tw.cos[k * jump];
      const wi = sign * tw.sin[k * jump];
      for (let s = 0; s < n; s += len) {
        const a = offset + (s + k) * stride;
        const b = offset + (s + k + half) * stride;
        const tr = re[b] * wr - im[b] * wi;
        const ti = re[b] * wi + im[b] * wr;
        re[b] = re[a] - tr;
        im[b] = im[a] - ti;
        re[a] += tr;
        im[a] += ti;
      }
    }
  }
  if (inverse) {
    for (let i = 0; i < n; i++) {
      re[offset + i * stride] /= n;
      im[offset + i * stride] /= n;
    }
  }
}

/** The smallest power of two >= n. */
export function nextPow2(n: number): number {
  let p = 1;
  while (p < n) p <<= 1;
  return p;
}

/** In-place 2-D FFT of a rows x cols grid (both powers of two), row-major. */
export function fft2(re: Float64Array, im: Float64Array, rows: number, cols: number, inverse = false): void {
  const twCols = twiddles(cols);
  const twRows = rows === cols ? twCols : twiddles(rows);
  for (let r = 0; r < rows; r++) fft1(re, im, cols, r * cols, 1, inverse, twCols);
  // columns are copied out contiguous and back: a strided pass over a large grid misses the cache
  const cr = new Float64Array(rows);
  const ci = new Float64Array(rows);
  for (let c = 0; c < cols; c++) {
    for (let r = 0; r < rows; r++) {
      cr[r] = re[r * cols + c];
      ci[r] = im[r * cols + c];
    }
    fft1(cr, ci, rows, 0, 1, inverse, twRows);
    for (let r = 0; r < rows; r++) {
      re[r * cols + c] = cr[r];
      im[r * cols + c] = ci[r];
    }
  }
}

/** The 1-D FFT of a length-`size` sequence (zero-padded to n = 2^k), as (re, im). */
export function fft(values: ArrayLike<number>, n: number): { re: Float64Array; im: Float64Array } {
  const re = new Float64Array(n);
  const im = new Float64Array(n);
  for (let i = 0; i < values.length; i++) re[i] = values[i];
  fft1(re, im, n, 0, 1, false, twiddles(n));
  return { re, im };
}
