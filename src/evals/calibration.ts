import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { cohensKappa, spearman } from '../analysis/agreement';
import type { Pool } from '../db/pool';
import { InputError, describeZodIssues } from '../errors';
import { DEFAULT_GRADED_THRESHOLD, GRADED_TYPES } from './assertionTypes';
import { mapWithConcurrency } from './concurrency';
import type { Judge } from './judge';
import { JUDGE_PROMPT_HASH } from './judgePrompt';

export const MIN_LABELLED_EXAMPLES = 50;
export const DEFAULT_AGREEMENT_FLOOR = { kappa: 0.6, spearman: 0.6 };

const labelSchema = z.object({
  id: z.string().min(1),
  kind: z.enum(GRADED_TYPES).default('rubric'),
  rubric: z.string().optional(),
  question: z.string().default(''),
  context: z.string().default(''),
  output: z.string(),
  human_score: z.number().min(0).max(1),
  human_pass: z.boolean().optional(),
});
export type Label = z.infer<typeof labelSchema>;

/** Human-labelled judge examples, one JSON object per line; at least MIN_LABELLED_EXAMPLES. */
export function loadLabels(path: string): { labels: Label[]; hash: string } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new InputError(
      `Cannot read labels ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
  const labels = text
    .split('\n')
    .map((line, i) => ({ line: line.trim(), i }))
    .filter(({ line }) => line)
    .map(({ line, i }) => {
      let raw: unknown;
      try {
        raw = JSON.parse(line);
      } catch (error) {
        throw new InputError(`${path}:${i + 1}: not valid JSON (${(error as Error).message})`);
      }
      const parsed = labelSchema.safeParse(raw);
      if (!parsed.success) throw new InputError(describeZodIssues(`${path}:${i + 1}`, parsed.error.issues));
      if (parsed.data.kind === 'rubric' && !parsed.data.rubric)
        throw new InputError(`${path}:${i + 1}: a rubric label needs "rubric"`);
      return parsed.data;
    });
  if (labels.length < MIN_LABELLED_EXAMPLES) {
    throw new InputError(
      `${path} has ${labels.length} labelled examples; calibration needs at least ${MIN_LABELLED_EXAMPLES} for kappa and Spearman to mean anything`,
    );
  }
  return { labels, hash: createHash('sha256').update(text).digest('hex') };
}

export interface CalibrationResult {
  judgeModel: string;
  judgePromptHash: string;
  examples: number;
  kappa: number;
  spearman: number;
  agreement: number;
  disagreements: Array<{ id: string; human: number; judge: number }>;
}

/** Judge every labelled example (cached like any judge call) and measure agreement with the humans. */
export async function calibrate(
  pool: Pool,
  judge: Judge,
  labels: Label[],
  labelsHash: string,
  concurrency = 8,
): Promise<CalibrationResult> {
  const judged = await mapWithConcurrency(labels, concurrency, (label) =>
    judge.grade({
      kind: label.kind,
      rubric: label.rubric,
      question: label.question,
      context: label.context,
      output: label.output,
    }),
  );
  const humanPass = labels.map((l) => l.human_pass ?? l.human_score >= 0.5);
  const judgePass = judged.map((j) => j.score >= DEFAULT_GRADED_THRESHOLD);
  const result: CalibrationResult = {
    judgeModel: judge.model,
    judgePromptHash: JUDGE_PROMPT_HASH,
    examples: labels.length,
    kappa: cohensKappa(humanPass, judgePass),
    spearman: spearman(
      labels.map((l) => l.human_score),
      judged.map((j) => j.score),
    ),
    agreement: humanPass.filter((p, i) => p === judgePass[i]).length / labels.length,
    disagreements: labels
      .filter((_, i) => humanPass[i] !== judgePass[i])
      .map((l) => ({ id: l.id, human: l.human_score, judge: judged[labels.indexOf(l)]!.score })),
  };
  await pool.query(
    `INSERT INTO judge_calibrations (judge_model, judge_prompt_hash, labels_hash, examples, kappa, spearman) VALUES ($1, $2, $3, $4, $5, $6)`,
    [result.judgeModel, result.judgePromptHash, labelsHash, result.examples, result.kappa, result.spearman],
  );
  return result;
}

/** The latest calibration of this judge model with the current judge prompt, if any. */
export async function latestCalibration(
  pool: Pool,
  judgeModel: string,
): Promise<{ kappa: number; spearman: number; examples: number; createdAt: Date } | undefined> {
  const { rows } = await pool.query(
    `SELECT kappa, spearman, examples, created_at FROM judge_calibrations WHERE judge_model = $1 AND judge_prompt_hash = $2 ORDER BY created_at DESC LIMIT 1`,
    [judgeModel, JUDGE_PROMPT_HASH],
  );
  return rows[0]
    ? { kappa: rows[0].kappa, spearman: rows[0].spearman, examples: rows[0].examples, createdAt: rows[0].created_at }
    : undefined;
}

/** Why this judge may not gate a release, or undefined when it may. */
export async function judgeRefusal(
  pool: Pool,
  judgeModel: string,
  floor = DEFAULT_AGREEMENT_FLOOR,
): Promise<string | undefined> {
  const calibration = await latestCalibration(pool, judgeModel);
  const how = `run \`flightdeck eval calibrate --judge ${judgeModel} --labels <labels.jsonl>\`, or pass --force-judge`;
  if (!calibration)
    return `Judge ${judgeModel} has not been calibrated against human labels with the current judge prompt; ${how}`;
  if (calibration.kappa < floor.kappa || calibration.spearman < floor.spearman) {
    return `Judge ${judgeModel} agrees too little with human labels (kappa ${calibration.kappa.toFixed(2)} < ${floor.kappa} or Spearman ${calibration.spearman.toFixed(2)} < ${floor.spearman}); ${how}`;
  }
  return undefined;
}
