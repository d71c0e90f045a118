// From raw measurements to medians, ratios of medians, and the targets.

export function median(values) {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return undefined;
  const mid = v.length >> 1;
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

/** Half the min–max range as a fraction of the median (0 for a single value). */
export function spread(values) {
  const v = values.filter((x) => Number.isFinite(x));
  const m = median(v);
  if (!m || v.length < 2) return 0;
  return (Math.max(...v) - Math.min(...v)) / 2 / m;
}

/**
 * Per (scenario, server): median requests/s and latency over the valid rounds, how many rounds
 * were valid, the 304 validator, and the reasons rounds were thrown out.
 */
export function summarize(measurements) {
  const cells = {};
  for (const m of measurements) {
    const key = `${m.scenario}|${m.server}`;
    (cells[key] ??= { scenario: m.scenario, server: m.server, runs: [] }).runs.push(m);
  }
  for (const cell of Object.values(cells)) {
    const valid = cell.runs.filter((r) => r.valid);
    const rps = valid.map((r) => r.rps);
    cell.rounds = cell.runs.length;
    cell.validRounds = valid.length;
    cell.rps = median(rps);
    cell.spread = spread(rps);
    cell.p50_ms = median(valid.map((r) => r.latency_us.p50 / 1000));
    cell.p99_ms = median(valid.map((r) => r.latency_us.p99 / 1000));
    cell.serverCores = median(valid.map((r) => r.cpu?.server));
    cell.otherCores = median(valid.map((r) => r.cpu?.others));
    cell.validator = valid.find((r) => r.validator)?.validator ?? cell.runs.find((r) => r.validator)?.validator;
    cell.problems = [...new Set(cell.runs.filter((r) => !r.valid).map((r) => r.problem))];
  }
  return cells;
}

export function summarizeRss(rssRuns) {
  const by = {};
  for (const r of rssRuns) (by[r.server] ??= []).push(r);
  const out = {};
  for (const [server, runs] of Object.entries(by)) {
    const ok = runs.filter((r) => !r.problem);
    out[server] = {
      server,
      rounds: runs.length,
      validRounds: ok.length,
      before: median(ok.map((r) => r.before)),
      peak: median(ok.map((r) => r.peak)),
      after: median(ok.map((r) => r.after)),
      growth: median(ok.map((r) => r.growth)),
      maxGrowth: ok.length ? Math.max(...ok.map((r) => r.growth)) : undefined,
      residual: median(ok.map((r) => r.residual)),
      problems: [...new Set(runs.filter((r) => r.problem).map((r) => r.problem))],
    };
  }
  return out;
}

/** Rows of the ratio table: a / b over every throughput scenario. */
export const COMPARISONS = [
  { a: 'appyaml-express', b: 'ceiling-express' },
  { a: 'appyaml-express', b: 'express-static' },
  { a: 'appyaml-express', b: 'sirv' },
  { a: 'appyaml-express', b: 'fastify-static' },
  { a: 'appyaml-node', b: 'ceiling-node' },
  { a: 'appyaml-node', b: 'sirv' },
  { a: 'appyaml-node', b: 'nginx' },
  { a: 'appyaml-express', b: 'nginx' },
  { a: 'appyaml-express-nolog', b: 'ceiling-express' },
  { a: 'appyaml-express-nolog', b: 'sirv' },
  { a: 'appyaml-node-nolog', b: 'ceiling-node' },
  { a: 'appyaml-node-nolog', b: 'sirv' },
  { a: 'ceiling-node', b: 'express-static', reference: true },
  { a: 'ceiling-express', b: 'express-static', reference: true },
  { a: 'nginx', b: 'express-static', reference: true },
  { a: 'ceiling-node', b: 'nginx', reference: true },
];

const MB = 1e6;

/** The targets, each a ratio of medians from this run (or an RSS bound). */
export const TARGETS = [
  { id: 'express-1k-ceiling', text: 'in Express, 1 KB ≥ 0.85× the Express ceiling', a: 'appyaml-express', b: 'ceiling-express', scenario: '1k', min: 0.85 },
  { id: 'express-304-ceiling', text: 'in Express, 304 ≥ 0.85× the Express ceiling', a: 'appyaml-express', b: 'ceiling-express', scenario: '304', min: 0.85 },
  { id: 'express-1k-static', text: 'in Express, 1 KB ≥ 2× express.static', a: 'appyaml-express', b: 'express-static', scenario: '1k', min: 2 },
  { id: 'express-304-static', text: 'in Express, 304 ≥ 2× express.static', a: 'appyaml-express', b: 'express-static', scenario: '304', min: 2 },
  { id: 'express-1k-sirv', text: 'in Express, 1 KB ahead of sirv', a: 'appyaml-express', b: 'sirv', scenario: '1k', min: 1 },
  { id: 'express-304-sirv', text: 'in Express, 304 ahead of sirv', a: 'appyaml-express', b: 'sirv', scenario: '304', min: 1 },
  { id: 'express-1k-fastify', text: 'in Express, 1 KB ahead of @fastify/static', a: 'appyaml-express', b: 'fastify-static', scenario: '1k', min: 1 },
  { id: 'express-304-fastify', text: 'in Express, 304 ahead of @fastify/static', a: 'appyaml-express', b: 'fastify-static', scenario: '304', min: 1 },
  { id: 'node-1k-ceiling', text: 'on node:http, 1 KB ≥ 0.8× the node:http ceiling', a: 'appyaml-node', b: 'ceiling-node', scenario: '1k', min: 0.8 },
  { id: 'node-1m-nginx', text: 'on node:http, 1 MB ≥ nginx', a: 'appyaml-node', b: 'nginx', scenario: '1m', min: 1 },
  { id: 'express-1m-nginx', text: 'in Express, 1 MB ≥ nginx', a: 'appyaml-express', b: 'nginx', scenario: '1m', min: 1 },
  { id: 'node-miss-sirv', text: "on node:http, a miss no slower than sirv's", a: 'appyaml-node', b: 'sirv', scenario: 'miss', min: 1 },
  { id: 'express-miss-sirv', text: "in Express, a miss no slower than sirv's", a: 'appyaml-express', b: 'sirv', scenario: 'miss', min: 1 },
  { id: 'handlers-100', text: '100 handlers cost ≤ 5 % against 1 (1 KB, node:http)', a: 'appyaml-node-100h', b: 'appyaml-node', scenario: 'handlers', min: 0.95 },
  { id: 'rss-express', text: '20 MB downloads add < 10 MB RSS (in Express)', rss: 'appyaml-express', maxBytes: 10 * MB },
  { id: 'rss-node', text: '20 MB downloads add < 10 MB RSS (node:http)', rss: 'appyaml-node', maxBytes: 10 * MB },
];

export function ratio(cells, scenario, a, b) {
  const x = cells[`${scenario}|${a}`]?.rps;
  const y = cells[`${scenario}|${b}`]?.rps;
  return x && y ? x / y : undefined;
}

/** Each target with its measured value and PASS / MISS (or undefined when not measured). */
export function judgeTargets(cells, rss) {
  return TARGETS.map((t) => {
    if (t.rss) {
      const g = rss[t.rss]?.validRounds ? rss[t.rss].growth : undefined;
      return { ...t, value: g, pass: g === undefined ? undefined : g < t.maxBytes };
    }
    const value = ratio(cells, t.scenario, t.a, t.b);
    return { ...t, value, pass: value === undefined ? undefined : value >= t.min };
  });
}
