import type { GatewayConfig } from '../config/gatewayConfig';
import { priceFor } from '../providers/pricing';
import type { LiveState } from './liveState';

/** What a model id becomes in metric labels and circuit keys when nobody configured it. */
const OTHER_MODEL = 'other';

/**
 * Whether a model id is one the operator knows of (priced, named in the gateway file, or used by a
 * routed prompt). Caller-chosen ids are untrusted: only known ones get their own metric labels and
 * circuit breakers, so 20,000 invented ids cannot grow /metrics or memory without bound.
 */
export class KnownModels {
  constructor(
    private readonly config: GatewayConfig,
    private readonly state: LiveState,
  ) {}

  has(model: string): boolean {
    if (priceFor(model)) return true;
    if (
      model in this.config.model_fallbacks ||
      Object.values(this.config.model_fallbacks).some((chain) => chain.includes(model))
    )
      return true;
    for (const route of this.state.routes.values()) {
      for (const version of [route.stable, route.candidate, route.shadow]) {
        if (version && (version.spec.model === model || version.spec.fallbacks.includes(model))) return true;
      }
    }
    return false;
  }

  /** The model as a label: itself when known, else OTHER_MODEL. */
  label(model: string): string {
    return this.has(model) ? model : OTHER_MODEL;
  }
}
