import { createHash } from 'node:crypto';
import { FULL_WEIGHT_BP } from '../model/weights';

/**
 * A stable bucket in [0, 10000) for a subject (user or tenant) within an experiment. A subject is
 * in the candidate when its bucket is below the weight, so raising the weight only ever adds
 * subjects: nobody flips back and forth while a rollout ramps.
 */
export function bucketOf(experimentId: string, subject: string): number {
  const digest = createHash('sha256').update(experimentId).update('\0').update(subject).digest();
  return digest.readUInt32BE(0) % FULL_WEIGHT_BP;
}

export function inCandidateBucket(experimentId: string, subject: string, weightBp: number): boolean {
  return weightBp > 0 && bucketOf(experimentId, subject) < weightBp;
}
