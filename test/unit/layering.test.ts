import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { bareRequires, importCycles, importsOf, layerViolations, sourceFiles } from '../harness/layers';

const files = sourceFiles(['src', 'workflows', 'activities', 'workers']);
const edges = files.flatMap(importsOf);

describe('layering (DESIGN §2)', () => {
  it('no import runs back up the layers', () => {
    expect(layerViolations(edges).map((v) => `${v.from} -> ${v.to}: ${v.rule}`)).toEqual([]);
  });

  it('no import circles', () => {
    expect(importCycles(edges)).toEqual([]);
  });

  it('modules load late only through lazy() (src/util/lazy.ts)', () => {
    expect(files.flatMap(bareRequires)).toEqual([]);
  });

  it('each unit test file is named after the one module it tests (test/unit/<path>.test.ts for src/<path>.ts)', () => {
    const root = join(__dirname, '..', '..');
    const orphans = sourceFiles(['test/unit'])
      .filter((file) => file !== 'test/unit/layering.test.ts')
      .map((file) => file.replace(/^test\/unit\//, '').replace(/\.test\.ts$/, '.ts'))
      .filter((module) => !existsSync(join(root, 'src', module)) && !existsSync(join(root, module)));
    expect(orphans).toEqual([]);
  });

  it('the workflow-safe folder exists and workflows use it', () => {
    expect(edges.some((edge) => edge.from.startsWith('workflows/') && edge.to.startsWith('src/model/'))).toBe(true);
  });

  it('catches what it should', () => {
    const seen = layerViolations([
      { from: 'src/model/x.ts', to: 'node:fs', typeOnly: false },
      { from: 'src/model/x.ts', to: 'src/db/pool.ts', typeOnly: true },
      { from: 'workflows/x.ts', to: 'activities/rollout.ts', typeOnly: false },
      { from: 'workflows/x.ts', to: 'src/release/canaryAnalysis.ts', typeOnly: true },
      { from: 'src/release/x.ts', to: 'workflows/rolloutMessages.ts', typeOnly: false },
      { from: 'src/release/x.ts', to: 'src/temporal/connection.ts', typeOnly: false },
      { from: 'src/gateway/x.ts', to: 'src/control/rolloutControl.ts', typeOnly: false },
    ]);
    expect(seen).toHaveLength(7);
    const fine = layerViolations([
      { from: 'workflows/x.ts', to: 'activities/rollout.ts', typeOnly: true },
      { from: 'workflows/x.ts', to: '@temporalio/workflow', typeOnly: false },
      { from: 'src/control/x.ts', to: 'workflows/rolloutMessages.ts', typeOnly: false },
      { from: 'src/model/x.ts', to: 'zod', typeOnly: false },
    ]);
    expect(fine).toEqual([]);
    expect(
      importCycles([
        { from: 'src/a.ts', to: 'src/b.ts', typeOnly: false },
        { from: 'src/b.ts', to: 'src/a.ts', typeOnly: true },
      ]),
    ).toHaveLength(1);
  });
});
