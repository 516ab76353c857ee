import { math } from './mathjs';

/** P(Z > z) for a standard normal Z. */
export function normalUpperTail(z: number): number {
  return 0.5 * (1 - (math().erf(z / Math.SQRT2) as number));
}
