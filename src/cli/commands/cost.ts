import type { Command } from 'commander';
import { InputError } from '../../errors';
import {
  buildCostReport,
  COST_DIMENSIONS,
  loadCostRows,
  parseBy,
  parseSince,
  type CostReport,
} from '../../monitoring/costReport';
import { withDatabase } from '../context';
import { tenantIdOption } from '../options';
import { emit, table } from '../output';

const usd = (n: number) => `$${n.toFixed(n >= 100 ? 0 : n >= 1 ? 2 : 4)}`;
const percent = (n: number) => `${(100 * n).toFixed(1)}%`;

export function registerCostCommands(program: Command): void {
  const cost = program.command('cost').description('What tenants, features, prompts and models cost');
  cost
    .command('report')
    .description('Totals, a per-day series, cost per call, cache hit rate, projected monthly spend and suggestions')
    .option(
      '--by <dimensions>',
      `group by any of ${Object.keys(COST_DIMENSIONS).join(', ')} (comma-separated)`,
      'tenant',
    )
    .option('--tenant <id>', 'one tenant only')
    .option('--since <days>', 'how far back, in days (today included)', '28d')
    .option('--include-synthetic', 'count drills, probes and canary traffic too (left out by default)')
    .option('--max-cost-per-call <usd>', 'name routes costing more than this per call', '0.05')
    .option('--json', 'machine-readable output')
    .option('--csv', 'one line per group and day, for spreadsheets')
    .action(
      async (opts: {
        by: string;
        tenant?: string;
        since: string;
        includeSynthetic?: boolean;
        maxCostPerCall: string;
        json?: boolean;
        csv?: boolean;
      }) => {
        if (opts.json && opts.csv) throw new InputError('Choose one of --json and --csv');
        const maxCostPerCallUsd = Number(opts.maxCostPerCall);
        if (!Number.isFinite(maxCostPerCallUsd) || maxCostPerCallUsd <= 0)
          throw new InputError(`--max-cost-per-call must be a number of USD above 0 (got "${opts.maxCostPerCall}")`);
        const query = {
          by: parseBy(opts.by),
          tenant: opts.tenant === undefined ? undefined : tenantIdOption(opts.tenant),
          sinceDays: parseSince(opts.since),
          includeSynthetic: opts.includeSynthetic ?? false,
          maxCostPerCallUsd,
          now: new Date(),
        };
        const report = await withDatabase(async (db) => {
          const rows = await loadCostRows(db.pool, query);
          return buildCostReport(rows.days, rows.usage, query);
        });
        if (opts.csv) process.stdout.write(csvOf(report));
        else emit(opts.json, report, () => textOf(report));
      },
    );
}

function csvOf(report: CostReport): string {
  const cell = (value: string | number) =>
    /[",\n]/.test(String(value)) ? `"${String(value).replace(/"/g, '""')}"` : String(value);
  const lines = [[...report.by, 'day', 'calls', 'cost_usd'].join(',')];
  for (const group of report.groups)
    for (const day of group.series)
      lines.push(
        [...report.by.map((d) => group.key[d] ?? ''), day.day, day.calls, day.costUsd.toFixed(8)].map(cell).join(','),
      );
  return `${lines.join('\n')}\n`;
}

function textOf(report: CostReport): string {
  const t = report.totals;
  const scope = `${report.tenant ? `tenant ${report.tenant}` : 'all tenants'}, ${report.since} to now${report.includeSynthetic ? ', synthetic traffic included' : ''}`;
  if (!t.calls)
    return `No requests in the rollups for ${scope}. Rollups fill as the gateway serves (rows stored before the rollups existed are not in them).`;
  const days = new Map<string, { calls: number; cost: number }>();
  for (const group of report.groups)
    for (const d of group.series) {
      const day = days.get(d.day) ?? { calls: 0, cost: 0 };
      days.set(d.day, { calls: day.calls + d.calls, cost: day.cost + d.costUsd });
    }
  const lines = [
    `Cost for ${scope}`,
    `  ${usd(t.costUsd)} over ${t.calls} calls (${usd(t.costPerCallUsd)} per call), cache hit rate ${percent(t.cacheHitRate)}, tokens in ${t.inputTokens} (cached ${t.cachedTokens}) out ${t.outputTokens}`,
    `  projected monthly spend ${usd(t.projectedMonthlyUsd)} (last 7 full days x 30)`,
    '',
    table(
      [...report.by.map((d) => d.toUpperCase()), 'CALLS', 'COST', 'PER CALL', 'CACHE HITS', 'SHARE', 'PROJECTED/MONTH'],
      report.groups.map((g) => [
        ...report.by.map((d) => g.key[d] || '-'),
        g.calls,
        usd(g.costUsd),
        usd(g.costPerCallUsd),
        percent(g.cacheHitRate),
        percent(t.costUsd ? g.costUsd / t.costUsd : 0),
        usd(g.projectedMonthlyUsd),
      ]),
    ),
    '',
    table(
      ['DAY', 'CALLS', 'COST'],
      [...days.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([day, d]) => [day, d.calls, usd(d.cost)]),
    ),
  ];
  if (report.suggestions.length) {
    lines.push('', 'Suggestions:');
    for (const s of report.suggestions)
      lines.push(
        `  - ${s.message}${s.estimatedMonthlySavingUsd !== undefined ? ` (saves about ${usd(s.estimatedMonthlySavingUsd)} a month)` : ''}`,
      );
  }
  return lines.join('\n');
}
