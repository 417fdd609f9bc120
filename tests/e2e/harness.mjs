// Reusable E2E harness: pcscd, `tessera install` into a throw-away HOME and
// Chromium profile, headless Chromium driven by playwright-core over CDP,
// screenshots into test-artifacts/. Every process it starts is stopped by pid.
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { chromium } from 'playwright-core';

export const ROOT = resolve(import.meta.dirname, '../..');
export const EXTENSION_ID = 'fgofncadnffgjfpkhocajhnbdendmlca';
export const POPUP_URL = `chrome-extension://${EXTENSION_ID}/popup.html`;
export const TESSERA_BIN = process.env.TESSERA_BIN ?? join(ROOT, 'target/debug/tessera');
export const ARTIFACTS = process.env.TESSERA_ARTIFACTS ?? join(ROOT, 'test-artifacts');
const PCSCD_DIR = '/run/pcscd';
/** All host logs of the E2E run. */
export const HOST_LOG = join(ARTIFACTS, 'host.log');
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

/** Polls `check` until it returns a truthy value or `ms` pass. */
export async function waitFor(check, { ms = 10000, every = 50, what = 'condition' } = {}) {
  const until = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > until) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(every);
  }
}

function alive(pid) {
  try { process.kill(pid, 0); return true; } catch { return false; }
}

/** Sends SIGTERM, then SIGKILL after `graceMs`, and waits for the pid to go. */
export async function stopPid(pid, graceMs = 3000) {
  if (!pid || !alive(pid)) return;
  process.kill(pid, 'SIGTERM');
  try {
    await waitFor(() => !alive(pid), { ms: graceMs, what: `pid ${pid} to exit` });
  } catch {
    process.kill(pid, 'SIGKILL');
    await waitFor(() => !alive(pid), { ms: 2000, what: `pid ${pid} to die` });
  }
}

function pidsOf(name) {
  try {
    return execFileSync('pgrep', ['-x', name], { encoding: 'utf8' }).split('\n').filter(Boolean).map(Number);
  } catch { return []; }
}

/** Starts pcscd in the foreground (so we own its pid); cleans a stale /run/pcscd. */
export async function startPcscd({ configDir } = {}) {
  const others = pidsOf('pcscd');
  if (others.length) throw new Error(`a pcscd not started by the tests is running (pid ${others}); stop it first`);
  rmSync(PCSCD_DIR, { recursive: true, force: true });
  // `configDir`: a reader.conf.d of our own (e.g. a vpcd named like a YubiKey, for ykman).
  const child = spawn('pcscd', ['--foreground', ...(configDir ? ['-c', configDir] : [])], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  await waitFor(() => existsSync(join(PCSCD_DIR, 'pcscd.comm')) || child.exitCode !== null,
    { ms: 5000, what: 'the pcscd socket' });
  if (child.exitCode !== null) throw new Error(`pcscd exited (${child.exitCode}): ${stderr}`);
  return {
    pid: child.pid,
    async stop() {
      await stopPid(child.pid);
      rmSync(PCSCD_DIR, { recursive: true, force: true });
    },
  };
}

/** vpcd's two readers: the port a virtual card connects to → the reader pcscd shows. */
export const VPCD_READERS = { '127.0.0.1:35963': 'Virtual PCD 00 00', '127.0.0.1:35964': 'Virtual PCD 00 01' };

/**
 * Starts `tessera virtual-card` (the built-in virtual token) on vpcd so pcscd
 * shows it in "Virtual PCD 00 00" (or "00 01" with `vpcd: '127.0.0.1:35964'`);
 * waits until `tessera devices` lists it.
 */
export async function startVirtualCard({ profile = 'crescendo-key', button = 'auto', state, vpcd = '127.0.0.1:35963', readerName } = {}) {
  // `readerName`: the reader pcscd shows when startPcscd had a configDir naming vpcd otherwise.
  const reader = readerName ?? VPCD_READERS[vpcd] ?? 'Virtual PCD 00 00';
  const dir = state ? null : mkdtempSync(join(tmpdir(), 'tessera-card-'));
  const statePath = state ?? join(dir, 'card.json');
  const child = spawn(TESSERA_BIN, ['virtual-card', '--profile', profile, '--button', button, '--state', statePath, '--vpcd', vpcd],
    { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  await waitFor(() => {
    if (child.exitCode !== null) throw new Error(`virtual card exited: ${stderr}`);
    const list = JSON.parse(execFileSync(TESSERA_BIN, ['devices'], { encoding: 'utf8' }));
    return list.readers.some((r) => r.name === reader && r.card);
  }, { ms: 10000, what: `the virtual card in pcscd (${reader})` }).catch(async (e) => {
    await stopPid(child.pid); // never leave a card holding the vpcd port
    if (dir) rmSync(dir, { recursive: true, force: true });
    throw new Error(`${e.message}; card stderr: ${stderr.slice(-500)}`);
  });
  return {
    pid: child.pid,
    reader,
    control: statePath.replace(/\.json$/, '.ctl'),
    ctl: (...words) => execFileSync(TESSERA_BIN, ['virtual-card-ctl', '--control', statePath.replace(/\.json$/, '.ctl'), ...words], { encoding: 'utf8' }).trim(),
    async stop() {
      await stopPid(child.pid);
      if (dir) rmSync(dir, { recursive: true, force: true });
      // pcscd notices the removal a moment later (a card started meanwhile on
      // the same reader would be mistaken for this one), and vpcd loses a
      // connection made right after it noticed (measured: a new card at once is
      // never seen, after 500 ms it is): wait for both.
      await waitFor(() => {
        const list = JSON.parse(execFileSync(TESSERA_BIN, ['devices'], { encoding: 'utf8' }));
        return !list.readers.some((r) => r.name === reader && r.card);
      }, { ms: 10000, what: `${reader} to be empty` }).catch(() => {});
      await sleep(1000);
    },
  };
}

/** Runs the tessera CLI with a given HOME; returns stdout. */
export function tessera(args, { home, env = {} } = {}) {
  return execFileSync(TESSERA_BIN, args, {
    encoding: 'utf8',
    env: { ...process.env, HOME: home, XDG_DATA_HOME: '', ...env },
  });
}

/**
 * A fresh HOME and Chromium profile; `install: true` runs
 * `tessera install --browser chromium --user-data-dir PROFILE` (what the README tells users).
 */
export function freshInstall({ install = true } = {}) {
  const base = mkdtempSync(join(tmpdir(), 'tessera-e2e-'));
  const home = join(base, 'home');
  const profile = join(base, 'profile');
  mkdirSync(home);
  mkdirSync(profile);
  if (install) {
    tessera(['install', '--browser', 'chromium', '--user-data-dir', profile], { home });
  } else {
    // Unpack the extension only (a host registered for another profile is invisible here).
    tessera(['install', '--browser', 'chromium', '--user-data-dir', join(base, 'elsewhere')], { home });
  }
  const extension = join(home, '.local/share/tessera/extension/chromium');
  const hostBinary = join(home, '.local/share/tessera/bin/tessera');
  return { base, home, profile, extension, hostBinary, cleanup: () => rmSync(base, { recursive: true, force: true }) };
}

/** Launches headless Chromium with the extension; returns {context, pid, close}. */
export async function launchChromium({ profile, extension, env = {}, args = [] }) {
  mkdirSync(ARTIFACTS, { recursive: true });
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    // Every host started by this browser logs (debug) into one file that
    // tests/e2e/zz-logs.test.mjs searches for secrets after the suite.
    env: { ...process.env, TESSERA_LOG: 'debug', TESSERA_LOG_FILE: HOST_LOG, ...env },
    viewport: { width: 360, height: 320 },
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      `--disable-extensions-except=${extension}`, `--load-extension=${extension}`,
      ...args,
    ],
  });
  const pid = context.browser()?.process?.()?.pid ?? null;
  const worker = context.serviceWorkers()[0] ?? await context.waitForEvent('serviceworker', { timeout: 15000 });
  return {
    context,
    worker,
    async close() {
      await context.close().catch(() => {});
      if (pid) await stopPid(pid);
    },
  };
}

/** Opens the popup page in a tab and waits for the wasm core to render. */
export async function openPopup(context) {
  const page = await context.newPage();
  await page.goto(POPUP_URL);
  await page.waitForSelector('body[data-conn]');
  return page;
}

/** pids of host processes started for our extension by the browser. */
export function hostPids(hostBinary) {
  try {
    return execFileSync('pgrep', ['-f', `^${hostBinary} chrome-extension://${EXTENSION_ID}/`], { encoding: 'utf8' })
      .split('\n').filter(Boolean).map(Number);
  } catch { return []; }
}

/** Saves a screenshot under test-artifacts/<group>/<name>.png. */
export async function screenshot(page, group, name) {
  const dir = join(ARTIFACTS, group);
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** Wraps a test body: on failure, screenshots every open page first. */
export function withFailureShots(group, name, getContext, body) {
  return async (t) => {
    try {
      await body(t);
    } catch (err) {
      const ctx = getContext();
      if (ctx) {
        let i = 0;
        for (const page of ctx.pages()) await screenshot(page, group, `FAILED-${name}-${i++}`).catch(() => {});
      }
      throw err;
    }
  };
}
