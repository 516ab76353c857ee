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
    for (const configured of this.configured()) if (configured === model) return true;
    return false;
  }

  /** Models the operator named: in the gateway file's fallbacks, or as a routed prompt's model or fallback. */
  *configured(): Generator<string> {
    for (const [model, chain] of Object.entries(this.config.model_fallbacks)) {
      yield model;
      yield* chain;
    }
    for (const route of this.state.routes.values()) {
      for (const version of [route.stable, route.candidate, route.shadow]) {
        if (!version) continue;
        yield version.spec.model;
        yield* version.spec.fallbacks;
      }
    }
  }

  /** The model as a label: itself when known, else OTHER_MODEL. */
  label(model: string): string {
    return this.has(model) ? model : OTHER_MODEL;
  }
}
