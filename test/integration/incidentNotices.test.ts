import {
  getIncident,
  markIncidentStepNotified,
  openIncident,
  recordIncidentStep,
} from '../../src/incidents/incidentStore';
import { createTestDatabase, type TestDatabase } from '../harness/database';

/**
 * Issue 14, webhook notices at each stage: a step is written once, and is due for its notice until a
 * post of it succeeds, so a worker that died between the write and the post posts it on the retry.
 */
let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.drop());

it('a step stays due for its notice until it is marked sent, and is written once whatever the retries say', async () => {
  const id = await openIncident(db.pool, {
    workflowId: 'incident/security/acme',
    runId: 'run-1',
    kind: 'security',
    key: 'acme',
    reason: 'key leaked',
    actor: 'oncall',
  });
  const step = {
    step: 'kill switch',
    actor: 'flightdeck',
    message: 'acme switched off',
    status: 'mitigating' as const,
  };
  expect(await recordIncidentStep(db.pool, id, step)).toBe(true);
  // The worker died before posting: the retry finds the step written but not notified.
  expect(await recordIncidentStep(db.pool, id, { ...step, message: 'a retry says it differently' })).toBe(true);
  await markIncidentStepNotified(db.pool, id, 'kill switch');
  // Posted: a later retry notifies nothing.
  expect(await recordIncidentStep(db.pool, id, step)).toBe(false);
  const incident = await getIncident(db.pool, String(id));
  expect(incident.timeline.map((s) => [s.step, s.message])).toEqual([['kill switch', 'acme switched off']]);
});
