/** Helpers shared by the navrnn tests. */
import type { Tensor } from '@gridcells/tensor';

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
