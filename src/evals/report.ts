import type { Estimate } from '../analysis/stats';
import type { Dataset } from './dataset';
import type { EvalOutcome } from './runner';

const PERCENT_METRICS = new Set(['pass_rate']);

function fmt(metric: string, value: number): string {
  if (Number.isNaN(value)) return '–';
  if (PERCENT_METRICS.has(metric)) return `${(value * 100).toFixed(1)}%`;
  if (metric === 'cost_usd') return `$${value.toFixed(6)}`;
  if (metric === 'latency_ms') return `${Math.round(value)} ms`;
  return value.toFixed(3);
}

function interval(metric: string, e: Estimate): string {
  return e.n < 2 ? '–' : `${fmt(metric, e.low)} – ${fmt(metric, e.high)}`;
}

function signed(metric: string, value: number): string {
  return `${value >= 0 ? '+' : ''}${fmt(metric, value)}`;
}

/** A markdown report fit for a pull-request comment. */
export function markdownReport(
  outcome: EvalOutcome,
  dataset: Dataset,
  counters?: { candidateCalls: number; judgeCalls: number; judgeCacheHits: number },
): string {
  const { run, summary, baseline, comparison, gate } = outcome;
  const lines: string[] = [];
  const against = baseline ? ` vs ${baseline.run.version}` : '';
  lines.push(`## Eval: ${run.prompt}@${run.version}${against}: ${gate.passed ? '✅ gate passed' : '❌ gate failed'}`);
  lines.push('');
  lines.push(
    `Dataset \`${dataset.name}\` (${summary.cases} cases, \`${dataset.hash.slice(0, 12)}\`)` +
      (run.judgeModel ? `, judge \`${run.judgeModel}\`${run.repeat > 1 ? ` ×${run.repeat}` : ''}` : '') +
      (run.gitCommit ? `, commit \`${run.gitCommit.slice(0, 10)}\`` : '') +
      `, run \`${run.id}\``,
  );
  lines.push('');
  lines.push(`| metric | ${run.version} | 95% CI | ${baseline ? `${baseline.run.version} | Δ (95% CI) | ` : ''}gate |`);
  lines.push(`|---|---|---|${baseline ? '---|---|' : ''}---|`);
  for (const [metric, estimate] of Object.entries(summary.metrics)) {
    const checks = gate.checks.filter((c) => c.metric === metric);
    const verdict = checks.length
      ? checks
          .map(
            (c) =>
              `${c.passed ? '✅' : '❌'} ${c.kind === 'floor' ? `≥ ${fmt(metric, c.limit)}` : `Δ ≥ ${signed(metric, c.limit)}`}`,
          )
          .join(' ')
      : '';
    const base = baseline?.summary.metrics[metric];
    const diff = comparison?.[metric]?.difference;
    const baselineCells = baseline
      ? `${base ? fmt(metric, base.mean) : '–'} | ${diff ? `${signed(metric, diff.mean)} (${interval(metric, diff)})` : '–'} | `
      : '';
    lines.push(
      `| ${metric} | ${fmt(metric, estimate.mean)} | ${interval(metric, estimate)} | ${baselineCells}${verdict} |`,
    );
  }
  if (summary.judgeAgreement) {
    const a = summary.judgeAgreement;
    lines.push(
      '',
      `Judge agreement over ${a.samples} samples: ${(a.agreement * 100).toFixed(1)}% of outputs got the same verdict every time (mean score spread ${a.meanSpread.toFixed(3)}).`,
    );
  }
  if (summary.failures.length) {
    lines.push('', `### Failing cases (${summary.failures.length})`, '');
    for (const failure of summary.failures.slice(0, 15))
      lines.push(`- \`${failure.caseId}\`: ${failure.reasons.join('; ')}`);
    if (summary.failures.length > 15) lines.push(`- … and ${summary.failures.length - 15} more`);
  }
  if (counters)
    lines.push(
      '',
      `Calls: ${counters.candidateCalls} candidate, ${counters.judgeCalls} judge, ${counters.judgeCacheHits} judge cache hits. Cost $${summary.totalCostUsd.toFixed(4)}.`,
    );
  return `${lines.join('\n')}\n`;
}
