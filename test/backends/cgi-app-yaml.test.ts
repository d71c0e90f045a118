/** CGI script handlers through appYaml(): the frontend's rules apply to their responses. */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import express from 'express';
import { appYaml, silentLogger, type AppYamlMiddleware } from '../../lib/index.js';
import { APP_YAML, fetch, makeCgiApp, processesIn, PYTHON, waitFor } from './cgi-harness.js';

const FILES: Record<string, string> = {
  'page.py': `import os
n = 0
def main():
    global n
    n += 1
    print('Content-Type: text/plain')
    print('Server: my-own')
    print('Set-Cookie: seen=%d' % n)
    print()
    print('page %d %s' % (n, os.environ['PATH_INFO']))
if __name__ == '__main__':
    main()
`,
  'go.py': "print('Location: /page?via=go')\nprint()\n",
  'gzip.py': "print('Content-Type: text/plain')\nprint()\nprint('compressible ' * 2000)\n",
  'tofile.py': "print('Location: /files/hello.txt')\nprint()\n",
  'files/hello.txt': 'hello from a static file\n',
};

// The CGI handlers of the harness's app.yaml, behind a static handler that local redirects can reach.
const APP_YAML_WITH_FILES = APP_YAML.replace('handlers:\n', 'handlers:\n- url: /files/(.*)\n  static_files: files/\\1\n  upload: files/.*\n');

describe('CGI scripts through appYaml()', () => {
  let root: string;
  let middleware: AppYamlMiddleware;
  let server: Server;
  let port: number;

  before(async () => {
    root = makeCgiApp(FILES);
    middleware = appYaml({ root, config: APP_YAML_WITH_FILES, logger: silentLogger, python: PYTHON });
    const app = express();
    app.use(middleware);
    app.use((_req, res) => {
      res.status(404).send('host app');
    });
    server = createServer(app);
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    port = (server.address() as AddressInfo).port;
  });

  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((ok) => server.close(() => ok()));
    await middleware.close();
    rmSync(root, { recursive: true, force: true });
  });

  test("a cached script's response goes through App Engine's dynamic response rules", async () => {
    const first = await fetch(port, '/page');
    assert.equal(first.status, 200);
    assert.equal(first.text, 'page 1 /page\n');
    assert.equal(first.headers.server, 'Google Frontend', "the script's Server is replaced by the frontend's");
    assert.deepEqual(first.headers['set-cookie'], ['seen=1']);
    assert.match(String(first.headers['cache-control']), /private/);
    // main() is cached: the module's state goes on.
    assert.equal((await fetch(port, '/page')).text, 'page 2 /page\n');
  });

  test('a local redirect is served inside, as a GET of the new path', async () => {
    const r = await fetch(port, '/go', { method: 'POST', body: 'x=1', headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
    assert.equal(r.status, 200);
    assert.match(r.text, /^page \d+ \/page\n$/);
  });

  test('a local redirect to a static file goes through the whole handler list: the static handler answers', async () => {
    const r = await fetch(port, '/tofile');
    assert.equal(r.status, 200);
    assert.equal(r.text, 'hello from a static file\n');
    assert.match(String(r.headers.etag), /^"/);
    assert.equal(r.headers['cache-control'], 'public, max-age=600');
  });

  test('responses are compressed by the frontend for clients that take gzip', async () => {
    const r = await fetch(port, '/gzip', { headers: { 'Accept-Encoding': 'gzip', 'User-Agent': 'Mozilla/5.0 (gzip)' } });
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-encoding'], 'gzip');
  });

  test('a missing script is 404, not the host app', async () => {
    const r = await fetch(port, '/nothere');
    assert.equal(r.status, 404);
    assert.notEqual(r.text, 'host app');
  });

  test('close() stops the workers', async () => {
    await middleware.close();
    await waitFor(() => processesIn(root).length === 0, 5000, 'the workers to exit');
  });
});
