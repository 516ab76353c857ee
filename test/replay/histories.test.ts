import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Worker } from '@temporalio/worker';
import { workflowBundle } from '../harness/temporal';

const HISTORIES = path.join(__dirname, '..', 'histories');
const files = readdirSync(HISTORIES).filter((f) => f.endsWith('.json'));

describe('replay of stored histories (a non-deterministic workflow change fails here)', () => {
  it('has histories to replay', () => {
    expect(files.length).toBeGreaterThanOrEqual(9);
  });

  it.each(files)('%s replays against the current workflow code', async (file) => {
    const history = JSON.parse(readFileSync(path.join(HISTORIES, file), 'utf8'));
    const workflowId = file.replace(/\.json$/, '').replaceAll('~', '/');
    await expect(
      Worker.runReplayHistory({ workflowBundle: workflowBundle() }, history, workflowId),
    ).resolves.toBeUndefined();
  });
});
