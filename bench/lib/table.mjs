// Markdown tables for stdout and docs/benchmarks.md.
import { COMPARISONS, ratio } from './summary.mjs';

const fmtInt = (n) => Math.round(n).toLocaleString('en-US');
const fmtMs = (n) => (n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2));
const fmtMB = (b) => (b / 1e6).toFixed(1);

function table(header, rows) {
  const out = [`| ${header.join(' | ')} |`, `|${header.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`];
  for (const r of rows) out.push(`| ${r.join(' | ')} |`);
  return out.join('\n');
}

/** A cell's text: the median, ±spread when over 1 %, and markers for rounds thrown out. */
function rpsCell(cell, notes) {
  if (!cell) return '–';
  if (cell.validRounds === 0) {
    notes.push(...cell.problems.map((p) => `${cell.server} / ${cell.scenario}: ${p}`));
    return cell.problems.some((p) => p.startsWith('no 304')) ? 'no 304' : 'ERR';
  }
  let text = fmtInt(cell.rps);
  if (cell.spread >= 0.01) text += ` ±${Math.round(cell.spread * 100)}%`;
  if (cell.validRounds < cell.rounds) {
    text += ` (${cell.validRounds}/${cell.rounds})`;
    notes.push(...cell.problems.map((p) => `${cell.server} / ${cell.scenario}: ${p}`));
  }
  return text;
}

export function renderTables({ cells, rss, targets, servers, scenarios }) {
  const notes = [];
  const wrkScenarios = scenarios.filter((s) => s.kind !== 'rss' && s.name !== 'handlers');
  const main = servers.filter((s) => !s.hidden);
  const parts = [];

  if (wrkScenarios.length) {
    const has304 = wrkScenarios.some((s) => s.name === '304');
    const header = ['requests/s (median)', ...wrkScenarios.map((s) => s.label)];
    if (has304) header.push('304 validator');
    const rows = main.map((srv) => {
      const row = [srv.label, ...wrkScenarios.map((sc) => rpsCell(cells[`${sc.name}|${srv.name}`], notes))];
      if (has304) row.push(cells[`304|${srv.name}`]?.validator ?? '–');
      return row;
    });
    parts.push(table(header, rows));

    const latRows = main.map((srv) => [
      srv.label,
      ...wrkScenarios.map((sc) => {
        const c = cells[`${sc.name}|${srv.name}`];
        return c?.validRounds ? `${fmtMs(c.p50_ms)} / ${fmtMs(c.p99_ms)}` : '–';
      }),
    ]);
    parts.push(table(['latency p50 / p99 ms', ...wrkScenarios.map((s) => s.label)], latRows));

    const ratioRows = COMPARISONS.map((c) => [
      `${c.reference ? '(ref) ' : ''}${c.a} / ${c.b}`,
      ...wrkScenarios.map((sc) => {
        const r = ratio(cells, sc.name, c.a, c.b);
        return r === undefined ? '–' : `${r.toFixed(2)}×`;
      }),
    ]).filter((row) => row.slice(1).some((v) => v !== '–'));
    if (ratioRows.length) parts.push(table(['ratio of medians', ...wrkScenarios.map((s) => s.label)], ratioRows));
  }

  const handlers = scenarios.find((s) => s.name === 'handlers');
  if (handlers) {
    const rows = ['appyaml-node', 'appyaml-node-100h'].map((name) => {
      const c = cells[`handlers|${name}`];
      return [name === 'appyaml-node' ? '1 handler' : '100 handlers (99 in front)', rpsCell(c, notes), c?.validRounds ? `${fmtMs(c.p50_ms)} / ${fmtMs(c.p99_ms)}` : '–'];
    });
    parts.push(table(['appyaml on node:http, 1 KB', 'requests/s', 'p50 / p99 ms'], rows));
  }

  const rssRows = Object.values(rss).map((r) => {
    if (!r.validRounds) notes.push(...r.problems.map((p) => `${r.server} / rss: ${p}`));
    return r.validRounds
      ? [r.server, fmtMB(r.before), fmtMB(r.peak), fmtMB(r.growth), fmtMB(r.maxGrowth), fmtMB(r.residual)]
      : [r.server, 'ERR', '', '', '', ''];
  });
  if (rssRows.length) parts.push(table(['RSS, 4 × 20 MB slow downloads (MB)', 'before', 'peak', 'growth (median)', 'growth (worst round)', 'after − before'], rssRows));

  const targetRows = targets.map((t) => {
    let measured;
    let goal;
    if (t.rss) {
      measured = t.value === undefined ? '–' : `${fmtMB(t.value)} MB`;
      goal = `< ${fmtMB(t.maxBytes)} MB`;
    } else {
      measured = t.value === undefined ? '–' : `${t.value.toFixed(2)}×`;
      goal = `≥ ${t.min.toFixed(2)}×`;
    }
    return [t.text, goal, measured, t.pass === undefined ? 'not measured' : t.pass ? 'PASS' : 'MISS'];
  });
  parts.push(table(['target (issue 3)', 'goal', 'measured', ''], targetRows));

  if (notes.length) parts.push(['Rounds thrown out:', ...[...new Set(notes)].map((n) => `- ${n}`)].join('\n'));
  return parts.join('\n\n');
}
