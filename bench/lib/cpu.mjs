// CPU accounting from /proc, to tell a measurement that ran on a quiet core from one that shared
// its core with other work on the machine (other processes are not under our control).
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

let tick;
function clockTick() {
  if (tick === undefined) {
    try {
      tick = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      tick = 100;
    }
  }
  return tick;
}

/** pid -> { ppid, pgrp, ticks (user + system) } for every process. */
function processTable() {
  const table = new Map();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let stat;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    table.set(Number(name), { ppid: Number(f[1]), pgrp: Number(f[2]), ticks: Number(f[11]) + Number(f[12]) });
  }
  return table;
}

/**
 * CPU used between two process tables, in seconds: by the process group `pgid` (the server),
 * and by everything that is not ours (not this process, nor any group led by one of its children).
 */
function cpuBetween(before, after, pgid) {
  const ours = new Set([process.pid]);
  for (const [pid, p] of after) if (p.ppid === process.pid) ours.add(p.pgrp).add(pid);
  let server = 0;
  let others = 0;
  for (const [pid, p] of after) {
    const delta = p.ticks - (before.get(pid)?.ticks ?? 0);
    if (p.pgrp === pgid) server += delta;
    else if (!ours.has(p.pgrp) && !ours.has(pid)) others += delta;
  }
  return { server: server / clockTick(), others: others / clockTick() };
}

/** Busy and total jiffies per core, from /proc/stat. */
export function coreTimes() {
  const out = {};
  for (const line of readFileSync('/proc/stat', 'utf8').split('\n')) {
    const m = /^cpu(\d+) (.*)$/.exec(line);
    if (!m) continue;
    const v = m[2].trim().split(/\s+/).map(Number);
    const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
    out[m[1]] = { busy: total - v[3] - v[4], total };
  }
  return out;
}

/** Busy fraction of each core between two coreTimes() samples. */
export function busyBetween(a, b) {
  const out = {};
  for (const core of Object.keys(b)) {
    const total = b[core].total - (a[core]?.total ?? 0);
    out[core] = total > 0 ? (b[core].busy - a[core].busy) / total : 0;
  }
  return out;
}

/** Samples the machine for `ms` and returns the busy fraction of each core. */
export async function machineBusy(ms = 1000) {
  const a = coreTimes();
  await new Promise((r) => setTimeout(r, ms));
  return busyBetween(a, coreTimes());
}

/**
 * Starts a CPU sample around a measurement; calling the result gives, in cores (1 = one core
 * busy the whole time): the server's group, every process that is not ours, and each core.
 */
export function cpuSample(pgid) {
  const t0 = process.hrtime.bigint();
  const p0 = processTable();
  const c0 = coreTimes();
  const s0 = ownTicks();
  return () => {
    const wall = Number(process.hrtime.bigint() - t0) / 1e9;
    const { server, others } = cpuBetween(p0, processTable(), pgid);
    const busy = busyBetween(c0, coreTimes());
    const s1 = ownTicks();
    const self = (s1.self - s0.self) / clockTick() / wall;
    const load = (s1.children - s0.children) / clockTick() / wall; // wrk, reaped in the window
    return {
      wall,
      server: server / wall,
      load,
      self,
      others: others / wall,
      core0: busy['0'],
      core1: busy['1'],
      // Time on each core that neither the server (core 0) nor wrk and this script (core 1)
      // account for: other processes, including short-lived ones that left no trace in /proc.
      foreign0: Math.max(0, (busy['0'] ?? 0) - server / wall),
      foreign1: Math.max(0, (busy['1'] ?? 0) - load - self),
    };
  };
}

/** This process's own CPU ticks, and those of its children that have been waited for. */
function ownTicks() {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { self: Number(f[11]) + Number(f[12]), children: Number(f[13]) + Number(f[14]) };
}
