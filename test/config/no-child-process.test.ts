import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { compileUrlPattern } from '../../lib/config/url-pattern.js';

/** Pids whose parent is this process (Linux /proc). */
function children(): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((pid) => {
      try {
        // Field 4 of /proc/<pid>/stat is the parent pid; the command in field 2 may hold spaces.
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === process.pid;
      } catch {
        return false;
      }
    })
    .map(Number);
}

test('analysing url patterns starts no child process (recheck runs in-thread)', () => {
  const before = children();
  assert.equal(compileUrlPattern('/(.*)/(.*)').engine, 'linear');
  assert.throws(() => compileUrlPattern('/(a|a)*x'), /catastrophically/);
  assert.deepEqual(children(), before);
});
