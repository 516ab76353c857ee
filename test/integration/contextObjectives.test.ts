import { loadCostRows } from '../../src/monitoring/costReport';
import { judgeRule, runMonitorPass } from '../../src/monitoring/monitorPass';
import { DEFAULT_MONITOR_RULES, type MonitorRule } from '../../src/monitoring/monitorRules';
import { createTestDatabase, type TestDatabase } from '../harness/database';
import { logEntry, storeEntries } from '../harness/logEntries';

/**
 * Issue 13, item 3: objectives per context length. One model's long inputs crawl while its short
 * ones are fast: the context-latency rule pages that bucket only, and a row-based rule and the
 * cost report can be keyed by context too.
 */
let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.drop());

const MODEL = 'gpt-4o-mini-2024-07-18';
const ago = (ms: number) => new Date(Date.now() - ms).toISOString();

it('fires for the slow context bucket of a model and not for its fast one', async () => {
  await storeEntries(db.pool, [
    ...Array.from({ length: 300 }, (_, i) =>
      logEntry('ctx', null, { ts: ago(30_000 + i * 100), model: MODEL, input_tokens: 200, latency_ms_total: 300 }),
    ),
    ...Array.from({ length: 100 }, (_, i) =>
      logEntry('ctx', null, {
        ts: ago(30_000 + i * 100),
        model: MODEL,
        input_tokens: 50_000,
        latency_ms_total: 45_000,
      }),
    ),
  ]);
  const rule = DEFAULT_MONITOR_RULES.find((r) => r.id === 'context-latency')!;
  const pass = await runMonitorPass(db.pool, [rule]);
  expect(pass.alerts.map((a) => a.key)).toEqual([`context-latency:model=${MODEL},context=32k-128k`]);
  const verdicts = await judgeRule(db.pool, rule, new Date());
  expect(verdicts.find((v) => v.series.context === 'under-1k')?.verdict.state).toBe('ok');

  // Rules over request rows (feedback here) take the dimension too: it is computed from input tokens.
  const feedbackByContext: MonitorRule = {
    ...DEFAULT_MONITOR_RULES.find((r) => r.id === 'prompt-negative-feedback')!,
    id: 'context-feedback',
    by: ['context'],
  };
  await expect(judgeRule(db.pool, feedbackByContext, new Date())).resolves.toEqual([]);

  const { days } = await loadCostRows(db.pool, {
    by: ['context'],
    tenant: 'ctx',
    sinceDays: 1,
    includeSynthetic: false,
    maxCostPerCallUsd: 1,
    now: new Date(),
  });
  expect(Object.fromEntries(days.map((d) => [d.key.context, d.calls]))).toEqual({ 'under-1k': 300, '32k-128k': 100 });
});
