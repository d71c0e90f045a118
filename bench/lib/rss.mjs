// RSS of a server process while several clients download a 20 MiB file from it.
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { slowDownload } from './http.mjs';

/** Resident set size of `pid` in bytes, from /proc/<pid>/status. */
export function rssOf(pid) {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(m[1]) * 1024;
}

/**
 * One download first (so one-time allocations are not counted), then `clients` concurrent
 * downloads read at `bytesPerSec` each, sampling RSS every 20 ms. Returns bytes:
 * { before, peak, after, growth: peak - before, residual: after - before }.
 */
export async function measureRss(pid, port, file, { clients = 4, bytesPerSec = 40 * 1024 * 1024 } = {}) {
  const first = await slowDownload(port, file.path, { bytesPerSec: 1024 ** 3 });
  if (first.status !== 200 || first.bytes !== file.size) throw new Error(`warm-up download: status ${first.status}, ${first.bytes} bytes`);
  await sleep(300);
  const before = rssOf(pid);
  let peak = before;
  const sampler = setInterval(() => {
    try {
      peak = Math.max(peak, rssOf(pid));
    } catch {
      // process gone; the downloads will fail and say so
    }
  }, 20);
  try {
    const results = await Promise.all(Array.from({ length: clients }, () => slowDownload(port, file.path, { bytesPerSec })));
    for (const r of results) if (r.status !== 200 || r.bytes !== file.size) throw new Error(`download: status ${r.status}, ${r.bytes} bytes`);
  } finally {
    clearInterval(sampler);
  }
  peak = Math.max(peak, rssOf(pid));
  await sleep(500);
  const after = rssOf(pid);
  return { before, peak, after, growth: peak - before, residual: after - before, clients, bytesPerSec };
}
