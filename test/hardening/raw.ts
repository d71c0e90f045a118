/** Raw-socket requests: malformed bytes go out exactly as written (HTTP clients would normalise them). */
import net from 'node:net';
import { parseResponse } from '../envelope/envelope-harness.js';

export interface RawOutcome {
  /** Status of the first response; 0 when the server closed without answering. */
  status: number;
  headers: Record<string, string>;
  /** Body of the first response (latin1). */
  body: string;
  /** Everything received (latin1). */
  text: string;
  /** Status lines received: more than one when requests were pipelined. */
  statuses: number[];
}

const STATUS_LINE = /(?:^|\r\n)HTTP\/1\.[01] (\d{3}) /g;

/** Writes `data` (parts are written one by one) on a new connection and reads until the server closes or `timeout` ms pass. */
export function raw(port: number, data: string | Buffer | Array<string | Buffer>, timeout = 8000): Promise<RawOutcome> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.setTimeout(timeout, () => socket.destroy());
    socket.on('data', (chunk) => chunks.push(chunk));
    // A reset after (or instead of) an answer: what arrived is the outcome.
    socket.on('error', () => {});
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('latin1');
      if (text === '') return resolve({ status: 0, headers: {}, body: '', text, statuses: [] });
      const first = parseResponse(text);
      const statuses = [...text.matchAll(STATUS_LINE)].map((m) => Number(m[1]));
      resolve({ status: first.status, headers: first.headers, body: first.body, text, statuses });
    });
    for (const part of Array.isArray(data) ? data : [data]) socket.write(typeof part === 'string' ? Buffer.from(part, 'latin1') : part);
  });
}

/** An HTTP/1.1 request with `Connection: close`; `head` lines go after Host (pass `host: null` to send none). */
export function request(method: string, target: string, head: string[] = [], body = '', host: string | null = 'app.test'): string {
  const lines = [`${method} ${target} HTTP/1.1`, ...(host === null ? [] : [`Host: ${host}`]), ...head, 'Connection: close'];
  return `${lines.join('\r\n')}\r\n\r\n${body}`;
}

/** A GET of `target`. */
export function get(target: string, head: string[] = []): string {
  return request('GET', target, head);
}
