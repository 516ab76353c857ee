import { worstDrop } from '../../../src/evals/evalDrop';

describe('summaries and the gate', () => {
  it('finds the worse drop of pass rate and score', () => {
    expect(
      worstDrop(
        { pass_rate: { mean: 0.9 }, score: { mean: 0.8 } },
        { pass_rate: { mean: 0.7 }, score: { mean: 0.75 } },
      ),
    ).toEqual({ metric: 'pass_rate', drop: expect.closeTo(0.2, 10) });
  });
});
