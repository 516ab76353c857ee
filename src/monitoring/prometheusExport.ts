import { stringify } from 'yaml';
import { SRE_BURN_RULES } from './detectors';
import type { MonitorRule } from './monitorRules';

type ExportedMetric = 'server_error_rate' | 'slow_request_rate' | 'cost_usd' | 'guardrail_block_rate';
const exportable = (rule: MonitorRule): rule is MonitorRule & { metric: ExportedMetric } => rule.metric in LABELS;

/**
 * The labels each gateway metric carries, by the rule dimension they stand for (tenants are never
 * labels: cardinality). Quality metrics (judge scores, answer lengths, feedback) have no /metrics series.
 */
const LABELS: Record<ExportedMetric, Partial<Record<MonitorRule['by'][number], string>>> = {
  server_error_rate: { model: 'model', prompt: 'prompt', version: 'version', route: 'variant' },
  slow_request_rate: { prompt: 'prompt', route: 'variant' },
  cost_usd: { model: 'model', prompt: 'prompt' },
  guardrail_block_rate: {},
};

interface PrometheusRule {
  alert: string;
  expr: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface PrometheusExport {
  yaml: string;
  exported: string[];
  skipped: Array<{ rule: string; why: string }>;
}

const alertName = (id: string, suffix = '') =>
  `Flightdeck${id
    .split('-')
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join('')}${suffix}`;
const minutes = (m: number) => (m % 60 ? `${m}m` : m % 1440 ? `${m / 60}h` : `${m / 1440}d`);

function burnRules(
  rule: MonitorRule & { metric: 'server_error_rate' | 'slow_request_rate' },
  by: string,
): PrometheusRule[] {
  const histogram =
    rule.metric === 'slow_request_rate' && rule.detector.of === 'ttft'
      ? 'flightdeck_gateway_ttft_seconds'
      : 'flightdeck_gateway_request_duration_seconds';
  const ratio = (window: string) =>
    rule.metric === 'server_error_rate'
      ? `(sum by (${by}) (rate(flightdeck_gateway_requests_total{status=~"5.."}[${window}])) / sum by (${by}) (rate(flightdeck_gateway_requests_total[${window}])))`
      : `(1 - sum by (${by}) (rate(${histogram}_bucket{le="${rule.detector.threshold_ms / 1000}"}[${window}])) / sum by (${by}) (rate(${histogram}_count[${window}])))`;
  const budget = Number((1 - rule.detector.objective).toFixed(6));
  return SRE_BURN_RULES.map((tier) => ({
    alert: alertName(rule.id, tier.severity === 'page' ? `Burn${tier.burn}x` : 'SlowBurn').replace('.', '_'),
    expr: `${ratio(minutes(tier.longMinutes))} > (${tier.burn} * ${budget})\nand\n${ratio(minutes(tier.shortMinutes))} > (${tier.burn} * ${budget})`,
    labels: { severity: tier.severity, flightdeck_rule: rule.id },
    annotations: {
      summary: `${rule.id}: budget of a ${rule.detector.objective * 100}% objective burning ${tier.burn}x over ${minutes(tier.longMinutes)} and ${minutes(tier.shortMinutes)}`,
    },
  }));
}

/**
 * The rules that Prometheus can evaluate from the gateway's /metrics, as alerting rules for teams
 * that run Alertmanager. A rule keyed by something no metric carries as a label (tenant, feature,
 * provider) is skipped and named; cost spikes export their ratio and floor (PromQL has no MAD).
 */
export function prometheusRules(rules: readonly MonitorRule[]): PrometheusExport {
  const out: PrometheusRule[] = [];
  const exported: string[] = [];
  const skipped: PrometheusExport['skipped'] = [];
  for (const rule of rules) {
    if (!exportable(rule)) {
      skipped.push({ rule: rule.id, why: `the gateway's metrics have no series for ${rule.metric}` });
      continue;
    }
    const missing = rule.by.filter((d) => !LABELS[rule.metric][d]);
    if (missing.length) {
      skipped.push({ rule: rule.id, why: `the gateway's metrics carry no ${missing.join(', ')} label` });
      continue;
    }
    const by = rule.by.map((d) => LABELS[rule.metric][d]!).join(', ');
    const window = minutes(rule.window_minutes);
    const baseline = `${rule.baseline_days}d`;
    if (rule.metric === 'server_error_rate' || rule.metric === 'slow_request_rate') out.push(...burnRules(rule, by));
    else if (rule.metric === 'cost_usd') {
      const spend = `sum by (${by}) (increase(flightdeck_gateway_cost_usd_total[${window}]))`;
      const usual = `quantile_over_time(0.5, ${spend}[${baseline}:${window}])`;
      out.push({
        alert: alertName(rule.id),
        expr: `${spend} > ${rule.detector.ratio} * ${usual}\nand\n${spend} - ${usual} > ${rule.detector.floor}`,
        labels: { severity: rule.severity, flightdeck_rule: rule.id },
        annotations: {
          summary: `${rule.id}: spend over ${window} above ${rule.detector.ratio}x its ${baseline} median`,
        },
      });
    } else {
      const rate = (range: string) =>
        `sum by (guardrail) (rate(flightdeck_gateway_guardrail_decisions_total{decision="block"}[${range}])) / scalar(sum(rate(flightdeck_gateway_requests_total[${range}])))`;
      out.push({
        alert: alertName(rule.id),
        expr: `${rate(window)} > ${rule.detector.ratio} * ${rate(baseline)}\nand\nsum(increase(flightdeck_gateway_requests_total[${window}])) > ${rule.min_volume}`,
        labels: { severity: rule.severity, flightdeck_rule: rule.id },
        annotations: {
          summary: `${rule.id}: block rate over ${window} above ${rule.detector.ratio}x its ${baseline} rate`,
        },
      });
    }
    exported.push(rule.id);
  }
  const header = [
    '# Written by `flightdeck monitors export --prometheus` from the monitor rules.',
    ...skipped.map((s) => `# skipped ${s.rule}: ${s.why} (the monitor pass evaluates it from the rollups)`),
  ].join('\n');
  return {
    yaml: `${header}\n${stringify({ groups: [{ name: 'flightdeck-monitors', rules: out }] }, { lineWidth: 0 })}`,
    exported,
    skipped,
  };
}
