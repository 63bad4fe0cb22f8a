import { xoroshiro128plus, xoroshiro128plusFromState } from 'pure-rand/generator/xoroshiro128plus';
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import type { JumpableRandomGenerator } from 'pure-rand/types/JumpableRandomGenerator';

/**
 * The one seeded source of randomness (xoroshiro128+ from pure-rand). Every random draw in the
 * project goes through an `Rng` passed explicitly, so the same seed gives the same run, and
 * `state()` / `Rng.fromState()` let checkpoints resume the exact stream.
 */
export class Rng {
  private gen: JumpableRandomGenerator;
  /** A second normal from Box-Muller, kept so draws come in a fixed order. */
  private spare: number | null = null;

  constructor(seed: number | JumpableRandomGenerator = 0) {
    if (typeof seed === 'number') {
      if (!Number.isInteger(seed)) throw new Error(`Rng: the seed must be an integer, got ${seed}`);
      this.gen = xoroshiro128plus(seed | 0);
    } else {
      this.gen = seed;
    }
  }

  static fromState(state: RngState): Rng {
    const r = new Rng(xoroshiro128plusFromState(state.gen));
    r.spare = state.spare;
    return r;
  }

  state(): RngState {
    return { gen: [...this.gen.getState()], spare: this.spare };
  }

  /** Uniform in [0, 1), 53 random bits. */
  uniform(): number {
    return uniformFloat64(this.gen);
  }

  /** Standard normal (Box-Muller; the second value of each pair is kept for the next call). */
  normal(): number {
    if (this.spare !== null) {
      const s = this.spare;
      this.spare = null;
      return s;
    }
    let u = 0;
    while (u === 0) u = this.uniform();
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.uniform() * n);
  }

  /** An independent generator (jumped ahead 2^64 draws), for a sub-task that must not disturb this stream. */
  split(): Rng {
    const child = new Rng(this.gen.clone());
    this.gen.jump();
    return child;
  }
}

export interface RngState {
  gen: number[];
  spare: number | null;
}
