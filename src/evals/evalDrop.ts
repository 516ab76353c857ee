import { PASS_RATE, SCORE } from './summary';

export interface Drop {
  metric: string;
  /** Previous mean minus current mean: positive is worse. */
  drop: number;
}

type Metrics = Record<string, { mean: number } | undefined>;

/** The larger drop of pass rate and score between a previous run and this one. */
export function worstDrop(previous: Metrics, current: Metrics): Drop {
  const drops = [PASS_RATE, SCORE].map((metric) => ({
    metric,
    drop: (previous[metric]?.mean ?? 0) - (current[metric]?.mean ?? 0),
  }));
  return drops.reduce((a, b) => (b.drop > a.drop ? b : a));
}
