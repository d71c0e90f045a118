// The spawn floor: node bench/cgi/floor.mjs <python> <concurrency> <seconds>
// Runs `python -c pass` in a loop, <concurrency> at a time, the way the CGI backend spawns a
// script (its own process group, pipes, no shell), and prints {rps, p50} as JSON.
import { spawn } from 'node:child_process';

const [python, concurrency, seconds] = process.argv.slice(2);
const end = Date.now() + Number(seconds) * 1000;
const latencies = [];

function once() {
  return new Promise((resolve) => {
    const start = process.hrtime.bigint();
    const child = spawn(python, ['-c', 'pass'], { detached: true, stdio: ['pipe', 'pipe', 'pipe'], env: { PATH: process.env.PATH ?? '' } });
    child.stdin.end();
    child.stdout.resume();
    child.stderr.resume();
    child.once('close', () => {
      latencies.push(Number(process.hrtime.bigint() - start) / 1e6);
      resolve();
    });
  });
}

async function loop() {
  while (Date.now() < end) await once();
}

const began = Date.now();
await Promise.all(Array.from({ length: Number(concurrency) }, loop));
const elapsed = (Date.now() - began) / 1000;
latencies.sort((a, b) => a - b);
process.stdout.write(JSON.stringify({ rps: latencies.length / elapsed, p50: latencies[Math.floor(latencies.length / 2)], requests: latencies.length }));
