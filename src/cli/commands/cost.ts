import type { Command } from 'commander';
import { loadEnv } from '../../config/env';
import { FlightdeckError, InputError } from '../../errors';
import { loadMonitorsFile } from '../../monitoring/monitorRules';
import {
  failedReports,
  reconcileInputSchema,
  reconcileUsage,
  yesterday,
  type ReconciliationResult,
} from '../../monitoring/usageReconciliation';
import { loadProviderConfig } from '../../providers/config';
import { ProviderDirectory } from '../../providers/directory';
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
  registerReconcileCommand(cost);
}

function registerReconcileCommand(cost: Command): void {
  cost
    .command('reconcile')
    .description(
      "Compare a day's request log with each provider's own usage report (OpenAI organization usage and costs, Anthropic usage report); differences beyond the tolerance are alerts",
    )
    .option('--day <YYYY-MM-DD>', 'the UTC day (default: yesterday)')
    .option('--rules <file>', 'monitors file with the reconciliation tolerance (default FLIGHTDECK_MONITORS_FILE)')
    .option('--json', 'machine-readable output')
    .action(async (opts: { day?: string; rules?: string; json?: boolean }) => {
      const parsed = reconcileInputSchema.safeParse({ day: opts.day });
      if (!parsed.success) throw new InputError(`--day: ${parsed.error.issues[0]!.message} (got "${opts.day}")`);
      const env = loadEnv();
      const settings = loadMonitorsFile(opts.rules ?? env.FLIGHTDECK_MONITORS_FILE).reconciliation;
      const providers = new ProviderDirectory(loadProviderConfig(env), env);
      const result = await withDatabase((db) =>
        reconcileUsage(db.pool, providers, settings, parsed.data.day ?? yesterday()),
      );
      emit(opts.json, result, () => reconciliationText(result));
      const failed = failedReports(result);
      if (failed) throw new FlightdeckError(failed);
    });
}

function reconciliationText(result: ReconciliationResult): string {
  if (!result.providers.length) return `No provider traffic in the log on ${result.day}: nothing to reconcile.`;
  const blocks = result.providers.map((p) => {
    const head = `${p.provider}: ${p.status}${p.reason ? ` (${p.reason})` : ''}; cost ours ${usd(p.ourCostUsd)}${p.theirCostUsd === null ? '' : `, theirs ${usd(p.theirCostUsd)}`}`;
    if (!p.lines.length) return head;
    return `${head}\n${table(
      ['model', 'input ours', 'input theirs', 'output ours', 'output theirs', ''],
      p.lines.map((l) => [
        l.model,
        l.ours?.inputTokens ?? 0,
        l.theirs?.inputTokens ?? 0,
        l.ours?.outputTokens ?? 0,
        l.theirs?.outputTokens ?? 0,
        l.matches ? 'matches' : 'DIFFERS',
      ]),
    )}`;
  });
  return [`Usage on ${result.day}`, ...blocks, `New alerts: ${result.raised}, resolved: ${result.resolved}.`].join(
    '\n\n',
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
