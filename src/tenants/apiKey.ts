import { hash, randomBytes } from 'node:crypto';

const KEY_PREFIX = 'fdk_';

/** A new API key: 256 random bits, printed once and stored only as its hash. */
export function newApiKey(): string {
  return `${KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
}

/**
 * sha256 is enough for keys of 256 random bits: there is nothing to guess, so no slow hash is needed.
 * The one-shot form: every gateway request hashes its key.
 */
export function hashApiKey(key: string): string {
  return hash('sha256', key, 'hex');
}

/** The part of a key that is safe to show, so people can tell their keys apart. */
export function keyPrefix(key: string): string {
  return key.slice(0, KEY_PREFIX.length + 6);
}
