import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { currentActor, loadEnv } from '../../config/env';
import { InputError } from '../../errors';
import { getAlert, listAlerts, muteKey, setAlertState, type MonitorAlert } from '../../monitoring/alertStore';
import { alertWebhookFromEnv } from '../../monitoring/alertWebhook';
import { backtestRule } from '../../monitoring/backtest';
import { parseSince } from '../../monitoring/costReport';
import { loadMonitorRules } from '../../monitoring/monitorRules';
import { prometheusRules } from '../../monitoring/prometheusExport';
import { runMonitorPass } from '../../monitoring/monitorPass';
import { withDatabase } from '../context';
import { emit, formatTime, table } from '../output';
import { positiveInt } from '../options';
import { ProgressBar } from '../progressBar';

const RULES_OPTION = [
  '--rules <file>',
  'rules file (default: FLIGHTDECK_MONITORS_FILE, ./flightdeck.monitors.yaml, built-in rules)',
] as const;
const rulesFrom = (file: string | undefined) => loadMonitorRules(file ?? loadEnv().FLIGHTDECK_MONITORS_FILE);

export function registerMonitoringCommands(program: Command): void {
  const monitors = program.command('monitors').description('Monitor rules over the request rollups');
  monitors
    .command('check')
    .description('Validate the monitor rules file and list the rules (exit 2 naming rule and field when broken)')
    .option(...RULES_OPTION)
    .option('--json', 'machine-readable output')
    .action((opts: { rules?: string; json?: boolean }) => {
      const rules = rulesFrom(opts.rules);
      emit(opts.json, rules, () =>
        table(
          ['RULE', 'METRIC', 'BY', 'DETECTOR', 'WINDOW', 'SEVERITY', 'PLAYBOOK'],
          rules.map((r) => [
            r.id,
            r.metric,
            r.by.join(',') || '-',
            r.detector.kind,
            `${r.window_minutes}m`,
            r.severity,
            r.playbook,
          ]),
        ),
      );
    });
  monitors
    .command('run')
    .description('One monitor pass now (the schedule runs one every minute): raise and resolve alerts')
    .option(...RULES_OPTION)
    .option('--json', 'machine-readable output')
    .action(async (opts: { rules?: string; json?: boolean }) => {
      const env = loadEnv();
      const rules = rulesFrom(opts.rules);
      const webhook = alertWebhookFromEnv(env);
      const summary = await withDatabase((db) => runMonitorPass(db.pool, rules, { webhook }));
      emit(opts.json, summary, () =>
        [
          `${summary.rules} rules, ${summary.series} series: ${summary.firing} firing (${summary.raised} new), ${summary.resolved} resolved, ${summary.noData} without data, ${summary.lowVolume} with too little traffic.`,
          ...summary.alerts.map((a) => `  ${a.key}: ${a.outcome} - ${a.summary}`),
          ...summary.confirmations.map(
            (c) => `  ${c.key}: a dip to confirm (the scheduled pass has ${c.answers} more answers judged)`,
          ),
          summary.firing ? 'See them with `flightdeck alerts list`.' : '',
        ]
          .filter(Boolean)
          .join('\n'),
      );
    });

  monitors
    .command('backtest')
    .description(
      'Replay a rule over the stored rollups: the alerts it would have raised and how many a week (raises nothing)',
    )
    .argument('<rule>', 'rule id (see `flightdeck monitors check`)')
    .option('--since <days>', 'how far back, in days', '28d')
    .option('--step <minutes>', 'minutes between replayed passes', '15')
    .option(...RULES_OPTION)
    .option('--json', 'machine-readable output')
    .action(async (ruleId: string, opts: { since: string; step: string; rules?: string; json?: boolean }) => {
      const rules = rulesFrom(opts.rules);
      const rule = rules.find((r) => r.id === ruleId);
      if (!rule) throw new InputError(`No rule "${ruleId}"; the rules are ${rules.map((r) => r.id).join(', ')}`);
      const days = parseSince(opts.since);
      const step = positiveInt('--step', opts.step);
      const until = new Date();
      const bar = new ProgressBar(`backtest ${rule.id}`);
      const result = await withDatabase((db) =>
        backtestRule(db.pool, rule, new Date(until.getTime() - days * 86_400_000), until, step, (done, total) =>
          bar.update(done, total),
        ),
      );
      emit(opts.json, result, () =>
        [
          `${rule.id} over ${days} days (a pass every ${step} min, ${result.passes} passes): ${result.alerts.length} alerts, ${result.alertsPerWeek} a week; ${result.undecided} series-passes without enough data to judge.`,
          ...result.alerts.map((a) => `  ${formatTime(a.firedAt)}  ${a.key}: ${a.reason}`),
        ].join('\n'),
      );
    });

  monitors
    .command('export')
    .description('Write the rules Prometheus can evaluate from /metrics as alerting rules (for Alertmanager)')
    .requiredOption('--prometheus', 'Prometheus alerting rules (the one format so far)')
    .option(...RULES_OPTION)
    .option('--out <file>', 'write here instead of stdout')
    .action((opts: { rules?: string; out?: string }) => {
      const result = prometheusRules(rulesFrom(opts.rules));
      if (!opts.out) return void process.stdout.write(result.yaml);
      writeFileSync(opts.out, result.yaml);
      process.stdout.write(
        `Wrote ${result.exported.length} rules to ${opts.out} (${result.skipped.length} skipped, named at its top); check it with \`promtool check rules ${opts.out}\`.\n`,
      );
    });

  const alerts = program
    .command('alerts')
    .description('Alerts the monitors raised: list, show, acknowledge, resolve, mute');
  alerts
    .command('list')
    .description('Open alerts (firing or acknowledged), newest first')
    .option('--all', 'resolved ones too')
    .option('--json', 'machine-readable output')
    .action(async (opts: { all?: boolean; json?: boolean }) => {
      const found = await withDatabase((db) => listAlerts(db.pool, { all: opts.all }));
      emit(opts.json, found, () =>
        found.length
          ? table(
              ['ID', 'STATE', 'SEVERITY', 'KEY', 'LAST SEEN', 'SUMMARY'],
              found.map((a) => [a.id, a.state, a.severity, a.key, formatTime(a.lastSeenAt), a.summary]),
            )
          : 'No open alerts.',
      );
    });
  alerts
    .command('show')
    .description('One alert with the numbers that fired it')
    .argument('<id>', 'alert id')
    .option('--json', 'machine-readable output')
    .action(async (id: string, opts: { json?: boolean }) => {
      const alert = await withDatabase((db) => getAlert(db.pool, positiveInt('<id>', id)));
      emit(opts.json, alert, () => describe(alert));
    });
  for (const [name, state, description] of [
    ['ack', 'acknowledged', 'Acknowledge: someone is on it (the monitor keeps updating its numbers)'],
    ['resolve', 'resolved', 'Resolve by hand (it resolves itself once back in bounds)'],
  ] as const)
    alerts
      .command(name)
      .description(description)
      .argument('<id>', 'alert id')
      .option('--json', 'machine-readable output')
      .action(async (id: string, opts: { json?: boolean }) => {
        const change = await withDatabase((db) =>
          setAlertState(db.pool, positiveInt('<id>', id), state, currentActor()),
        );
        emit(opts.json, { id: Number(id), ...change }, () =>
          change.from === change.to
            ? `Alert ${id} is already ${state}.`
            : `Alert ${id}: ${change.from} -> ${change.to}.`,
        );
      });
  alerts
    .command('mute')
    .description('Mute an alert key for a while: the monitor still judges it but raises nothing')
    .argument('<key>', 'alert key, as `alerts list` shows it (e.g. tenant-cost-spike:tenant=acme)')
    .requiredOption('--reason <text>', 'why (mutes are reviewed)')
    .option('--minutes <n>', 'how long', '60')
    .option('--json', 'machine-readable output')
    .action(async (key: string, opts: { reason: string; minutes: string; json?: boolean }) => {
      const minutes = positiveInt('--minutes', opts.minutes);
      if (minutes > 10_080)
        throw new InputError('--minutes is at most 10080 (a week); mute again if it must be longer');
      const until = await withDatabase((db) => muteKey(db.pool, key, minutes, opts.reason, currentActor()));
      emit(opts.json, { key, until }, () => `${key} muted until ${formatTime(until)}.`);
    });
}

function describe(alert: MonitorAlert): string {
  return [
    `Alert ${alert.id} (${alert.severity}, ${alert.state}): ${alert.key}`,
    `  ${alert.summary}`,
    `  first fired ${formatTime(alert.firstFiredAt)}, last seen ${formatTime(alert.lastSeenAt)}`,
    alert.playbook ? `  playbook: ${alert.playbook}` : '',
    alert.acknowledgedBy ? `  acknowledged by ${alert.acknowledgedBy}` : '',
    alert.resolvedAt ? `  resolved ${formatTime(alert.resolvedAt)} by ${alert.resolvedBy}` : '',
    '  numbers:',
    ...Object.entries(alert.numbers).map(([name, value]) => `    ${name}: ${value}`),
  ]
    .filter(Boolean)
    .join('\n');
}
