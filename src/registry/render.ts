import type { PromptSpec } from './promptFile';
import { bindVariables, fillTemplate, type VariableValue } from './template';

export interface RenderedPrompt {
  model: string;
  params: PromptSpec['params'];
  system?: string;
  user: string;
  /** The chat messages to send: system (if any) then user. */
  messages: Array<{ role: 'system' | 'user'; content: string }>;
  variables: Record<string, VariableValue>;
}

/** Typed rendering: validate the variables against the spec, then fill both template parts. */
export function renderPrompt(spec: PromptSpec, supplied: Record<string, unknown>): RenderedPrompt {
  const variables = bindVariables(spec.variables, supplied);
  const system = spec.template.system === undefined ? undefined : fillTemplate(spec.template.system, variables);
  const user = fillTemplate(spec.template.user, variables);
  const messages: RenderedPrompt['messages'] = system === undefined ? [] : [{ role: 'system', content: system }];
  messages.push({ role: 'user', content: user });
  return { model: spec.model, params: spec.params, system, user, messages, variables };
}
