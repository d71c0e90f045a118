/** examples/static-site through `appyaml serve --hsts --json`: long expirations, HSTS, JSON log lines. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { eventually, request, serveChild, type ServeChild } from './serve-child.js';

let app: ServeChild;
before(async () => {
  app = await serveChild(['examples/static-site', '--hsts', '--json']);
});
after(async () => {
  assert.equal(await app.stop(), 0, app.output());
});

test('--hsts adds Strict-Transport-Security to https responses only; the assets carry their own', async () => {
  const https = await request(app.port, '/', { headers: { 'X-Forwarded-Proto': 'https' } });
  assert.equal(https.status, 200);
  assert.equal(https.headers['strict-transport-security'], 'max-age=31536000');
  assert.equal(https.headers['cache-control'], 'public, max-age=300');
  assert.equal((await request(app.port, '/')).headers['strict-transport-security'], undefined);
  const css = await request(app.port, '/assets/css/site.css');
  assert.equal(css.headers['cache-control'], 'public, max-age=2592000');
  assert.equal(css.headers['strict-transport-security'], 'max-age=31536000; includeSubDomains', 'http_headers win');
});

test('--json prints Cloud Logging lines: the start, then one per request', async () => {
  await request(app.port, '/missing');
  await eventually(() => app.output().includes('"requestMethod":"GET"') && app.output().includes('/missing'));
  const lines = app.output().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.equal(lines[0]!.message, `serving ${lines[0]!.root as string} at ${app.url}`);
  assert.equal(lines[0]!.handlers, 3);
  const missing = lines.find((l) => (l.httpRequest as { requestUrl?: string } | undefined)?.requestUrl?.endsWith('/missing'));
  assert.equal(missing?.severity, 'WARNING');
  assert.equal((missing!.httpRequest as { status: number }).status, 404);
  assert.match(missing!.requestId as string, /^[0-9a-f]{32}$/);
});
