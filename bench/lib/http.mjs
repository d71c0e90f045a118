// Small HTTP client helpers on 127.0.0.1: probing a server before measuring it, a bounded
// warm-up, and throttled large downloads for the RSS measurement.
import http from 'node:http';

/** One request; resolves { status, headers, body } (body is a Buffer). Fails after timeoutMs. */
export function request(port, path, { method = 'GET', headers = {}, agent = false, timeoutMs = 10000 } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method, headers, agent }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`${method} ${path}: no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

/**
 * Sends up to `count` GETs (cycling through `paths`), `concurrency` at a time, for at most
 * `maxMs`, over keep-alive connections. Returns the number of answers whose status was not `expect`.
 */
export async function warmUp(port, paths, { count = 200, concurrency = 8, maxMs = 1000, headers = {}, expect = 200 } = {}) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const deadline = Date.now() + maxMs;
  let next = 0;
  let bad = 0;
  const worker = async () => {
    while (next < count && Date.now() < deadline) {
      const path = paths[next++ % paths.length];
      const r = await request(port, path, { headers, agent, timeoutMs: 5000 });
      if (r.status !== expect) bad++;
    }
  };
  try {
    await Promise.all(Array.from({ length: concurrency }, worker));
  } finally {
    agent.destroy();
  }
  return bad;
}

/**
 * Downloads `path` and throws the body away, reading at most `bytesPerSec` (a slow client, so the
 * server has to hold the stream open and honour back-pressure). Resolves the byte count.
 */
export function slowDownload(port, path, { bytesPerSec, timeoutMs = 30000 }) {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const req = http.get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let bytes = 0;
      res.on('data', (chunk) => {
        bytes += chunk.length;
        const aheadMs = (bytes / bytesPerSec) * 1000 - (Date.now() - started);
        if (aheadMs > 5) {
          res.pause();
          setTimeout(() => res.resume(), aheadMs);
        }
      });
      res.on('end', () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode, bytes });
      });
      res.on('error', reject);
    });
    const timer = setTimeout(() => req.destroy(new Error(`download of ${path} took over ${timeoutMs} ms`)), timeoutMs);
    req.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}
