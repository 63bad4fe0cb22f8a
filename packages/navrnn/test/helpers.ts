/** Helpers shared by the navrnn tests. */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Tensor } from '@gridcells/tensor';

/**
 * What a finished run must repeat: its metrics (wall clock aside) and every file of its last
 * checkpoint (the optimizer's arrays in their folder included), base64.
 */
export function runRecord(out: string): Record<string, string> {
  const metrics = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => {
    const { time_s: _t, ...rest } = JSON.parse(l);
    return JSON.stringify(rest);
  });
  const last = join(out, 'checkpoints', readFileSync(join(out, 'checkpoints', 'latest'), 'utf8').trim());
  const files: Record<string, string> = { metrics: metrics.join('\n') };
  for (const f of readdirSync(last, { recursive: true }) as string[]) {
    if (statSync(join(last, f)).isFile()) files[f] = readFileSync(join(last, f)).toString('base64');
  }
  return files;
}

/** The largest |got - want| over all tensors, each relative to that tensor's largest |want|. */
export function worstRel(got: Tensor[], want: Tensor[]): number {
  let worst = 0;
  got.forEach((g, i) => {
    const w = want[i].data;
    let scale = 0;
    for (const v of w) scale = Math.max(scale, Math.abs(v));
    g.data.forEach((v, k) => (worst = Math.max(worst, Math.abs(v - w[k]) / Math.max(scale, 1e-12))));
  });
  return worst;
}
