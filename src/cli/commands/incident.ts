import type { Command } from 'commander';
import { currentActor, loadEnv } from '../../config/env';
import { InputError } from '../../errors';
import { getIncident, listIncidents } from '../../incidents/incidentStore';
import { INCIDENT_KINDS, type IncidentView } from '../../model/incident';
import { loadProviderConfig } from '../../providers/config';
import { lazy } from '../../util/lazy';
import { withDatabase } from '../context';
import { emit, formatTime, table } from '../output';
import { positiveInt } from '../options';

const temporal = lazy(() => require('../../temporal/connection') as typeof import('../../temporal/connection'));
const control = lazy(() => require('../../control/incidentControl') as typeof import('../../control/incidentControl'));

const describe = (v: IncidentView) =>
  `${v.kind} ${v.key}: ${v.status}${v.status === 'mitigated' ? ` (${v.model}'s calls go to ${v.backup} first; probes ${v.healthyInARow}/${v.healthyProbes} healthy in a row)` : ''}${v.failure ? ` - mitigation failed: ${v.failure}` : ''}`;

export function registerIncidentCommands(program: Command): void {
  const incident = program
    .command('incident')
    .description('Incidents: playbooks as durable workflows (incident/<kind>/<key>) that mitigate, verify and close');

  incident
    .command('start')
    .description('Start a playbook by hand (an alert whose rule names one starts it by itself)')
    .argument('<kind>', `one of ${INCIDENT_KINDS.join(', ')}`)
    .requiredOption('--model <model>', 'provider-outage: the failing model')
    .requiredOption('--backup <model>', "provider-outage: where the model's calls go meanwhile")
    .requiredOption('--reason <text>', 'what is happening, for the timeline and the audit trail')
    .option('--key <key>', 'the incident key (default: the model); the same key joins the open incident')
    .option('--probe-every <seconds>', 'how often the model is probed', '30')
    .option('--healthy-probes <n>', 'probes in a row that must pass before calls go back', '10')
    .option('--json', 'machine-readable output')
    .action(
      async (
        kind: string,
        opts: {
          model: string;
          backup: string;
          reason: string;
          key?: string;
          probeEvery: string;
          healthyProbes: string;
          json?: boolean;
        },
      ) => {
        if (!(INCIDENT_KINDS as readonly string[]).includes(kind))
          throw new InputError(`Unknown incident kind "${kind}"; one of ${INCIDENT_KINDS.join(', ')}`);
        const env = loadEnv();
        const started = await temporal().withTemporalClient(env, (client) =>
          control().startIncident(
            client,
            {
              kind: 'provider-outage',
              key: opts.key ?? opts.model,
              model: opts.model,
              backup: opts.backup,
              reason: opts.reason,
              actor: currentActor(),
              probeEverySeconds: positiveInt('--probe-every', opts.probeEvery),
              healthyProbes: positiveInt('--healthy-probes', opts.healthyProbes),
            },
            loadProviderConfig(env),
          ),
        );
        emit(opts.json, started, () =>
          [
            `${started.joined ? 'Joined the open incident' : 'Started'} ${started.workflowId}`,
            describe(started.status),
            `Follow it with \`flightdeck incident show ${started.workflowId}\`; end it with \`flightdeck incident resolve ${started.workflowId} --reason "…"\`.`,
          ].join('\n'),
        );
      },
    );

  incident
    .command('list')
    .description('Open incidents (--all: resolved ones too)')
    .option('--all', 'resolved incidents too')
    .option('--limit <n>', 'at most this many', '100')
    .option('--json', 'machine-readable output')
    .action(async (opts: { all?: boolean; limit: string; json?: boolean }) => {
      const limit = positiveInt('--limit', opts.limit);
      const incidents = await withDatabase((db) => listIncidents(db.pool, { all: opts.all, limit }));
      emit(opts.json, incidents, () =>
        incidents.length
          ? table(
              ['#', 'WORKFLOW', 'STATUS', 'OPENED', 'BY', 'REASON'],
              incidents.map((i) => [i.id, i.workflowId, i.status, formatTime(i.openedAt), i.openedBy, i.reason]),
            )
          : 'No open incidents.',
      );
    });

  incident
    .command('show')
    .description("An incident's record and timeline")
    .argument('<incident>', 'its number (incident list) or workflow id')
    .option('--json', 'machine-readable output')
    .action(async (id: string, opts: { json?: boolean }) => {
      const found = await withDatabase((db) => getIncident(db.pool, id));
      emit(opts.json, found, () =>
        [
          `#${found.id} ${found.workflowId}: ${found.status}${found.resolvedBy ? ` (resolved by ${found.resolvedBy})` : ''}`,
          `opened ${formatTime(found.openedAt)} by ${found.openedBy}: ${found.reason}`,
          '',
          table(
            ['AT', 'STEP', 'BY', 'WHAT'],
            found.timeline.map((s) => [formatTime(s.at), s.step, s.actor, s.message]),
          ),
        ].join('\n'),
      );
    });

  incident
    .command('resolve')
    .description('End an incident now: its mitigation is undone and it closes')
    .argument('<workflow-id>', 'e.g. incident/provider-outage/gpt-4o-mini-2024-07-18')
    .requiredOption('--reason <text>', 'why, for the timeline')
    .option('--json', 'machine-readable output')
    .action(async (workflowId: string, opts: { reason: string; json?: boolean }) => {
      if (!opts.reason.trim()) throw new InputError('Give a reason (--reason "…"): it goes into the timeline');
      const view = await temporal().withTemporalClient(loadEnv(), (client) =>
        control().resolveIncident(client, workflowId, { actor: currentActor(), reason: opts.reason }),
      );
      emit(opts.json, view, () => `${describe(view)} (by ${view.resolvedBy}).`);
    });
}
