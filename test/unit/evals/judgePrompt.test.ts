import { parseJudgeAnswer, JUDGE_PROMPT_HASH } from '../../../src/evals/judgePrompt';

describe('the judge prompt', () => {
  it('is versioned by hash and parsed tolerantly', () => {
    expect(JUDGE_PROMPT_HASH).toMatch(/^[0-9a-f]{64}$/);
    expect(parseJudgeAnswer('Sure: {"score": 0.8, "reason": "ok"} done')).toEqual({ score: 0.8, reason: 'ok' });
    expect(parseJudgeAnswer('{"score": 1.7}')).toBeUndefined();
    expect(parseJudgeAnswer('no json')).toBeUndefined();
  });
});
