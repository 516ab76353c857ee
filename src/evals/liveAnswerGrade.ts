import type { ChatMessage } from '../providers/types';
import type { Judge, JudgeScore } from './judge';

/** What the judge is asked of a live answer: no dataset rubric exists for production traffic. */
const LIVE_ANSWER_RUBRIC =
  'The answer helps the user: it answers what was asked, is grounded in the instructions and context given, and invents nothing.';

const contentOf = (messages: ChatMessage[], role: ChatMessage['role']) =>
  messages
    .filter((m) => m.role === role)
    .map((m) => m.content)
    .join('\n');

/** The judge's score of one served answer (canary windows and production sampling ask the same). */
export function gradeLiveAnswer(judge: Judge, messages: ChatMessage[], output: string): Promise<JudgeScore> {
  return judge.grade({
    kind: 'rubric',
    rubric: LIVE_ANSWER_RUBRIC,
    question: contentOf(messages, 'user'),
    context: contentOf(messages, 'system'),
    output,
  });
}
