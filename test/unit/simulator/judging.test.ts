import { renderJudgePrompt, criterionFor } from '../../../src/evals/judgePrompt';
import { isJudgeRequest, judgeScore } from '../../../src/simulator/judging';
import { Random } from '../../../src/simulator/random';
import { JUDGE_PROMPT } from '../../../src/evals/judgePrompt';

const context = 'Items can be returned within 30 days of delivery. Our office is in Berlin.';
const question = 'How long do I have to return an item?';
const grade = (output: string, kind: 'rubric' | 'faithfulness' | 'answer-relevance' = 'rubric') =>
  judgeScore(
    renderJudgePrompt({
      criterion: criterionFor(kind, 'Answers the question from the context.'),
      question,
      context,
      output,
    }).user,
    0,
    new Random(1),
  ).score;

describe("the simulator's judge", () => {
  it('recognises judge requests', () => {
    expect(isJudgeRequest(JUDGE_PROMPT.system)).toBe(true);
    expect(isJudgeRequest('You are a support assistant.')).toBe(false);
  });

  it('ranks a grounded answer above an off-topic, invented, truncated or refused one', () => {
    const right = grade('Items can be returned within 30 days of delivery.');
    expect(right).toBeGreaterThan(0.8);
    expect(grade('Our office is in Berlin.')).toBeLessThan(0.7);
    expect(grade('Items can be returned within 97 days of delivery.')).toBeLessThan(0.4);
    expect(grade('Items can be')).toBeLessThan(0.5);
    expect(grade("I'm sorry, but I can't help with that request.")).toBeLessThan(0.1);
  });

  it('judges faithfulness by grounding alone', () => {
    expect(grade('Our office is in Berlin.', 'faithfulness')).toBeGreaterThan(0.9);
    expect(grade('Our office is in Paris near the Louvre.', 'faithfulness')).toBeLessThan(0.6);
  });

  it('wanders within the configured noise', () => {
    const prompt = renderJudgePrompt({
      criterion: 'x',
      question,
      context,
      output: 'Items can be returned within 30 days of delivery.',
    }).user;
    const random = new Random(3);
    const scores = Array.from({ length: 20 }, () => judgeScore(prompt, 0.1, random).score);
    expect(Math.max(...scores) - Math.min(...scores)).toBeGreaterThan(0.02);
    expect(Math.max(...scores) - Math.min(...scores)).toBeLessThanOrEqual(0.2 + 1e-9);
  });
});

describe("the simulator's judge on factuality (promptfoo's)", () => {
  const factual = (output: string, reference: string) =>
    judgeScore(
      renderJudgePrompt({ criterion: criterionFor('factuality', undefined), question, context: reference, output })
        .user,
      0,
      new Random(1),
    ).score;

  it('finds an answer consistent with the reference, and one that contradicts it not', () => {
    expect(
      factual('Items can be returned within 30 days.', 'You can return items within 30 days of delivery.'),
    ).toBeGreaterThan(0.5);
    expect(
      factual('Items can be returned within 30 days.', 'You can return items within 90 days of delivery.'),
    ).toBeLessThan(0.5);
  });
});
