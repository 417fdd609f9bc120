// Benchmark (numbers, not a test): one-click fill latency in real Chromium
// against the virtual Crescendo Key behind pcscd + vpcd, on the demo site's
// single-field login page served as demo.test (tests/e2e/fill-popup.test.mjs
// explains the set-up: popup.html?tab=<id>, the shortcut handler called in the
// service worker, host permissions standing in for activeTab).
// The account is TOTP, access "Always" (no PIN, no touch).
//
//   popup open → bound account shown: navigation start of popup.html → the
//     first #fill-bound item drawn (site.of + devices.list + otp.list + core)
//   click → code in the field: Fill clicked (CDP) → the demo field holds 6
//     digits (polled every 2 ms in the page)
//   shortcut → code in the field: the onCommand handler called (CDP) → it
//     returns after fill.js typed the code
//
// Run: source scripts/setup.sh; TESSERA_BIN=… node benches/fill-latency.mjs
// (inside the pcscd namespace of docs/TESTING.md). N=20 by default.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  freshInstall, launchChromium, POPUP_URL, startPcscd, startVirtualCard,
} from '../tests/e2e/harness.mjs';
import { base32, startDemoSite } from '../tests/demo-site/server.mjs';
import { PINS } from '../tests/e2e/secrets.mjs';

const N = Number(process.env.N ?? 20);
const ACCOUNT = 'bench@demo.test';
const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return `median ${s[Math.floor(s.length / 2)].toFixed(1)} ms, p95 ${s[Math.ceil(s.length * 0.95) - 1].toFixed(1)} ms (min ${s[0].toFixed(1)}, max ${s.at(-1).toFixed(1)}, n=${s.length})`;
};

const pcscd = await startPcscd();
const card = await startVirtualCard({ button: 'auto' });
const install = freshInstall();
const manifestPath = join(install.extension, 'manifest.json');
const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
manifest.host_permissions = ['http://demo.test/*'];
writeFileSync(manifestPath, JSON.stringify(manifest));
const site = await startDemoSite();
const base = `http://demo.test:${site.port}`;
const browser = await launchChromium({
  ...install, env: { HOME: install.home, XDG_DATA_HOME: '' },
  args: ['--host-resolver-rules=MAP demo.test 127.0.0.1'],
});
try {
  const demo = await browser.context.newPage();
  await demo.goto(`${base}/signup?account=${encodeURIComponent(ACCOUNT)}`);
  const tabId = await browser.worker.evaluate(async (url) =>
    (await chrome.tabs.query({})).find((t) => t.url?.startsWith(url))?.id, base);
  const popup = async () => {
    const page = await browser.context.newPage();
    await page.goto(`${POPUP_URL}?tab=${tabId}`);
    await page.waitForFunction(() => document.querySelector('#fill-bound li'), null, { timeout: 15000, polling: 'raf' });
    return { page, ms: await page.evaluate(() => performance.now()) };
  };

  // Enroll from the popup of the demo tab (bound to demo.test).
  const enroll = await browser.context.newPage();
  await enroll.goto(`${POPUP_URL}?tab=${tabId}`);
  await enroll.waitForSelector('body[data-fill-site="demo.test"]', { timeout: 15000 });
  await enroll.locator('button.otp-add').first().click();
  const dialog = enroll.locator('dialog#dialog');
  const b32 = base32(site.accounts.get(ACCOUNT).key);
  await dialog.getByLabel('otpauth:// link', { exact: true })
    .fill(`otpauth://totp/Demo:${encodeURIComponent(ACCOUNT)}?secret=${b32}&issuer=Demo`);
  await dialog.getByRole('button', { name: 'Add account', exact: true }).click();
  await enroll.waitForSelector('dialog#dialog[open][data-step="pin"]');
  await dialog.getByLabel('PIN', { exact: true }).fill(PINS.factory);
  await enroll.keyboard.press('Enter');
  await enroll.waitForSelector('dialog#dialog[open][data-step="done"]', { timeout: 15000 });
  await enroll.close();
  await demo.goto(`${base}/login/single?account=${encodeURIComponent(ACCOUNT)}`);
  const clear = () => demo.evaluate(() => { document.getElementById('otp').value = ''; });
  const filled = () => demo.waitForFunction(() => document.getElementById('otp').value.length === 6, null, { polling: 2, timeout: 15000 });

  (await popup()).page.close(); // warm-up
  const open = []; const click = []; const key = [];
  for (let i = 0; i < N; i++) {
    const { page, ms } = await popup();
    open.push(ms);
    await clear();
    const t0 = performance.now();
    const wait = filled();
    await page.locator('#fill-bound .fill-go').first().click();
    await wait;
    click.push(performance.now() - t0);
    await page.close();
  }
  for (let i = 0; i < N; i++) {
    await clear();
    const t0 = performance.now();
    const out = await browser.worker.evaluate((tab) => globalThis.tesseraFill.onCommand('fill-otp', { id: tab }), tabId);
    key.push(performance.now() - t0);
    if (out.kind !== 'filled') throw new Error(`shortcut: ${JSON.stringify(out)}`);
  }
  console.log(`popup open → bound account shown: ${stats(open)}`);
  console.log(`click → code in the field:        ${stats(click)}`);
  console.log(`shortcut → code in the field:     ${stats(key)}`);
} finally {
  await browser.close();
  site.server.close();
  await card.stop();
  await pcscd.stop();
  install.cleanup();
}
