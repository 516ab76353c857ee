import type { Pool } from '../db/pool';
import { InputError } from '../errors';
import { DRILL_PROMPT_OWNER } from '../model/drill';
import { promptSpecSchema } from '../registry/promptFile';
import { pushPrompts } from '../registry/registry';
import { compareSemVer, formatSemVer, nextVersion, parseSemVer } from '../registry/semver';

/**
 * Push two new versions of the drill's synthetic prompt (the one to fall back to, then the one to
 * promote), each naming the drill in its wording. Returns both versions, lowest first.
 */
export async function pushDrillVersions(
  pool: Pool,
  input: { prompt: string; model: string; drill: string; actor: string },
): Promise<{ base: string; candidate: string }> {
  const { rows } = await pool.query<{ version: string; owner: string }>(
    `SELECT v.version, v.spec->>'owner' AS owner FROM prompt_versions v WHERE v.prompt_name = $1`,
    [input.prompt],
  );
  const foreign = rows.find((r) => r.owner !== DRILL_PROMPT_OWNER);
  if (foreign)
    throw new InputError(
      `Prompt "${input.prompt}" is owned by ${foreign.owner}, not by the drills: name another with --prompt`,
    );
  const latest = rows
    .map((r) => parseSemVer(r.version))
    .sort(compareSemVer)
    .at(-1);
  const base = latest ? nextVersion(latest, 'patch') : parseSemVer('1.0.0');
  const candidate = nextVersion(base, 'patch');
  const spec = (version: string, role: string) =>
    promptSpecSchema.parse({
      name: input.prompt,
      version,
      owner: DRILL_PROMPT_OWNER,
      description: 'Synthetic prompt of the prompt-rollback drill; never served to a real tenant.',
      model: input.model,
      params: { max_tokens: 8, temperature: 0 },
      template: { user: `Drill ${input.drill}, ${role} version: reply OK.` },
    });
  const versions = [formatSemVer(base), formatSemVer(candidate)] as const;
  await pushPrompts(
    pool,
    [
      { path: `drill:${versions[0]}`, spec: spec(versions[0], 'earlier'), source: '' },
      { path: `drill:${versions[1]}`, spec: spec(versions[1], 'promoted'), source: '' },
    ],
    input.actor,
  );
  return { base: versions[0], candidate: versions[1] };
}
