import type { ProviderDirectory } from '../providers/directory';
import { ProviderError } from '../providers/errors';
import { cost } from '../providers/pricing';
import { withRetries } from '../providers/retry';
import type { PromptSpec } from '../registry/promptFile';
import { renderPrompt } from '../registry/render';
import type { Assertion } from './assertionSpec';
import {
  judgedResult,
  isGradedType,
  runCheck,
  type CheckResult,
  type CheckType,
  type GradedAssertionType,
} from './assertionTypes';
import type { EvalCase } from './dataset';
import type { Judge } from './judge';
import { compileSnippet, runSnippet } from './sandbox';

export interface AssertionOutcome extends CheckResult {
  type: string;
  metric: string;
  weight: number;
  /** Judge scores per sample, for graded assertions (their mean is `score`). */
  samples?: number[];
}

export interface CaseResult {
  caseId: string;
  output: string;
  error?: string;
  score: number;
  passed: boolean;
  assertions: AssertionOutcome[];
  latencyMs: number;
  costUsd: number;
  inputTokens: number;
  outputTokens: number;
}

const isGraded = (a: Assertion): a is Assertion & { type: GradedAssertionType } => isGradedType(a.type);
const isCheck = (a: Assertion): a is Assertion & { type: CheckType } => !isGradedType(a.type);

function text(value: unknown): string {
  return value === undefined || value === null ? '' : String(value);
}

async function gradeWithJudge(
  assertion: Assertion & { type: GradedAssertionType },
  output: string,
  c: EvalCase,
  judge: Judge,
  samples: number,
): Promise<CheckResult & { samples: number[] }> {
  const question = text(c.vars.question) || (assertion.type === 'answer-relevance' ? text(assertion.value) : '');
  // Faithfulness may name its context; factuality's reference answer is what the output is checked against.
  const context =
    (assertion.type === 'faithfulness' || assertion.type === 'factuality') && assertion.value !== undefined
      ? text(assertion.value)
      : text(c.vars.context);
  const scores: number[] = [];
  let reason = '';
  for (let sample = 0; sample < samples; sample++) {
    const graded = await judge.grade(
      {
        kind: assertion.type,
        rubric: assertion.type === 'rubric' || assertion.type === 'closedqa' ? text(assertion.value) : undefined,
        question,
        context,
        output,
      },
      sample,
    );
    scores.push(graded.score);
    reason ||= graded.reason;
  }
  const raw = scores.reduce((s, v) => s + v, 0) / scores.length;
  const { pass, score, threshold } = judgedResult(raw, assertion);
  return {
    pass,
    score,
    reason: `${assertion.negated ? 'not: ' : ''}judge ${raw.toFixed(2)} vs ${threshold}: ${reason}`,
    samples: scores,
  };
}

/** Weighted score; pass when every assertion passes, or on the score when the case sets a threshold. */
export function combine(
  outcomes: AssertionOutcome[],
  threshold: number | undefined,
): { score: number; passed: boolean } {
  // A promptfoo test without assertions is there for review, and passes as in promptfoo.
  if (!outcomes.length) return { score: 1, passed: true };
  const weight = outcomes.reduce((s, o) => s + o.weight, 0);
  const score = weight ? outcomes.reduce((s, o) => s + o.weight * o.score, 0) / weight : 0;
  return { score, passed: threshold === undefined ? outcomes.every((o) => o.pass) : score >= threshold };
}

/**
 * One case: render with the case's variables, call the prompt's model (retrying retryable errors),
 * then score every assertion. A provider failure that retries cannot fix fails the case, with the error kept.
 */
export async function evaluateCase(
  spec: PromptSpec,
  c: EvalCase,
  providers: ProviderDirectory,
  judge: Judge | undefined,
  judgeSamples: number,
): Promise<CaseResult> {
  const rendered = renderPrompt(spec, c.vars);
  let completion;
  try {
    completion = await withRetries(() =>
      providers.forModel(rendered.model).complete({
        model: rendered.model,
        messages: rendered.messages,
        temperature: rendered.params.temperature,
        topP: rendered.params.top_p,
        maxTokens: rendered.params.max_tokens,
        stop: rendered.params.stop,
        seed: rendered.params.seed,
        timeoutMs: 60_000,
      }),
    );
  } catch (error) {
    if (!(error instanceof ProviderError)) throw error;
    const reason = `provider error (${error.kind}): ${error.message}`;
    const assertions = c.assertions.map((a) => ({
      type: a.type,
      metric: a.metric,
      weight: a.weight,
      pass: false,
      score: 0,
      reason,
    }));
    return {
      caseId: c.id,
      output: '',
      error: reason,
      score: 0,
      passed: false,
      assertions,
      latencyMs: 0,
      costUsd: 0,
      inputTokens: 0,
      outputTokens: 0,
    };
  }
  const costUsd = cost(completion.model, completion.usage).usd;
  return {
    caseId: c.id,
    output: completion.text,
    ...(await scoreOutput(c, completion.text, { latencyMs: completion.latencyMs, costUsd }, judge, judgeSamples)),
    latencyMs: completion.latencyMs,
    costUsd,
    inputTokens: completion.usage.inputTokens,
    outputTokens: completion.usage.outputTokens,
  };
}

/**
 * Score an answer to a case against each of its assertions (after the case's and each assertion's
 * transform); model-graded ones need the judge. Evals call the model themselves; synthetic probes
 * score what the gateway answered.
 */
export async function scoreOutput(
  c: EvalCase,
  text: string,
  observed: { latencyMs: number; costUsd: number },
  judge: Judge | undefined,
  judgeSamples: number,
): Promise<{ score: number; passed: boolean; assertions: AssertionOutcome[] }> {
  const { latencyMs, costUsd } = observed;
  const caseOutput = transformed(c.transform, text, c.vars);
  const assertions: AssertionOutcome[] = [];
  for (const assertion of c.assertions) {
    const base = {
      type: `${assertion.negated ? 'not-' : ''}${assertion.type}`,
      metric: assertion.metric,
      weight: assertion.weight,
    };
    const seen = 'error' in caseOutput ? caseOutput : transformed(assertion.transform, caseOutput.value, c.vars);
    if ('error' in seen) {
      assertions.push({ ...base, pass: false, score: 0, reason: `transform failed: ${seen.error}` });
      continue;
    }
    const output = asText(seen.value);
    if (isGraded(assertion)) {
      if (!judge) throw new Error('a model-graded assertion needs a judge');
      assertions.push({ ...base, ...(await gradeWithJudge(assertion, output, c, judge, judgeSamples)) });
    } else if (isCheck(assertion)) {
      assertions.push({
        ...base,
        ...runCheck(assertion, { output, value: seen.value, vars: c.vars, latencyMs, costUsd }),
      });
    }
  }
  return { ...combine(assertions, c.threshold), assertions };
}

/** The output after a promptfoo `transform` (none: as it is), or why the transform failed. */
export function transformed(
  code: string | undefined,
  output: unknown,
  vars: Record<string, unknown>,
): { value: unknown } | { error: string } {
  if (code === undefined) return { value: output };
  try {
    return { value: runSnippet(compileSnippet(code), { output, context: { vars } }) };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

/** What text checks and the judge read: text as it is, anything else as JSON. */
const asText = (value: unknown): string => (typeof value === 'string' ? value : (JSON.stringify(value) ?? ''));

export function needsJudge(cases: EvalCase[]): boolean {
  return cases.some((c) => c.assertions.some(isGraded));
}
