import { createHash } from 'node:crypto';
import type { GradedAssertionType } from './assertionTypes';

/**
 * The judge prompt is versioned like any prompt: changing its wording changes its hash, which
 * invalidates cached judge scores and calibrations made with the old wording.
 */
export const JUDGE_PROMPT = {
  version: 'flightdeck-judge@1.0.0',
  system:
    'You are an evaluation judge. Grade the OUTPUT against the CRITERION, using the QUESTION and CONTEXT when given. ' +
    'Reply with JSON only: {"score": <number from 0 to 1>, "reason": "<one sentence>"}.',
  user: '### Criterion\n{{criterion}}\n\n### Question\n{{question}}\n\n### Context\n{{context}}\n\n### Output\n{{output}}',
};

export const JUDGE_PROMPT_HASH = createHash('sha256')
  .update(`${JUDGE_PROMPT.version}\n${JUDGE_PROMPT.system}\n${JUDGE_PROMPT.user}`)
  .digest('hex');

/** The criterion each model-graded assertion asks the judge about. */
export function criterionFor(kind: GradedAssertionType, rubric: string | undefined): string {
  if (kind === 'faithfulness') return 'Every claim in the output is supported by the context; nothing is invented.';
  if (kind === 'answer-relevance') return 'The output directly answers the question that was asked.';
  if (kind === 'factuality')
    return 'The output is factually consistent with the reference answer given as the context: the same facts, a subset or a superset of them, or differences that do not matter; it contradicts nothing in it.';
  return rubric ?? '';
}

export function renderJudgePrompt(parts: { criterion: string; question: string; context: string; output: string }): {
  system: string;
  user: string;
} {
  const user = JUDGE_PROMPT.user.replace(
    /\{\{(criterion|question|context|output)\}\}/g,
    (_, key: keyof typeof parts) => parts[key] || '(none)',
  );
  return { system: JUDGE_PROMPT.system, user };
}

/** Read the judge's JSON answer; tolerant of prose around the object. */
export function parseJudgeAnswer(text: string): { score: number; reason: string } | undefined {
  const match = /\{[\s\S]*\}/.exec(text);
  if (!match) return undefined;
  try {
    const value = JSON.parse(match[0]) as { score?: unknown; reason?: unknown };
    const score = Number(value.score);
    if (!Number.isFinite(score) || score < 0 || score > 1) return undefined;
    return { score, reason: typeof value.reason === 'string' ? value.reason : '' };
  } catch {
    return undefined;
  }
}
