import { randomUUID } from 'node:crypto';
import type { Context, Span } from '@opentelemetry/api';
import type { BudgetTicket } from '../budgets/budgetLeases';
import type { Settlement } from '../budgets/settlement';
import { mostSevereAction, storedGuardrail, type GuardrailRecord } from '../guardrails/decision';
import type { ChatMessage, Usage } from '../providers/types';
import type { Tenant } from '../tenants/tenantStore';
import type { AttemptRecord, LogEntry } from '../telemetry/requestRecord';
import { faithfulnessProxy } from '../monitoring/faithfulness';
import { storableText } from '../util/storableText';

function newRequestId(): string {
  return `req_${randomUUID().replace(/-/g, '')}`;
}

/** Everything learnt about one request as it goes through the pipeline; becomes its log row at the end. */
export class RequestContext {
  readonly requestId = newRequestId();
  readonly ts = new Date();
  private readonly started = performance.now();
  tenant?: Tenant;
  feature = '';
  subject = '';
  promptName: string | null = null;
  promptVersion: string | null = null;
  variant: string | null = null;
  model: string | null = null;
  provider: string | null = null;
  fallbackUsed = false;
  usage: Usage = { inputTokens: 0, cachedInputTokens: 0, outputTokens: 0 };
  costUsd = 0;
  ttftMs: number | null = null;
  guardrails: GuardrailRecord[] = [];
  cacheHit = false;
  output: string | null = null;
  attempts: AttemptRecord[] = [];
  budgetTicket?: BudgetTicket;
  settlement?: Settlement;
  messages?: ChatMessage[];
  /** The input guard already redacted `messages`: the log writer need not scan them again. */
  messagesRedacted = false;
  shadowOf: string | null = null;
  /** Passages the caller retrieved for this request (RAG), for the answer's faithfulness proxy. */
  retrievedContext?: readonly string[];
  /** Aborted when the caller hangs up, so the provider call stops too. */
  readonly abort = new AbortController();

  constructor(
    readonly span: Span,
    readonly traceContext: Context,
  ) {}

  elapsedMs(): number {
    return performance.now() - this.started;
  }

  /** Settle what the budget held with the real cost (0 when nothing was spent). */
  settle(actualUsd: number): void {
    if (this.budgetTicket && !this.settlement) this.settlement = this.budgetTicket.settle(actualUsd);
  }

  toLogEntry(status: number, errorClass: string | null): LogEntry {
    return {
      record: {
        ts: this.ts.toISOString(),
        request_id: this.requestId,
        tenant_id: this.tenant?.id ?? null,
        feature: this.feature || null,
        prompt_name: this.promptName,
        prompt_version: this.promptVersion,
        variant: this.variant,
        model: this.model,
        provider: this.provider,
        fallback_used: this.fallbackUsed,
        input_tokens: this.usage.inputTokens,
        cached_tokens: this.usage.cachedInputTokens,
        output_tokens: this.usage.outputTokens,
        cost_usd: this.costUsd,
        latency_ms_total: Number(this.elapsedMs().toFixed(3)),
        ttft_ms: this.ttftMs === null ? null : Number(this.ttftMs.toFixed(3)),
        status,
        error_class: errorClass,
        guardrail_decision: mostSevereAction(this.guardrails),
        guardrails: this.guardrails.map(storedGuardrail),
        cache_hit: this.cacheHit,
        output_chars: this.output?.length ?? 0,
        trace_id: this.span.spanContext().traceId,
        shadow_of: this.shadowOf,
        attempts: this.attempts,
        synthetic: this.tenant?.kind === 'synthetic',
        faithfulness:
          this.retrievedContext && this.output !== null ? faithfulnessProxy(this.output, this.retrievedContext) : null,
      },
      body: this.messages
        ? {
            messages: this.messages,
            output: this.output === null ? null : storableText(this.output),
            messagesRedacted: this.messagesRedacted,
          }
        : undefined,
      settlement: this.settlement,
    };
  }
}
