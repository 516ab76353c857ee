import { providerNameFor, type ProviderConfig } from '../providers/config';
import { priceFor, pricedModels } from '../providers/pricing';
import type { Tenant } from '../tenants/tenantStore';
import { GatewayError } from './gatewayError';
import type { KnownModels } from './knownModels';
import type { LiveState } from './liveState';

/** One entry of OpenAI's `GET /v1/models` list. */
export interface ModelEntry {
  id: string;
  object: 'model';
  /** Unix seconds: the day the model's first price took effect, 0 when it has none. */
  created: number;
  owned_by: string;
}

const PROMPT_OWNER = 'flightdeck';
const unixSeconds = (day: string) => Math.floor(Date.parse(day) / 1000);

/**
 * What a tenant's key may call, in OpenAI's list shape: priced and configured models, then one
 * `prompt:<name>` per prompt with a production version. A tenant with a tenant-wide USD hard limit
 * cannot call an unpriced model (its cost could not be held), so those are left out for it.
 */
export function modelsFor(
  tenant: Tenant,
  known: KnownModels,
  state: LiveState,
  providers: ProviderConfig,
): ModelEntry[] {
  const usdLimited = (state.budgeted.get(tenant.id) ?? []).some(
    (scope) => scope.feature === '' && scope.usdDayHard !== undefined,
  );
  const usable = (model: string) => !usdLimited || priceFor(model) !== undefined;
  const since = pricedModels();
  const models = new Set([...since.keys(), ...known.configured()]);
  const entries: ModelEntry[] = [...models]
    .filter(usable)
    .sort()
    .map((id) => ({
      id,
      object: 'model',
      created: since.has(id) ? unixSeconds(since.get(id)!) : 0,
      owned_by: owner(providers, id),
    }));
  const prompts = [...state.routes.values()]
    .filter((route) => usable(route.stable.spec.model))
    .map((route) => route.prompt)
    .sort()
    .map((name): ModelEntry => ({ id: `prompt:${name}`, object: 'model', created: 0, owned_by: PROMPT_OWNER }));
  return [...entries, ...prompts];
}

/** `GET /v1/models/{id}`: the entry, or OpenAI's 404 for a model this key cannot use. */
export function modelFor(id: string, entries: readonly ModelEntry[]): ModelEntry {
  const entry = entries.find((candidate) => candidate.id === id);
  if (entry) return entry;
  throw new GatewayError(
    404,
    'invalid_request_error',
    `The model \`${id}\` does not exist or you do not have access to it; \`GET /v1/models\` lists what this key may use`,
    'model_not_found',
    'model',
  );
}

function owner(providers: ProviderConfig, model: string): string {
  try {
    return providerNameFor(providers, model);
  } catch {
    return 'none';
  }
}
