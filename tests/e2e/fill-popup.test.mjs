// One-click fill bound to the enrolling site (issue 7), end to end: real
// Chromium with the installed extension, the installed host, pcscd + vpcd and
// the virtual Crescendo Key; the demo site (tests/demo-site) served under two
// names through Chromium's resolver: demo.test (where the account is enrolled)
// and examp1e.test (a look-alike on the same server).
//
// What this exercises and what it cannot (headless Chromium, playwright):
// - the toolbar popup is popup.html opened in a tab with `?tab=<id>` naming
//   the demo tab; the background still reads that tab's URL with
//   chrome.tabs.get (never from the page), so the binding check is the real one;
// - the shortcut and the context menu cannot be pressed headless: the test
//   calls, in the service worker (CDP), the exact functions registered with
//   chrome.commands.onCommand and chrome.contextMenus.onClicked
//   (globalThis.tesseraFill, reachable from no page);
// - activeTab is granted by a real click only, so the test copy of the
//   extension additionally holds host permissions for http://demo.test/* and
//   http://examp1e.test/* (the shipped manifest has none). Everything after the
//   permission check (executeScript, fill plan, typing) is the shipped code.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  EXTENSION_ID, freshInstall, HOST_LOG, launchChromium, POPUP_URL, screenshot, startPcscd,
  startVirtualCard, waitFor, withFailureShots,
} from './harness.mjs';
import { base32, startDemoSite, totp } from '../demo-site/server.mjs';
import { PINS, rememberSecret } from './secrets.mjs';

const GROUP = 'fill';
const ACCOUNT = 'alice@demo.test';

/** The host log from byte `from` on (every host of the E2E run appends to it). */
function logSince(from) {
  try {
    return readFileSync(HOST_LOG).subarray(from).toString('utf8');
  } catch { return ''; }
}
const logSize = () => { try { return statSync(HOST_LOG).size; } catch { return 0; } };
/** Crescendo OATH code computations (HOTP/TOTP `80 88`, OCRA `80 87`) the card received since last asked. */
const computations = (card) => JSON.parse(card.ctl('apdus')).apdus.filter((h) => /^808[78]/.test(h));

describe('one-click fill bound to the site', () => {
  let pcscd; let card; let install; let browser; let site; let demo; let tabId; let base; let look;
  before(async () => {
    pcscd = await startPcscd();
    card = await startVirtualCard({ button: 'auto' });
    install = freshInstall();
    const manifestPath = join(install.extension, 'manifest.json');
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
    assert.equal(manifest.host_permissions, undefined, 'the shipped extension asks for no host access');
    assert.equal(manifest.content_scripts, undefined, 'and runs no content script');
    assert.equal(manifest.externally_connectable, undefined, 'and no page may connect to it');
    for (const p of ['activeTab', 'scripting', 'contextMenus']) assert.ok(manifest.permissions.includes(p), p);
    assert.ok(manifest.commands['fill-otp'], 'the fill shortcut');
    // Test-only stand-in for activeTab (see the file comment).
    manifest.host_permissions = ['http://demo.test/*', 'http://examp1e.test/*', 'http://pin.test/*', 'http://touch.test/*'];
    writeFileSync(manifestPath, JSON.stringify(manifest));
    site = await startDemoSite();
    base = `http://demo.test:${site.port}`;
    look = `http://examp1e.test:${site.port}`;
    browser = await launchChromium({
      ...install,
      env: { HOME: install.home, XDG_DATA_HOME: '' },
      args: ['--host-resolver-rules=MAP demo.test 127.0.0.1, MAP examp1e.test 127.0.0.1, MAP pin.test 127.0.0.1, MAP touch.test 127.0.0.1'],
    });
    demo = await browser.context.newPage();
    await demo.setViewportSize({ width: 640, height: 480 });
    await demo.goto(`${base}/signup?account=${encodeURIComponent(ACCOUNT)}`);
    tabId = await browser.worker.evaluate(async (url) =>
      (await chrome.tabs.query({})).find((t) => t.url?.startsWith(url))?.id, base);
    assert.ok(Number.isInteger(tabId), 'the demo tab id');
  });
  after(async () => {
    await browser?.close();
    site?.server.close();
    await card?.stop();
    await pcscd?.stop();
    install?.cleanup();
  });
  const ctx = () => browser?.context;

  async function popupFor(id = tabId) {
    const page = await browser.context.newPage();
    await page.setViewportSize({ width: 360, height: 600 });
    await page.goto(`${POPUP_URL}?tab=${id}`);
    await page.waitForSelector('body[data-conn="connected"][data-tokens="ready"]', { timeout: 15000 });
    return page;
  }
  async function shot(page, name) {
    await screenshot(page, GROUP, `${name}-light`);
    await page.emulateMedia({ colorScheme: 'dark' });
    await screenshot(page, GROUP, `${name}-dark`);
    await page.emulateMedia({ colorScheme: 'light' });
  }
  async function verify(page = demo) {
    await page.bringToFront();
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.locator('#result', { hasText: /accepted|rejected/ }).waitFor();
    return page.locator('#result').textContent();
  }
  const shortcut = (id = tabId) => browser.worker.evaluate(
    (tab) => globalThis.tesseraFill.onCommand('fill-otp', { id: tab }), id);
  // `frameUrl` is what the browser reports for the clicked frame (info.frameUrl).
  const menu = (frameId, frameUrl = null, id = tabId) => browser.worker.evaluate(
    ([tab, frame, url]) => globalThis.tesseraFill.onMenuClicked({ menuItemId: 'tessera-fill-otp', frameId: frame, frameUrl: url ?? undefined }, { id: tab }),
    [id, frameId, frameUrl]);
  /** The frame id (as executeScript reports it) of the frame whose document is at `path` on `origin`. */
  const frameOf = (origin, path) => browser.worker.evaluate(async ([tab, o, p]) => {
    const r = await chrome.scripting.executeScript({ target: { tabId: tab, allFrames: true }, func: () => location.href });
    return r.find((x) => x.result?.startsWith(o) && new URL(x.result).pathname === p)?.frameId;
  }, [tabId, origin, path]);
  /** Adds `uri` from the popup opened on the demo tab (so bound to its site); `access` for Crescendo slots. */
  async function enrollFromPopup(page, uri, access) {
    const tile = page.locator('#token-list li.tile', { hasText: card.reader });
    await tile.locator('section.otp.otp-ready').waitFor({ timeout: 15000 });
    await tile.locator('button.otp-add').click();
    const dialog = page.locator('dialog#dialog');
    await page.waitForSelector('dialog#dialog[open][data-step="form"]');
    await dialog.getByLabel('otpauth:// link', { exact: true }).fill(uri);
    if (access) await dialog.getByLabel('Who may get codes', { exact: true }).selectOption(access);
    await dialog.getByRole('button', { name: 'Add account', exact: true }).click();
    // The key keeps a PIN verified earlier on its held connection: the PIN step may be skipped.
    await page.waitForSelector('dialog#dialog[open][data-step="pin"], dialog#dialog[open][data-step="done"]', { timeout: 15000 });
    if (await page.locator('dialog#dialog[data-step="pin"]').count()) {
      await dialog.getByLabel('PIN', { exact: true }).fill(PINS.factory);
      await page.keyboard.press('Enter');
    }
    await page.waitForSelector('dialog#dialog[open][data-step="done"]', { timeout: 15000 });
    await dialog.getByRole('button', { name: 'Done', exact: true }).click();
    await page.waitForSelector('dialog#dialog:not([open])', { state: 'attached' });
  }
  /** Opens `host`'s sign-up page for `name` and enrolls it from a popup on that tab (bound to `host`). */
  async function signUpOn(host, name, kind, access) {
    await demo.goto(`http://${host}:${site.port}/signup?account=${encodeURIComponent(name)}${kind === 'hotp' ? '&kind=hotp' : ''}`);
    const page = await popupFor();
    try {
      await page.waitForSelector(`body[data-fill-site="${host}"]`, { timeout: 15000 });
      await enrollFromPopup(page, uriFor(name, kind), access);
    } finally {
      await page.close();
    }
    return `http://${host}:${site.port}`;
  }
  function uriFor(name, kind = 'totp') {
    const b32 = base32(site.accounts.get(name).key);
    rememberSecret(b32);
    rememberSecret(site.accounts.get(name).key.toString('hex'));
    return `otpauth://${kind}/Tessera%20Demo:${encodeURIComponent(name)}?secret=${b32}&issuer=Tessera%20Demo${kind === 'hotp' ? '&counter=0' : ''}`;
  }

  async function login(variant, origin = base) {
    await demo.goto(`${origin}/login/${variant}?account=${encodeURIComponent(ACCOUNT)}`);
    if (variant === 'react') await demo.locator('#code').waitFor();
    if (variant === 'iframe') await demo.frameLocator('#frame').locator('#otp').waitFor();
  }

  test('enrolled from the popup on demo.test: the account is bound to demo.test',
    withFailureShots(GROUP, 'enroll', ctx, async () => {
      const key = site.accounts.get(ACCOUNT).key;
      const b32 = base32(key);
      rememberSecret(b32);
      rememberSecret(key.toString('hex'));
      const uri = `otpauth://totp/Tessera%20Demo:${encodeURIComponent(ACCOUNT)}?secret=${b32}&issuer=Tessera%20Demo`;
      const page = await popupFor();
      try {
        await page.waitForSelector('body[data-fill-site="demo.test"]', { timeout: 15000 });
        assert.equal(await page.locator('#fill-heading').textContent(), 'On this site: demo.test');
        assert.match(await page.locator('#fill-warning').textContent(), /not HTTPS/);
        const tile = page.locator('#token-list li.tile', { hasText: card.reader });
        await tile.locator('section.otp.otp-ready').waitFor({ timeout: 15000 });
        await tile.locator('button.otp-add').click();
        const dialog = page.locator('dialog#dialog');
        await page.waitForSelector('dialog#dialog[open][data-step="form"]');
        await dialog.getByLabel('otpauth:// link', { exact: true }).fill(uri);
        await dialog.getByRole('button', { name: 'Add account', exact: true }).click();
        await page.waitForSelector('dialog#dialog[open][data-step="pin"]');
        await dialog.getByLabel('PIN', { exact: true }).fill(PINS.factory);
        await page.keyboard.press('Enter');
        await page.waitForSelector('dialog#dialog[open][data-step="done"]', { timeout: 15000 });
        await dialog.getByRole('button', { name: 'Done', exact: true }).click();
        // The panel lists the new account as bound to this site.
        const bound = page.locator('#fill-bound li.fill-item');
        await bound.first().waitFor({ timeout: 15000 });
        assert.match(await bound.first().textContent(), /Tessera Demo: alice@demo\.test.*demo\.test/);
        const stored = await browser.worker.evaluate(async () => (await chrome.storage.sync.get('accounts')).accounts);
        const entry = Object.values(stored).find((m) => m.name === ACCOUNT);
        assert.equal(entry.site, 'demo.test', JSON.stringify(stored));
        assert.ok(!JSON.stringify(stored).includes(b32), 'no secret in storage');
        await shot(page, 'popup-bound');
      } finally {
        await page.close();
      }
    }));

  for (const variant of ['single', 'split', 'react', 'iframe', 'decoy']) {
    test(`${variant}: fill by popup click, by shortcut and by context menu; the server accepts each`,
      withFailureShots(GROUP, variant, ctx, async () => {
        // Popup click.
        await login(variant);
        const page = await popupFor();
        try {
          await page.locator('#fill-bound li.fill-item .fill-go').first().click();
          await page.waitForSelector('body[data-fill="ok"]', { timeout: 15000 });
          assert.match(await page.locator('#fill-status').textContent(), /^Filled the code of Tessera Demo: alice@demo\.test/);
        } finally {
          await page.close();
        }
        assert.equal(await verify(), 'accepted', `${variant}: popup fill`);

        // Shortcut.
        await login(variant);
        const viaKey = await shortcut();
        assert.equal(viaKey.kind, 'filled', JSON.stringify(viaKey));
        assert.equal(viaKey.count, variant === 'split' ? 6 : 1);
        assert.equal(await verify(), 'accepted', `${variant}: shortcut fill`);

        // Context menu on the field (in the iframe variant: on the frame's field).
        await login(variant);
        let frameId = 0;
        let frameUrl = null;
        if (variant === 'iframe') {
          frameId = await frameOf(base, '/frame');
          frameUrl = `${base}/frame`;
          assert.ok(frameId > 0, 'the iframe has its own frame id');
        }
        const viaMenu = await menu(frameId, frameUrl);
        assert.equal(viaMenu.kind, 'filled', JSON.stringify(viaMenu));
        if (variant === 'single') await screenshot(demo, GROUP, 'single-filled-by-menu');
        assert.equal(await verify(), 'accepted', `${variant}: context-menu fill`);

        if (variant === 'iframe') {
          // A frame of another site inside the bound page: the menu on its field fills nothing.
          await login(variant);
          await demo.evaluate((src) => new Promise((ok) => {
            const f = document.createElement('iframe');
            f.id = 'foreign';
            f.src = src;
            f.onload = ok;
            document.body.append(f);
          }), `${look}/frame`);
          const foreign = await frameOf(look, '/frame');
          assert.ok(foreign > 0, 'the foreign frame id');
          const from = logSize();
          const out = await menu(foreign, `${look}/frame`);
          assert.deepEqual([out.kind, out.reason], ['popup', 'foreign_frame'], JSON.stringify(out));
          await waitFor(() => logSince(from).includes('site.of'), { what: 'the host log' });
          assert.ok(!logSince(from).includes('otp.code'), 'nothing computed for a foreign frame');
          assert.equal(await demo.frameLocator('#foreign').locator('#otp').inputValue(), '');
        }
      }));
  }

  test('auto-submit (off by default) submits after the fill',
    withFailureShots(GROUP, 'autosubmit', ctx, async () => {
      const page = await popupFor();
      try {
        const box = page.locator('#fill-autosubmit');
        await page.locator('#fill-bound li.fill-item').first().waitFor();
        assert.equal(await box.isChecked(), false, 'off by default');
        await page.locator('.fill-settings summary').click();
        await box.check();
        await waitFor(() => browser.worker.evaluate(async () => (await chrome.storage.sync.get('fill_auto_submit')).fill_auto_submit === true), { what: 'the setting stored' });
      } finally {
        await page.close();
      }
      await login('single');
      const out = await shortcut();
      assert.equal(out.kind, 'filled');
      assert.equal(out.submitted, true);
      await demo.locator('#result', { hasText: 'accepted' }).waitFor({ timeout: 10000 });
      await browser.worker.evaluate(() => chrome.storage.sync.set({ fill_auto_submit: false }));
    }));

  test('look-alike examp1e.test: refused, nothing computed on the key; allowed after the explicit per-domain confirmation',
    withFailureShots(GROUP, 'lookalike', ctx, async () => {
      await login('single', look);
      const from = logSize();
      computations(card); // the card's command log starts here
      const out = await shortcut();
      assert.deepEqual([out.kind, out.reason], ['popup', 'none_bound'], JSON.stringify(out));
      assert.equal(await demo.locator('#otp').inputValue(), '', 'nothing typed');
      await waitFor(() => logSince(from).includes('site.of'), { what: 'the host to log the site lookup' });
      assert.ok(!logSince(from).includes('otp.code'), 'no code was computed on the key');

      const page = await popupFor();
      try {
        await page.waitForSelector('body[data-fill-site="examp1e.test"]');
        await page.locator('#fill-none').waitFor();
        assert.match(await page.locator('#fill-none').textContent(), /No account is bound to this site/);
        assert.equal(await page.locator('#fill-bound li').count(), 0);
        await page.locator('#fill-others li.fill-item .fill-go').first().click();
        await page.locator('#fill-refuse').waitFor();
        assert.equal(await page.locator('#fill-refuse-bound').textContent(), 'demo.test');
        assert.equal(await page.locator('#fill-refuse-current').textContent(), 'examp1e.test');
        assert.equal(await page.evaluate(() => document.activeElement?.id), 'fill-refuse-cancel', 'the safe choice has focus');
        await shot(page, 'refusal');
        assert.ok(!logSince(from).includes('otp.code'), 'still nothing computed');
        assert.deepEqual(computations(card), [], 'no CALCULATE/AUTHENTICATE reached the card');
        // Esc cancels; a second click refuses again; then the explicit confirmation.
        await page.keyboard.press('Escape');
        assert.equal(await page.locator('#fill-refuse').isHidden(), true);
        await page.locator('#fill-others li.fill-item .fill-go').first().click();
        await page.locator('#fill-refuse').waitFor();
        assert.equal(await page.locator('#fill-refuse-add').textContent(), 'Add examp1e.test to this account and fill');
        await page.locator('#fill-refuse-add').click();
        await page.waitForSelector('body[data-fill="ok"]', { timeout: 15000 });
        assert.ok(logSince(from).includes('otp.code'), 'computed after the confirmation');
        assert.deepEqual(computations(card), ['80881100'], 'one TOTP computation on the card');
        // Now bound to both; the next popup lists it first here.
        await page.locator('#fill-bound li.fill-item').first().waitFor();
      } finally {
        await page.close();
      }
      const stored = await browser.worker.evaluate(async () => (await chrome.storage.sync.get('accounts')).accounts);
      const entry = Object.values(stored).find((m) => m.name === ACCOUNT);
      assert.deepEqual([entry.site, entry.sites], ['demo.test', ['examp1e.test']]);
      assert.equal(await verify(), 'accepted');
    }));

  test('a page script cannot trigger a fill or any token operation',
    withFailureShots(GROUP, 'page-script', ctx, async () => {
      await login('single');
      await sleep(500);
      const from = logSize();
      const tried = await demo.evaluate(async (id) => {
        const out = {};
        window.postMessage({ kind: 'fill', tab: 0, key: 'x' }, '*');
        window.postMessage({ kind: 'call', method: 'otp.code', params: {} }, '*');
        for (const type of ['keydown', 'keyup']) {
          document.dispatchEvent(new KeyboardEvent(type, { key: 'L', code: 'KeyL', ctrlKey: true, shiftKey: true, bubbles: true }));
        }
        document.getElementById('otp').dispatchEvent(new MouseEvent('contextmenu', { bubbles: true }));
        out.runtime = typeof globalThis.chrome?.runtime?.sendMessage;
        try { globalThis.chrome.runtime.sendMessage(id, { kind: 'fill' }); out.send = 'sent'; } catch (e) { out.send = String(e.message); }
        try { globalThis.chrome.runtime.connect(id, { name: 'fill' }).postMessage({ kind: 'fill' }); out.connect = 'connected'; } catch (e) { out.connect = String(e.message); }
        try { globalThis.chrome.runtime.connect(id, { name: 'popup' }).postMessage({ kind: 'call', id: 1, method: 'otp.code', params: {} }); out.popup = 'connected'; } catch (e) { out.popup = String(e.message); }
        return out;
      }, EXTENSION_ID);
      assert.equal(tried.runtime, 'undefined', `no extension API in the page: ${JSON.stringify(tried)}`);
      assert.notEqual(tried.send, 'sent');
      assert.notEqual(tried.connect, 'connected');
      await sleep(1500);
      assert.equal(await demo.locator('#otp').inputValue(), '', 'nothing typed');
      assert.ok(!/request/.test(logSince(from)), `no host request after the page's attempts: ${logSince(from).slice(0, 500)}`);
    }));

  test('site bindings export as JSON (names and domains, no secret) and import by merging',
    withFailureShots(GROUP, 'export', ctx, async () => {
      await login('single');
      const page = await popupFor();
      try {
        await page.locator('#fill-bound li.fill-item').first().waitFor();
        await page.locator('.fill-settings summary').click();
        const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#fill-export').click()]);
        assert.equal(download.suggestedFilename(), 'tessera-site-bindings.json');
        const text = readFileSync(await download.path(), 'utf8');
        const exported = JSON.parse(text);
        assert.equal(exported.format, 'tessera-site-bindings');
        const [key, alice] = Object.entries(exported.accounts).find(([, m]) => m.name === ACCOUNT);
        assert.deepEqual([alice.site, alice.sites], ['demo.test', ['examp1e.test']]);
        assert.ok(!text.includes(base32(site.accounts.get(ACCOUNT).key)), 'no secret exported');
        // Import: one more domain for alice; nothing removed, the name kept.
        const file = join(install.base, 'import.json');
        writeFileSync(file, JSON.stringify({ format: 'tessera-site-bindings', version: 1,
          accounts: { [key]: { name: 'renamed', site: 'another.test' } } }));
        await page.locator('#fill-import-file').setInputFiles(file);
        await page.locator('#fill-status', { hasText: 'Imported: 1 site bindings added. Nothing was removed.' }).waitFor();
        let stored = (await browser.worker.evaluate(async () => (await chrome.storage.sync.get('accounts')).accounts))[key];
        assert.deepEqual([stored.name, stored.site, stored.sites], [ACCOUNT, 'demo.test', ['examp1e.test', 'another.test']]);
        writeFileSync(file, '{"format": "something else"}');
        await page.locator('#fill-import-file').setInputFiles(file);
        await page.locator('#fill-status', { hasText: /^Import failed: the file is not a Tessera site-binding export/ }).waitFor();
        stored = (await browser.worker.evaluate(async () => (await chrome.storage.sync.get('accounts')).accounts))[key];
        assert.equal(stored.sites.length, 2, 'a refused import changes nothing');
        await screenshot(page, GROUP, 'import-refused');
      } finally {
        await page.close();
      }
    }));

  test('a PIN account: the shortcut hands over to the popup without computing; the PIN is typed in the popup only',
    withFailureShots(GROUP, 'pin', ctx, async () => {
      const name = 'pat@pin.test';
      const origin = await signUpOn('pin.test', name, 'totp', 'pin');
      await demo.goto(`${origin}/login/single?account=${encodeURIComponent(name)}`);
      const from = logSize();
      const out = await shortcut();
      assert.deepEqual([out.kind, out.reason], ['popup', 'pin'], JSON.stringify(out));
      assert.equal(await browser.worker.evaluate(() => chrome.action.getBadgeText({})), '!');
      await waitFor(() => logSince(from).includes('site.of'), { what: 'the host log' });
      assert.ok(!logSince(from).includes('otp.code'), 'nothing computed without the PIN');
      assert.equal(await demo.locator('#otp').inputValue(), '');
      const page = await popupFor();
      try {
        // Enrollment verified the PIN on the key's held connection: lock the key first.
        const tile = page.locator('#token-list li.tile', { hasText: card.reader });
        await tile.locator('.tile-head .kebab').click();
        await tile.locator('[role=menuitem][data-action="lock"]').click();
        await page.locator('#notice', { hasText: /locked/i }).waitFor({ timeout: 15000 });
        await page.locator('#fill-bound li.fill-item .fill-go').first().click();
        await page.waitForSelector('dialog#dialog[open][data-step="pin"]', { timeout: 15000 });
        assert.match(await page.locator('#fill-status').textContent(), /needs the key's PIN/);
        await screenshot(page, GROUP, 'pin-handover');
        await page.locator('dialog#dialog').getByLabel('PIN', { exact: true }).fill(PINS.factory);
        await page.keyboard.press('Enter');
        await page.waitForSelector('dialog#dialog[open][data-step="code"]', { timeout: 15000 });
        const code = await page.locator('dialog#dialog output.otp-code').getAttribute('data-code');
        assert.match(code, /^\d{6}$/);
        const now = Math.floor(Date.now() / 1000);
        const key = site.accounts.get(name).key;
        assert.ok([now - 30, now, now + 30].some((t) => totp(key, t) === code), 'the key computed the RFC 6238 code');
      } finally {
        await page.close();
      }
    }));

  test('a touch account (HOTP on the Crescendo button): "touch your key" in the popup and on the badge, then filled',
    withFailureShots(GROUP, 'touch', ctx, async () => {
      const name = 'tom@touch.test';
      const origin = await signUpOn('touch.test', name, 'hotp');
      await demo.goto(`${origin}/login/single?account=${encodeURIComponent(name)}`);
      const page = await popupFor();
      try {
        await page.locator('#fill-bound li.fill-item').first().waitFor();
        assert.match(await page.locator('#fill-bound').textContent(), /tom@touch\.test/);
        await page.locator('#fill-bound li.fill-item .fill-go').first().click();
        await page.waitForSelector('body[data-fill="touch"]', { timeout: 15000 });
        assert.match(await page.locator('#fill-status').textContent(), /^Touch your key now \(\d+ s left\)$/);
        await screenshot(page, GROUP, 'touch-wait');
        await page.waitForSelector('body[data-fill="ok"]', { timeout: 40000 });
      } finally {
        await page.close();
      }
      assert.equal(await verify(), 'accepted', 'HOTP filled by popup');
      // Shortcut: the badge asks for the touch while the key waits.
      await demo.goto(`${origin}/login/single?account=${encodeURIComponent(name)}`);
      const badges = new Set();
      const running = shortcut();
      const until = Date.now() + 40000;
      let done = false;
      running.then(() => { done = true; }, () => { done = true; });
      while (!done && Date.now() < until) {
        badges.add(await browser.worker.evaluate(() => chrome.action.getBadgeText({})));
        await sleep(50);
      }
      const out = await running;
      assert.equal(out.kind, 'filled', JSON.stringify(out));
      assert.ok(badges.has('TAP'), `badge during the wait: ${[...badges]}`);
      assert.equal(await verify(), 'accepted', 'HOTP filled by shortcut');
    }));
});
