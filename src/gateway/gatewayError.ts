import { sendJson } from '../util/sendJson';
import type { ServerResponse } from 'node:http';

export type OpenAIErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'permission_error'
  | 'not_found_error'
  | 'rate_limit_error'
  | 'request_too_large'
  | 'guardrail_error'
  | 'api_error'
  | 'upstream_error';

/** A refusal the caller gets in OpenAI's error shape: {error: {type, message, param, code}}. */
export class GatewayError extends Error {
  constructor(
    readonly status: number,
    readonly type: OpenAIErrorType,
    message: string,
    readonly code: string | null = null,
    readonly param: string | null = null,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'GatewayError';
  }

  body(): { error: { type: string; message: string; param: string | null; code: string | null } } {
    return { error: { type: this.type, message: this.message, param: this.param, code: this.code } };
  }
}

export const badRequest = (message: string, param: string | null = null, code = 'invalid_request') =>
  new GatewayError(400, 'invalid_request_error', message, code, param);

export function sendError(res: ServerResponse, error: GatewayError, headers: Record<string, string> = {}): void {
  sendJson(res, error.status, error.body(), { ...headers, ...error.headers });
}
