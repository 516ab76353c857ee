import { createHash } from 'node:crypto';
import type { Pool } from '../db/pool';
import type { ChatMessage, Completion } from '../providers/types';
import { scanPii } from '../guardrails/pii';
import { canonicalJson } from '../util/canonicalJson';

export interface CacheKeyParts {
  /** Answers are never shared between tenants: a hit would tell one what another asked. */
  tenant: string;
  prompt: string;
  version: string;
  model: string;
  params: Record<string, unknown>;
  messages: ChatMessage[];
}

/** Exact match on tenant, prompt version, model, params and the rendered (post-guardrail) input. */
export function responseCacheKey(parts: CacheKeyParts): string {
  return createHash('sha256').update(canonicalJson(parts)).digest('hex');
}

/**
 * Cached answers in Postgres, shared by every gateway, per tenant. Answers are stored with personal
 * data redacted (a cache is kept longer than a request); expired rows are never served and are
 * deleted by a later write (about once a minute). The caller caps the TTL at the body retention period.
 */
export class ResponseCache {
  private lastPurge = 0;

  constructor(
    private readonly pool: Pool,
    private readonly purgeEveryMs = 60_000,
  ) {}

  async get(key: string): Promise<Completion | undefined> {
    const { rows } = await this.pool.query<{ response: Completion }>(
      'SELECT response FROM response_cache WHERE key = $1 AND expires_at > now()',
      [key],
    );
    return rows[0]?.response;
  }

  async put(key: string, tenant: string, prompt: string, completion: Completion, ttlSeconds: number): Promise<void> {
    const stored = { ...completion, text: scanPii(completion.text).redacted };
    await this.pool.query(
      `INSERT INTO response_cache (key, tenant_id, prompt_name, response, expires_at) VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5))
       ON CONFLICT (key) DO UPDATE SET response = EXCLUDED.response, expires_at = EXCLUDED.expires_at`,
      [key, tenant, prompt, JSON.stringify(stored), ttlSeconds],
    );
    if (Date.now() - this.lastPurge >= this.purgeEveryMs) {
      this.lastPurge = Date.now();
      await this.pool.query('DELETE FROM response_cache WHERE expires_at < now()');
    }
  }
}
