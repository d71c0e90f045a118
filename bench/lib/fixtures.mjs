// The file tree every server serves, generated into a temp dir at start (never committed).
//
//   <dir>/app/app.yaml              one static_dir handler: /static -> static/, expiration 1d
//   <dir>/app/static/1k.txt         1,024 bytes of text
//   <dir>/app/static/64k.bin        65,536 random bytes
//   <dir>/app/static/1m.bin         1,048,576 random bytes
//   <dir>/app/static/20m.bin        20 MiB, for the RSS measurement
//   <dir>/app/static/many/f0000.txt … f0999.txt   small text files, 200–1,200 bytes
//   <dir>/app100/app.yaml           99 non-matching handlers, then the same /static handler
//   <dir>/app100/static/1k.txt      a hard link to app/static/1k.txt
//   <dir>/many.lua                  wrk script cycling through the 1,000 paths
import { randomBytes } from 'node:crypto';
import { chmodSync, linkSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const EXPIRATION_SECONDS = 86400; // "1d" in app.yaml; peers get the same max-age
export const MANY_COUNT = 1000;
export const HANDLERS_IN_FRONT = 99; // + the matching one = 100, App Engine's maximum

const STATIC_HANDLER = `- url: /static
  static_dir: static
  expiration: "1d"
`;

function textOfLength(n, seed) {
  const line = `appyaml static benchmark fixture ${seed} — the quick brown fox jumps over the lazy dog.\n`;
  const buf = Buffer.from(line.repeat(Math.ceil(n / Buffer.byteLength(line)) + 1)).subarray(0, n);
  buf[n - 1] = 0x0a;
  return buf;
}

/** The 99 handlers put in front of /static: half with a literal prefix, half matched only by regex. */
function handlersInFront() {
  let out = '';
  for (let i = 0; i < HANDLERS_IN_FRONT; i++) {
    out +=
      i % 2 === 0
        ? `- url: /assets-${i}\n  static_dir: static\n  expiration: "1h"\n`
        : `- url: /(.*)\\.ext${i}\n  static_files: static/\\1.ext${i}\n  upload: static/.*\\.ext${i}\n`;
  }
  return out;
}

/** The path of the i-th small file, as a URL path. */
export const manyPath = (i) => `/static/many/f${String(i).padStart(4, '0')}.txt`;

export function makeFixtures(luaReportFile) {
  const dir = mkdtempSync(join(tmpdir(), 'appyaml-bench-'));
  chmodSync(dir, 0o755); // nginx's worker may run as "nobody"
  const app = join(dir, 'app');
  const app100 = join(dir, 'app100');
  mkdirSync(join(app, 'static', 'many'), { recursive: true });
  mkdirSync(join(app100, 'static'), { recursive: true });

  const files = {
    '/static/1k.txt': textOfLength(1024, '1k'),
    '/static/64k.bin': randomBytes(64 * 1024),
    '/static/1m.bin': randomBytes(1024 * 1024),
  };
  for (const [url, body] of Object.entries(files)) writeFileSync(join(app, url), body);
  const big = randomBytes(20 * 1024 * 1024);
  writeFileSync(join(app, 'static', '20m.bin'), big);
  const many = [];
  for (let i = 0; i < MANY_COUNT; i++) {
    const body = textOfLength(200 + ((i * 37) % 1001), `f${i}`);
    writeFileSync(join(app, manyPath(i)), body);
    many.push({ path: manyPath(i), size: body.length });
  }

  const header = 'runtime: nodejs20\nhandlers:\n';
  writeFileSync(join(app, 'app.yaml'), header + STATIC_HANDLER);
  writeFileSync(join(app100, 'app.yaml'), header + handlersInFront() + STATIC_HANDLER);
  linkSync(join(app, 'static', '1k.txt'), join(app100, 'static', '1k.txt'));

  // wrk script for the round-robin scenario: the paths, a request() cycling through them
  // (requests are formatted once, in init), and the shared JSON reporter.
  const lua = [
    'local paths = {',
    ...many.map((m) => `  "${m.path}",`),
    '}',
    'local reqs = {}',
    'local n = 0',
    'local i = 0',
    'function init(args)',
    '  for _, p in ipairs(paths) do n = n + 1; reqs[n] = wrk.format("GET", p) end',
    'end',
    'function request()',
    '  i = i % n + 1',
    '  return reqs[i]',
    'end',
    readFileSync(luaReportFile, 'utf8'),
  ].join('\n');
  writeFileSync(join(dir, 'many.lua'), lua);

  return {
    dir,
    app,
    app100,
    files, // url path -> Buffer
    big: { path: '/static/20m.bin', size: big.length },
    many,
    manyLua: join(dir, 'many.lua'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
