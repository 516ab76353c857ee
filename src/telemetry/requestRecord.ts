import type { GuardrailAction, StoredGuardrail } from '../guardrails/decision';
import type { ChatMessage } from '../providers/types';
import type { Settlement } from '../budgets/settlement';

/** One attempt at one target, for the log's account of fallbacks. */
export interface AttemptRecord {
  provider: string;
  model: string;
  ms: number;
  outcome: 'ok' | 'skipped_open_circuit' | string;
}

/** One request as a row of `requests` and as one JSON line on stdout (same field names). */
export interface RequestRecord {
  ts: string;
  request_id: string;
  tenant_id: string | null;
  feature: string | null;
  prompt_name: string | null;
  prompt_version: string | null;
  variant: string | null;
  model: string | null;
  provider: string | null;
  fallback_used: boolean;
  input_tokens: number;
  cached_tokens: number;
  output_tokens: number;
  cost_usd: number;
  latency_ms_total: number;
  ttft_ms: number | null;
  status: number;
  error_class: string | null;
  guardrail_decision: GuardrailAction;
  guardrails: StoredGuardrail[];
  cache_hit: boolean;
  output_chars: number;
  trace_id: string | null;
  shadow_of: string | null;
  attempts: AttemptRecord[];
  /** Drills, probes and canary traffic (a synthetic tenant's): kept out of baselines and cost reports. */
  synthetic: boolean;
  /** The answer's faithfulness proxy (0..1) when the request carried its retrieved context, else null (absent in older spill files). */
  faithfulness?: number | null;
}

/** What the log writer takes per request: the row, the (redacted) bodies, and the budget to settle. */
export interface LogEntry {
  record: RequestRecord;
  body?: { messages: ChatMessage[]; output: string | null; messagesRedacted?: boolean };
  settlement?: Settlement;
}
