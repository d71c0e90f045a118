/**
 * examples/static-site and examples/guestbook in Debian's Chromium (playwright-core), each through
 * a real `appyaml serve` child: the page renders with its CSS and script, a reload revalidates or
 * uses the cache as the headers say, text is sent compressed, a guestbook post round-trips, and a
 * screenshot of each page is saved under test-artifacts/ (gitignored).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { REPO, serveChild, type ServeChild } from '../examples/serve-child.js';

/** The browser's own, for the callbacks that run in the page (this project compiles without the DOM library). */
declare function getComputedStyle(element: unknown): { color: string; backgroundColor: string; fontWeight: string };

const CHROMIUM = '/usr/bin/chromium';
/** The machine notes' flags: no background connections, which this closed network refuses. */
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const ARTIFACTS = path.join(REPO, 'test-artifacts');

/** One request as the browser's network layer saw it. */
interface Seen {
  url: string;
  /** The status the page sees (a revalidated response shows its cached 200). */
  status?: number;
  /** The status that came over the wire: 304 for a revalidation; undefined when no request was sent. */
  wireStatus?: number;
  headers: Record<string, string>;
  /** Answered by the browser's cache without asking the server. */
  fromCache: boolean;
}

/** Records every request of `page` through the DevTools protocol, which tells cache hits and 304s apart. */
async function recordNetwork(context: BrowserContext, page: Page): Promise<Seen[]> {
  const seen: Seen[] = [];
  const byId = new Map<string, Seen>();
  const lower = (headers: Record<string, unknown>) => Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), String(v)]));
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  cdp.on('Network.requestWillBeSent', (e) => {
    const previous = byId.get(e.requestId);
    // A redirect reuses the request id: its response closes the previous entry.
    if (previous && e.redirectResponse) Object.assign(previous, { status: e.redirectResponse.status, wireStatus: e.redirectResponse.status, headers: lower(e.redirectResponse.headers) });
    const entry: Seen = { url: e.request.url, headers: {}, fromCache: false };
    byId.set(e.requestId, entry);
    seen.push(entry);
  });
  cdp.on('Network.requestServedFromCache', (e) => {
    const entry = byId.get(e.requestId);
    if (entry) entry.fromCache = true;
  });
  cdp.on('Network.responseReceived', (e) => {
    const entry = byId.get(e.requestId);
    if (entry) Object.assign(entry, { status: e.response.status, headers: lower(e.response.headers) });
  });
  cdp.on('Network.responseReceivedExtraInfo', (e) => {
    const entry = byId.get(e.requestId);
    if (entry) entry.wireStatus = e.statusCode;
  });
  return seen;
}

function last(seen: Seen[], url: string): Seen {
  const entry = seen.findLast((s) => s.url === url);
  assert.ok(entry, `no request seen for ${url}; saw ${seen.map((s) => s.url).join(', ')}`);
  return entry;
}

async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, name);
  await page.screenshot({ path: file, fullPage: true });
  assert.ok(statSync(file).size > 1000, `${name} holds a rendered page`);
}

describe('examples in Chromium', { skip: existsSync(CHROMIUM) ? false : `${CHROMIUM} is not installed (.ci/run installs chromium)`, timeout: 120_000 }, () => {
  let context: BrowserContext;
  let profile: string;
  const servers: ServeChild[] = [];

  before(async () => {
    profile = mkdtempSync(path.join(os.tmpdir(), 'appyaml-chromium-'));
    context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: FLAGS });
  });
  after(async () => {
    await context?.close();
    rmSync(profile, { recursive: true, force: true });
    for (const server of servers) assert.equal(await server.stop(), 0, server.output());
  });

  it('static-site: renders with its CSS and script, compressed, and a reload follows the cache headers', async () => {
    const server = await serveChild(['examples/static-site']);
    servers.push(server);
    const page = await context.newPage();
    const seen = await recordNetwork(context, page);
    const css = `${server.url}assets/css/site.css`;
    const js = `${server.url}assets/js/site.js`;

    await page.goto(server.url, { waitUntil: 'load' });
    assert.equal(await page.title(), 'appyaml static site');
    // The stylesheet applied: h1 takes --accent (#1a73e8); the script ran and marked #status.
    assert.equal(await page.locator('h1').evaluate((h) => getComputedStyle(h).color), 'rgb(26, 115, 232)');
    await page.waitForSelector('#status.ran');
    assert.match(await page.locator('#status').innerText(), /^The script ran at /);
    assert.equal(await page.locator('#status').evaluate((p) => getComputedStyle(p).color), 'rgb(19, 115, 51)');

    // Text over App Engine's 1 KiB threshold is sent compressed to a browser that takes it.
    const home = last(seen, server.url);
    assert.equal(home.wireStatus, 200);
    assert.match(home.headers['content-encoding'] ?? '', /^(gzip|br)$/);
    assert.match(last(seen, css).headers['content-encoding'] ?? '', /^(gzip|br)$/);
    assert.equal(last(seen, css).headers['cache-control'], 'public, max-age=2592000');
    assert.equal(home.headers['cache-control'], 'public, max-age=300');

    await page.reload({ waitUntil: 'load' });
    await page.waitForSelector('#status.ran');
    // The page itself is revalidated (its ETag answered with 304); the 30-day stylesheet and
    // script are still fresh, so they come from the cache without a request.
    assert.equal(last(seen, server.url).wireStatus, 304);
    assert.equal(last(seen, server.url).status, 200, 'the page shows its cached copy');
    for (const url of [css, js]) {
      const again = last(seen, url);
      assert.ok(again.fromCache || again.wireStatus === 304, `${url} on reload: ${JSON.stringify(again)}`);
    }
    assert.equal(await page.locator('h1').evaluate((h) => getComputedStyle(h).color), 'rgb(26, 115, 232)');
    await screenshot(page, 'static-site.png');
    await page.close();
  });

  it('guestbook: a post round-trips, with the static CSS and script applied', async () => {
    const server = await serveChild(['examples/guestbook']);
    servers.push(server);
    const page = await context.newPage();
    const seen = await recordNetwork(context, page);

    await page.goto(server.url, { waitUntil: 'load' });
    assert.equal(await page.locator('#count').innerText(), '0 entries');
    assert.equal(await page.locator('body').evaluate((b) => getComputedStyle(b).backgroundColor), 'rgb(250, 246, 236)');
    // guestbook.js ran: <html class="js"> makes #count bold.
    assert.equal(await page.locator('#count').evaluate((c) => getComputedStyle(c).fontWeight), '700');
    const css = last(seen, `${server.url}static/css/guestbook.css`);
    assert.equal(css.headers['cache-control'], 'public, max-age=86400');
    assert.match(css.headers['content-encoding'] ?? '', /^(gzip|br)$/);

    await page.fill('input[name=name]', 'Chromium');
    await page.fill('textarea[name=message]', 'Signed <in> a real browser');
    await Promise.all([page.waitForURL(server.url), page.click('button[type=submit]')]);
    assert.equal(await page.locator('#count').innerText(), '1 entry');
    assert.equal(await page.locator('#entries li').first().innerText(), 'Chromium: Signed <in> a real browser');
    // Post/redirect/get: the POST answered 303 and the browser fetched the page again.
    assert.equal(last(seen, `${server.url}sign`).status, 303);
    await screenshot(page, 'guestbook.png');
    await page.close();
  });
});
