import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createTestDatabase, type TestDatabase } from '../harness/database';
import { ensureChromium } from '../harness/chromium';
import { harnessValue } from '../harness/harnessEnv';
import { startHeldRollout, type HeldRollout } from '../harness/heldRollout';
import { connectDevServer, type DevServerHandles } from '../harness/temporal';

const PROMPT = `ui-${Date.now().toString(36)}`;
const SCREENSHOTS = path.join(__dirname, '..', '..', '.flightdeck', 'screenshots');

let db: TestDatabase;
let temporal: DevServerHandles;
let rollout: HeldRollout;
let browser: Browser;

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
  temporal = await connectDevServer();
  rollout = await startHeldRollout(temporal, db, PROMPT);
  browser = await chromium.launch({ executablePath: ensureChromium(), headless: true });
  mkdirSync(SCREENSHOTS, { recursive: true });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await rollout?.stop();
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
    const runId = rollout.handle.firstExecutionRunId;
    await page.goto(
      `${ui}/namespaces/default/workflows/${encodeURIComponent(rollout.handle.workflowId)}/${runId}/history`,
    );
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
