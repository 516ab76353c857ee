import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { currentActor, loadEnv } from '../../config/env';
import { InputError } from '../../errors';
import { incidentEvidence } from '../../incidents/evidenceStep';
import { draftGoldenDataset, evidenceTuples } from '../../incidents/goldenCases';
import { getIncident, listIncidents } from '../../incidents/incidentStore';
import {
  gatherPostmortemFacts,
  storePostmortem,
  writePostmortem,
  type PostmortemFacts,
} from '../../incidents/postmortem';
import type { Pool } from '../../db/pool';
import { DEFAULT_JUDGE_MODEL } from '../../model/evalDefaults';
import { COST_STEPS, type CostStep } from '../../model/costPolicy';
import {
  APPROVABLE_STEPS,
  INCIDENT_KINDS,
  SECURITY_FINDINGS,
  type ApprovableStep,
  type IncidentInput,
  type IncidentView,
  type SecurityFinding,
} from '../../model/incident';
import { hashApiKey, keyPrefix, newApiKey } from '../../tenants/apiKey';
import { costPolicyFor, DEFAULT_MONITORS_FILE, loadMonitorsFile } from '../../monitoring/monitorRules';
import { listTenants } from '../../tenants/tenantStore';
import { loadProviderConfig } from '../../providers/config';
import { lazy } from '../../util/lazy';
import { withDatabase } from '../context';
import { emit, formatTime, table } from '../output';
import { positiveInt, wholeNumber } from '../options';

const temporal = lazy(() => require('../../temporal/connection') as typeof import('../../temporal/connection'));
// Replays load the provider SDKs: only when a postmortem has evidence to replay.
const providerDirectory = lazy(
  () => require('../../providers/directory') as typeof import('../../providers/directory'),
);
const judges = lazy(() => require('../../evals/judge') as typeof import('../../evals/judge'));
const replays = lazy(() => require('../../incidents/replay') as typeof import('../../incidents/replay'));
const control = lazy(() => require('../../control/incidentControl') as typeof import('../../control/incidentControl'));

/** One line of an incident's state: its status, then what its playbook has done. */
function describe(v: IncidentView): string {
  const o = v.outage;
  const c = v.cost;
  const q = v.quality;
  const sec = v.security;
  const state = sec
    ? ` (${sec.finding}: ${sec.killSwitch === 'none' ? 'no kill switch' : `${sec.killSwitch} ${sec.killed ? 'switched off' : 'serving'}`}` +
      `${sec.affected !== undefined ? `, ${sec.affected} affected, ${sec.purged ?? 0} bodies purged` : ''}` +
      `${sec.newKeyPrefix ? `, key rotated to ${sec.newKeyPrefix}...` : ''})`
    : q
      ? ` (prompt ${q.prompt}${q.rollback ? `: ${q.rollback}` : ''}${q.evidence !== undefined ? `, ${q.evidence} bad answers kept` : ''})`
      : o && v.status === 'mitigated'
        ? ` (${o.model}'s calls ${o.backup ? `go to ${o.backup} first` : `are capped at ${o.maxTokens} output tokens`}; probes ${o.healthyInARow}/${o.healthyProbes} healthy in a row)`
        : c
          ? ` (tenant ${c.tenant}: ${c.rung}${c.throttleRpm ? ` at ${c.throttleRpm}/min` : ''}${c.cause ? `, likely cause ${c.cause}` : ''})`
          : '';
  const waiting = v.awaiting ? ` - ${v.awaiting.step} waits for approval until ${v.awaiting.until}` : '';
  return `${v.kind} ${v.key}: ${v.status}${state}${waiting}${v.failure ? ` - mitigation failed: ${v.failure}` : ''}`;
}

/** What `incident start` starts, from its options; what the kind needs and lacks is an InputError. */
function startInput(kind: string, opts: StartOptions): IncidentInput {
  const common = { reason: opts.reason, actor: currentActor() };
  if (kind === 'provider-outage') {
    if (!opts.model || !(opts.backup || opts.maxTokens))
      throw new InputError(
        'provider-outage needs --model <failing model> and --backup <model> (or, for a latency spike, --max-tokens <n>)',
      );
    if (opts.backup && opts.maxTokens) throw new InputError('Give --backup or --max-tokens, not both');
    return {
      kind,
      ...common,
      key: opts.key ?? opts.model,
      model: opts.model,
      ...(opts.maxTokens
        ? { mitigation: 'max-tokens' as const, maxTokens: positiveInt('--max-tokens', opts.maxTokens) }
        : { backup: opts.backup }),
      probeEverySeconds: positiveInt('--probe-every', opts.probeEvery),
      healthyProbes: positiveInt('--healthy-probes', opts.healthyProbes),
    };
  }
  if (kind === 'cost-runaway') {
    if (!opts.tenant) throw new InputError('cost-runaway needs --tenant <id>');
    const monitors = loadMonitorsFile(opts.monitors);
    return {
      kind,
      ...common,
      key: opts.key ?? opts.tenant,
      tenant: opts.tenant,
      policy: {
        ...costPolicyFor(monitors.playbooks, opts.tenant),
        ...(opts.maxStep ? { max_step: costStep(opts.maxStep) } : {}),
      },
    };
  }
  if (kind === 'quality-regression') {
    if (!opts.prompt) throw new InputError('quality-regression needs --prompt <name>');
    return {
      kind,
      ...common,
      key: opts.key ?? opts.prompt,
      prompt: opts.prompt,
      approval: opts.approval ?? false,
      verifyMinutes: positiveInt('--verify-minutes', opts.verifyMinutes),
    };
  }
  if (kind === 'security') {
    if (!opts.finding) throw new InputError(`security needs --finding (${SECURITY_FINDINGS.join(', ')})`);
    if (!(SECURITY_FINDINGS as readonly string[]).includes(opts.finding))
      throw new InputError(`--finding must be one of ${SECURITY_FINDINGS.join(', ')} (got "${opts.finding}")`);
    if (!opts.tenant && !opts.prompt) throw new InputError('security needs --tenant <id> or --prompt <name> (or both)');
    return {
      kind,
      ...common,
      key: opts.key ?? [opts.tenant, opts.prompt].filter(Boolean).join('.'),
      finding: opts.finding as SecurityFinding,
      tenant: opts.tenant,
      prompt: opts.prompt,
      requestIds:
        opts.requests
          ?.split(',')
          .map((id) => id.trim())
          .filter(Boolean) ?? [],
      sinceMinutes: positiveInt('--since-minutes', opts.sinceMinutes),
      killSwitch: opts.killSwitch as 'tenant' | 'prompt' | 'none' | undefined,
      purge: opts.purge,
      rotateKey: opts.rotateKey,
      overlapMinutes: wholeNumber('--overlap-minutes', opts.overlapMinutes, 0),
      approval: (opts.approve?.split(',').map((s) => s.trim()) ?? []) as Array<'kill' | 'purge'>,
    };
  }
  throw new InputError(`Unknown incident kind "${kind}"; one of ${INCIDENT_KINDS.join(', ')}`);
}

function costStep(text: string): CostStep {
  if (!(COST_STEPS as readonly string[]).includes(text))
    throw new InputError(`--max-step must be one of ${COST_STEPS.join(', ')} (got "${text}")`);
  return text as CostStep;
}

interface StartOptions {
  finding?: string;
  requests?: string;
  sinceMinutes: string;
  killSwitch?: string;
  purge: boolean;
  rotateKey?: boolean;
  overlapMinutes: string;
  approve?: string;
  prompt?: string;
  approval?: boolean;
  verifyMinutes: string;
  model?: string;
  backup?: string;
  maxTokens?: string;
  tenant?: string;
  maxStep?: string;
  monitors?: string;
  reason: string;
  key?: string;
  probeEvery: string;
  healthyProbes: string;
  json?: boolean;
}

export function registerIncidentCommands(program: Command): void {
  const incident = program
    .command('incident')
    .description('Incidents: playbooks as durable workflows (incident/<kind>/<key>) that mitigate, verify and close');

  incident
    .command('start')
    .description('Start a playbook by hand (an alert whose rule names one starts it by itself)')
    .argument('<kind>', `one of ${INCIDENT_KINDS.join(', ')}`)
    .requiredOption('--reason <text>', 'what is happening, for the timeline and the audit trail')
    .option('--model <model>', 'provider-outage: the failing model')
    .option('--backup <model>', "provider-outage: where the model's calls go meanwhile")
    .option(
      '--max-tokens <n>',
      "provider-outage (a latency spike): cap the model's output tokens instead of moving its calls",
    )
    .option('--probe-every <seconds>', 'provider-outage: how often the model is probed', '30')
    .option('--healthy-probes <n>', 'provider-outage: probes in a row that must pass before calls go back', '10')
    .option('--tenant <id>', 'cost-runaway: the tenant spending; security: the tenant affected')
    .option('--prompt <name>', 'quality-regression: the prompt answering worse; security: the prompt affected')
    .option('--finding <finding>', `security: ${SECURITY_FINDINGS.join(', ')}`)
    .option('--requests <ids>', 'security: request ids known to be affected, comma-separated')
    .option('--since-minutes <n>', 'security: requests a guardrail acted on this far back count as affected', '60')
    .option(
      '--kill-switch <target>',
      'security: tenant, prompt or none (default: none for leaked-key, else the prompt if named, else the tenant)',
    )
    .option('--no-purge', "security: keep the affected requests' stored bodies")
    .option('--rotate-key', "security: rotate the tenant's key (default for leaked-key)")
    .option('--overlap-minutes <n>', 'security: minutes the old key keeps working after the rotation', '60')
    .option('--approve <steps>', 'security: steps that wait for `incident approve` (kill, purge), comma-separated')
    .option('--approval', 'quality-regression: the rollback waits for `incident approve --step rollback`')
    .option('--verify-minutes <n>', 'quality-regression: minutes after the rollback before it is judged', '15')
    .option(
      '--max-step <step>',
      `cost-runaway: the highest rung (${COST_STEPS.join(', ')}; default: the monitors file's policy)`,
    )
    .option(
      '--monitors <file>',
      `the monitors file with playbook policies (default: ${DEFAULT_MONITORS_FILE} when present)`,
    )
    .option(
      '--key <key>',
      'the incident key (default: the model, tenant or prompt); the same key joins the open incident',
    )
    .option('--json', 'machine-readable output')
    .action(async (kind: string, opts: StartOptions) => {
      const input = startInput(kind, opts);
      const env = loadEnv();
      const started = await withDatabase((db) =>
        temporal().withTemporalClient(env, (client) =>
          control().startIncident(client, input, {
            config: loadProviderConfig(env),
            tenantExists: async (id) => (await listTenants(db.pool)).some((t) => t.id === id),
            promptExists: async (name) =>
              (await db.pool.query('SELECT 1 FROM prompts WHERE name = $1', [name])).rowCount === 1,
          }),
        ),
      );
      emit(opts.json, started, () =>
        [
          `${started.joined ? 'Joined the open incident' : 'Started'} ${started.workflowId}`,
          describe(started.status),
          `Follow it with \`flightdeck incident show ${started.workflowId}\`; end it with \`flightdeck incident resolve ${started.workflowId} --reason "…"\`.`,
        ].join('\n'),
      );
    });

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
          ...evidenceLines(found.timeline),
        ].join('\n'),
      );
    });

  incident
    .command('postmortem')
    .description(
      'Write the postmortem from the evidence (timeline, alert, changes, bad answers, follow-ups) and keep it with the incident',
    )
    .argument('<incident>', 'its number (incident list) or workflow id')
    .option('--out <file>', 'also write the markdown to this file')
    .option('--replay <n>', 'replay up to n evidence requests from their stored tuples and judge them (0: none)', '3')
    .option('--json', 'machine-readable output: {incident, markdown}')
    .action(async (id: string, opts: { out?: string; replay: string; json?: boolean }) => {
      const replayCount = wholeNumber('--replay', opts.replay, 0);
      const markdown = await withDatabase(async (db) => {
        const facts = await gatherPostmortemFacts(db.pool, id);
        facts.replays = await replayEvidence(db.pool, facts, replayCount);
        const text = writePostmortem(facts);
        await storePostmortem(db.pool, facts.incident.id, text);
        return { incident: facts.incident.id, markdown: text };
      });
      if (opts.out) writeFileSync(opts.out, markdown.markdown);
      emit(opts.json, markdown, () =>
        opts.out ? `Wrote ${opts.out} (kept with incident #${markdown.incident}).` : markdown.markdown,
      );
    });

  incident
    .command('resolve')
    .description('End an incident now: its mitigation is undone and it closes')
    .argument('<workflow-id>', 'e.g. incident/provider-outage/gpt-4o-mini-2024-07-18')
    .requiredOption('--reason <text>', 'why, for the timeline')
    .option('--json', 'machine-readable output')
    .action(async (workflowId: string, opts: { reason: string; json?: boolean }) => {
      const view = await temporal().withTemporalClient(loadEnv(), (client) =>
        control().resolveIncident(client, workflowId, { actor: currentActor(), reason: requiredReason(opts.reason) }),
      );
      emit(opts.json, view, () => `${describe(view)} (by ${view.resolvedBy}).`);
    });

  for (const [name, description] of [
    ['ack', 'Acknowledge an incident: you have it (recorded and notified)'],
    ['escalate', 'Escalate an incident: the webhook is told again that more hands are needed'],
  ] as const)
    incident
      .command(name)
      .description(description)
      .argument('<workflow-id>', 'e.g. incident/cost-runaway/acme')
      .option('--reason <text>', 'a note for the timeline')
      .option('--json', 'machine-readable output')
      .action(async (workflowId: string, opts: { reason?: string; json?: boolean }) => {
        const view = await temporal().withTemporalClient(loadEnv(), (client) =>
          control().signalIncident(client, workflowId, name, { actor: currentActor(), reason: opts.reason }),
        );
        emit(opts.json, view, () => describe(view));
      });

  incident
    .command('approve')
    .description('Approve (or with --refuse, refuse) the rung an incident waits on, e.g. throttling a tenant')
    .argument('<workflow-id>', 'e.g. incident/cost-runaway/acme')
    .requiredOption('--step <step>', `the step waiting: ${APPROVABLE_STEPS.join(', ')}`)
    .option('--refuse', 'refuse it instead: the playbook holds and weighs the rung again a step later')
    .option('--reason <text>', 'why, for the timeline')
    .option('--json', 'machine-readable output')
    .action(async (workflowId: string, opts: { step: string; refuse?: boolean; reason?: string; json?: boolean }) => {
      // A rotation's new key is made here and printed once: only its hash goes to the workflow.
      const apiKey = opts.step === 'rotate-key' && !opts.refuse ? newApiKey() : undefined;
      const view = await temporal().withTemporalClient(loadEnv(), (client) =>
        control().approveIncident(client, workflowId, {
          step: opts.step as ApprovableStep,
          approve: !opts.refuse,
          actor: currentActor(),
          ...(opts.reason ? { reason: opts.reason } : {}),
          ...(apiKey ? { newKeyHash: hashApiKey(apiKey), newKeyPrefix: keyPrefix(apiKey) } : {}),
        }),
      );
      emit(opts.json, apiKey ? { ...view, apiKey } : view, () =>
        [
          `${opts.refuse ? 'Refused' : 'Approved'} ${opts.step}. ${describe(view)}`,
          ...(apiKey
            ? [
                `New API key for ${view.security?.tenant} (shown once, store it now): ${apiKey}`,
                `The old key works until ${view.security?.oldKeyUntil ?? 'now'}.`,
              ]
            : []),
        ].join('\n'),
      );
    });

  incident
    .command('cases')
    .description(
      "Draft golden cases from a quality incident's worst-scored answers (variables recovered from the logged messages), for review",
    )
    .argument('<incident>', 'its number (incident list) or workflow id')
    .option('--out <file>', 'write the dataset here (default: <prompt>-incident-<id>.yaml)')
    .option('--json', 'machine-readable output: {file, cases, skipped}')
    .action(async (id: string, opts: { out?: string; json?: boolean }) => {
      const draft = await withDatabase(async (db) => {
        const { incident: found, tuples } = await evidenceTuples(db.pool, id);
        return draftGoldenDataset(found, tuples);
      });
      const file = opts.out ?? `${draft.name}.yaml`;
      if (draft.cases) writeFileSync(file, draft.yaml);
      emit(opts.json, { file: draft.cases ? file : null, cases: draft.cases, skipped: draft.skipped }, () =>
        [
          draft.cases
            ? `Wrote ${draft.cases} case(s) to ${file}. Review them, then try them: \`flightdeck eval run ${draft.prompt}@production --dataset ${file}\`.`
            : 'No case could be drafted (nothing written).',
          ...draft.skipped.map((s) => `  skipped ${s.requestId}: ${s.why}`),
        ].join('\n'),
      );
    });

  incident
    .command('bundle')
    .description(
      'The evidence bundle as JSON: the incident, its timeline with the evidence (requests, traces, body digests), its alert and every change it made',
    )
    .argument('<incident>', 'its number (incident list) or workflow id')
    .option('--out <file>', 'write it to this file instead of stdout')
    .action(async (id: string, opts: { out?: string }) => {
      const facts = await withDatabase((db) => gatherPostmortemFacts(db.pool, id));
      const bundle = JSON.stringify({ bundledAt: new Date().toISOString(), ...facts }, null, 2);
      if (!opts.out) return void process.stdout.write(`${bundle}\n`);
      writeFileSync(opts.out, bundle);
      process.stdout.write(`Wrote ${opts.out} (incident #${facts.incident.id}).\n`);
    });
}

/** Replay the worst evidence requests (the provider and the judge are loaded only when there are some). */
async function replayEvidence(pool: Pool, facts: PostmortemFacts, count: number): Promise<PostmortemFacts['replays']> {
  const { answers } = incidentEvidence(facts.incident.timeline);
  if (!count || !answers.length) return undefined;
  const env = loadEnv();
  const providers = new (providerDirectory().ProviderDirectory)(loadProviderConfig(env), env);
  const judge = new (judges().Judge)(pool, providers, DEFAULT_JUDGE_MODEL);
  const results: NonNullable<PostmortemFacts['replays']> = [];
  for (const answer of answers.slice(0, count)) {
    try {
      const replayed = await replays().replayRequest(pool, providers, answer.requestId, { judge });
      results.push({ requestId: answer.requestId, reproduced: replayed.reproduced, score: replayed.replayed.score });
    } catch (error) {
      results.push({ requestId: answer.requestId, error: (error as Error).message.split('\n')[0]! });
    }
  }
  return results;
}

/**
 * The evidence step: a quality incident's answers, worst first (what finds each trace and what a test
 * case needs); a security incident's affected requests, newest first (their traces and guardrails).
 */
function evidenceLines(timeline: Array<{ step: string; details: Record<string, unknown> }>): string[] {
  const { answers, requests: affected, more } = incidentEvidence(timeline);
  if (affected.length)
    return [
      '',
      `Evidence (affected requests${more ? `, ${more} more in \`incident bundle\`` : ''}):`,
      table(
        ['AT', 'REQUEST', 'TRACE', 'TENANT', 'PROMPT', 'GUARDRAILS', 'BODY'],
        affected.map((a) => [
          formatTime(new Date(a.at)),
          a.requestId,
          a.traceId ?? '-',
          a.tenant ?? '-',
          a.prompt ? `${a.prompt}@${a.version ?? '?'}` : '-',
          a.guardrails
            .filter((g) => g.decision !== 'allow')
            .map((g) => `${g.id}:${g.decision}`)
            .join(' ') || '-',
          a.body ? `sha256 ${a.body.sha256.slice(0, 12)}` : 'none',
        ]),
      ),
    ];
  if (!answers.length) return [];
  const cut = (text: string | null) => (text ?? '').replace(/\s+/g, ' ').slice(0, 60);
  return [
    '',
    'Evidence (worst-scored answers):',
    table(
      ['SCORE', 'REQUEST', 'TRACE', 'VERSION', 'INPUT', 'OUTPUT'],
      answers.map((a) => [
        a.score.toFixed(2),
        a.requestId,
        a.traceId ?? '-',
        a.version ?? '-',
        cut(a.input),
        cut(a.output),
      ]),
    ),
  ];
}

function requiredReason(reason: string): string {
  if (!reason.trim()) throw new InputError('Give a reason (--reason "…"): it goes into the timeline');
  return reason;
}
