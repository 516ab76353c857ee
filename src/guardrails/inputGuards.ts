import { GUARDRAIL_IDS } from './guardrailIds';
import type { ChatMessage } from '../providers/types';
import { timed, type GuardrailRecord } from './decision';
import { detectInjection } from './injection';
import { scanPii } from './pii';

export interface InputPolicy {
  pii: 'redact' | 'block' | 'allow';
  injection: 'flag' | 'block';
}

export interface InputGuardResult {
  /** What the provider gets: redacted when the policy says so. */
  messages: ChatMessage[];
  records: GuardrailRecord[];
  blocked?: { id: string; message: string };
}

/** Before the call: PII (redact or block per tenant) and injection patterns (flag or block). */
export function checkInput(messages: ChatMessage[], policy: InputPolicy): InputGuardResult {
  const records: GuardrailRecord[] = [];
  let out = messages;
  const pii = timed(GUARDRAIL_IDS.inputPii, records, () => {
    if (policy.pii === 'allow') return { decision: 'allow' as const };
    const scans = messages.map((m) => scanPii(m.content));
    const found = [...new Set(scans.flatMap((s) => s.found))];
    if (!found.length) return { decision: 'allow' as const };
    if (policy.pii === 'block') return { decision: 'block' as const, detail: found.join(',') };
    out = messages.map((m, i) => ({ ...m, content: scans[i]!.redacted }));
    return { decision: 'redact' as const, detail: found.join(',') };
  });
  if (pii.decision === 'block') {
    return {
      messages,
      records,
      blocked: {
        id: GUARDRAIL_IDS.inputPii,
        message: `The request contains personal data (${pii.detail}) and this tenant's policy blocks it; remove it or ask for the redact policy`,
      },
    };
  }
  const injection = timed(GUARDRAIL_IDS.inputInjection, records, () => {
    const users = out
      .filter((m) => m.role === 'user')
      .map((m) => m.content)
      .join('\n');
    const hit = detectInjection(users);
    if (!hit) return { decision: 'allow' as const };
    return { decision: policy.injection === 'block' ? ('block' as const) : ('flag' as const), detail: hit };
  });
  if (injection.decision === 'block') {
    return {
      messages: out,
      records,
      blocked: {
        id: GUARDRAIL_IDS.inputInjection,
        message: `The request looks like a prompt injection (${injection.detail}) and this tenant's policy blocks it`,
      },
    };
  }
  return { messages: out, records };
}
