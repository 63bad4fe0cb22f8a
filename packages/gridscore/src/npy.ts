/**
 * Reading and writing NumPy `.npy` files (format versions 1, 2 and 3), so maps saved with
 * `np.save` in Python come in unchanged and our arrays open with `np.load`.
 *
 * Supported: little- or big-endian float32/float64 (and, for reading, integer types converted to
 * float64), C or Fortran order. Every error names the file and what is wrong with it.
 */
import { readFileSync } from 'node:fs';

/** An array read from a .npy file. */
export interface NpyArray {
  /** Row-major (C order) values. */
  data: Float32Array | Float64Array;
  shape: number[];
  dtype: 'float32' | 'float64';
  /** The file's own dtype as its header gives it (e.g. '<f4', '<i4'), before any conversion. */
  descr: string;
}

/** A .npy file that cannot be read or is not a float32/float64 C-order array; the message names the file. */
export class NpyError extends Error {
  override name = 'NpyError';
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

function parseHeader(text: string, where: string): { descr: string; fortran: boolean; shape: number[] } {
  const descr = /'descr'\s*:\s*'([^']+)'/.exec(text)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(text)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(text)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    throw new NpyError(`${where}: not a valid .npy header (${JSON.stringify(text.trim().slice(0, 80))})`);
  }
  const shape = shapeText.split(',').map((s) => s.trim()).filter((s) => s.length > 0).map(Number);
  if (shape.some((d) => !Number.isInteger(d) || d < 0)) throw new NpyError(`${where}: invalid shape (${shapeText}) in header`);
  return { descr, fortran: fortran === 'True', shape };
}

/** Parses .npy bytes; `where` names the source in errors (usually the file path). */
export function parseNpy(bytes: Uint8Array, where = '<buffer>'): NpyArray {
  if (bytes.length < 10 || !MAGIC.every((b, i) => bytes[i] === b)) {
    throw new NpyError(`${where}: not a .npy file (missing the \\x93NUMPY magic string)`);
  }
  const major = bytes[6];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerLen: number;
  let start: number;
  if (major === 1) {
    headerLen = view.getUint16(8, true);
    start = 10;
  } else if (major === 2 || major === 3) {
    if (bytes.length < 12) throw new NpyError(`${where}: truncated .npy header`);
    headerLen = view.getUint32(8, true);
    start = 12;
  } else {
    throw new NpyError(`${where}: unsupported .npy format version ${major}`);
  }
  if (bytes.length < start + headerLen) throw new NpyError(`${where}: truncated .npy header`);
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(start, start + headerLen));
  const { descr, fortran, shape } = parseHeader(header, where);
  const m = /^([<>|=])([fiu])(\d+)$/.exec(descr);
  if (!m) throw new NpyError(`${where}: dtype '${descr}' is not a number type (expected float32 or float64)`);
  const [, order, kind, sizeText] = m;
  const size = Number(sizeText);
  const little = order !== '>';
  const count = shape.reduce((a, b) => a * b, 1);
  const offset = start + headerLen;
  const need = count * size;
  if (bytes.length - offset < need) {
    throw new NpyError(`${where}: truncated data: the header promises ${count} values (${need} bytes), the file holds ${bytes.length - offset} bytes`);
  }
  let read: (i: number) => number;
  let dtype: NpyArray['dtype'] = 'float64';
  const at = (i: number) => offset + i * size;
  if (kind === 'f' && size === 4) {
    dtype = 'float32';
    read = (i) => view.getFloat32(at(i), little);
  } else if (kind === 'f' && size === 8) {
    read = (i) => view.getFloat64(at(i), little);
  } else if (kind === 'i' && [1, 2, 4].includes(size)) {
    read = size === 1 ? (i) => view.getInt8(at(i)) : size === 2 ? (i) => view.getInt16(at(i), little) : (i) => view.getInt32(at(i), little);
  } else if (kind === 'u' && [1, 2, 4].includes(size)) {
    read = size === 1 ? (i) => view.getUint8(at(i)) : size === 2 ? (i) => view.getUint16(at(i), little) : (i) => view.getUint32(at(i), little);
  } else {
    throw new NpyError(`${where}: dtype '${descr}' is not supported (use float32 or float64)`);
  }
  const data = dtype === 'float32' ? new Float32Array(count) : new Float64Array(count);
  if (!fortran) {
    for (let i = 0; i < count; i++) data[i] = read(i);
  } else {
    // Fortran order: the first index varies fastest. Write each value at its C-order position.
    const rank = shape.length;
    const cStrides = shape.map((_, d) => shape.slice(d + 1).reduce((a, b) => a * b, 1));
    const idx = new Array<number>(rank).fill(0);
    for (let i = 0; i < count; i++) {
      let c = 0;
      for (let d = 0; d < rank; d++) c += idx[d] * cStrides[d];
      data[c] = read(i);
      for (let d = 0; d < rank; d++) {
        if (++idx[d] < shape[d]) break;
        idx[d] = 0;
      }
    }
  }
  return { data, shape, dtype, descr };
}

/** Reads a .npy file written by numpy.save (float32 or float64, C order). @example readNpy('maps.npy').shape */
export function readNpy(path: string): NpyArray {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new NpyError(`${path}: cannot read file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  return parseNpy(bytes, path);
}

/** Encodes a C-order float32/float64 array as .npy version 1.0 bytes. */
export function encodeNpy(data: Float32Array | Float64Array, shape: readonly number[]): Uint8Array {
  const count = shape.reduce((a, b) => a * b, 1);
  if (count !== data.length) throw new NpyError(`encodeNpy: ${data.length} values do not fill shape (${shape.join(', ')})`);
  const descr = data instanceof Float32Array ? '<f4' : '<f8';
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  // pad with spaces so the data starts on a 64-byte boundary, newline last (the format's rule)
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const out = new Uint8Array(10 + header.length + data.byteLength);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(new TextEncoder().encode(header), 10);
  const body = new DataView(out.buffer, 10 + header.length);
  const size = data instanceof Float32Array ? 4 : 8;
  for (let i = 0; i < data.length; i++) {
    if (size === 4) body.setFloat32(i * 4, data[i], true);
    else body.setFloat64(i * 8, data[i], true);
  }
  return out;
}
