/**
 * WebGPU in Node and in browsers: making `navigator.gpu` available through the `webgpu` package
 * (Dawn), finding out which adapter answers, and releasing gpu.js's device before exit.
 */
import { GPU } from 'gpu.js';

/** What a WebGPU probe found: whether an adapter answered, whether it is a CPU rasterizer, and its name. */
export interface WebGpuAdapter {
  available: boolean;
  software: boolean;
  description: string;
}

/**
 * Makes `navigator.gpu` available in Node through the `webgpu` package (Dawn), so gpu.js's webgpu
 * backend can find an adapter. Resolves whether an adapter answered.
 */
export async function enableWebGpu(): Promise<boolean> {
  const g = globalThis as { navigator?: { gpu?: unknown } };
  if (!g.navigator?.gpu) {
    try {
      const { createRequire } = await import('node:module');
      const require = createRequire(import.meta.url);
      const webgpu = require('webgpu') as { create: (flags: string[]) => unknown; globals: object };
      Object.assign(globalThis, webgpu.globals);
      const gpu = webgpu.create([]);
      if (g.navigator) (g.navigator as { gpu?: unknown }).gpu = gpu;
      else Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
    } catch {
      return false;
    }
  }
  return (GPU as unknown as { isWebGPUAvailable(): Promise<boolean> }).isWebGPUAvailable();
}

/**
 * Destroys gpu.js's shared WebGPU device. Call it before a process that used webgpu exits: Dawn
 * can abort at exit while a device is still alive.
 */
export async function releaseWebGpu(): Promise<void> {
  const { WebGPUContext } = (await import('gpu.js')) as unknown as { WebGPUContext?: { destroy(): Promise<void> } };
  await WebGPUContext?.destroy();
}

/** What WebGPU adapter answers here, if any, and whether it is a software rasterizer (CPU). */
export async function describeWebGpu(): Promise<WebGpuAdapter> {
  if (!(await enableWebGpu())) return { available: false, software: false, description: 'no WebGPU adapter' };
  const nav = (globalThis as { navigator: { gpu: { requestAdapter(): Promise<unknown> } } }).navigator;
  const adapter = (await nav.gpu.requestAdapter()) as { info?: { vendor?: string; architecture?: string; description?: string; device?: string }; isFallbackAdapter?: boolean } | null;
  const info = adapter?.info ?? {};
  const description = [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(' ') || 'unknown adapter';
  const software = Boolean(adapter?.isFallbackAdapter) || /llvmpipe|lavapipe|swiftshader|software/i.test(description);
  return { available: Boolean(adapter), software, description };
}

/**
 * `describeWebGpu` in a child process whose output is discarded: Dawn prints warnings when it
 * opens an adapter, and 'auto' should not print them in every command that merely checks.
 */
export function probeWebGpuQuietly(): Promise<WebGpuAdapter> {
  // the adapter does not change while the process runs: probe once
  probe ??= probeOnce();
  return probe;
}

let probe: Promise<WebGpuAdapter> | undefined;

async function probeOnce(): Promise<WebGpuAdapter> {
  const { createRequire } = await import('node:module');
  const { spawnSync } = await import('node:child_process');
  let webgpuPath: string;
  try {
    webgpuPath = createRequire(import.meta.url).resolve('webgpu');
  } catch {
    return { available: false, software: false, description: 'the webgpu package is not installed' };
  }
  const script = `
    const { create, globals } = require(${JSON.stringify(webgpuPath)});
    Object.assign(globalThis, globals);
    create([]).requestAdapter().then((a) => {
      const i = (a && a.info) || {};
      const d = [i.vendor, i.architecture, i.device, i.description].filter(Boolean).join(' ') || 'unknown adapter';
      process.stdout.write('\\nPROBE' + JSON.stringify({ available: !!a, software: !!(a && a.isFallbackAdapter) || /llvmpipe|lavapipe|swiftshader|software/i.test(d), description: a ? d : 'no WebGPU adapter' }) + '\\n');
      process.exit(0);
    }, () => { process.stdout.write('\\nPROBE' + JSON.stringify({ available: false, software: false, description: 'no WebGPU adapter' }) + '\\n'); process.exit(0); });`;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 30_000, env: { XDG_RUNTIME_DIR: '/tmp', ...process.env } });
  const line = (r.stdout ?? '').split('\n').find((l) => l.startsWith('PROBE'));
  return line ? JSON.parse(line.slice(5)) : { available: false, software: false, description: 'the WebGPU probe failed' };
}

