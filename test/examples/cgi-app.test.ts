/** examples/cgi-app through a real `appyaml serve`: a python27 CGI script whose main() is cached. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { request, serveChild, type ServeChild } from './serve-child.js';

let app: ServeChild;
before(async () => {
  app = await serveChild(['examples/cgi-app']);
});
after(async () => {
  assert.equal(await app.stop(), 0, app.output());
});

test('the script runs once per instance; later requests call its cached main()', async () => {
  const first = await request(app.port, '/first');
  assert.equal(first.status, 200, first.body);
  assert.equal(first.headers['content-type'], 'text/plain; charset=utf-8');
  assert.match(first.body, /^path: \/first$/m);
  const second = await request(app.port, '/second');
  assert.match(second.body, /^path: \/second$/m);
  const served = (body: string) => Number(/requests served by this instance: (\d+)/.exec(body)![1]);
  const loaded = (body: string) => /module loaded at: ([\d.]+)/.exec(body)![1];
  // One instance serves requests sent one at a time: the module was loaded once and counted both.
  assert.equal(loaded(second.body), loaded(first.body));
  assert.equal(served(second.body), served(first.body) + 1);
  assert.match(second.body, /^request id hash: [0-9A-F]{8}$/m);
});
