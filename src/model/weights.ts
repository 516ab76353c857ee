/** Weights are in basis points: 10,000 is all traffic. (Its own module: workflow code imports it, and cannot load node:crypto.) */
export const FULL_WEIGHT_BP = 10_000;
