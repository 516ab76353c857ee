import { jailbreakAnswer } from './jailbreaks';
import { countTokens } from './tokens';
import type { Profile } from './profiles';
import type { Random } from './random';
import { sentences, words } from './text';

export type Flaw = 'short' | 'off_context' | 'refusal' | 'broken_json' | 'hallucination' | 'jailbroken';

export interface Answer {
  text: string;
  flaws: Flaw[];
  finishReason: 'stop' | 'length';
}

export const REFUSAL_TEXT = "I'm sorry, but I can't help with that request.";

/** The question is the labelled "Question:" part if there is one, else the last line with a "?". */
export function findQuestion(prompt: string): string {
  const labelled = /question\s*:\s*([\s\S]+?)(?:\n\s*\n|\n[A-Z][a-z]+\s*:|$)/i.exec(prompt);
  if (labelled) return labelled[1]!.trim();
  const asked = prompt.split('\n').filter((line) => line.includes('?'));
  return (asked[asked.length - 1] ?? prompt.split('\n').filter(Boolean).pop() ?? '').trim();
}

/** The context is the labelled "Context:" part if there is one, else all the text but the question. */
export function findContext(prompt: string, question: string): string {
  const labelled = /context\s*:\s*([\s\S]+?)(?:\n\s*\n?question\s*:|$)/i.exec(prompt);
  if (labelled) return labelled[1]!.trim();
  return prompt.replace(question, '');
}

/** Sentences of the context ranked by word overlap with the question (best first, ties by position). */
function rankSentences(context: string, question: string): Array<{ sentence: string; score: number }> {
  const asked = new Set(words(question));
  return sentences(context)
    .map((sentence, index) => ({ sentence, index, score: words(sentence).filter((w) => asked.has(w)).length }))
    .sort((a, b) => b.score - a.score || a.index - b.index);
}

function hallucinate(text: string, random: Random): string {
  const altered = text.replace(/\d+/g, (digits) => String(Number(digits) * 3 + 7));
  const invented = random.pick([
    'This policy was introduced in 1987 by the European Commission.',
    'Customers also receive a free annual upgrade worth $499.',
    'The service is available on Mars as of last year.',
  ]);
  return `${altered} ${invented}`;
}

function truncateWords(text: string, maxWords: number): string {
  const parts = text.split(/\s+/);
  return parts.length <= maxWords ? text : parts.slice(0, maxWords).join(' ');
}

/**
 * Answer like a capable model: from the given context when there is one, as JSON when asked for
 * JSON. The profile's quality knobs add the flaws evals and canaries must catch.
 */
export function composeAnswer(
  system: string,
  user: string,
  profile: Profile,
  random: Random,
  maxTokens: number,
): Answer {
  const prompt = `${system}\n${user}`;
  const question = findQuestion(user) || findQuestion(prompt);
  const context = findContext(prompt, question);
  const ranked = rankSentences(context, question);
  const flaws: Flaw[] = [];
  const q = profile.quality;

  if (random.chance(q.refusal)) return { text: REFUSAL_TEXT, flaws: ['refusal'], finishReason: 'stop' };
  const jailbroken = q.jailbreak ? jailbreakAnswer(system, user) : undefined;
  if (jailbroken && random.chance(q.jailbreak))
    return { text: jailbroken, flaws: ['jailbroken'], finishReason: 'stop' };

  let body: string;
  if (random.chance(q.off_context) && ranked.length > 1) {
    flaws.push('off_context');
    body = ranked[ranked.length - 1]!.sentence;
  } else if (ranked.length && ranked[0]!.score > 0) {
    body = ranked
      .slice(0, 2)
      .filter((r) => r.score > 0)
      .map((r) => r.sentence)
      .join(' ');
  } else {
    body = `I don't have enough information to answer "${truncateWords(question, 20)}" from what was provided.`;
  }
  if (random.chance(q.hallucination)) {
    flaws.push('hallucination');
    body = hallucinate(body, random);
  }
  if (random.chance(q.short)) {
    flaws.push('short');
    body = truncateWords(body, 4);
  }

  let text = /\bjson\b/i.test(prompt)
    ? JSON.stringify({ answer: body, sources: ranked.filter((r) => r.score > 0).length })
    : body;
  if (/\bjson\b/i.test(prompt) && random.chance(q.broken_json)) {
    flaws.push('broken_json');
    text = text.slice(0, Math.max(1, Math.floor(text.length * 0.6)));
  }
  if (countTokens(text) > maxTokens) return { text: truncateToTokens(text, maxTokens), flaws, finishReason: 'length' };
  return { text, flaws, finishReason: 'stop' };
}

/** The longest prefix of whole tokens that fits max_tokens: like a real provider, never a token more. */
function truncateToTokens(text: string, maxTokens: number): string {
  let end = 0;
  let used = 0;
  for (const match of text.matchAll(/\s*(?:[A-Za-z]+|\d+|[^\sA-Za-z\d])/g)) {
    const cost = countTokens(match[0]);
    if (used + cost > maxTokens) break;
    used += cost;
    end = match.index! + match[0].length;
  }
  return text.slice(0, end);
}
