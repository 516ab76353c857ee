import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Env } from '../../src/config/env';
import type { Pool } from '../../src/db/pool';
import { loadDataset } from '../../src/evals/dataset';
import { Judge } from '../../src/evals/judge';
import { gradeLiveAnswer } from '../../src/evals/liveAnswerGrade';
import { DEFAULT_JUDGE_MODEL } from '../../src/model/evalDefaults';
import { defaultProviderConfig } from '../../src/providers/config';
import { ProviderDirectory } from '../../src/providers/directory';
import { readPromptFile } from '../../src/registry/promptFile';
import { pushPrompts } from '../../src/registry/registry';
import { renderPrompt } from '../../src/registry/render';
import { waitFor } from './waitFor';
import { startSimulator } from '../../src/simulator/server';
import { createTenant } from '../../src/tenants/tenantStore';

/**
 * A quality regression released at 100% with `--skip-eval` on the live stack (part of
 * `bench:incidents`): support-answer 1.0.0 serves app traffic; 1.2.0 (the simulator's degraded model)
 * is promoted straight to production, no eval and no canary steps. The answer sampler and the monitor
 * pass run on their schedules (every minute); `prompt-judge-score` names the quality-regression
 * playbook, which must roll production back. Reported: minutes from the release to the alert and to
 * the rollback (goal: 10), and the playbook's timeline.
 */
export interface QualityTrial {
  baselineScore: number;
  releaseToAlertSeconds: number | null;
  releaseToRollbackSeconds: number;
  badAnswersServed: number;
  timeline: Array<{ step: string; atSeconds: number }>;
}

const REPO = path.join(__dirname, '..', '..');
const PROMPT = 'support-answer';
const TENANT = 'bench-quality';
const RATE = 5;
/** The prompt-judge-score rule as built in, naming the playbook, for the trial's monitors file. */
export const QUALITY_RULE =
  '  - { id: prompt-judge-score, metric: judge_score, by: [prompt], window_minutes: 5, stretch: 32, severity: ticket, detector: { kind: drop, drop: 0.1, z: 4, min_samples: 50, suspect_z: 2 }, playbook: quality-regression }';
export const QUALITY_PLAYBOOK = '  quality_regression: { verify_minutes: 5 }';

const questions = () => loadDataset(path.join(REPO, 'examples/datasets/support-answer.yaml')).cases.map((c) => c.vars);

/**
 * Before the stack starts: the prompt's versions, the app tenant, and a week of judged production
 * answers of 1.0.0 (the baseline the judge-score rule compares with). The baseline's scores are the
 * real judge's on the simulator's answers of 1.0.0, resampled over the week.
 */
export async function seedQualityBaseline(pool: Pool, env: Env): Promise<{ apiKey: string; score: number }> {
  const files = ['prompts/support-answer.v1.0.0.yaml', 'demo/support-answer.v1.2.0-regressed.yaml'].map((f) =>
    readPromptFile(path.join(REPO, 'examples', f)),
  );
  await pushPrompts(pool, files, 'bench');
  const sim = await startSimulator({ port: 0 });
  const scores: number[] = [];
  try {
    const providers = new ProviderDirectory(
      defaultProviderConfig({ ...env, FLIGHTDECK_SIMULATOR_PORT: sim.port }),
      env,
    );
    const judge = new Judge(pool, providers, DEFAULT_JUDGE_MODEL);
    const spec = files[0]!.spec;
    for (let round = 0; round < 6; round++)
      for (const vars of questions()) {
        const { messages } = renderPrompt(spec, vars);
        const answer = await providers.forModel(spec.model).complete({ model: spec.model, messages, temperature: 1 });
        scores.push((await gradeLiveAnswer(judge, messages, answer.text)).score);
      }
  } finally {
    await sim.close();
  }
  const { apiKey } = await createTenant(pool, { id: TENANT, tier: 'free', experimentsOptIn: false, actor: 'bench' });
  await pool.query(
    `SELECT request_log_partition(d::date) FROM generate_series(now() - interval '8 days', now(), '1 day') d`,
  );
  // Six judged answers an hour for a week, ending two hours ago (outside every window the rule judges).
  await pool.query(
    `WITH hours AS (SELECT h, i FROM generate_series(2, 7 * 24) h, generate_series(0, 5) i),
     rows AS (
       INSERT INTO requests (ts, request_id, tenant_id, prompt_name, prompt_version, model, latency_ms_total, status)
       SELECT date_trunc('hour', now()) - h * interval '1 hour' + i * interval '9 minutes', 'seed-' || h || '-' || i,
              $1, $2, '1.0.0', 'gpt-4o-mini-2024-07-18', 900, 200
       FROM hours RETURNING request_id, ts)
     INSERT INTO judge_samples (request_id, judge_model, score, request_ts, source)
     SELECT request_id, $3, ($4::float8[])[1 + (abs(hashtext(request_id)) % array_length($4::float8[], 1))], ts, 'production'
     FROM rows`,
    [TENANT, PROMPT, DEFAULT_JUDGE_MODEL, scores],
  );
  return { apiKey, score: scores.reduce((a, b) => a + b, 0) / scores.length };
}

export async function qualityTrial(
  pool: Pool,
  gatewayUrl: string,
  cli: { bin: string; env: NodeJS.ProcessEnv },
  tenant: { apiKey: string; score: number },
  log: (line: string) => void,
): Promise<QualityTrial> {
  const asked = questions();
  let sent = 0;
  const inFlight = new Set<Promise<unknown>>();
  const timer = setInterval(() => {
    const vars = asked[sent++ % asked.length];
    const call = fetch(`${gatewayUrl}/v1/prompts/${PROMPT}/run`, {
      method: 'POST',
      body: JSON.stringify({ variables: vars }),
      headers: { authorization: `Bearer ${tenant.apiKey}`, 'content-type': 'application/json' },
    })
      .then((res) => res.arrayBuffer())
      .catch(() => undefined);
    inFlight.add(call);
    void call.finally(() => inFlight.delete(call));
  }, 1000 / RATE);
  try {
    log(`  quality: baseline judge score ${tenant.score.toFixed(2)}; 1.0.0 serving ${RATE} requests/s for a minute…`);
    await new Promise((resolve) => setTimeout(resolve, 60_000));
    log('  quality: `flightdeck promote support-answer@1.2.0 --skip-eval --steps 100`…');
    await promisify(execFile)(
      process.execPath,
      [cli.bin, 'promote', `${PROMPT}@1.2.0`, '--skip-eval', '--reason', 'bench: an urgent fix', '--steps', '100'],
      { env: cli.env },
    );
    const released = await waitFor('quality trial', () => labelMovedTo('1.2.0'), 120_000, 2000);
    log(`  quality: 1.2.0 is production (${released.toISOString()}); waiting for the rollback…`);
    const rolledBack = await waitFor('quality trial', () => labelMovedTo('1.0.0', released), 30 * 60_000, 2000);
    const { rows: alert } = await pool.query<{ first_fired_at: Date }>(
      `SELECT first_fired_at FROM monitor_alerts WHERE rule_id = 'prompt-judge-score' ORDER BY id LIMIT 1`,
    );
    const { rows: steps } = await pool.query<{ step: string; at: Date }>(
      `SELECT e.step, e.at FROM incident_events e JOIN incidents i ON i.id = e.incident_id
       WHERE i.kind = 'quality-regression' ORDER BY e.at`,
    );
    const { rows: bad } = await pool.query<{ n: string }>(
      `SELECT count(*) AS n FROM requests WHERE prompt_name = $1 AND prompt_version = '1.2.0' AND status = 200`,
      [PROMPT],
    );
    const seconds = (at: Date) => Math.round((at.getTime() - released.getTime()) / 1000);
    return {
      baselineScore: tenant.score,
      releaseToAlertSeconds: alert[0] ? seconds(alert[0].first_fired_at) : null,
      releaseToRollbackSeconds: seconds(rolledBack),
      badAnswersServed: Number(bad[0]!.n),
      timeline: steps.map((s) => ({ step: s.step, atSeconds: seconds(s.at) })),
    };
  } finally {
    clearInterval(timer);
    await Promise.all(inFlight);
  }

  /** When production last moved to `version` (after `since`), from the audit log. */
  async function labelMovedTo(version: string, since = new Date(0)): Promise<Date | undefined> {
    const { rows } = await pool.query<{ ts: Date }>(
      `SELECT ts FROM audit_log WHERE action = 'label.move' AND subject = $1 AND to_value = $2 AND ts > $3
         AND details->>'label' = 'production' ORDER BY ts DESC LIMIT 1`,
      [PROMPT, version, since],
    );
    return rows[0]?.ts;
  }
}
