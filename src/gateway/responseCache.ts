import { createHash } from 'node:crypto';
import type { Pool } from '../db/pool';
import type { ChatMessage, Completion } from '../providers/types';
import { canonicalJson } from '../registry/contentHash';

export interface CacheKeyParts {
  prompt: string;
  version: string;
  model: string;
  params: Record<string, unknown>;
  messages: ChatMessage[];
}

/** Exact match on prompt version, model, params and the rendered (post-guardrail) input. */
export function responseCacheKey(parts: CacheKeyParts): string {
  return createHash('sha256').update(canonicalJson(parts)).digest('hex');
}

/** Cached answers in Postgres, shared by every gateway; expired rows are never served. */
export class ResponseCache {
  constructor(private readonly pool: Pool) {}

  async get(key: string): Promise<Completion | undefined> {
    const { rows } = await this.pool.query<{ response: Completion }>('SELECT response FROM response_cache WHERE key = $1 AND expires_at > now()', [key]);
    return rows[0]?.response;
  }

  async put(key: string, prompt: string, completion: Completion, ttlSeconds: number): Promise<void> {
    await this.pool.query(
      `INSERT INTO response_cache (key, prompt_name, response, expires_at) VALUES ($1, $2, $3, now() + make_interval(secs => $4))
       ON CONFLICT (key) DO UPDATE SET response = EXCLUDED.response, expires_at = EXCLUDED.expires_at`,
      [key, prompt, JSON.stringify(completion), ttlSeconds],
    );
  }
}
