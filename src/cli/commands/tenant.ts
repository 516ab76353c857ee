import type { Command } from 'commander';
import { currentActor } from '../../config/env';
import { InputError } from '../../errors';
import { setBudget, spendToday } from '../../budgets/budgetStore';
import { TIERS, type Tier } from '../../routing/cohorts';
import {
  createTenant,
  listTenants,
  rotateTenantKey,
  setTenantStatus,
  type TenantStatus,
} from '../../tenants/tenantStore';
import { withDatabase } from '../context';
import { emit, formatTime, table } from '../output';
import { positiveInt, wholeNumber } from '../options';
import { hashApiKey, keyPrefix, newApiKey } from '../../tenants/apiKey';

function positiveNumber(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) throw new InputError(`${name} must be a number above 0 (got "${text}")`);
  return n;
}

function oneOf<T extends string>(name: string, value: string, allowed: readonly T[]): T {
  if (!allowed.includes(value as T))
    throw new InputError(`${name} must be one of ${allowed.join(', ')} (got "${value}")`);
  return value as T;
}

export function registerTenantCommands(program: Command): void {
  const tenant = program.command('tenant').description('Tenants: API keys, tiers, status and budgets');

  tenantCreateCommand(tenant);
  tenantListCommand(tenant);

  const statusCommand = (name: string, status: TenantStatus, description: string) => {
    const command = tenant
      .command(name)
      .description(description)
      .argument('<id>', 'tenant id')
      .requiredOption('--reason <text>', 'why, for the audit trail')
      .option('--json', 'machine-readable output');
    if (status === 'throttled')
      command.option('--rpm <n>', 'keep this many requests a minute per gateway process (default: none)');
    command.action(async (id: string, opts: { reason: string; rpm?: string; json?: boolean }) => {
      const throttleRpm = opts.rpm === undefined ? undefined : positiveInt('--rpm', opts.rpm);
      const change = await withDatabase((db) =>
        setTenantStatus(db.pool, id, status, opts.reason, currentActor(), { throttleRpm }),
      );
      const rate = change.throttleRpm === null ? '' : ` (${change.throttleRpm} requests a minute per gateway process)`;
      emit(opts.json, { id, ...change }, () =>
        change.from === change.to && !rate
          ? `${id} is already ${status}; nothing to do.`
          : `${id}: ${change.from} -> ${change.to}${rate}. Gateways apply it within a second.`,
      );
    });
  };
  statusCommand('throttle', 'throttled', 'Answer the tenant with 429 and Retry-After (all requests, or past --rpm)');
  statusCommand('kill', 'killed', 'Refuse every request of the tenant with 403');
  statusCommand('restore', 'active', 'Serve the tenant normally again');

  tenantRotateKeyCommand(tenant);
  tenantBudgetCommand(tenant);
}

function tenantRotateKeyCommand(tenant: Command): void {
  tenant
    .command('rotate-key')
    .description('Give the tenant a new API key (printed once); the old one keeps working for the overlap window')
    .argument('<id>', 'tenant id')
    .requiredOption('--reason <text>', 'why, for the audit trail')
    .option('--overlap-minutes <n>', 'minutes the old key keeps working (0: revoked at once)', '60')
    .option('--json', 'machine-readable output: {id, apiKey, oldKeyValidUntil}')
    .action(async (id: string, opts: { reason: string; overlapMinutes: string; json?: boolean }) => {
      const overlapMinutes = wholeNumber('--overlap-minutes', opts.overlapMinutes, 0);
      const apiKey = newApiKey();
      const rotated = await withDatabase((db) =>
        rotateTenantKey(db.pool, {
          tenant: id,
          newKeyHash: hashApiKey(apiKey),
          newKeyPrefix: keyPrefix(apiKey),
          overlapMinutes,
          actor: currentActor(),
          reason: opts.reason,
        }),
      );
      const until = rotated.expiresAt?.toISOString() ?? null;
      emit(
        opts.json,
        { id, apiKey, oldKeyValidUntil: until },
        () =>
          `New API key for ${id} (shown once, store it now):\n\n  ${apiKey}\n\n` +
          (until
            ? `The old key (${rotated.previousKeyPrefix}…) works until ${until}; move every client to the new one before then.`
            : 'The old key stopped working now.'),
      );
    });
}

function tenantCreateCommand(tenant: Command): void {
  tenant
    .command('create')
    .description('Create a tenant and print its API key (shown once; only its hash is stored)')
    .argument('<id>', 'tenant id (lowercase letters, digits, ".", "_", "-")')
    .requiredOption('--tier <tier>', `one of ${TIERS.join(', ')}`)
    .option('--experiments-opt-in', 'an enterprise tenant that accepts candidate versions in rollouts')
    .option('--pii <policy>', 'personal data in requests: redact, block or allow', 'redact')
    .option('--injection <policy>', 'prompt-injection patterns: flag or block', 'flag')
    .option('--synthetic', 'a tenant for drills, probes and canary traffic: kept out of baselines and cost reports')
    .option('--json', 'machine-readable output: {id, tier, kind, apiKey}')
    .action(
      async (
        id: string,
        opts: {
          tier: string;
          experimentsOptIn?: boolean;
          pii: string;
          injection: string;
          synthetic?: boolean;
          json?: boolean;
        },
      ) => {
        const tier = oneOf<Tier>('--tier', opts.tier, TIERS);
        const piiPolicy = oneOf('--pii', opts.pii, ['redact', 'block', 'allow'] as const);
        const injectionPolicy = oneOf('--injection', opts.injection, ['flag', 'block'] as const);
        const { tenant: created, apiKey } = await withDatabase((db) =>
          createTenant(db.pool, {
            id,
            tier,
            experimentsOptIn: opts.experimentsOptIn ?? false,
            piiPolicy,
            injectionPolicy,
            kind: opts.synthetic ? 'synthetic' : 'customer',
            actor: currentActor(),
          }),
        );
        emit(
          opts.json,
          { id: created.id, tier: created.tier, kind: created.kind, apiKey },
          () =>
            `Created ${created.kind === 'synthetic' ? 'synthetic ' : ''}tenant ${created.id} (${created.tier}${created.experimentsOptIn ? ', experiments opt-in' : ''}).\nAPI key (shown once, store it now):\n\n  ${apiKey}\n\nCall the gateway with it: Authorization: Bearer <key>.`,
        );
      },
    );
}

function tenantListCommand(tenant: Command): void {
  tenant
    .command('list')
    .description('List tenants with tier, status and key prefix')
    .option('--json', 'machine-readable output')
    .action(async (opts: { json?: boolean }) => {
      const tenants = await withDatabase((db) => listTenants(db.pool));
      const shown = tenants.map(({ keyHash: _hash, previousKeyHash: _previous, ...rest }) => rest);
      emit(opts.json, shown, () =>
        tenants.length
          ? table(
              ['ID', 'TIER', 'KIND', 'OPT-IN', 'STATUS', 'KEY', 'PII', 'INJECTION', 'CREATED'],
              tenants.map((t) => [
                t.id,
                t.tier,
                t.kind,
                t.experimentsOptIn ? 'yes' : 'no',
                t.statusReason ? `${t.status} (${t.statusReason})` : t.status,
                `${t.keyPrefix}…` +
                  (t.previousKeyPrefix && t.previousKeyExpiresAt && t.previousKeyExpiresAt.getTime() > Date.now()
                    ? ` (old ${t.previousKeyPrefix}… until ${formatTime(t.previousKeyExpiresAt)})`
                    : ''),
                t.piiPolicy,
                t.injectionPolicy,
                formatTime(t.createdAt),
              ]),
            )
          : 'No tenants yet. Create one with `flightdeck tenant create <id> --tier free`.',
      );
    });
}

function tenantBudgetCommand(tenant: Command): void {
  tenant
    .command('budget')
    .description(
      'Set limits for a tenant (or one feature of it): soft writes an alert, hard refuses (429) or downgrades',
    )
    .argument('<id>', 'tenant id')
    .option('--feature <name>', 'limit one feature (x-flightdeck-feature) instead of the whole tenant')
    .option('--rpm-soft <n>', 'requests per minute that raise an alert')
    .option('--rpm-hard <n>', 'requests per minute past which requests are refused or downgraded')
    .option('--usd-day-soft <usd>', 'USD per day that raises an alert')
    .option('--usd-day-hard <usd>', 'USD per day past which requests are refused or downgraded')
    .option('--on-hard <policy>', 'reject (429) or downgrade (to --downgrade-model)', 'reject')
    .option('--downgrade-model <model>', 'the cheaper model served past a hard limit with --on-hard downgrade')
    .option('--json', 'machine-readable output')
    .action(
      async (
        id: string,
        opts: {
          feature?: string;
          rpmSoft?: string;
          rpmHard?: string;
          usdDaySoft?: string;
          usdDayHard?: string;
          onHard: string;
          downgradeModel?: string;
          json?: boolean;
        },
      ) => {
        const limits = {
          tenantId: id,
          feature: opts.feature ?? '',
          rpmSoft: opts.rpmSoft === undefined ? undefined : positiveInt('--rpm-soft', opts.rpmSoft),
          rpmHard: opts.rpmHard === undefined ? undefined : positiveInt('--rpm-hard', opts.rpmHard),
          usdDaySoft: positiveNumber('--usd-day-soft', opts.usdDaySoft),
          usdDayHard: positiveNumber('--usd-day-hard', opts.usdDayHard),
          onHard: oneOf('--on-hard', opts.onHard, ['reject', 'downgrade'] as const),
          downgradeModel: opts.downgradeModel,
        };
        const spend = await withDatabase(async (db) => {
          await setBudget(db.pool, limits, currentActor());
          return spendToday(db.pool, id);
        });
        emit(opts.json, { limits, today: spend }, () => {
          const scope = limits.feature ? `${id} feature ${limits.feature}` : id;
          const today = spend.length
            ? `\nToday: ${spend.map((s) => `${s.feature || '(all)'} ${s.requests} requests, $${s.spentUsd.toFixed(4)} spent`).join('; ')}`
            : '';
          return `Budget for ${scope} set: rpm soft ${limits.rpmSoft ?? '-'} / hard ${limits.rpmHard ?? '-'}, USD/day soft ${limits.usdDaySoft ?? '-'} / hard ${limits.usdDayHard ?? '-'}, past hard: ${limits.onHard}${limits.downgradeModel ? ` to ${limits.downgradeModel}` : ''}.${today}`;
        });
      },
    );
}
