import type { Command } from 'commander';
import { parseSince } from '../../monitoring/costReport';
import { guardrailReport, listAppeals, type GuardrailReport } from '../../monitoring/guardrailReport';
import { withDatabase } from '../context';
import { positiveInt, tenantIdOption } from '../options';
import { emit, formatTime, table } from '../output';

const percent = (n: number | null) => (n === null ? '-' : `${(100 * n).toFixed(2)}%`);

export function registerGuardrailCommands(program: Command): void {
  const guardrails = program
    .command('guardrails')
    .description('How often each guardrail acts, how often wrongly (appealed blocks) and how long it takes');
  guardrails
    .command('report')
    .description('Decisions, block rate (95% interval), appeals, false-positive rate and p50/p99 latency per guardrail')
    .option('--since <days>', 'how far back, in days', '7d')
    .option('--tenant <id>', 'one tenant only')
    .option('--per-tenant', 'one line per guardrail and tenant')
    .option('--include-synthetic', 'count drills, probes and canary traffic too (left out by default)')
    .option('--json', 'machine-readable output')
    .action(
      async (opts: {
        since: string;
        tenant?: string;
        perTenant?: boolean;
        includeSynthetic?: boolean;
        json?: boolean;
      }) => {
        const query = {
          sinceDays: parseSince(opts.since),
          tenant: opts.tenant === undefined ? undefined : tenantIdOption(opts.tenant),
          perTenant: opts.perTenant ?? false,
          includeSynthetic: opts.includeSynthetic ?? false,
          now: new Date(),
        };
        const report = await withDatabase((db) => guardrailReport(db.pool, query));
        emit(opts.json, report, () => reportText(report));
      },
    );
  guardrails
    .command('appeals')
    .description('Blocks that tenants marked as wrong (POST /v1/guardrails/appeals), newest first')
    .option('--since <days>', 'how far back, in days', '7d')
    .option('--tenant <id>', 'one tenant only')
    .option('--limit <n>', 'at most this many', '50')
    .option('--json', 'machine-readable output')
    .action(async (opts: { since: string; tenant?: string; limit: string; json?: boolean }) => {
      const query = {
        sinceDays: parseSince(opts.since),
        tenant: opts.tenant === undefined ? undefined : tenantIdOption(opts.tenant),
        limit: positiveInt('--limit', opts.limit),
        now: new Date(),
      };
      const appeals = await withDatabase((db) => listAppeals(db.pool, query));
      emit(opts.json, appeals, () =>
        appeals.length
          ? table(
              ['time', 'tenant', 'request', 'guardrail', 'reason'],
              appeals.map((a) => [formatTime(a.ts), a.tenant, a.requestId, a.guardrail, a.reason.slice(0, 80)]),
            )
          : 'No appeals in this period.',
      );
    });
}

function reportText(report: GuardrailReport): string {
  if (!report.lines.length) return `No guardrail decisions from ${report.from} to ${report.until}.`;
  return table(
    [
      'guardrail',
      'tenant',
      'evaluated',
      'flagged',
      'redacted',
      'blocked',
      'block rate (95%)',
      'appeals',
      'false positives',
      'p50 ms',
      'p99 ms',
    ],
    report.lines.map((l) => [
      l.guardrail,
      l.tenant ?? 'all',
      l.evaluated,
      l.flagged,
      l.redacted,
      l.blocked,
      `${percent(l.blockRate)} (${percent(l.blockRateInterval.low)}–${percent(l.blockRateInterval.high)})`,
      l.appeals,
      percent(l.falsePositiveRate),
      l.p50Ms.toFixed(3),
      l.p99Ms.toFixed(3),
    ]),
  );
}
