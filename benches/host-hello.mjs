// Benchmark: host process start → hello response, over real pipes (median of N).
import { spawn } from 'node:child_process';
import { TESSERA_BIN } from '../tests/e2e/harness.mjs';

const N = Number(process.env.N ?? 50);
const ORIGIN = 'chrome-extension://fgofncadnffgjfpkhocajhnbdendmlca/';
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };

function frame(obj) {
  const body = Buffer.from(JSON.stringify(obj));
  const head = Buffer.alloc(4);
  head.writeUInt32LE(body.length);
  return Buffer.concat([head, body]);
}

function once() {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(TESSERA_BIN, [ORIGIN], { stdio: ['pipe', 'pipe', 'ignore'] });
    let buf = Buffer.alloc(0);
    child.stdout.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length >= 4 && buf.length >= 4 + buf.readUInt32LE(0)) {
        const ms = Number(process.hrtime.bigint() - t0) / 1e6;
        child.stdin.end();
        child.on('exit', () => resolve(ms));
      }
    });
    child.on('error', reject);
    child.stdin.write(frame({ id: 1, method: 'hello', params: { protocol: 1 } }));
  });
}

let rssKb = 0;
const times = [];
for (let i = 0; i < N; i++) times.push(await once());
// Resident memory of an idle host after hello (VmRSS from /proc).
{
  const child = spawn(TESSERA_BIN, [ORIGIN], { stdio: ['pipe', 'pipe', 'ignore'] });
  child.stdin.write(frame({ id: 1, method: 'hello', params: { protocol: 1 } }));
  child.stdin.write(frame({ id: 2, method: 'devices.list', params: {} }));
  await new Promise((r) => setTimeout(r, 500));
  const { readFileSync } = await import('node:fs');
  rssKb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))[1]);
  child.stdin.end();
}
console.log(`host start → hello response (${TESSERA_BIN}), median of ${N}: ${median(times).toFixed(2)} ms (min ${Math.min(...times).toFixed(2)}, max ${Math.max(...times).toFixed(2)})`);
console.log(`host resident memory after hello + devices.list: ${(rssKb / 1024).toFixed(1)} MiB`);
