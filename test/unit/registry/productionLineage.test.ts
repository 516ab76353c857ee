import { productionStack, rollbackTarget } from '../../../src/registry/productionLineage';

const push = (to: string) => ({ to, rollback: false });
const back = (to: string) => ({ to, rollback: true });

describe('production lineage', () => {
  it('has nothing to roll back to after one version', () => {
    expect(rollbackTarget([push('1.0.0')])).toBeUndefined();
  });

  it('rolls back to the previous production version', () => {
    expect(rollbackTarget([push('1.0.0'), push('1.1.0'), push('1.2.0')])).toBe('1.1.0');
  });

  it('walks further back on repeated rollbacks instead of bouncing', () => {
    const moves = [push('1.0.0'), push('1.1.0'), push('1.2.0'), back('1.1.0')];
    expect(productionStack(moves)).toEqual(['1.0.0', '1.1.0']);
    expect(rollbackTarget(moves)).toBe('1.0.0');
  });

  it('treats a rollback to a version never in production as a new top', () => {
    expect(productionStack([push('1.0.0'), push('1.2.0'), back('1.1.0')])).toEqual(['1.0.0', '1.2.0', '1.1.0']);
  });
});
