import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { getIncident } from '../../src/incidents/incidentStore';
import { incidentWorkflowId, type IncidentInput } from '../../src/model/incident';
import { moveLabel, PRODUCTION } from '../../src/registry/labels';
import { applyStepRoute } from '../../src/release/rolloutRouting';
import { hasLiveCandidate } from '../../src/routing/routeStore';
import { createFlightdeckWorker } from '../../workers/worker';
import { incidentWorkflow } from '../../workflows/incident';
import { approveIncidentUpdate, incidentStatusQuery, resolveIncidentSignal } from '../../workflows/incidentMessages';
import { writeAlert } from '../../src/telemetry/alerts';
import { pushSupportAnswerAs } from '../fixtures/evals';
import { createTestDatabase, type TestDatabase } from '../harness/database';
import { eventually } from '../harness/gateway';
import { simulatorProviders } from '../harness/providers';
import { timeSkippingEnvironment, workflowBundle } from '../harness/temporal';

/**
 * Issue 14, the quality-regression playbook on the time-skipping server with real Postgres: what
 * changed is found in the audit log, production goes back one release (or the live canary is
 * aborted), the worst-scored answers are kept, and the alert decides after the verify window:
 * back in bounds closes, still open undoes the rollback and escalates. Nothing released: escalate.
 */
let env: TestWorkflowEnvironment;
let db: TestDatabase;

const worker = (): Promise<Worker> =>
  createFlightdeckWorker({
    connection: env.nativeConnection,
    namespace: env.namespace ?? 'default',
    pool: db.pool,
    providers: simulatorProviders(1),
    taskQueue: 'quality-incidents',
    workflowBundle: workflowBundle(),
  });

beforeAll(async () => {
  env = await timeSkippingEnvironment();
  db = await createTestDatabase();
  // Each prompt's usual answers, two days back: written before any check reads baselines (they are
  // read once an hour and cached).
  for (const name of ['qr-fixed', 'qr-stuck', 'qr-quiet-night']) await judged(name, '1.0.0', 60, 0.8, 2);
});
afterAll(async () => {
  await env?.teardown();
  await db?.drop();
});

/** A prompt whose production went 1.0.0 -> 1.1.0, with `scored` judged answers of 1.1.0 (scores 0.1, 0.2, …). */
async function releasedPrompt(name: string, scored = 0): Promise<void> {
  await pushSupportAnswerAs(db.pool, name);
  for (const version of ['1.0.0', '1.1.0'])
    await moveLabel(db.pool, { name, label: PRODUCTION, version, actor: 'release-manager', reason: 'release' });
  for (let i = 0; i < scored; i++) {
    const id = `${name}-req-${i}`;
    await db.pool.query(
      `INSERT INTO requests (ts, request_id, tenant_id, prompt_name, prompt_version, model, latency_ms_total, status, trace_id)
       VALUES (now(), $1, 'acme', $2, '1.1.0', 'sim-small-2026-01-01', 100, 200, $3)`,
      [id, name, `trace-${i}`],
    );
    await db.pool.query(
      `INSERT INTO request_bodies (request_id, tenant_id, messages, output, expires_at, ts)
       SELECT request_id, tenant_id, $2, $3, now() + interval '1 day', ts FROM requests WHERE request_id = $1`,
      [id, JSON.stringify([{ role: 'user', content: `question ${i}` }]), `bad answer ${i}`],
    );
    await db.pool.query(
      `INSERT INTO judge_samples (request_id, judge_model, score, request_ts, source)
       SELECT request_id, 'judge', $2, ts, 'production' FROM requests WHERE request_id = $1`,
      [id, (i + 1) / 10],
    );
  }
}

/** `n` judged production answers of `version`, scored about `score`, `daysAgo` days back (0: now). */
async function judged(name: string, version: string, n: number, score: number, daysAgo = 0): Promise<void> {
  await db.pool.query(`SELECT request_log_partition((now() - $1 * interval '1 day')::date)`, [daysAgo]);
  await db.pool.query(
    `WITH rows AS (
       INSERT INTO requests (ts, request_id, tenant_id, prompt_name, prompt_version, model, latency_ms_total, status)
       SELECT now() - $4 * interval '1 day' - i * interval '1 second', $1 || '-' || $2 || '-' || $4 || '-' || i, 'acme',
              $1, $2, 'sim-small-2026-01-01', 100, 200
       FROM generate_series(1, $3) i RETURNING request_id, ts)
     INSERT INTO judge_samples (request_id, judge_model, score, request_ts, source)
     SELECT request_id, 'judge', $5 + (abs(hashtext(request_id)) % 11 - 5) / 100.0, ts, 'production' FROM rows`,
    [name, version, n, daysAgo, score],
  );
}

const firingAlert = async (key: string) =>
  db.pool.query(
    `INSERT INTO monitor_alerts (key, rule_id, severity, state, summary, numbers, playbook)
     VALUES ($1, 'prompt-judge-score', 'ticket', 'firing', 'judge score down 0.3', '{}', 'quality-regression')`,
    [key],
  );
const production = async (name: string) =>
  (await db.pool.query(`SELECT version FROM prompt_labels WHERE prompt_name = $1 AND label = 'production'`, [name]))
    .rows[0]?.version;

const regression = (prompt: string, over: Partial<Extract<IncidentInput, { kind: 'quality-regression' }>> = {}) => {
  const input: IncidentInput = {
    kind: 'quality-regression',
    key: `prompt-judge-score:prompt=${prompt}`,
    prompt,
    reason: 'judge score down 0.3',
    actor: 'monitor',
    alertKey: `prompt-judge-score:prompt=${prompt}`,
    verifyMinutes: 10,
    ...over,
  };
  return env.client.workflow.start(incidentWorkflow, {
    taskQueue: 'quality-incidents',
    workflowId: incidentWorkflowId('quality-regression', input.key),
    args: [input],
  });
};

it('rolls production back one release, keeps the worst answers, and closes once the answers since are back in bounds', async () => {
  await releasedPrompt('qr-fixed', 3);
  await firingAlert('prompt-judge-score:prompt=qr-fixed');
  const view = await (
    await worker()
  ).runUntil(async () => {
    const handle = await regression('qr-fixed');
    await eventually(async () => (await production('qr-fixed')) === '1.0.0');
    await eventually(async () => (await handle.query(incidentStatusQuery)).quality?.evidence === 3);
    // Answers after the rollback score as usual. The alert stays open (its longer windows still
    // hold the regression): the verdict is on the time since the rollback alone.
    await judged('qr-fixed', '1.0.0', 60, 0.8);
    return handle.result();
  });
  expect(view).toMatchObject({
    status: 'resolved',
    resolvedBy: 'flightdeck',
    quality: { production: '1.1.0', rollback: 'production 1.1.0 -> 1.0.0', evidence: 3, verified: true },
  });
  const incident = await getIncident(
    db.pool,
    incidentWorkflowId('quality-regression', 'prompt-judge-score:prompt=qr-fixed'),
  );
  expect(incident.timeline.map((s) => s.step)).toEqual(['detect', 'investigate', 'mitigate', 'evidence', 'close']);
  expect(incident.timeline.at(-1)!.message).toMatch(/^back in bounds 10 min after the rollback/);
  const evidence = incident.timeline.find((s) => s.step === 'evidence')!.details as { answers: Array<object> };
  // Worst first, each with what finds its trace and what a test case needs.
  expect(evidence.answers[0]).toMatchObject({
    requestId: 'qr-fixed-req-0',
    score: 0.1,
    traceId: 'trace-0',
    version: '1.1.0',
    input: 'question 0',
    output: 'bad answer 0',
  });
  const audit = await db.pool.query(
    `SELECT actor, from_value, to_value FROM audit_log WHERE action = 'label.move' AND subject = 'qr-fixed' ORDER BY id DESC LIMIT 1`,
  );
  expect(audit.rows[0]).toEqual({ actor: incident.workflowId, from_value: '1.1.0', to_value: '1.0.0' });
});

it('a rollback that did not help is undone and the incident escalates until a person resolves it', async () => {
  await releasedPrompt('qr-stuck');
  await firingAlert('prompt-judge-score:prompt=qr-stuck');
  await (
    await worker()
  ).runUntil(async () => {
    const handle = await regression('qr-stuck');
    await eventually(async () => (await production('qr-stuck')) === '1.0.0');
    // The answers stay bad after the rollback: the cause was not the release.
    await judged('qr-stuck', '1.0.0', 60, 0.3);
    await env.sleep('11 minutes');
    await eventually(async () => (await handle.query(incidentStatusQuery)).status === 'escalated');
    expect(await production('qr-stuck')).toBe('1.1.0');
    expect((await handle.query(incidentStatusQuery)).quality?.verified).toBe(false);
    await handle.signal(resolveIncidentSignal, { actor: 'oncall', reason: 'the provider changed its model' });
    expect(await handle.result()).toMatchObject({ status: 'resolved', resolvedBy: 'oncall' });
  });
  const incident = await getIncident(
    db.pool,
    incidentWorkflowId('quality-regression', 'prompt-judge-score:prompt=qr-stuck'),
  );
  expect(incident.timeline.map((s) => s.step)).toEqual([
    'detect',
    'investigate',
    'mitigate',
    'evidence',
    'undo',
    'escalate',
    'close',
  ]);
});

it('with a rollback that waits for approval, a live canary is aborted once approved; nothing released escalates at once', async () => {
  await releasedPrompt('qr-canary');
  await applyStepRoute(db.pool, {
    prompt: 'qr-canary',
    version: '1.0.0',
    weightBp: 2500,
    shadow: false,
    shadowSampleBp: 0,
    actor: 'rollout',
    reason: 'step 25%',
  });
  await pushSupportAnswerAs(db.pool, 'qr-quiet');
  await moveLabel(db.pool, {
    name: 'qr-quiet',
    label: PRODUCTION,
    version: '1.0.0',
    actor: 'a',
    reason: 'first release',
  });
  // The scheduled eval saw qr-quiet drop with nothing released: the provider's model changed.
  await writeAlert(db.pool, {
    kind: 'eval.drop',
    subject: 'qr-quiet',
    message: 'qr-quiet@1.0.0: rubric dropped by 12.0 points against the last passing run',
  });
  await (
    await worker()
  ).runUntil(async () => {
    const handle = await regression('qr-canary', { approval: true, alertKey: undefined, key: 'qr-canary' });
    await eventually(async () => (await handle.query(incidentStatusQuery)).status === 'awaiting-approval');
    expect(await hasLiveCandidate(db.pool, 'qr-canary')).toBe(true);
    await handle.executeUpdate(approveIncidentUpdate, { args: [{ step: 'rollback', approve: true, actor: 'oncall' }] });
    // No rollout workflow answers here: the route is written directly after 20 s, audited as forced.
    await eventually(async () => !(await hasLiveCandidate(db.pool, 'qr-canary')), 30_000);
    // No alert to judge by: rolled back and closed, not called verified.
    const closed = await handle.result();
    expect(closed.status).toBe('resolved');
    expect(closed.quality?.verified).toBeUndefined();

    const quiet = await regression('qr-quiet', { key: 'qr-quiet', alertKey: undefined });
    await eventually(async () => (await quiet.query(incidentStatusQuery)).status === 'escalated');
    expect(await production('qr-quiet')).toBe('1.0.0');
    await quiet.signal(resolveIncidentSignal, { actor: 'oncall' });
    await quiet.result();
  });
  const forced = await db.pool.query(
    `SELECT details->'details'->>'forced' AS forced FROM audit_log WHERE action = 'route.set' AND subject = 'qr-canary' ORDER BY id DESC LIMIT 1`,
  );
  expect(forced.rows[0]).toEqual({ forced: 'true' });
  const quiet = await getIncident(db.pool, incidentWorkflowId('quality-regression', 'qr-quiet'));
  expect(quiet.timeline.map((s) => s.step)).toEqual(['detect', 'investigate', 'escalate', 'close']);
  expect(quiet.timeline.find((s) => s.step === 'escalate')!.message).toMatch(
    /the scheduled eval saw a drop with nothing released, so the provider's model likely changed under its name \(qr-quiet@1\.0\.0: rubric dropped/,
  );
  expect(quiet.timeline.find((s) => s.step === 'investigate')!.details.changes).toEqual(
    expect.arrayContaining([expect.objectContaining({ action: 'eval.drop', actor: 'scheduled eval' })]),
  );
});

it('too few answers since the rollback to judge: the rollback is kept and the incident closes unverified', async () => {
  await releasedPrompt('qr-quiet-night');
  await firingAlert('prompt-judge-score:prompt=qr-quiet-night');
  const view = await (
    await worker()
  ).runUntil(async () => {
    const handle = await regression('qr-quiet-night');
    await eventually(async () => (await production('qr-quiet-night')) === '1.0.0');
    await judged('qr-quiet-night', '1.0.0', 5, 0.3); // five answers: not enough to call either way
    return handle.result();
  });
  expect(view.quality?.verified).toBeUndefined();
  expect(await production('qr-quiet-night')).toBe('1.0.0');
  const incident = await getIncident(
    db.pool,
    incidentWorkflowId('quality-regression', 'prompt-judge-score:prompt=qr-quiet-night'),
  );
  expect(incident.timeline.at(-1)!.message).toMatch(/^rolled back and kept; not verified: 5 samples now, 50 needed/);
});
