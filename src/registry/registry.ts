import { labelMoves, recordAudit } from '../audit/auditLog';
import { InputError, NotFoundError } from '../errors';
import { withTransaction, type Pool, type PoolClient } from '../db/pool';
import { bumpViolation } from './bumpRules';
import { contentHash } from './contentHash';
import { moveLabelWithin, PRODUCTION } from './labels';
import type { PromptFile, PromptSpec } from './promptFile';
import { isVersionRef } from './reference';
import { compareSemVer, parseSemVer } from './semver';

export interface PromptVersion {
  name: string;
  version: string;
  contentHash: string;
  spec: PromptSpec;
  status: 'registered' | 'rejected';
  createdBy: string;
  createdAt: Date;
}

export interface PushResult {
  name: string;
  version: string;
  contentHash: string;
  /** registered: new version; unchanged: identical content was already there (a no-op). */
  outcome: 'registered' | 'unchanged';
  labels: string[];
}

interface VersionRow {
  prompt_name: string;
  version: string;
  content_hash: string;
  spec: PromptSpec;
  status: 'registered' | 'rejected';
  created_by: string;
  created_at: Date;
}

function toVersion(row: VersionRow): PromptVersion {
  return {
    name: row.prompt_name,
    version: row.version,
    contentHash: row.content_hash,
    spec: row.spec,
    status: row.status,
    createdBy: row.created_by,
    createdAt: row.created_at,
  };
}

async function latestVersion(client: PoolClient, name: string): Promise<VersionRow | undefined> {
  const { rows } = await client.query<VersionRow>(
    'SELECT * FROM prompt_versions WHERE prompt_name = $1 ORDER BY major DESC, minor DESC, patch DESC LIMIT 1',
    [name],
  );
  return rows[0];
}

async function pushOne(client: PoolClient, file: PromptFile, actor: string): Promise<PushResult> {
  const { spec } = file;
  const hash = contentHash(spec);
  // Serialise pushes of one prompt so two concurrent pushes cannot both pass the bump check.
  await client.query('INSERT INTO prompts (name) VALUES ($1) ON CONFLICT DO NOTHING', [spec.name]);
  await client.query('SELECT 1 FROM prompts WHERE name = $1 FOR UPDATE', [spec.name]);

  const existing = await client.query<VersionRow>(
    'SELECT * FROM prompt_versions WHERE prompt_name = $1 AND version = $2',
    [spec.name, spec.version],
  );
  if (existing.rows[0]) {
    if (existing.rows[0].content_hash === hash) {
      return {
        name: spec.name,
        version: spec.version,
        contentHash: hash,
        outcome: 'unchanged',
        labels: await labelsOf(client, spec.name, spec.version),
      };
    }
    throw new InputError(
      `${file.path}: ${spec.name}@${spec.version} is already registered with different content (versions are immutable); bump the version to register this change`,
    );
  }
  const latest = await latestVersion(client, spec.name);
  if (latest) {
    const violation = bumpViolation(latest.spec, spec);
    if (violation) throw new InputError(`${file.path}: ${violation}`);
  }
  const v = parseSemVer(spec.version);
  await client.query(
    `INSERT INTO prompt_versions (prompt_name, version, major, minor, patch, content_hash, spec, source, created_by)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
    [spec.name, spec.version, v.major, v.minor, v.patch, hash, JSON.stringify(spec), file.source, actor],
  );
  await recordAudit(client, {
    actor,
    action: 'prompt.push',
    subject: spec.name,
    toValue: spec.version,
    details: { contentHash: hash, file: file.path },
  });
  // The first version goes straight to production: there is nothing yet to protect.
  if (!latest) {
    await moveLabelWithin(client, {
      name: spec.name,
      label: PRODUCTION,
      version: spec.version,
      actor,
      reason: 'first version of the prompt',
    }).catch((error: unknown) => {
      throw error instanceof InputError ? new InputError(`${file.path}: ${error.message}`) : error;
    });
  }
  return {
    name: spec.name,
    version: spec.version,
    contentHash: hash,
    outcome: 'registered',
    labels: await labelsOf(client, spec.name, spec.version),
  };
}

async function labelsOf(client: PoolClient | Pool, name: string, version: string): Promise<string[]> {
  const { rows } = await client.query<{ label: string }>(
    'SELECT label FROM prompt_labels WHERE prompt_name = $1 AND version = $2 ORDER BY label',
    [name, version],
  );
  return rows.map((row) => row.label);
}

/**
 * Register prompt files. All files go in one transaction: if any is refused, none is written.
 */
export async function pushPrompts(pool: Pool, files: PromptFile[], actor: string): Promise<PushResult[]> {
  const seen = new Set<string>();
  for (const file of files) {
    const key = `${file.spec.name}@${file.spec.version}`;
    if (seen.has(key)) throw new InputError(`${file.path}: ${key} appears in more than one file of this push`);
    seen.add(key);
  }
  // Push lower versions first so a push of 1.0.0 and 1.1.0 together checks bumps in order.
  const ordered = [...files].sort(
    (a, b) =>
      a.spec.name.localeCompare(b.spec.name) || compareSemVer(parseSemVer(a.spec.version), parseSemVer(b.spec.version)),
  );
  return withTransaction(pool, async (client) => {
    const results: PushResult[] = [];
    for (const file of ordered) results.push(await pushOne(client, file, actor));
    return results;
  });
}

/** Look up `name` at a version or label; a missing prompt, version or label is a NotFoundError saying what exists. */
export async function resolvePrompt(db: Pool | PoolClient, name: string, ref = PRODUCTION): Promise<PromptVersion> {
  await assertPromptExists(db, name);
  const query = isVersionRef(ref)
    ? db.query<VersionRow>('SELECT * FROM prompt_versions WHERE prompt_name = $1 AND version = $2', [name, ref])
    : db.query<VersionRow>(
        `SELECT v.* FROM prompt_labels l JOIN prompt_versions v ON v.prompt_name = l.prompt_name AND v.version = l.version
         WHERE l.prompt_name = $1 AND l.label = $2`,
        [name, ref],
      );
  const { rows } = await query;
  if (!rows[0]) {
    const what = isVersionRef(ref) ? 'version' : 'label';
    throw new NotFoundError(
      `Prompt "${name}" has no ${what} "${ref}". Run \`flightdeck prompt history ${name}\` to see its versions and labels.`,
    );
  }
  return toVersion(rows[0]);
}

export interface PromptSummary {
  name: string;
  latestVersion: string;
  versions: number;
  labels: Record<string, string>;
  updatedAt: Date;
  /** Its kill switch is on: every gateway refuses it (`prompt enable` lifts it). */
  disabled: boolean;
}

export async function listPrompts(pool: Pool): Promise<PromptSummary[]> {
  const { rows } = await pool.query<{
    name: string;
    latest: string;
    versions: string;
    labels: Record<string, string> | null;
    updated_at: Date;
    disabled: boolean;
  }>(
    `SELECT p.name, p.disabled_reason IS NOT NULL AS disabled,
            (SELECT version FROM prompt_versions v WHERE v.prompt_name = p.name ORDER BY major DESC, minor DESC, patch DESC LIMIT 1) AS latest,
            (SELECT count(*) FROM prompt_versions v WHERE v.prompt_name = p.name) AS versions,
            (SELECT jsonb_object_agg(label, version) FROM prompt_labels l WHERE l.prompt_name = p.name) AS labels,
            (SELECT max(created_at) FROM prompt_versions v WHERE v.prompt_name = p.name) AS updated_at
     FROM prompts p ORDER BY p.name`,
  );
  return rows.map((row) => ({
    name: row.name,
    latestVersion: row.latest,
    versions: Number(row.versions),
    labels: row.labels ?? {},
    updatedAt: row.updated_at,
    disabled: row.disabled,
  }));
}

export interface PromptHistory {
  name: string;
  versions: Array<{
    version: string;
    contentHash: string;
    status: string;
    createdBy: string;
    createdAt: Date;
    labels: string[];
  }>;
  labelMoves: Array<{ ts: Date; actor: string; label: string; from: string | null; to: string; reason: string | null }>;
}

export async function promptHistory(pool: Pool, name: string): Promise<PromptHistory> {
  await assertPromptExists(pool, name);
  const versions = await pool.query<VersionRow & { labels: string[] }>(
    `SELECT v.*, coalesce(array_agg(l.label ORDER BY l.label) FILTER (WHERE l.label IS NOT NULL), '{}') AS labels
     FROM prompt_versions v LEFT JOIN prompt_labels l ON l.prompt_name = v.prompt_name AND l.version = v.version
     WHERE v.prompt_name = $1 GROUP BY v.prompt_name, v.version ORDER BY v.major, v.minor, v.patch`,
    [name],
  );
  const moves = await labelMoves(pool, name);
  return {
    name,
    versions: versions.rows.map((row) => ({
      version: row.version,
      contentHash: row.content_hash,
      status: row.status,
      createdBy: row.created_by,
      createdAt: row.created_at,
      labels: row.labels,
    })),
    labelMoves: moves.map(({ rollback: _, ...move }) => move),
  };
}

/** A version's status (`registered`, `rejected`), or undefined when the prompt has no such version. */
export async function versionStatus(
  db: Pool | PoolClient,
  prompt: string,
  version: string,
): Promise<string | undefined> {
  const { rows } = await db.query<{ status: string }>(
    'SELECT status FROM prompt_versions WHERE prompt_name = $1 AND version = $2',
    [prompt, version],
  );
  return rows[0]?.status;
}

async function assertPromptExists(db: Pool | PoolClient, name: string): Promise<void> {
  const known = await db.query('SELECT 1 FROM prompts WHERE name = $1', [name]);
  if (!known.rowCount) {
    throw new NotFoundError(
      `Unknown prompt "${name}". Run \`flightdeck prompt list\` to see registered prompts, or \`flightdeck prompt push <file>\` to add one.`,
    );
  }
}
