import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import { chromium, type Browser, type Page } from 'playwright-core';
import { DEFAULT_ROLLOUT_OPTIONS } from '../../src/model/rolloutOptions';
import { parseSteps } from '../../src/model/rolloutSteps';
import { parsePromptFile } from '../../src/registry/promptFile';
import { pushPrompts } from '../../src/registry/registry';
import { rolloutWorkflow } from '../../workflows/rollout';
import { rolloutStatusQuery } from '../../workflows/rolloutMessages';
import { createTestDatabase, type TestDatabase } from '../harness/database';
import { ensureChromium } from '../harness/chromium';
import { harnessValue } from '../harness/harnessEnv';
import { simulatorProviders } from '../harness/providers';
import { connectDevServer, uniqueTaskQueue, type DevServerHandles } from '../harness/temporal';

const PROMPT = `ui-${Date.now().toString(36)}`;
const SCREENSHOTS = path.join(__dirname, '..', '..', '.flightdeck', 'screenshots');
const version = (v: string) =>
  parsePromptFile(
    `name: ${PROMPT}\nversion: ${v}\nowner: t\nmodel: gpt-4o-mini-2024-07-18\ntemplate: { user: hi }\n`,
    `${v}.yaml`,
  );

let db: TestDatabase;
let temporal: DevServerHandles;
let worker: Worker;
let running: Promise<void>;
let browser: Browser;
let handle: WorkflowHandleWithFirstExecutionRunId<typeof rolloutWorkflow>;

/** The workflow list's columns with stage and weight added (what the README's setup does). */
const FLIGHTDECK_COLUMNS = {
  default: [
    { label: 'Status', pinned: true },
    { label: 'Workflow ID', pinned: true },
    { label: 'FlightdeckStage', pinned: false },
    { label: 'FlightdeckWeight', pinned: false },
    { label: 'Type', pinned: false },
    { label: 'Start', pinned: false },
  ],
};

beforeAll(async () => {
  db = await createTestDatabase();
  await pushPrompts(db.pool, [version('1.0.0'), version('1.1.0')], 'test');
  temporal = await connectDevServer();
  const taskQueue = uniqueTaskQueue('ui');
  worker = await temporal.worker(db.pool, taskQueue, simulatorProviders(1));
  running = worker.run();
  // A rollout holding at its first step (5%) for a long while: what on-call opens the UI to see.
  handle = await temporal.client.workflow.start(rolloutWorkflow, {
    taskQueue,
    workflowId: `rollout/${PROMPT}`,
    args: [
      {
        ...DEFAULT_ROLLOUT_OPTIONS,
        steps: parseSteps('5:1h,50:1h,100'),
        intervalMs: 3_600_000,
        judgeSamples: 0,
        judgeModel: 'gpt-4.1-mini-2025-04-14',
        prompt: PROMPT,
        version: '1.1.0',
        actor: 'test',
      },
    ],
  });
  const deadline = Date.now() + 30_000;
  while ((await handle.query(rolloutStatusQuery)).stage !== 'canary' && Date.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 200));
  browser = await chromium.launch({ executablePath: ensureChromium(), headless: true });
  mkdirSync(SCREENSHOTS, { recursive: true });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await handle?.terminate('test over').catch(() => undefined);
  worker?.shutdown();
  await running;
  await temporal?.close();
  await db?.drop();
});

/** The text of the page and of its frames (the UI renders user metadata markdown in an iframe). */
const pageText = async (page: Page) =>
  (await Promise.all(page.frames().map((frame) => frame.innerText('body').catch(() => '')))).join('\n');

/** Wait until the page's text holds `text` (the UI's CSP forbids waitForFunction's eval). */
async function bodyContains(page: Page, text: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!(await pageText(page)).includes(text)) {
    if (Date.now() > deadline) {
      await page.screenshot({ path: path.join(SCREENSHOTS, 'failed.png'), fullPage: true });
      throw new Error(`The page never showed "${text}" (see ${SCREENSHOTS}/failed.png)`);
    }
    await page.waitForTimeout(250);
  }
}

describe("the Temporal UI shows a rollout's progress at a glance (Chromium)", () => {
  it('lists the rollout with its stage and weight as columns, as the README sets them up', async () => {
    const page = await browser.newPage({ viewport: { width: 1600, height: 900 } });
    await page.addInitScript(
      `localStorage.setItem('namespace-workflow-table-columns', ${JSON.stringify(JSON.stringify(FLIGHTDECK_COLUMNS))})`,
    );
    const ui = harnessValue('temporalUi');
    await page.goto(`${ui}/namespaces/default/workflows?query=${encodeURIComponent(`FlightdeckPrompt="${PROMPT}"`)}`);
    await page.waitForSelector(`text=rollout/${PROMPT}`, { timeout: 30_000 });
    await page.screenshot({ path: path.join(SCREENSHOTS, 'rollout-list.png') });
    const row = await page.innerText(`tr:has-text("rollout/${PROMPT}")`);
    expect(row).toContain('canary');
    expect(row).toMatch(/\b5\b/);
    const headers = await page.innerText('thead');
    expect(headers).toContain('FlightdeckStage');
    expect(headers).toContain('FlightdeckWeight');
  }, 60_000);

  it('opens the rollout page with stage, weight and step readable where it lands', async () => {
    const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
    const ui = harnessValue('temporalUi');
    const runId = handle.firstExecutionRunId;
    await page.goto(`${ui}/namespaces/default/workflows/${encodeURIComponent(handle.workflowId)}/${runId}/history`);
    await page.waitForSelector('text=canary at 5%', { timeout: 30_000 });
    await page.screenshot({ path: path.join(SCREENSHOTS, 'rollout-page.png'), fullPage: true });
    const text = await page.innerText('body');
    expect(text).toContain('canary at 5%, step 1 of 3');
    // One click further, the details: a list and an aligned block, readable in the UI's own fonts.
    await page.click('text=User Metadata');
    await bodyContains(page, 'of traffic on 1.1.0');
    await page.screenshot({ path: path.join(SCREENSHOTS, 'rollout-details.png'), fullPage: true });
    const details = await pageText(page);
    expect(details).toMatch(/Stage:\s*canary/);
    expect(details).toMatch(/Weight:\s*5%/);
    expect(details).toMatch(/1\s+5%\s+60 min\s+holding/);
  }, 60_000);
});
