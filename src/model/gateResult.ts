/** One check of an eval gate: a metric against its floor, or its drop against the baseline. */
export interface GateCheck {
  metric: string;
  kind: 'floor' | 'regression';
  /** The floor, or the lowest allowed difference against the baseline. */
  limit: number;
  actual: number;
  passed: boolean;
}

/** An eval gate's outcome: passed when every check passed. */
export interface GateResult {
  passed: boolean;
  checks: GateCheck[];
}
