import { composeAnswer, findContext, findQuestion, REFUSAL_TEXT } from '../../../src/simulator/answer';
import { DEFAULT_PROFILE, profileSchema } from '../../../src/simulator/profiles';
import { Random } from '../../../src/simulator/random';

const user =
  'Context: Items can be returned within 30 days. Shipping is free over $50. Our office is in Berlin.\n\nQuestion: How long do I have to return an item?';

describe('simulator answers', () => {
  it('finds the question and context', () => {
    expect(findQuestion(user)).toBe('How long do I have to return an item?');
    expect(findContext(user, findQuestion(user))).toMatch(/^Items can be returned/);
  });

  it('answers from the context', () => {
    const answer = composeAnswer('', user, DEFAULT_PROFILE, new Random(1), 100);
    expect(answer.text).toContain('returned within 30 days');
    expect(answer.text).not.toContain('Berlin');
    expect(answer.flaws).toEqual([]);
  });

  it('answers in JSON when asked for JSON', () => {
    const answer = composeAnswer('Reply in JSON.', user, DEFAULT_PROFILE, new Random(1), 100);
    expect(JSON.parse(answer.text).answer).toContain('30 days');
  });

  it('degrades as the profile says', () => {
    const refusing = profileSchema.parse({ quality: { refusal: 1 } });
    expect(composeAnswer('', user, refusing, new Random(1), 100).text).toBe(REFUSAL_TEXT);
    const hallucinating = profileSchema.parse({ quality: { hallucination: 1 } });
    const made = composeAnswer('', user, hallucinating, new Random(1), 100);
    expect(made.flaws).toContain('hallucination');
    expect(made.text).not.toContain('30 days');
    const broken = profileSchema.parse({ quality: { broken_json: 1 } });
    expect(() => JSON.parse(composeAnswer('Reply in JSON.', user, broken, new Random(1), 100).text)).toThrow();
  });

  it('stops at max tokens with finish reason length', () => {
    expect(composeAnswer('', user, DEFAULT_PROFILE, new Random(1), 2).finishReason).toBe('length');
  });

  it('is deterministic under a seed', () => {
    const a = new Random(7);
    const b = new Random(7);
    expect([a.next(), a.next(), a.next()]).toEqual([b.next(), b.next(), b.next()]);
  });
});
