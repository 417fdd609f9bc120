// E2E: the popup in real Chromium talks to the real host through native
// messaging, and the host sees the real pcscd (with vpcd's readers).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ROOT, freshInstall, hostPids, launchChromium, openPopup, screenshot, startPcscd, startVirtualCard,
  waitFor, withFailureShots,
} from './harness.mjs';

const VERSION = /^version\s*=\s*"([^"]+)"/m.exec(readFileSync(join(ROOT, 'Cargo.toml'), 'utf8'))[1];

describe('popup with the host installed', () => {
  let pcscd; let install; let browser;
  before(async () => {
    pcscd = await startPcscd();
    install = freshInstall();
    browser = await launchChromium(install);
  });
  after(async () => {
    await browser?.close();
    await pcscd?.stop();
    install?.cleanup();
  });
  const ctx = () => browser?.context;

  test('shows the host hello and the vpcd readers', withFailureShots('popup', 'hello', ctx, async () => {
    const page = await openPopup(browser.context);
    await page.waitForSelector('body[data-conn="connected"][data-tokens="ready"]', { timeout: 15000 });
    assert.equal(await page.textContent('#host-summary'), `Host ${VERSION} · protocol 1`);
    const tiles = await page.$$eval('#token-list li', (lis) => lis.map((li) => ({
      text: li.textContent, label: li.getAttribute('aria-label'), tab: li.tabIndex })));
    const readers = tiles.map((t) => t.text);
    assert.ok(readers.some((r) => r.includes('Virtual PCD 00 00')), `readers: ${readers}`);
    for (const tile of tiles) {
      assert.match(tile.label, /^Reader Virtual PCD 00 0\d, empty$/);
      assert.equal(tile.tab, 0, 'tiles are keyboard-focusable');
    }
    assert.equal(await page.isVisible('#connection'), false, 'no banner once connected');
    await screenshot(page, 'popup', 'connected-light');
    await page.emulateMedia({ colorScheme: 'dark' });
    await screenshot(page, 'popup', 'connected-dark');
    const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    assert.equal(bg, 'rgb(22, 25, 29)', 'dark theme applies');
    await page.close();
  }));

  test('shows the virtual Crescendo Key with its ATR', withFailureShots('popup', 'virtual-card', ctx, async () => {
    const card = await startVirtualCard();
    try {
      const page = await openPopup(browser.context);
      await page.waitForSelector('body[data-conn="connected"][data-tokens="ready"]', { timeout: 15000 });
      const tile = page.locator('#token-list li', { hasText: 'Virtual PCD 00 00' });
      assert.equal(await tile.locator('.tile-title').textContent(), 'HID Crescendo Key');
      assert.equal(await tile.locator('.tile-atr').textContent(), '3BD996FF8191FE1FC343323330302D4B4559BA');
      assert.match(await tile.locator('.tile-id').textContent(), /^ID [0-9A-F]{16}$/, 'stable id from the PIV CHUID');
      assert.equal(await tile.getAttribute('aria-label'), 'HID Crescendo Key in reader Virtual PCD 00 00');
      await screenshot(page, 'popup', 'virtual-card-light');
      await page.emulateMedia({ colorScheme: 'dark' });
      await screenshot(page, 'popup', 'virtual-card-dark');
      await page.close();
    } finally {
      await card.stop();
    }
  }));

  test('a key plugged in or pulled while the popup is open updates the tiles', withFailureShots('popup', 'hotplug', ctx, async () => {
    const page = await openPopup(browser.context);
    await page.waitForSelector('body[data-conn="connected"][data-tokens="ready"]', { timeout: 15000 });
    assert.equal(await page.locator('#token-list li:not(.empty)').count(), 0);
    const card = await startVirtualCard();
    try {
      // No reopen, no click: the host's devices.changed event makes the popup list again.
      await page.locator('#token-list li:not(.empty)', { hasText: 'HID Crescendo Key' }).waitFor({ timeout: 10000 });
      card.ctl('unplug');
      await page.locator('#token-list li:not(.empty)').waitFor({ state: 'detached', timeout: 10000 });
    } finally {
      await card.stop();
    }
    await page.close();
  }));

  test('killing the host shows reconnecting and recovers', withFailureShots('popup', 'reconnect', ctx, async () => {
    const page = await openPopup(browser.context);
    await page.waitForSelector('body[data-conn="connected"]', { timeout: 15000 });
    const [oldPid] = await waitFor(() => hostPids(install.hostBinary).length && hostPids(install.hostBinary),
      { what: 'the host process' });
    await page.evaluate(() => {
      window.seen = [];
      new MutationObserver(() => window.seen.push(document.body.dataset.conn))
        .observe(document.body, { attributes: true, attributeFilter: ['data-conn'] });
    });
    process.kill(oldPid, 'SIGKILL');
    await page.waitForFunction(() => window.seen.includes('reconnecting'), null, { timeout: 10000 });
    await page.waitForFunction(() => window.seen.at(-1) === 'connected' && document.body.dataset.tokens === 'ready',
      null, { timeout: 15000 });
    const seen = await page.evaluate(() => window.seen);
    assert.ok(seen.indexOf('reconnecting') < seen.lastIndexOf('connected'), `states: ${seen}`);
    const newPids = hostPids(install.hostBinary);
    assert.equal(newPids.length, 1, `one host process, got ${newPids}`);
    assert.notEqual(newPids[0], oldPid);
    await screenshot(page, 'popup', 'recovered');
    await page.close();
  }));

  test('tells the user when the smart-card service is down', withFailureShots('popup', 'pcsc-down', ctx, async () => {
    await pcscd.stop();
    pcscd = null;
    const page = await openPopup(browser.context);
    await page.waitForSelector('body[data-tokens="service_down"]', { timeout: 15000 });
    assert.match(await page.textContent('#tokens-message'), /smart-card service is not running.*pcscd/);
    await screenshot(page, 'popup', 'pcsc-down');
    await page.close();
  }));
});

describe('popup without the host installed', () => {
  let install; let browser;
  before(async () => {
    install = freshInstall({ install: false });
    browser = await launchChromium(install);
  });
  after(async () => {
    await browser?.close();
    install?.cleanup();
  });

  test('explains the missing host with the exact fix command', withFailureShots('popup', 'missing', () => browser?.context, async () => {
    const page = await openPopup(browser.context);
    await page.waitForSelector('body[data-conn="host_missing"]', { timeout: 15000 });
    assert.equal(await page.textContent('#conn-title'), 'The Tessera host is not installed');
    assert.equal(await page.textContent('#fix-command'), 'tessera install --browser chromium');
    assert.equal(await page.getAttribute('#connection', 'role'), 'status');
    assert.equal(await page.isVisible('#tokens'), false);
    // Keyboard: Tab reaches the copy button.
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'fix-copy');
    await screenshot(page, 'popup', 'host-missing-light');
    await page.emulateMedia({ colorScheme: 'dark' });
    await screenshot(page, 'popup', 'host-missing-dark');
    await page.close();
  }));
});
