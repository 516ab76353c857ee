import { scanPii } from '../guardrails/pii';
import type { LogEntry } from './requestRecord';

/**
 * A request's messages as span attributes, in the OpenTelemetry GenAI conventions' form
 * (`gen_ai.input.messages`, `gen_ai.output.messages`: role and text parts), PII redacted as in the
 * request log. Also OpenInference's `input.value`/`output.value`, which Phoenix shows as its input
 * and output columns. Only when the operator opts in (OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT).
 */
export function messageAttributes(body: NonNullable<LogEntry['body']>): Record<string, string> {
  const redact = (text: string) => scanPii(text).redacted;
  const input = body.messages.map((message) => ({
    role: message.role,
    parts: [{ type: 'text', content: body.messagesRedacted ? message.content : redact(message.content) }],
  }));
  const output = body.output === null ? null : redact(body.output);
  const lastUser = [...input].reverse().find((message) => message.role === 'user');
  return {
    'gen_ai.input.messages': JSON.stringify(input),
    'gen_ai.output.messages': JSON.stringify(
      output === null ? [] : [{ role: 'assistant', parts: [{ type: 'text', content: output }] }],
    ),
    'input.value': lastUser?.parts[0]?.content ?? '',
    ...(output === null ? {} : { 'output.value': output }),
  };
}
