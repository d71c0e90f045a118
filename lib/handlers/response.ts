import type { ServerResponse } from 'node:http';

export type { Middleware } from '../middleware.js';

/**
 * A complete answer decided without side effects (a redirect, a 401, a 400), so the rule that
 * produced it can be tested and composed on its own and written by `writeResponse`.
 */
export interface ResponseDescription {
  status: number;
  /** Reason phrase, when App Engine uses its own (`302 Requires login`). */
  statusMessage?: string;
  headers: Readonly<Record<string, string>>;
  body: string;
}

/** Headers every generated text answer carries: nothing in it can run or be sniffed as HTML. */
const TEXT_HEADERS = {
  'Content-Type': 'text/plain; charset=utf-8',
  'Content-Security-Policy': "default-src 'none'",
  'X-Content-Type-Options': 'nosniff',
} as const;

/** A short plain-text answer, with `extra` headers (a Location...) added. */
export function textResponse(status: number, text: string, extra: Readonly<Record<string, string>> = {}): ResponseDescription {
  return { status, headers: { ...TEXT_HEADERS, ...extra }, body: `${text}\n` };
}

/** Sends a described response; Content-Length is computed here. */
export function writeResponse(res: ServerResponse, response: ResponseDescription): void {
  const body = Buffer.from(response.body, 'utf8');
  res.statusCode = response.status;
  if (response.statusMessage !== undefined) res.statusMessage = response.statusMessage;
  for (const [name, value] of Object.entries(response.headers)) res.setHeader(name, value);
  res.setHeader('Content-Length', body.length);
  res.end(body);
}
