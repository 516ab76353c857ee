import { hashText } from './random';

export const EMBEDDING_DIMENSIONS = 256;

function features(text: string): string[] {
  const tokens = text.toLowerCase().match(/[a-z0-9]+/g) ?? [];
  const bigrams = tokens.slice(1).map((token, i) => `${tokens[i]} ${token}`);
  return [...tokens, ...bigrams];
}

/**
 * Deterministic and meaningful: signed feature hashing of words and word pairs, L2-normalised.
 * Texts sharing words get a high cosine similarity; a corpus whose topic shifts moves its centroid.
 */
export function embed(text: string, dimensions = EMBEDDING_DIMENSIONS): number[] {
  const vector = new Array<number>(dimensions).fill(0);
  for (const feature of features(text)) {
    const hash = hashText(feature);
    const weight = feature.includes(' ') ? 0.5 : 1;
    vector[hash % dimensions]! += hash & 0x80000000 ? -weight : weight;
  }
  const norm = Math.hypot(...vector) || 1;
  return vector.map((value) => value / norm);
}

export function cosine(a: number[], b: number[]): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return na && nb ? dot / Math.sqrt(na * nb) : 0;
}
