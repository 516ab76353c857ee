import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { CircuitState } from '../routing/circuitBreaker';
import type { RequestRecord } from './requestRecord';

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const CIRCUIT_VALUE: Record<CircuitState, number> = { closed: 0, half_open: 1, open: 2 };
/** A label with no value (no prompt, no model) reads as this word: empty label values confuse queries. */
export const NO_LABEL = 'none';
/** Attempt outcomes that are not provider failures: a skip past an open circuit, the caller hanging up. */
const NOT_A_FAILURE = new Set(['ok', 'skipped_open_circuit', 'client_closed']);

export interface MetricSources {
  logBufferDepth(): number;
  circuitStates(): Array<[string, CircuitState]>;
  /** Models sent to a backup first, gateway-wide (route overrides). */
  routeOverrides(): Iterable<{ model: string; backup: string; tenant: string | null }>;
  /** The label a model id gets: caller-chosen ids that nobody configured share one. */
  modelLabel(model: string): string;
}

/** The gateway's Prometheus metrics, in a registry of its own (several gateways may share a process in tests). */
export class GatewayMetrics {
  readonly registry = new Registry();
  private readonly requests = new Counter({
    name: 'flightdeck_gateway_requests_total',
    help: 'Requests by HTTP status, prompt, version, variant and model',
    labelNames: ['status', 'prompt', 'version', 'variant', 'model'],
    registers: [this.registry],
  });
  private readonly latency = new Histogram({
    name: 'flightdeck_gateway_request_duration_seconds',
    help: 'Whole-request latency as the caller saw it, for every response of a tenant endpoint (refusals included)',
    labelNames: ['prompt', 'variant'],
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  private readonly ttft = new Histogram({
    name: 'flightdeck_gateway_ttft_seconds',
    help: 'Time to the first token from the provider',
    labelNames: ['prompt', 'variant'],
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  private readonly tokens = new Counter({
    name: 'flightdeck_gateway_tokens_total',
    help: 'Tokens by kind (input, cached, output) and model',
    labelNames: ['kind', 'model'],
    registers: [this.registry],
  });
  private readonly cost = new Counter({
    name: 'flightdeck_gateway_cost_usd_total',
    help: 'Provider cost in USD',
    labelNames: ['prompt', 'model'],
    registers: [this.registry],
  });
  private readonly guardrails = new Counter({
    name: 'flightdeck_gateway_guardrail_decisions_total',
    help: 'Guardrail decisions by guardrail and decision',
    labelNames: ['guardrail', 'decision'],
    registers: [this.registry],
  });
  private readonly fallbacks = new Counter({
    name: 'flightdeck_gateway_fallbacks_total',
    help: 'Requests served by a fallback target',
    labelNames: ['prompt', 'model'],
    registers: [this.registry],
  });
  private readonly cacheHits = new Counter({
    name: 'flightdeck_gateway_cache_hits_total',
    help: 'Requests answered from the response cache',
    labelNames: ['prompt'],
    registers: [this.registry],
  });
  private readonly attemptFailures = new Counter({
    name: 'flightdeck_gateway_provider_attempt_failures_total',
    help: 'Provider attempts that failed, by error class and provider/model target',
    labelNames: ['error_class', 'target'],
    registers: [this.registry],
  });
  /** Tenant calls being served right now. */
  readonly inFlight = new Gauge({
    name: 'flightdeck_gateway_requests_in_flight',
    help: 'Tenant endpoint calls in progress',
    registers: [this.registry],
  });
  readonly spilled = new Counter({
    name: 'flightdeck_gateway_log_spilled_total',
    help: 'Log entries written to the spill file while Postgres was away',
    registers: [this.registry],
  });
  readonly logSetAside = new Counter({
    name: 'flightdeck_gateway_log_rows_set_aside_total',
    help: 'Request rows Postgres refused for their data, kept under spill/rejected',
    registers: [this.registry],
  });
  readonly spanExportFailures = new Counter({
    name: 'flightdeck_gateway_span_export_failures_total',
    help: 'Spans the OTLP collector did not take (the operator log says why)',
    registers: [this.registry],
  });
  readonly shadowSkipped = new Counter({
    name: 'flightdeck_gateway_shadow_skipped_total',
    help: 'Shadow mirrors skipped because too many were in flight',
    registers: [this.registry],
  });

  private readonly modelLabel: (model: string) => string;

  constructor(sources: MetricSources) {
    this.modelLabel = (model) => sources.modelLabel(model);
    // CPU, memory, event-loop lag, handles and GC of this process (prom-client's defaults).
    collectDefaultMetrics({ register: this.registry });
    new Gauge({
      name: 'flightdeck_gateway_log_buffer_depth',
      help: 'Request-log entries waiting to be stored',
      registers: [this.registry],
      collect() {
        this.set(sources.logBufferDepth());
      },
    });
    new Gauge({
      name: 'flightdeck_gateway_route_override',
      help: 'Models sent to a backup first (1 per override in force, tenant "all" or a drill\'s tenant; `flightdeck route list`)',
      labelNames: ['model', 'backup', 'tenant'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const o of sources.routeOverrides())
          this.set({ model: o.model, backup: o.backup, tenant: o.tenant ?? 'all' }, 1);
      },
    });
    new Gauge({
      name: 'flightdeck_gateway_circuit_state',
      help: 'Circuit per provider/model target: 0 closed, 1 half-open, 2 open',
      labelNames: ['target'],
      registers: [this.registry],
      collect() {
        for (const [target, state] of sources.circuitStates()) this.set({ target }, CIRCUIT_VALUE[state]);
      },
    });
  }

  /**
   * A call without a log row: refused before it had a tenant (no or wrong key), or an endpoint that
   * keeps none (feedback, lookups, the model list). Counted and timed like every other response.
   */
  observeUnlogged(status: number, seconds: number): void {
    this.requests.inc({
      status: String(status),
      prompt: NO_LABEL,
      version: NO_LABEL,
      variant: NO_LABEL,
      model: NO_LABEL,
    });
    this.latency.observe({ prompt: NO_LABEL, variant: NO_LABEL }, seconds);
  }

  observe(record: RequestRecord): void {
    const prompt = record.prompt_name ?? NO_LABEL;
    const variant = record.variant ?? NO_LABEL;
    const model = record.model ? this.modelLabel(record.model) : NO_LABEL;
    const version = record.prompt_version ?? NO_LABEL;
    this.requests.inc({ status: String(record.status), prompt, version, variant, model });
    this.latency.observe({ prompt, variant }, record.latency_ms_total / 1000);
    if (record.ttft_ms !== null) this.ttft.observe({ prompt, variant }, record.ttft_ms / 1000);
    if (record.input_tokens) this.tokens.inc({ kind: 'input', model }, record.input_tokens);
    if (record.cached_tokens) this.tokens.inc({ kind: 'cached', model }, record.cached_tokens);
    if (record.output_tokens) this.tokens.inc({ kind: 'output', model }, record.output_tokens);
    if (record.cost_usd) this.cost.inc({ prompt, model }, record.cost_usd);
    for (const g of record.guardrails) this.guardrails.inc({ guardrail: g.id, decision: g.decision });
    if (record.fallback_used) this.fallbacks.inc({ prompt, model });
    if (record.cache_hit) this.cacheHits.inc({ prompt });
    for (const attempt of record.attempts) {
      if (NOT_A_FAILURE.has(attempt.outcome)) continue;
      this.attemptFailures.inc({
        error_class: attempt.outcome,
        target: `${attempt.provider}/${this.modelLabel(attempt.model)}`,
      });
    }
  }
}
