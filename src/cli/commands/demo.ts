import { readdirSync } from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { Pool } from '../../db/pool';
import { currentActor, loadEnv } from '../../config/env';
import { calibrate, loadLabels } from '../../evals/calibration';
import { loadDataset, type Dataset } from '../../evals/dataset';
import { DEFAULT_EVAL_CONCURRENCY, DEFAULT_JUDGE_MODEL } from '../../model/evalDefaults';
import { Judge } from '../../evals/judge';
import { loadProviderConfig } from '../../providers/config';
import { ProviderDirectory } from '../../providers/directory';
import { cost } from '../../providers/pricing';
import { rollbackProduction, STAGING } from '../../registry/labels';
import { readPromptFile } from '../../registry/promptFile';
import { promptHistory, pushPrompts, resolvePrompt } from '../../registry/registry';
import { renderPrompt } from '../../registry/render';
import { failedMetrics, type PromotionStatus } from '../../model/promotionStatus';
import { preparePromotion, startPromotion } from '../../control/startPromotion';
import { startBackgroundTraffic } from '../backgroundTraffic';
import { describeTraffic, sendDemoTraffic } from '../demoTraffic';
import { followRelease } from '../../control/followRelease';
import { createTenant } from '../../tenants/tenantStore';
import { formatTime, table } from '../output';
import { scheduleLabelMove } from '../../control/scheduleLabelMove';
import { startStack, type RunningStack } from '../stack';
import { waitForShutdownSignal } from '../waitForSignal';

const EXAMPLES = path.join(__dirname, '..', '..', '..', 'examples');
const say = (line = '') => process.stdout.write(`${line}\n`);
const indent = (text: string) =>
  text
    .split('\n')
    .map((l) => `   ${l}`)
    .join('\n');

/** What every chapter of the demo uses. */
interface DemoContext {
  stack: RunningStack;
  pool: Pool;
  client: Client;
  providers: ProviderDirectory;
  actor: string;
}

const PROMPT = 'support-answer';
// Short holds so the story fits in a minute; real rollouts hold minutes to hours (`--steps`).
const DEMO_CANARY = { steps: '10:6s,25:6s,50:6s,100', interval: '2s', judgeSamples: 5, inconclusiveLimit: 10 };

/** The demo story; loaded only when `flightdeck demo` runs (it pulls in the Temporal SDK). */
export async function runDemo(opts: { exit?: boolean }): Promise<void> {
  const stack = await startStack(loadEnv(), (line) => process.stderr.write(`${line}\n`));
  const connection = await Connection.connect({ address: stack.env.TEMPORAL_ADDRESS });
  try {
    const demo: DemoContext = {
      stack,
      pool: stack.db.pool,
      client: new Client({ connection, namespace: stack.env.TEMPORAL_NAMESPACE }),
      providers: new ProviderDirectory(loadProviderConfig(stack.env), stack.env),
      actor: currentActor(stack.env),
    };
    await pushExamples(demo);
    await renderAndCall(demo);
    await stageWithWorkflow(demo);
    await calibrateJudge(demo);
    await releaseStory(demo);
    await rollBackProduction(demo);
    await callThroughGateway(demo);
    await showAuditTrail(demo);
    say(`\nThe stack:\n${table(['SERVICE', 'WHERE'], stack.urls)}`);
    if (!opts.exit) {
      say(
        '\nDemo done; the stack stays up. Try `npx flightdeck rollout status support-answer` in another terminal. Ctrl-C to stop.',
      );
      await waitForShutdownSignal();
    }
  } finally {
    await connection.close();
    await stack.stop();
  }
}

/** 1. The example prompts, a regressed 1.2.0 and a hasty 1.3.0. */
async function pushExamples({ pool, actor }: DemoContext): Promise<void> {
  say(
    '\n1. Push the example prompts (the first version of a prompt becomes production), a regressed 1.2.0 and a hasty 1.3.0.',
  );
  const promptDir = path.join(EXAMPLES, 'prompts');
  const files = readdirSync(promptDir)
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => readPromptFile(path.join(promptDir, f)));
  files.push(
    readPromptFile(path.join(EXAMPLES, 'demo', 'support-answer.v1.2.0-regressed.yaml')),
    readPromptFile(path.join(EXAMPLES, 'demo', 'support-answer.v1.3.0-hotfix.yaml')),
  );
  for (const r of await pushPrompts(pool, files, actor))
    say(`   ${r.name}@${r.version}: ${r.outcome}${r.labels.length ? ` [${r.labels.join(', ')}]` : ''}`);
}

/** 2. Render with typed variables and call the model. */
async function renderAndCall({ pool, providers }: DemoContext): Promise<void> {
  say('\n2. Render 1.1.0 with typed variables and call its model (the simulator, as no API keys are set).');
  const candidate = await resolvePrompt(pool, PROMPT, '1.1.0');
  const rendered = renderPrompt(candidate.spec, {
    question: 'How long do I have to return an item?',
    context:
      'Items can be returned within 30 days of delivery. Refunds reach your card in 5 business days. Shipping is free over $50.',
  });
  const completion = await providers.forModel(rendered.model).complete({
    model: rendered.model,
    messages: rendered.messages,
    temperature: rendered.params.temperature,
    maxTokens: rendered.params.max_tokens,
  });
  say(`   answer: ${completion.text}`);
  say(
    `   ${completion.provider}/${completion.model}: ${completion.usage.inputTokens} in, ${completion.usage.outputTokens} out, ${completion.latencyMs} ms, $${cost(completion.model, completion.usage).usd.toFixed(6)}`,
  );
}

/** 3. A label move as a durable workflow. */
async function stageWithWorkflow({ client, actor }: DemoContext): Promise<void> {
  say('\n3. Move the staging label with a durable Temporal workflow (open the Temporal UI to watch it).');
  const at = new Date(Date.now() + 2000).toISOString();
  const { workflowId } = await scheduleLabelMove(client, {
    name: PROMPT,
    ref: '1.1.0',
    label: STAGING,
    reason: 'demo: stage the candidate',
    at,
    actor,
  });
  const moved = await client.workflow.getHandle(workflowId).result();
  say(`   workflow ${workflowId}: staging ${moved.from ?? '(none)'} -> ${moved.to}`);
}

/** 4. Calibrate the judge so it may gate releases. */
async function calibrateJudge({ pool, providers }: DemoContext): Promise<void> {
  say('\n4. Calibrate the judge against labelled examples, so it may gate releases.');
  const { labels, hash } = loadLabels(path.join(EXAMPLES, 'labels', 'support-judge-labels.jsonl'));
  const calibration = await calibrate(pool, new Judge(pool, providers, DEFAULT_JUDGE_MODEL), labels, hash);
  say(
    `   ${DEFAULT_JUDGE_MODEL}: Cohen's kappa ${calibration.kappa.toFixed(2)}, Spearman ${calibration.spearman.toFixed(2)} on ${calibration.examples} examples`,
  );
}

/** Promote a version through the gate (or past it) and the canary, following it to the end. */
async function release(
  { pool, client, actor }: DemoContext,
  version: string,
  how: { dataset?: Dataset; reason?: string },
): Promise<PromotionStatus | string> {
  const existing = await resolvePrompt(pool, PROMPT, version);
  if (existing.status === 'rejected') return `${PROMPT}@${version} was already rejected by an earlier run`;
  const request = {
    ref: { name: PROMPT, ref: version },
    dataset: how.dataset,
    skipEval: !how.dataset,
    reason: how.reason,
    ...DEMO_CANARY,
    judgeModel: DEFAULT_JUDGE_MODEL,
    repeat: 1,
    concurrency: DEFAULT_EVAL_CONCURRENCY,
    actor,
  };
  const input = await preparePromotion(pool, request);
  const started = await startPromotion(client, pool, input, how.dataset);
  return followRelease(client, started.workflowId, (line) => say(`   ${line}`));
}

/** 5-7. The gate rejects a regression; a good version ramps; a hasty one is rolled back on its own. */
async function releaseStory(demo: DemoContext): Promise<void> {
  const { pool, stack, actor } = demo;
  const dataset = loadDataset(path.join(EXAMPLES, 'datasets', 'support-answer.yaml'));
  say(
    `\n5. Promote the regressed 1.2.0: the eval gate (${dataset.cases.length} cases, against production) rejects it.`,
  );
  const regressed = await release(demo, '1.2.0', { dataset });
  say(
    typeof regressed === 'string'
      ? `   ${regressed}`
      : `   promotion/${PROMPT}/1.2.0: ${regressed.stage}, pass rate ${((regressed.passRate ?? 0) * 100).toFixed(0)}% (failed: ${failedMetrics(regressed).join(', ')})`,
  );

  say(
    '\n6. Promote 1.1.0 while an app sends traffic: the gate passes, then the canary ramps it 10% → 25% → 50% → 100%, analysing every 2 s.',
  );
  const app = await createTenant(pool, {
    id: `demo-canary-${Date.now().toString(36)}`,
    tier: 'free',
    experimentsOptIn: false,
    actor,
  });
  const background = startBackgroundTraffic(stack.gateway.url, app.apiKey, PROMPT, 48);
  try {
    const good = await release(demo, '1.1.0', { dataset });
    if (typeof good !== 'string')
      say(`   released: ${good.stage}, production is now ${(await resolvePrompt(pool, PROMPT)).version}`);

    say(
      '\n7. An "emergency fix" 1.3.0 skips the eval (`promote --skip-eval`); its model is slower and refuses more. The canary rolls it back on its own.',
    );
    const hotfix = await release(demo, '1.3.0', { reason: 'demo: urgent wording fix' });
    if (typeof hotfix !== 'string')
      say(
        `   ${hotfix.stage}: ${hotfix.reason ?? ''}\n   production stays ${(await resolvePrompt(pool, PROMPT)).version}; 1.3.0 stays registered for a fixed retry`,
      );
  } finally {
    const sent = await background.stop();
    say(`   (background traffic: ${sent.sent} requests, ${sent.failed} failed)`);
  }
}

/** 8. On-call rolls production back in one step. */
async function rollBackProduction({ pool, actor }: DemoContext): Promise<void> {
  say('\n8. On-call rolls production back in one step.');
  const rolledBack = await rollbackProduction(pool, { name: PROMPT, reason: 'demo: rollback drill', actor });
  say(`   rollback: production ${rolledBack.from} -> ${rolledBack.to}`);
}

/** 9. The official openai client through the gateway while the primary overloads. */
async function callThroughGateway({ pool, stack }: DemoContext): Promise<void> {
  say(
    '\n9. An app calls the prompt through the gateway with the official openai client; mid-way the primary provider overloads.',
  );
  const traffic = await sendDemoTraffic(
    pool,
    stack.gateway,
    `http://127.0.0.1:${stack.env.FLIGHTDECK_SIMULATOR_PORT}`,
    stack.env.FLIGHTDECK_SIMULATOR_ADMIN_TOKEN,
  );
  say(indent(describeTraffic(traffic, stack.gateway.url)));
}

/** 10. The audit trail. */
async function showAuditTrail({ pool }: DemoContext): Promise<void> {
  say(`\n10. The audit trail of ${PROMPT}:`);
  const history = await promptHistory(pool, PROMPT);
  say(
    indent(
      table(
        ['AT', 'LABEL', 'FROM', 'TO', 'BY', 'REASON'],
        history.labelMoves.slice(-6).map((m) => [formatTime(m.ts), m.label, m.from, m.to, m.actor, m.reason]),
      ),
    ),
  );
}
