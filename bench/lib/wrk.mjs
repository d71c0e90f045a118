// Runs wrk and reads its result. wrk's own text (Requests/sec, the --latency percentiles) is
// parsed, and the JSON line printed by lua/report.lua gives exact counts; JSON wins when both exist.
import { run } from './procs.mjs';

const UNIT_US = { us: 1, ms: 1000, s: 1e6, m: 60e6, h: 3600e6 };
const SIZE_B = { B: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3, TB: 1024 ** 4 };

const toUs = (num, unit) => Number(num) * UNIT_US[unit];

/** Parses wrk's text report (wrk 4.x with --latency). */
export function parseWrkText(text) {
  const out = { latency_us: {}, errors: { connect: 0, read: 0, write: 0, status: 0, timeout: 0 } };
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(text);
  if (rps) out.rps = Number(rps[1]);
  const total = /(\d+) requests in ([\d.]+)(us|ms|s|m|h), ([\d.]+)(B|KB|MB|GB|TB) read/.exec(text);
  if (total) {
    out.requests = Number(total[1]);
    out.duration_us = toUs(total[2], total[3]);
    out.bytes = Math.round(Number(total[4]) * SIZE_B[total[5]]);
  }
  for (const m of text.matchAll(/^\s+(50|75|90|99)%\s+([\d.]+)(us|ms|s|m|h)\s*$/gm)) out.latency_us[`p${m[1]}`] = toUs(m[2], m[3]);
  const lat = /^\s+Latency\s+([\d.]+)(us|ms|s|m|h)\s+([\d.]+)(us|ms|s|m|h)\s+([\d.]+)(us|ms|s|m|h)/m.exec(text);
  if (lat) Object.assign(out.latency_us, { mean: toUs(lat[1], lat[2]), stdev: toUs(lat[3], lat[4]), max: toUs(lat[5], lat[6]) });
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text);
  if (sock) Object.assign(out.errors, { connect: +sock[1], read: +sock[2], write: +sock[3], timeout: +sock[4] });
  const non = /Non-2xx or 3xx responses: (\d+)/.exec(text);
  if (non) out.errors.status = Number(non[1]);
  return out;
}

/** Reads the JSON line from lua/report.lua, or undefined. */
export function parseWrkJson(text) {
  const line = text.split('\n').find((l) => l.startsWith('WRK_JSON '));
  if (!line) return undefined;
  const j = JSON.parse(line.slice('WRK_JSON '.length));
  return { ...j, rps: j.requests / (j.duration_us / 1e6) };
}

/**
 * One wrk measurement: `wrk -t1 -c50 -d<duration>s --latency`, pinned to `core`.
 * `headers` is a list of "Name: value" strings; `script` a Lua file (default: the reporter).
 */
export async function runWrk({ url, duration, connections = 50, headers = [], script, core }) {
  const args = ['-t1', `-c${connections}`, `-d${duration}s`, '--latency', '--timeout', '5s'];
  for (const h of headers) args.push('-H', h);
  if (script) args.push('-s', script);
  args.push(url);
  const r = await run('wrk', args, { core, timeoutMs: (duration + 15) * 1000 });
  if (r.timedOut) throw new Error(`wrk did not finish within ${duration + 15} s`);
  if (r.code !== 0) throw new Error(`wrk exited with ${r.code}: ${r.stderr.trim() || r.stdout.trim()}`);
  const text = parseWrkText(r.stdout);
  const json = parseWrkJson(r.stdout);
  if (text.rps === undefined && !json) throw new Error(`could not read wrk's output:\n${r.stdout}`);
  const result = json ? { ...json, latency_us: { ...text.latency_us, ...json.latency_us }, rps_text: text.rps } : text;
  return { ...result, command: `wrk ${args.join(' ')}` };
}
