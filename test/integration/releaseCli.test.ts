import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Worker } from '@temporalio/worker';
import { ScheduleOverlapPolicy } from '@temporalio/client';
import { storeDataset } from '../../src/evals/runStore';
import { hashApiKey } from '../../src/tenants/apiKey';
import { resolvePrompt } from '../../src/registry/registry';
import { renderPrompt } from '../../src/registry/render';
import { loadDataset } from '../../src/evals/dataset';
import { startSimulator, type RunningSimulator } from '../../src/simulator/server';
import { TASK_QUEUE } from '../../src/temporal/connection';
import { scheduledEvalWorkflow } from '../../workflows/scheduledEval';
import { FlightdeckStage, FlightdeckWeight } from '../../src/model/searchAttributes';
import { runCli } from '../harness/cli';
import { eventually } from '../harness/gateway';
import { createTestDatabase, type TestDatabase } from '../harness/database';
import { harnessValue } from '../harness/harnessEnv';
import { simulatorProviders } from '../harness/providers';
import { connectDevServer, uniqueTaskQueue, type DevServerHandles } from '../harness/temporal';
import {
  DATASET_PATH,
  LABELS_PATH,
  exampleDataset,
  fastSimulator,
  pushSupportAnswer,
  pushSupportAnswerAs,
} from '../fixtures/evals';

// The only test file whose worker polls the real `flightdeck` task queue: the CLI starts workflows there.
describe('promote, rollout and schedules from the CLI on the real dev server', () => {
  let db: TestDatabase;
  let sim: RunningSimulator;
  let temporal: DevServerHandles;
  let worker: Worker;
  let running: Promise<void>;
  let env: Record<string, string>;
  const cli = (...args: string[]) => runCli(args, env);

  beforeAll(async () => {
    db = await createTestDatabase();
    sim = await startSimulator({});
    await fastSimulator(sim);
    await pushSupportAnswer(db.pool);
    env = {
      DATABASE_URL: db.url,
      TEMPORAL_ADDRESS: harnessValue('temporalAddress'),
      FLIGHTDECK_SIMULATOR_PORT: String(sim.port),
      FLIGHTDECK_ACTOR: 'release-manager',
    };
    temporal = await connectDevServer();
    worker = await temporal.worker(db.pool, TASK_QUEUE, simulatorProviders(sim.port));
    running = worker.run();
  });
  afterAll(async () => {
    worker.shutdown();
    await running;
    await temporal.close();
    await sim.close();
    await db.drop();
  });

  const rolloutStatus = async () =>
    JSON.parse((await cli('rollout', 'status', 'support-answer', '--json')).stdout) as {
      promotion: { stage: string };
      rollout?: { stage: string; stepIndex: number; weightBp: number };
    };
  async function until(test: (view: Awaited<ReturnType<typeof rolloutStatus>>) => boolean) {
    for (let i = 0; i < 300; i++) {
      const view = await rolloutStatus().catch(() => undefined);
      if (view && test(view)) return view;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('the release never reached the expected state');
  }

  it('refuses bad promotions, then promotes through the gate into a canary people steer from the CLI and the temporal CLI', async () => {
    const refused = await cli('promote', 'support-answer@1.1.0', '--dataset', DATASET_PATH);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/has not been calibrated/);
    expect((await cli('eval', 'calibrate', '--labels', LABELS_PATH)).code).toBe(0);
    const noDataset = await cli('promote', 'support-answer@1.1.0');
    expect(noDataset.code).toBe(2);
    expect(noDataset.stderr).toMatch(/--dataset <file>, or --skip-eval --reason/);
    const noReason = await cli('promote', 'support-answer@1.1.0', '--skip-eval');
    expect(noReason.code).toBe(2);
    expect(noReason.stderr).toMatch(/--skip-eval needs --reason/);
    const badSteps = await cli(
      'promote',
      'support-answer@1.1.0',
      '--dataset',
      DATASET_PATH,
      '--steps',
      '5:1m,3:1m,100',
    );
    expect(badSteps.code).toBe(2);
    expect(badSteps.stderr).toMatch(/weights must grow/);
    expect((await cli('rollout', 'pause', 'support-answer')).stderr).toMatch(/has no live rollout/);

    // No traffic reaches this prompt, so every analysis is inconclusive: the canary holds at 5%.
    const started = await cli(
      'promote',
      'support-answer@1.1.0',
      '--dataset',
      DATASET_PATH,
      '--steps',
      '5:1h,50:1h,100',
      '--interval',
      '1s',
      '--inconclusive-limit',
      '1000',
      '--json',
    );
    expect(started.code).toBe(0);
    expect(JSON.parse(started.stdout)).toMatchObject({
      workflowId: 'promotion/support-answer/1.1.0',
      steps: [{ weightBp: 500 }, { weightBp: 5000 }, { weightBp: 10000 }],
    });
    const twice = await cli('promote', 'support-answer@1.1.0', '--dataset', DATASET_PATH);
    expect(twice.code).toBe(2);
    expect(twice.stderr).toMatch(/already running/);

    const live = await until((v) => v.rollout?.stage === 'canary');
    expect(live).toMatchObject({
      promotion: { stage: 'rolling-out', gate: { passed: true } },
      rollout: { stepIndex: 0, weightBp: 500 },
    });
    const text = await cli('rollout', 'status', 'support-answer');
    expect(text.stdout).toMatch(/canary: support-answer@1\.1\.0 \(baseline 1\.0\.0\): canary, step 1\/3 at 5%/);
    expect(text.stdout).toMatch(/in hold for \d+ s of 60\.0 min/);
    const description = await temporal.client.workflow.getHandle('rollout/support-answer').describe();
    expect(description.typedSearchAttributes.get(FlightdeckStage)).toBe('canary');
    expect(description.typedSearchAttributes.get(FlightdeckWeight)).toBe(5);

    expect((await cli('rollout', 'approve', 'support-answer')).stderr).toMatch(/not waiting for approval \(canary\)/);
    const paused = await cli('rollout', 'pause', 'support-answer', '--reason', 'incident', '--json');
    expect(JSON.parse(paused.stdout)).toMatchObject({ stage: 'paused', paused: true });
    expect((await cli('rollout', 'pause', 'support-answer')).code).toBe(2);
    expect(JSON.parse((await cli('rollout', 'resume', 'support-answer', '--json')).stdout)).toMatchObject({
      stage: 'canary',
      paused: false,
    });

    // On-call without flightdeck: the plain temporal CLI sends the same messages (async: the worker runs in this process).
    const temporalCli = (JSON.parse(harnessValue('cli')) as { path: string }).path;
    const temporalRun = async (...args: string[]) =>
      (await promisify(execFile)(temporalCli, [...args, '--address', harnessValue('temporalAddress')])).stdout;
    await temporalRun(
      'workflow',
      'signal',
      '--workflow-id',
      'rollout/support-answer',
      '--name',
      'pause',
      '--input',
      '{"actor":"oncall"}',
    );
    await until((v) => v.rollout?.stage === 'paused');
    const queried = await temporalRun(
      'workflow',
      'query',
      '--workflow-id',
      'rollout/support-answer',
      '--type',
      'status',
      '--output',
      'json',
    );
    expect(queried).toMatch(/"stage":\s*"paused"/);
    await temporalRun(
      'workflow',
      'signal',
      '--workflow-id',
      'rollout/support-answer',
      '--name',
      'resume',
      '--input',
      '{"actor":"oncall"}',
    );
    await temporalRun(
      'workflow',
      'update',
      'execute',
      '--workflow-id',
      'rollout/support-answer',
      '--name',
      'promote',
      '--input',
      '{"actor":"oncall","reason":"numbers look fine"}',
    );
    await until((v) => v.rollout?.weightBp === 5000);

    const full = await cli('rollout', 'promote', 'support-answer', '--full', '--reason', 'ship it', '--json');
    expect(JSON.parse(full.stdout)).toMatchObject({
      stage: 'completed',
      decisions: expect.arrayContaining([
        expect.objectContaining({ kind: 'promote-full', by: 'release-manager', reason: 'ship it' }),
      ]),
    });
    expect((await resolvePrompt(db.pool, 'support-answer')).version).toBe('1.1.0');
    expect((await until((v) => v.promotion.stage === 'promoted')).rollout).toMatchObject({ stage: 'completed' });
    expect((await cli('rollout', 'abort', 'support-answer', '--reason', 'late')).stderr).toMatch(
      /no live release to abort/,
    );
  }, 120_000); // a dozen CLI runs and waits on a loaded 2-core machine

  it('rollback: a live canary goes back to stable through the workflow; without one, production moves back', async () => {
    const started = await cli(
      'promote',
      'support-answer@1.2.0',
      '--skip-eval',
      '--reason',
      'hotfix',
      '--steps',
      '5:1h,100',
      '--interval',
      '1s',
      '--inconclusive-limit',
      '1000',
      '--json',
    );
    expect(started.code).toBe(0);
    await until((v) => v.rollout?.stage === 'canary' && v.rollout.weightBp === 500);
    const audit = await db.pool.query(
      `SELECT reason FROM audit_log WHERE action = 'promotion.skip-eval' AND subject = 'support-answer'`,
    );
    expect(audit.rows).toEqual([{ reason: 'hotfix' }]);

    const canary = await cli('rollback', 'support-answer', '--reason', 'pager', '--json');
    expect(canary.code).toBe(0);
    expect(JSON.parse(canary.stdout)).toMatchObject({
      kind: 'canary-aborted',
      rollout: { stage: 'aborted', weightBp: 0 },
    });
    expect((await resolvePrompt(db.pool, 'support-answer')).version).toBe('1.1.0');
    expect((await until((v) => v.promotion.stage === 'rolled-back')).rollout).toMatchObject({
      stage: 'aborted',
      decisions: expect.arrayContaining([expect.objectContaining({ kind: 'abort', reason: 'pager' })]),
    });

    const label = await cli('rollback', 'support-answer', '--reason', 'pager again', '--json');
    expect(JSON.parse(label.stdout)).toMatchObject({ kind: 'label-moved', from: '1.1.0', to: '1.0.0', changed: true });
  });

  it('installs the schedules idempotently and lists them', async () => {
    const first = JSON.parse((await cli('schedules', 'install', '--json')).stdout);
    const second = JSON.parse((await cli('schedules', 'install', '--json')).stdout);
    const ids = [
      'flightdeck-scheduled-eval',
      'flightdeck-monitors',
      'flightdeck-answer-sampling',
      'flightdeck-usage-reconciliation',
      'flightdeck-synthetic-probes',
      'flightdeck-jailbreak-canaries',
      'flightdeck-drill-provider-kill',
      'flightdeck-drill-prompt-rollback',
    ];
    expect(first).toEqual(ids.map((id) => ({ id, outcome: expect.stringMatching(/created|updated/) })));
    expect(second).toEqual(ids.map((id) => ({ id, outcome: 'updated' })));
    const list = JSON.parse((await cli('schedules', 'list', '--json')).stdout);
    expect(list.map((s: { id: string }) => s.id)).toEqual(ids);
    for (const schedule of list) {
      expect(schedule).toMatchObject({ installed: true });
      expect(Date.parse(schedule.nextRuns[0])).toBeGreaterThan(Date.now());
    }
    // The monitor pass runs every minute and never twice at once.
    const monitors = await temporal.client.schedule.getHandle('flightdeck-monitors').describe();
    expect(monitors.policies.overlap).toBe(ScheduleOverlapPolicy.SKIP);
    expect(Date.parse(list[1].nextRuns[1]) - Date.parse(list[1].nextRuns[0])).toBe(60_000);
    // The judge samples production answers every minute, one run at a time.
    const sampling = await temporal.client.schedule.getHandle('flightdeck-answer-sampling').describe();
    expect(sampling.policies.overlap).toBe(ScheduleOverlapPolicy.SKIP);
    expect(Date.parse(list[2].nextRuns[1]) - Date.parse(list[2].nextRuns[0])).toBe(60_000);
    // Kill drills run quarterly in the afternoon, and one missed by more than 15 minutes is skipped.
    const drill = await temporal.client.schedule.getHandle('flightdeck-drill-provider-kill').describe();
    expect(drill.policies).toMatchObject({ overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: 15 * 60_000 });
    expect(Date.parse(list[4].nextRuns[1]) - Date.parse(list[4].nextRuns[0])).toBe(5 * 60_000);
    for (const next of list[6].nextRuns) {
      const at = new Date(next);
      expect([0, 3, 6, 9]).toContain(at.getUTCMonth());
      expect([at.getUTCDate(), at.getUTCHours()]).toEqual([15, 14]);
    }
  });

  it('the scheduled eval raises an alert when production silently gets worse', async () => {
    const dataset = exampleDataset();
    await storeDataset(db.pool, dataset);
    const taskQueue = uniqueTaskQueue('scheduled');
    const own = await temporal.worker(db.pool, taskQueue, simulatorProviders(sim.port));
    await own.runUntil(async () => {
      const run = () =>
        temporal.client.workflow.execute(scheduledEvalWorkflow, {
          taskQueue,
          workflowId: `scheduled-eval-${taskQueue}-${Date.now()}`,
        });
      const healthy = await run();
      expect(healthy).toEqual([expect.objectContaining({ prompt: 'support-answer', passed: true, alerted: false })]);
      // The provider changes the model behind the same id: answers get worse, nothing else changes.
      await fetch(`${sim.url}/admin/profiles/gpt-4o-mini-2024-07-18`, {
        method: 'PUT',
        body: JSON.stringify({ ttftMs: 2, perTokenMs: 0, quality: { off_context: 0.6, refusal: 0.3 } }),
      });
      const degraded = await run();
      expect(degraded).toEqual([expect.objectContaining({ prompt: 'support-answer', alerted: true })]);
    });
    const alerts = await db.pool.query(`SELECT kind, subject, message FROM alerts`);
    expect(alerts.rows).toEqual([
      {
        kind: 'eval.drop',
        subject: 'support-answer',
        message: expect.stringMatching(/dropped by .* against the last passing run/),
      },
    ]);
  });
  // In this file because the CLI starts workflows on the `flightdeck` task queue, which this file's worker serves.
  it('an incident from the CLI: start (joined when open), list, show, resolve; bad input exits 2 and starts nothing', async () => {
    const model = 'gpt-4o-mini-2024-07-18';
    const backup = 'claude-haiku-4-5-20251001';
    const start = (...extra: string[]) =>
      cli('incident', 'start', 'provider-outage', '--model', model, '--reason', 'provider 5xx', ...extra);
    const started = await start('--backup', backup, '--healthy-probes', '1000', '--json');
    expect(started.code).toBe(0);
    const { workflowId, joined, status } = JSON.parse(started.stdout);
    expect({ workflowId, joined, status: status.status }).toEqual({
      workflowId: `incident/provider-outage/${model}`,
      joined: false,
      status: 'mitigated',
    });
    const override = await db.pool.query('SELECT backup, incident FROM route_overrides WHERE model = $1', [model]);
    expect(override.rows).toEqual([{ backup, incident: workflowId }]);
    expect(JSON.parse((await start('--backup', backup, '--json')).stdout).joined).toBe(true);
    const listed = JSON.parse((await cli('incident', 'list', '--json')).stdout);
    expect(listed).toEqual([expect.objectContaining({ workflowId, status: 'mitigated', openedBy: 'release-manager' })]);

    const resolved = await cli('incident', 'resolve', workflowId, '--reason', 'provider fixed it', '--json');
    expect(resolved.code).toBe(0);
    expect(JSON.parse(resolved.stdout)).toMatchObject({ status: 'resolved', resolvedBy: 'release-manager' });
    expect((await db.pool.query('SELECT 1 FROM route_overrides')).rowCount).toBe(0);
    const shown = await cli('incident', 'show', workflowId);
    expect(shown.stdout).toMatch(/resolved \(resolved by release-manager\)/);
    expect(shown.stdout).toMatch(/detect[\s\S]*mitigate[\s\S]*restore[\s\S]*close/);
    expect((await cli('incident', 'list')).stdout).toMatch(/No open incidents/);

    const unknownKind = await cli('incident', 'start', 'outage', '--model', model, '--backup', backup, '--reason', 'x');
    expect(unknownKind.code).toBe(2);
    expect(unknownKind.stderr).toMatch(/Unknown incident kind "outage"; one of provider-outage/);
    const loop = await start('--backup', model);
    expect(loop.code).toBe(2);
    expect(loop.stderr).toMatch(/backup: the backup must be another model/);
    const missing = await cli('incident', 'resolve', 'incident/provider-outage/nope', '--reason', 'x');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/No incident incident\/provider-outage\/nope/);
    expect((await db.pool.query('SELECT count(*)::int AS n FROM incidents')).rows[0].n).toBe(1);
  });
  it('a cost incident from the CLI: start for a tenant, ack, escalate, approve refused when nothing waits, resolve; bad input exits 2', async () => {
    expect((await cli('tenant', 'create', 'spendy', '--tier', 'free')).code).toBe(0);
    const started = await cli(
      'incident',
      'start',
      'cost-runaway',
      '--tenant',
      'spendy',
      '--reason',
      'bill alarm',
      '--json',
    );
    expect(started.code).toBe(0);
    const { workflowId, status } = JSON.parse(started.stdout);
    expect(workflowId).toBe('incident/cost-runaway/spendy');
    // No spend at all: the first rung (warn) and nothing more.
    expect(status).toMatchObject({ status: 'mitigated', cost: { tenant: 'spendy', rung: 'warn', ratio: 0 } });

    const early = await cli('incident', 'approve', workflowId, '--step', 'kill');
    expect(early.code).toBe(2);
    expect(early.stderr).toMatch(/Nothing waits for approval of "kill" now/);
    const acked = await cli('incident', 'ack', workflowId, '--json');
    expect(JSON.parse(acked.stdout)).toMatchObject({ ackedBy: 'release-manager' });
    expect((await cli('incident', 'escalate', workflowId, '--reason', 'need finance')).stdout).toMatch(
      /cost-runaway spendy: mitigated \(tenant spendy: warn/,
    );
    const resolved = await cli('incident', 'resolve', workflowId, '--reason', 'budget raised', '--json');
    expect(JSON.parse(resolved.stdout)).toMatchObject({ status: 'resolved', escalations: 1 });
    const shown = await cli('incident', 'show', workflowId);
    expect(shown.stdout).toMatch(/detect[\s\S]*investigate[\s\S]*warn[\s\S]*ack[\s\S]*escalate[\s\S]*close/);

    for (const [args, message] of [
      [['--tenant', 'nobody'], /No tenant "nobody"/],
      [[], /cost-runaway needs --tenant/],
      [['--tenant', 'spendy', '--max-step', 'nuke'], /--max-step must be one of warn, throttle, kill/],
      [['--tenant', '../etc'], /tenant: a tenant id is/],
    ] as const) {
      const bad = await cli('incident', 'start', 'cost-runaway', '--reason', 'x', ...args);
      expect([bad.code, bad.stderr]).toEqual([2, expect.stringMatching(message)]);
    }
    const closed = await cli('incident', 'ack', workflowId);
    expect([closed.code, closed.stderr]).toEqual([2, expect.stringMatching(/is not open \(completed\)/)]);
    expect((await cli('tenant', 'throttle', 'spendy', '--reason', 'x', '--rpm', '0')).code).toBe(2);
    expect((await cli('tenant', 'throttle', 'spendy', '--reason', 'x', '--rpm', '30')).stdout).toMatch(
      /spendy: active -> throttled \(30 requests a minute per gateway process\)/,
    );
  });
  it('a quality incident from the CLI rolls production back one release; unknown prompts exit 2', async () => {
    await pushSupportAnswerAs(db.pool, 'qr-cli');
    for (const version of ['1.0.0', '1.1.0'])
      expect((await cli('prompt', 'label', 'qr-cli', version, 'production', '--reason', 'release')).code).toBe(0);
    // One badly judged answer of the release, with its stored body: the evidence the postmortem replays.
    await db.pool.query(
      `INSERT INTO requests (ts, request_id, tenant_id, prompt_name, prompt_version, model, latency_ms_total, status, trace_id)
       VALUES (now(), 'qr-cli-bad', 'acme', 'qr-cli', '1.1.0', 'sim-degraded-2026-01-01', 100, 200, 'trace-qr')`,
    );
    // Stored as the gateway stores it: the version's rendered messages (the variables themselves are not kept).
    const asked = { question: 'How long do refunds take?', context: 'Refunds reach your card within 5 business days.' };
    const rendered = renderPrompt((await resolvePrompt(db.pool, 'qr-cli', '1.1.0')).spec, asked).messages;
    await db.pool.query(
      `INSERT INTO request_bodies (request_id, tenant_id, messages, output, expires_at, ts)
       SELECT request_id, tenant_id, $1, 'I cannot help with that.', now() + interval '1 day', ts FROM requests
       WHERE request_id = 'qr-cli-bad'`,
      [JSON.stringify(rendered)],
    );
    await db.pool.query(
      `INSERT INTO judge_samples (request_id, judge_model, score, request_ts, source)
       SELECT request_id, 'judge', 0.1, ts, 'production' FROM requests WHERE request_id = 'qr-cli-bad'`,
    );
    const started = await cli(
      'incident',
      'start',
      'quality-regression',
      '--prompt',
      'qr-cli',
      '--reason',
      'complaints',
      '--json',
    );
    expect([started.code, started.stderr]).toEqual([0, '']);
    const { workflowId, status } = JSON.parse(started.stdout);
    expect(status).toMatchObject({ status: 'mitigated', quality: { rollback: 'production 1.1.0 -> 1.0.0' } });
    const production = await db.pool.query(
      `SELECT version FROM prompt_labels WHERE prompt_name = 'qr-cli' AND label = 'production'`,
    );
    expect(production.rows).toEqual([{ version: '1.0.0' }]);
    expect((await cli('incident', 'resolve', workflowId, '--reason', 'confirmed')).code).toBe(0);
    const out = path.join(os.tmpdir(), `postmortem-${process.pid}.md`);
    expect((await cli('incident', 'postmortem', workflowId, '--out', out)).code).toBe(0);
    const written = readFileSync(out, 'utf8');
    expect(written).toMatch(/^# Postmortem: incident #\d+, quality-regression \(qr-cli\)/);
    expect(written).toMatch(/label\.move qr-cli: 1\.1\.0 -> 1\.0\.0/);
    expect(written).toMatch(/\| 0\.10 \| qr-cli-bad \| trace-qr \| 1\.1\.0 \| [^|]*How long do refunds take\?[^|]* \|/);
    expect(written).toMatch(/Reproduced: [01] of 1 replayed from their stored tuples/);
    expect(written).toMatch(/- qr-cli-bad: (not )?reproduced, judge \d\.\d\d/);
    const kept = await db.pool.query(`SELECT postmortem FROM incidents WHERE workflow_id = $1`, [workflowId]);
    expect(kept.rows[0].postmortem).toBe(written);
    // The evidence drafted as golden cases: the eval runner loads them, with the variables recovered.
    const casesFile = path.join(os.tmpdir(), `cases-${process.pid}.yaml`);
    const drafted = await cli('incident', 'cases', workflowId, '--out', casesFile, '--json');
    expect(JSON.parse(drafted.stdout)).toEqual({ file: casesFile, cases: 1, skipped: [] });
    const golden = loadDataset(casesFile);
    expect(golden).toMatchObject({
      prompt: 'qr-cli',
      cases: [expect.objectContaining({ vars: { ...asked, tone: 'friendly' } })],
    }); // tone: its default
    const wrongKind = await cli('incident', 'cases', 'incident/security/leaky-cli');
    expect(wrongKind.code).toBe(2);
    const missing = await cli('incident', 'postmortem', '999999');
    expect([missing.code, missing.stderr]).toEqual([2, expect.stringMatching(/No incident 999999/)]);
    for (const [args, message] of [
      [['--prompt', 'nope'], /No prompt "nope"/],
      [[], /quality-regression needs --prompt/],
      [['--prompt', 'Bad Name'], /prompt: expected lowercase letters/],
    ] as const) {
      const bad = await cli('incident', 'start', 'quality-regression', '--reason', 'x', ...args);
      expect([bad.code, bad.stderr]).toEqual([2, expect.stringMatching(message)]);
    }
  });
  it('a leaked key from the CLI: the approving person gets the new key once, the bundle keeps the evidence; bad input exits 2', async () => {
    expect((await cli('tenant', 'create', 'leaky-cli', '--tier', 'free')).code).toBe(0);
    const started = await cli(
      'incident',
      'start',
      'security',
      '--finding',
      'leaked-key',
      '--tenant',
      'leaky-cli',
      '--overlap-minutes',
      '15',
      '--reason',
      'key in a public gist',
      '--json',
    );
    expect([started.code, started.stderr]).toEqual([0, '']);
    const { workflowId } = JSON.parse(started.stdout);
    expect(workflowId).toBe('incident/security/leaky-cli');
    const waiting = async () => JSON.parse((await cli('incident', 'list', '--json')).stdout);
    await eventually(async () =>
      (await waiting()).some(
        (i: { workflowId: string; status: string }) => i.workflowId === workflowId && i.status === 'awaiting-approval',
      ),
    );
    const approved = await cli('incident', 'approve', workflowId, '--step', 'rotate-key');
    expect(approved.code).toBe(0);
    const apiKey = /New API key for leaky-cli \(shown once, store it now\): (fdk_\S+)/.exec(approved.stdout)?.[1];
    expect(apiKey).toBeDefined();
    expect(approved.stdout).toMatch(/The old key works until \d{4}-/);
    const tenant = await db.pool.query(`SELECT key_hash, previous_key_hash FROM tenants WHERE id = 'leaky-cli'`);
    expect(tenant.rows[0].key_hash).toBe(hashApiKey(apiKey!));
    expect(tenant.rows[0].previous_key_hash).not.toBeNull();
    // Approving again: nothing waits, exit 2, the key stays the one printed.
    const again = await cli('incident', 'approve', workflowId, '--step', 'rotate-key');
    expect([again.code, again.stderr]).toEqual([
      2,
      expect.stringMatching(/Nothing waits for approval of "rotate-key"/),
    ]);
    expect((await db.pool.query(`SELECT key_hash FROM tenants WHERE id = 'leaky-cli'`)).rows[0].key_hash).toBe(
      hashApiKey(apiKey!),
    );
    const shown = await cli('incident', 'show', workflowId);
    expect(shown.stdout).toMatch(/approved rotate-key[\s\S]*rotate key/);
    expect((await cli('incident', 'resolve', workflowId, '--reason', 'customer rotated')).code).toBe(0);
    const bundleFile = path.join(os.tmpdir(), `bundle-${process.pid}.json`);
    expect((await cli('incident', 'bundle', workflowId, '--out', bundleFile)).code).toBe(0);
    const bundle = JSON.parse(readFileSync(bundleFile, 'utf8'));
    expect(bundle.incident.timeline.map((s: { step: string }) => s.step)).toEqual(
      expect.arrayContaining(['detect', 'evidence', 'approved rotate-key', 'rotate key', 'close']),
    );
    expect(bundle.changes).toEqual(expect.arrayContaining([expect.objectContaining({ action: 'tenant.key.rotate' })]));
    expect(readFileSync(bundleFile, 'utf8')).not.toContain(apiKey!);

    for (const [args, message] of [
      [['--tenant', 'leaky-cli'], /security needs --finding/],
      [['--finding', 'leaked-key'], /security needs --tenant <id> or --prompt <name>/],
      [['--finding', 'worm', '--tenant', 'leaky-cli'], /--finding must be one of injection, pii-output, leaked-key/],
      [['--finding', 'leaked-key', '--prompt', 'qr-cli'], /a key rotation needs the tenant/],
      [['--finding', 'injection', '--tenant', 'ghost'], /No tenant "ghost"/],
      [['--finding', 'injection', '--tenant', 'leaky-cli', '--approve', 'everything'], /approval/],
    ] as const) {
      const bad = await cli('incident', 'start', 'security', '--reason', 'x', ...args);
      expect([bad.code, bad.stderr]).toEqual([2, expect.stringMatching(message)]);
    }
  });
});
