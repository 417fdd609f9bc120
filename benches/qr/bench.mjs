// QR benchmark in node: our wasm decoder (extension/wasm/tessera_qr*, as build.rs
// stages it) and jsQR (npm) on the same RGBA pixels, from the corpus that
// `cargo run --release -p tessera-qr --example qr_corpus` writes. Prints a markdown
// table (success = every expected text found; time = one decode call) and writes
// the raw numbers as JSON.
//
// node benches/qr/bench.mjs CORPUS_DIR WASM_DIR [OUT_JSON]
// QR_BENCH_REPEAT=3: every warm decode runs 3 times, its median is kept (shared CPUs).
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import os from 'node:os';

const [corpusDir, wasmDir, outJson = 'target/qr-bench.json'] = process.argv.slice(2);
if (!corpusDir || !wasmDir) {
  console.error('usage: node benches/qr/bench.mjs CORPUS_DIR WASM_DIR [OUT_JSON]');
  process.exit(2);
}
const require = createRequire(import.meta.url);
const manifest = JSON.parse(fs.readFileSync(path.join(corpusDir, 'manifest.json'), 'utf8'));
const glue = pathToFileURL(path.resolve(wasmDir, 'tessera_qr.js')).href;
const wasmBytes = fs.readFileSync(path.join(wasmDir, 'tessera_qr_bg.wasm'));
const load = (f) => new Uint8Array(fs.readFileSync(path.join(corpusDir, f)));

/** A fresh instance of our module (the ?query makes node evaluate the glue anew). */
async function freshOurs(tag) {
  const t0 = performance.now();
  const mod = await import(`${glue}?instance=${tag}`);
  await mod.default({ module_or_path: await WebAssembly.compile(wasmBytes) });
  return { mod, initMs: performance.now() - t0 };
}

function ours(mod, px, e) {
  const r = JSON.parse(mod.decodeRgba(px, e.width, e.height));
  return r.codes ? r.codes.map((c) => c.text) : [];
}

function jsqr(fn, px, e) {
  const clamped = new Uint8ClampedArray(px.buffer, px.byteOffset, px.byteLength);
  const r = fn(clamped, e.width, e.height);
  return r ? [r.data] : [];
}

const ok = (got, want) => want.every((t) => got.includes(t));
const decoders = {
  ours: (state, px, e) => ours(state, px, e),
  jsQR: (state, px, e) => jsqr(state, px, e),
};

// Cold: a fresh instance (compile + instantiate + first call) on the first image of
// each resolution, for ours; jsQR's cold is a fresh require + first call.
const cold = { ours: {}, jsQR: {} };
let tag = 0;
for (const e of manifest.filter((e) => e.set === 'synthetic' && e.file.endsWith('-0.rgba') && e.category === 'nominal')) {
  const px = load(e.file);
  const res = `${e.width}x${e.height}`;
  const t0 = performance.now();
  const { mod } = await freshOurs(tag++);
  ours(mod, px, e);
  cold.ours[res] = performance.now() - t0;
  const jsqrPath = require.resolve('jsqr');
  delete require.cache[jsqrPath];
  const t1 = performance.now();
  const fn = require('jsqr');
  jsqr(fn.default ?? fn, px, e);
  cold.jsQR[res] = performance.now() - t1;
}

// Warm: one instance each, warmed on a few images first.
const { mod } = await freshOurs('warm');
const jsqrFn = (() => { const m = require('jsqr'); return m.default ?? m; })();
const states = { ours: mod, jsQR: jsqrFn };
for (const e of manifest.slice(0, 3)) {
  const px = load(e.file);
  ours(mod, px, e);
  jsqr(jsqrFn, px, e);
}
const REPEAT = Math.max(1, Number(process.env.QR_BENCH_REPEAT ?? 1));
const load0 = os.loadavg();
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rows = [];
for (const e of manifest) {
  const px = load(e.file);
  const row = { file: e.file, set: e.set, category: e.category, res: `${e.width}x${e.height}` };
  for (const [name, fn] of Object.entries(decoders)) {
    const times = [];
    let got = [];
    for (let i = 0; i < REPEAT; i++) {
      const t0 = performance.now();
      got = fn(states[name], px, e);
      times.push(performance.now() - t0);
    }
    row[name] = { ms: median(times), ok: ok(got, e.texts) };
  }
  rows.push(row);
}
// The worst case: a 1080p page with text-like bars and no code (every pass runs).
const noCode = (() => {
  const [w, h] = [1920, 1080];
  const px = new Uint8Array(w * h * 4).fill(255);
  let seed = 7;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  for (let y = 100; y < h - 40; y += 28) {
    for (let x = 40; x < w * 0.9;) {
      const word = 20 + Math.floor(rnd() * 90);
      for (let yy = y; yy < y + 9; yy++) for (let xx = x; xx < Math.min(x + word, w); xx++) px.fill(40, (yy * w + xx) * 4, (yy * w + xx) * 4 + 3);
      x += word + 9;
    }
  }
  const e = { width: w, height: h, texts: ['-'] };
  const out = {};
  for (const [name, fn] of Object.entries(decoders)) {
    const times = [];
    for (let i = 0; i < 3; i++) { const t0 = performance.now(); fn(states[name], px, e); times.push(performance.now() - t0); }
    out[name] = median(times);
  }
  return out;
})();
const load1 = os.loadavg();

const q = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(s.length * p))]; };
const cell = (rs, name) => {
  const n = rs.length, k = rs.filter((r) => r[name].ok).length;
  const ms = rs.map((r) => r[name].ms);
  return `${(100 * k / n).toFixed(1)}% (${k}/${n}) · ${q(ms, 0.5).toFixed(1)} / ${q(ms, 0.95).toFixed(1)}`;
};
const table = (title, groups) => {
  console.log(`\n### ${title}\n`);
  console.log('| group | n | ours: success · median / p95 ms | jsQR: success · median / p95 ms |');
  console.log('|---|---|---|---|');
  for (const [label, rs] of groups) if (rs.length) console.log(`| ${label} | ${rs.length} | ${cell(rs, 'ours')} | ${cell(rs, 'jsQR')} |`);
};
const by = (rs, key) => [...new Set(rs.map((r) => r[key]))].map((v) => [v, rs.filter((r) => r[key] === v)]);
const syn = rows.filter((r) => r.set === 'synthetic');
const zx = rows.filter((r) => r.set === 'zxing');
table('Synthetic otpauth captures, per category (warm)', [...by(syn, 'category'), ['**all**', syn]]);
table('Synthetic, per resolution (warm)', by(syn, 'res'));
table('Synthetic nominal captures, per resolution (warm)', by(syn.filter((r) => r.category === 'nominal'), 'res'));
table('ZXing public photos (warm)', [...by(zx, 'category'), ['**all**', zx]]);
console.log('\n### Cold (fresh instance: compile + instantiate + first decode; nominal image)\n');
console.log('| resolution | ours ms | jsQR ms |\n|---|---|---|');
for (const res of Object.keys(cold.ours)) console.log(`| ${res} | ${cold.ours[res].toFixed(1)} | ${cold.jsQR[res].toFixed(1)} |`);
console.log(`\n1080p page without a code (every pass runs; median of 3): ours ${noCode.ours.toFixed(1)} ms, jsQR ${noCode.jsQR.toFixed(1)} ms`);
console.log(`load average (1 min) before / after the warm runs: ${load0[0].toFixed(2)} / ${load1[0].toFixed(2)}; ${os.cpus().length} CPUs; repeat ${REPEAT}`);
fs.writeFileSync(outJson, JSON.stringify({ cold, rows, noCode, load: [load0, load1], repeat: REPEAT }, null, 1));
console.log(`\nraw numbers: ${outJson}`);
