// E2E: QR capture into Add account (issue 6), in real Chromium against the
// virtual Crescendo Key behind real pcscd + vpcd. The demo site's sign-up page
// shows an enrollment QR; each test reads it one way (visible tab, dragged
// region, page images, clipboard), enrolls it, clicks the new tile and has the
// demo site's own RFC 6238 verifier (independent of Tessera) accept the code.
// A Google Authenticator export with 3 accounts (protobuf encoded here by hand)
// is read from page images below the fold and all 3 are enrolled.
//
// activeTab: a test cannot click the toolbar, so it asks Chromium through CDP
// (Extensions.triggerAction on the page's tab target, what a click on the
// action does: it opens the real popup and grants activeTab for that tab).
// The test then drives the popup page in a popup window the service worker
// opens on `popup.html?tab=ID` (the same window the background opens when it
// cannot open the action popup), since the action popup itself is not a page
// playwright can drive. The real popup is closed again.
// (b″) closes that popup before the drag, as a click into the page does: the
// background then opens the real action popup (chrome.action.openPopup), which
// the test reads and drives over raw CDP (Target.sendMessageToTarget).
// (e) makes the first decoder worker die (test-only init script) to see it restarted.
// (f) the image context menu: headless Chromium shows no context menu, so the
// test calls the function bound to contextMenus.onClicked (a service-worker-only
// hook, as bg-fill.js has) after granting activeTab with the toolbar click.
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import QRCode from 'qrcode';
import {
  EXTENSION_ID, freshInstall, launchChromium, screenshot, startPcscd, startVirtualCard,
  waitFor, withFailureShots,
} from './harness.mjs';
import { PINS, rememberSecret } from './secrets.mjs';
import { base32, hotp, startDemoSite, totp } from '../demo-site/server.mjs';

const GROUP = 'capture';

// ---- a hand-written protobuf encoder for the export (no Tessera code) ----
function varint(n) {
  const out = [];
  let v = BigInt(n);
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v) b |= 0x80;
    out.push(b);
  } while (v);
  return Buffer.from(out);
}
const field = (tag, wire) => varint((tag << 3) | wire);
const bytesField = (tag, buf) => Buffer.concat([field(tag, 2), varint(buf.length), buf]);
const intField = (tag, n) => Buffer.concat([field(tag, 0), varint(n)]);
/** Google Authenticator's MigrationPayload: type 1 HOTP, 2 TOTP; algorithm 1 SHA1; digits 1 six. */
function migrationUri(accounts) {
  const params = accounts.map((a) => bytesField(1, Buffer.concat([
    bytesField(1, a.key), bytesField(2, Buffer.from(a.name)), bytesField(3, Buffer.from(a.issuer)),
    intField(4, 1), intField(5, 1), intField(6, a.kind === 'hotp' ? 1 : 2), intField(7, a.counter ?? 0),
  ])));
  const payload = Buffer.concat([...params, intField(2, 1), intField(3, 1), intField(4, 0), intField(5, 4242)]);
  return `otpauth-migration://offline?data=${encodeURIComponent(payload.toString('base64'))}`;
}

describe('QR capture in Add account', () => {
  let pcscd; let install; let browser; let demo; let exportServer; let cdp;
  const exportAccounts = [
    { issuer: 'Export', name: 'first', kind: 'totp', key: randomBytes(20) },
    { issuer: 'Export', name: 'second', kind: 'totp', key: randomBytes(20) },
    { issuer: 'Export', name: 'third', kind: 'hotp', key: randomBytes(20) },
  ];
  let exportUrl;

  before(async () => {
    for (const a of exportAccounts) { rememberSecret(a.key.toString('hex')); rememberSecret(base32(a.key)); }
    pcscd = await startPcscd();
    install = freshInstall();
    browser = await launchChromium({ ...install, env: { HOME: install.home, XDG_DATA_HOME: '' } });
    demo = await startDemoSite();
    cdp = await browser.context.browser().newBrowserCDPSession();
    // A page with the export's QR as inline SVG below the fold, and an unrelated link QR
    // drawn on a <canvas> above it (the two other kinds of page image).
    const exportSvg = await QRCode.toString(migrationUri(exportAccounts), { type: 'svg', margin: 4 });
    const linkPng = await QRCode.toDataURL('https://example.com/app', { margin: 4, scale: 4 });
    exportServer = createServer((req, res) => res.end(req.url === '/link' ? `<!doctype html><title>Link</title>
<canvas id="link" width="180" height="180"></canvas>
<script>const i = new Image(); i.onload = () => document.getElementById('link').getContext('2d').drawImage(i, 0, 0);
i.src = ${JSON.stringify(linkPng)};</script>` : `<!doctype html><title>Export</title>
<canvas id="link" width="180" height="180"></canvas><div style="height:2400px"></div>
<div id="export" style="width:240px;height:240px">${exportSvg}</div>
<script>const i = new Image(); i.onload = () => document.getElementById('link').getContext('2d').drawImage(i, 0, 0);
i.src = ${JSON.stringify(linkPng)};</script>`));
    await new Promise((ok) => exportServer.listen(0, '127.0.0.1', ok));
    exportUrl = `http://127.0.0.1:${exportServer.address().port}/`;
  });
  after(async () => {
    exportServer?.close();
    demo?.server.close();
    await browser?.close();
    await pcscd?.stop();
    install?.cleanup();
  });
  const ctx = () => browser?.context;

  // Whatever a failed test left: its card (stop() runs once) and its pages.
  const cards = [];
  async function newCard() {
    const card = await startVirtualCard();
    const stop = card.stop;
    let stopping = null;
    card.stop = () => (stopping ??= stop());
    cards.push(card);
    return card;
  }
  afterEach(async () => {
    for (const card of cards.splice(0)) await card.stop().catch(() => {});
    for (const p of browser?.context.pages() ?? []) if (!p.url().startsWith('about:')) await p.close().catch(() => {});
  });

  /** Clicks the toolbar action on `page`'s tab (CDP), closes the real popup; the tab id. */
  async function grantActiveTab(page) {
    const { targetInfos } = await cdp.send('Target.getTargets', { filter: [{}] });
    const url = page.url();
    const tabTarget = targetInfos.find((t) => t.type === 'tab' && t.url === url);
    assert.ok(tabTarget, `a tab target for ${url}`);
    await cdp.send('Extensions.triggerAction', { id: EXTENSION_ID, targetId: tabTarget.targetId });
    const popupTarget = await waitFor(async () => (await cdp.send('Target.getTargets', { filter: [{}] }))
      .targetInfos.find((t) => t.type === 'page' && t.url.endsWith('/popup.html')), { what: 'the action popup' });
    await cdp.send('Target.closeTarget', { targetId: popupTarget.targetId }).catch(() => {});
    // activeTab reveals the tab's URL to the extension: that is how we find its id.
    return waitFor(() => browser.worker.evaluate(async (u) =>
      (await chrome.tabs.query({})).find((t) => t.url === u)?.id, url), { what: 'the granted tab' });
  }

  /** Evaluates `expression` in the action popup (not a page playwright drives) over raw CDP. */
  async function evaluateInActionPopup(expression) {
    const { targetInfos } = await cdp.send('Target.getTargets', { filter: [{}] });
    const target = targetInfos.find((t) => t.type === 'page' && t.url.endsWith('/popup.html'));
    if (!target) return '';
    const { sessionId } = await cdp.send('Target.attachToTarget', { targetId: target.targetId, flatten: false });
    try {
      const answer = new Promise((resolve) => {
        const on = (e) => {
          if (e.sessionId !== sessionId) return;
          const msg = JSON.parse(e.message);
          if (msg.id !== 1) return;
          cdp.off('Target.receivedMessageFromTarget', on);
          resolve(msg.result?.result?.value ?? '');
        };
        cdp.on('Target.receivedMessageFromTarget', on);
      });
      await cdp.send('Target.sendMessageToTarget', {
        sessionId, message: JSON.stringify({ id: 1, method: 'Runtime.evaluate', params: { expression, returnByValue: true } }),
      });
      return await answer;
    } finally {
      await cdp.send('Target.detachFromTarget', { sessionId }).catch(() => {});
    }
  }

  /** The popup in a popup window acting on `tabId` (`extra`: more query parameters). */
  async function openPopupFor(tabId, extra = '') {
    const opened = browser.context.waitForEvent('page', { predicate: (p) => p.url().includes('popup.html?tab=') });
    await browser.worker.evaluate(([id, more]) => chrome.windows.create({
      url: chrome.runtime.getURL(`popup.html?tab=${id}${more}`), type: 'popup', width: 400, height: 700,
    }), [tabId, extra]);
    const popup = await opened;
    await popup.setViewportSize({ width: 380, height: 700 });
    await popup.waitForSelector('body[data-conn="connected"][data-tokens="ready"]', { timeout: 15000 });
    return popup;
  }

  const dialog = (p) => p.locator('dialog#dialog');
  const press = (p, name) => dialog(p).getByRole('button', { name, exact: true }).click();
  const step = (p, s, ms = 15000) => p.waitForSelector(`dialog#dialog[open][data-step="${s}"]`, { timeout: ms });
  async function shot(p, name) {
    await screenshot(p, GROUP, `${name}-light`);
    await p.emulateMedia({ colorScheme: 'dark' });
    await screenshot(p, GROUP, `${name}-dark`);
    await p.emulateMedia({ colorScheme: 'light' });
  }

  /** Submits the form; PIN when asked; the auto button confirms HOTP; waits for done. */
  async function addAccount(popup) {
    // Not while the dialog waits for the host (site.of after a capture): a press then is ignored.
    await popup.waitForSelector('dialog#dialog[open][aria-busy="false"]');
    await press(popup, 'Add account');
    const seen = await waitFor(() => popup.evaluate(() => document.querySelector('dialog#dialog[open]')?.dataset.step)
      .then((s) => (s === 'pin' || s === 'done' ? s : null)), { ms: 40000, what: 'pin or done' });
    if (seen === 'pin') {
      await dialog(popup).getByLabel('PIN', { exact: true }).fill(PINS.factory);
      await popup.keyboard.press('Enter');
    }
    await step(popup, 'done', 40000);
    await dialog(popup).getByText(/^Verified on the key/).waitFor();
  }

  /** Clicks the tile titled `title`; the code it shows. */
  async function codeOf(popup, title) {
    const tile = popup.locator('li.otp-tile', { has: popup.locator('.otp-title', { hasText: title }) });
    await tile.waitFor({ timeout: 15000 });
    // A click while the popup relists the key's accounts (after the previous code) is dropped: again.
    await waitFor(async () => {
      await tile.locator('.otp-main').click();
      return popup.waitForSelector('dialog#dialog[open]', { timeout: 3000 }).then(() => true, () => false);
    }, { ms: 20000, what: `the code dialog of ${title}` });
    await step(popup, 'code', 40000).catch(async (e) => {
      const d = await popup.evaluate(() => { const d = document.querySelector('dialog#dialog'); return `${d.open} ${d.dataset.step} ${d.textContent}`; });
      throw new Error(`${title}: ${d}: ${e.message}`);
    });
    const code = await dialog(popup).locator('output.otp-code').getAttribute('data-code');
    await press(popup, 'Close');
    await popup.waitForSelector('dialog#dialog:not([open])', { state: 'attached' });
    return code;
  }

  /** The demo site's verifier accepts `code` for `account`. */
  async function demoAccepts(account, code) {
    const r = await fetch(`http://127.0.0.1:${demo.port}/verify`, { method: 'POST', body: new URLSearchParams({ account, code }) });
    return r.status === 200;
  }

  /** Sign-up page for `account` in its own tab, activeTab granted, popup open with Add account. */
  async function setUp(account) {
    const card = await newCard();
    const page = await browser.context.newPage();
    await page.setViewportSize({ width: 800, height: 600 });
    await page.goto(`http://127.0.0.1:${demo.port}/signup?account=${encodeURIComponent(account)}`);
    await page.bringToFront();
    rememberSecret(base32(demo.accounts.get(account).key));
    const tabId = await grantActiveTab(page);
    const popup = await openPopupFor(tabId);
    const tile = popup.locator('#token-list li.tile', { hasText: card.reader });
    await tile.locator('section.otp.otp-ready').waitFor({ timeout: 15000 });
    await tile.locator('button.otp-add').click();
    await step(popup, 'form');
    return { card, page, popup, tabId };
  }

  async function finish(account, { card, page, popup }, title) {
    await addAccount(popup);
    await press(popup, 'Done');
    const code = await codeOf(popup, title);
    assert.match(code, /^\d{6}$/);
    const key = demo.accounts.get(account).key;
    const now = Math.floor(Date.now() / 1000);
    assert.ok([now - 30, now, now + 30].some((t) => totp(key, t) === code), 'RFC 6238 of the page\'s secret');
    assert.ok(await demoAccepts(account, code), 'the demo site accepts the key\'s code');
    // The account is bound to the site the QR came from (the tab's URL, via site.of).
    const stored = await popup.evaluate(async () => (await import('./accounts-store.js')).loadAccounts());
    const meta = Object.values(stored ?? {}).find((m) => m.name === account);
    return { meta, cleanup: async () => { await popup.close(); await page.close(); await card.stop(); } };
  }

  test('(a) visible tab: Scan this tab reads the sign-up QR; the tile\'s code is the site\'s',
    withFailureShots(GROUP, 'tab', ctx, async () => {
      const s = await setUp('tab@example.com');
      await shot(s.popup, 'add-capture-buttons');
      const t0 = Date.now();
      await press(s.popup, 'Scan this tab');
      await dialog(s.popup).getByText('TOTP account Tessera Demo:tab@example.com (SHA1, 6 digits)').waitFor();
      console.log(`visible tab: press → preview ${Date.now() - t0} ms`);
      await shot(s.popup, 'tab-read');
      const { meta, cleanup } = await finish('tab@example.com', s, 'Tessera Demo: tab@example.com');
      assert.equal(meta?.site, '127.0.0.1', 'site of the tab the QR came from');
      await cleanup();
    }));

  test('(b) region: drag a rectangle around the QR on the page',
    withFailureShots(GROUP, 'region', ctx, async () => {
      const s = await setUp('region@example.com');
      await press(s.popup, 'Select a region');
      await step(s.popup, 'capturing');
      await shot(s.popup, 'region-waiting');
      await s.page.bringToFront();
      await s.page.waitForSelector('#tessera-region-overlay', { state: 'attached' });
      const box = await s.page.locator('#qr').boundingBox();
      await s.page.mouse.move(box.x - 4, box.y - 4);
      await s.page.mouse.down();
      await s.page.mouse.move(box.x + box.width / 2, box.y + box.height / 2, { steps: 4 });
      await s.page.mouse.move(box.x + box.width + 4, box.y + box.height + 4, { steps: 4 });
      await screenshot(s.page, GROUP, 'region-dragging');
      await s.page.mouse.up();
      await s.popup.bringToFront();
      await dialog(s.popup).getByText('TOTP account Tessera Demo:region@example.com (SHA1, 6 digits)').waitFor();
      await shot(s.popup, 'region-read');
      const { meta, cleanup } = await finish('region@example.com', s, 'Tessera Demo: region@example.com');
      assert.equal(meta?.site, '127.0.0.1');
      await cleanup();
    }));

  test('(b″) region after the popup closed: the background opens the action popup on Add account with the code; added there, the site accepts it',
    withFailureShots(GROUP, 'region-closed', ctx, async () => {
      const s = await setUp('closed@example.com');
      await press(s.popup, 'Select a region');
      await s.page.bringToFront();
      await s.page.waitForSelector('#tessera-region-overlay', { state: 'attached' });
      await s.popup.close(); // what clicking into the page does to the action popup
      const box = await s.page.locator('#qr').boundingBox();
      await s.page.mouse.move(box.x - 4, box.y - 4);
      await s.page.mouse.down();
      await s.page.mouse.move(box.x + box.width + 4, box.y + box.height + 4, { steps: 4 });
      await s.page.mouse.up();
      const found = await waitFor(async () => {
        const contexts = await browser.worker.evaluate(async () => (await chrome.runtime.getContexts({}))
          .map((c) => `${c.contextType} ${c.documentUrl ?? ''}`));
        return contexts.find((c) => /popup\.html/.test(c)) ?? null;
      }, { what: 'a popup opened by the background' });
      assert.match(found, /^POPUP /, 'chrome.action.openPopup, not the fallback window');
      // Playwright does not drive the action popup: read its dialog over raw CDP.
      const dialogText = await waitFor(async () => {
        const text = await evaluateInActionPopup(`(() => { const d = document.querySelector('dialog#dialog');
          return d?.open ? d.dataset.kind + ' ' + d.dataset.step + ' ' + d.textContent : ''; })()`);
        // The site line follows the host's site.of answer.
        return /Tessera Demo:closed@example.com/.test(text) && /Read from a QR code on/.test(text) ? text : null;
      }, { ms: 15000, what: 'Add account in the opened popup' });
      assert.match(dialogText, /^otp_add form /);
      assert.match(dialogText, /Read from a QR code on 127\.0\.0\.1/);
      // Add it from that popup (PIN typed into its field), then check the code from another.
      const stepOf = () => evaluateInActionPopup("document.querySelector('dialog#dialog[open]')?.dataset.step ?? ''");
      await evaluateInActionPopup("document.querySelector('#dlg-actions button[type=submit]').click()");
      const after = await waitFor(async () => ((s2) => (s2 === 'pin' || s2 === 'done' ? s2 : null))(await stepOf()),
        { ms: 30000, what: 'pin or done in the opened popup' });
      if (after === 'pin') {
        await evaluateInActionPopup(`(() => { const i = document.querySelector('dialog#dialog input[name=pin]');
          i.value = ${JSON.stringify(PINS.factory)}; i.dispatchEvent(new Event('input', { bubbles: true }));
          document.querySelector('#dlg-actions button[type=submit]').click(); })()`);
      }
      await waitFor(async () => (await stepOf()) === 'done', { ms: 30000, what: 'done in the opened popup' });
      const popup = await openPopupFor(s.tabId);
      const code = await codeOf(popup, 'Tessera Demo: closed@example.com');
      assert.ok(await demoAccepts('closed@example.com', code), 'the demo site accepts the key\'s code');
      await popup.close();
      await s.page.close(); await s.card.stop();
    }));

  test('(f) context menu "Add to security key" on the QR image: the action popup opens on Add account with it',
    withFailureShots(GROUP, 'menu', ctx, async () => {
      const card = await newCard();
      const page = await browser.context.newPage();
      await page.setViewportSize({ width: 800, height: 600 });
      await page.goto(`http://127.0.0.1:${demo.port}/signup?account=menu@example.com`);
      await page.bringToFront();
      rememberSecret(base32(demo.accounts.get('menu@example.com').key));
      // The menu click grants activeTab; headless Chromium shows no context menu, so the
      // toolbar click grants it and the test calls the function bound to onClicked.
      const tabId = await grantActiveTab(page);
      const src = await page.locator('#qr').getAttribute('src');
      await browser.worker.evaluate(async ([id, srcUrl]) => {
        const tab = await chrome.tabs.get(id);
        await globalThis.tesseraCapture.onMenuClicked(
          { menuItemId: globalThis.tesseraCapture.MENU_ID, srcUrl, frameId: 0, mediaType: 'image' }, tab);
      }, [tabId, src]);
      const text = await waitFor(async () => {
        const t = await evaluateInActionPopup(`(() => { const d = document.querySelector('dialog#dialog');
          return d?.open ? d.dataset.kind + ' ' + d.dataset.step + ' ' + d.textContent : ''; })()`);
        return /Tessera Demo:menu@example.com/.test(t) && /Read from a QR code on 127\.0\.0\.1/.test(t) ? t : null;
      }, { ms: 15000, what: 'Add account with the image\'s account in the opened popup' });
      assert.match(text, /^otp_add form /);
      await page.close(); await card.stop();
    }));

  test('(b′) region: Esc on the overlay cancels and says so',
    withFailureShots(GROUP, 'region-esc', ctx, async () => {
      const s = await setUp('esc@example.com');
      await press(s.popup, 'Select a region');
      await s.page.bringToFront();
      await s.page.waitForSelector('#tessera-region-overlay', { state: 'attached' });
      await s.page.keyboard.press('Escape');
      await s.popup.bringToFront();
      await step(s.popup, 'form');
      await dialog(s.popup).getByText('Region selection cancelled.').waitFor();
      assert.equal(await s.page.locator('#tessera-region-overlay').count(), 0, 'overlay removed');
      await s.popup.close(); await s.page.close(); await s.card.stop();
    }));

  test('(c) page images: Page images finds the sign-up QR',
    withFailureShots(GROUP, 'images', ctx, async () => {
      const s = await setUp('images@example.com');
      await press(s.popup, 'Page images');
      await dialog(s.popup).getByText('TOTP account Tessera Demo:images@example.com (SHA1, 6 digits)').waitFor();
      const { meta, cleanup } = await finish('images@example.com', s, 'Tessera Demo: images@example.com');
      assert.equal(meta?.site, '127.0.0.1');
      await cleanup();
    }));

  test('(d) clipboard: Paste QR image reads an image copied from the page',
    withFailureShots(GROUP, 'clipboard', ctx, async () => {
      const s = await setUp('clip@example.com');
      // Empty clipboard first: the error says what to do.
      const origin = `http://127.0.0.1:${demo.port}`;
      await browser.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin });
      await s.page.bringToFront();
      await s.page.evaluate(() => navigator.clipboard.writeText('no image here'));
      await s.popup.bringToFront();
      await press(s.popup, 'Paste QR image');
      await dialog(s.popup).getByText(/There is no image on the clipboard/).waitFor();
      await shot(s.popup, 'clipboard-empty');
      // "Copy image" on the page's QR.
      await s.page.bringToFront();
      await s.page.evaluate(async () => {
        const blob = await (await fetch(document.getElementById('qr').src)).blob();
        await navigator.clipboard.write([new ClipboardItem({ 'image/png': blob })]);
      });
      await s.popup.bringToFront();
      await press(s.popup, 'Paste QR image');
      await dialog(s.popup).getByText('TOTP account Tessera Demo:clip@example.com (SHA1, 6 digits)').waitFor();
      // A clipboard image has no page: the account takes the popup's tab binding, if any.
      const { cleanup } = await finish('clip@example.com', s, 'Tessera Demo: clip@example.com');
      await cleanup();
    }));

  test('(e) a decoder worker that dies: the error says what to do, the next capture starts a new one',
    withFailureShots(GROUP, 'worker', ctx, async () => {
      const card = await newCard();
      const page = await browser.context.newPage();
      await page.setViewportSize({ width: 800, height: 600 });
      await page.goto(`http://127.0.0.1:${demo.port}/signup?account=worker@example.com`);
      await page.bringToFront();
      rememberSecret(base32(demo.accounts.get('worker@example.com').key));
      const tabId = await grantActiveTab(page);
      // Test-only, in this test's popup page alone: its first worker fails to load (dies at once).
      await browser.context.addInitScript(() => {
        if (!location.search.includes('crash-first-worker')) return;
        const Real = globalThis.Worker;
        let first = true;
        globalThis.Worker = class extends Real {
          constructor(url, options) {
            super(first ? new URL('./no-such-worker.js', location.href) : url, options);
            first = false;
          }
        };
      });
      const popup = await openPopupFor(tabId, '&crash-first-worker');
      try {
        await popup.locator('#token-list button.otp-add').click();
        await step(popup, 'form');
        await press(popup, 'Scan this tab');
        await dialog(popup).getByText(/The QR reader stopped unexpectedly. Try again/).waitFor();
        await shot(popup, 'worker-died');
        await press(popup, 'Scan this tab');
        await dialog(popup).getByText('TOTP account Tessera Demo:worker@example.com (SHA1, 6 digits)').waitFor();
        assert.equal(await dialog(popup).locator('#dlg-error').textContent(), '', 'the error is gone');
      } finally {
        await popup.close(); await page.close(); await card.stop();
      }
    }));

  test('(c′) page images: a link QR on a canvas is explained, not enrolled',
    withFailureShots(GROUP, 'link', ctx, async () => {
      const card = await newCard();
      const page = await browser.context.newPage();
      await page.goto(`${exportUrl}link`);
      await page.bringToFront();
      const popup = await openPopupFor(await grantActiveTab(page));
      try {
        await popup.locator('#token-list button.otp-add').click();
        await step(popup, 'form');
        await press(popup, 'Page images');
        await dialog(popup).getByText(/This QR code is a link to example.com, not an account set-up/).waitFor();
        await shot(popup, 'link-explained');
      } finally {
        await popup.close(); await page.close(); await card.stop();
      }
    }));

  test('export: a 3-account otpauth-migration QR (inline SVG) below the fold, a link QR on a canvas; all 3 enrolled, codes per RFC 4226/6238',
    withFailureShots(GROUP, 'export', ctx, async () => {
      const card = await newCard();
      const page = await browser.context.newPage();
      await page.setViewportSize({ width: 800, height: 600 });
      await page.goto(exportUrl);
      await page.bringToFront();
      const tabId = await grantActiveTab(page);
      const popup = await openPopupFor(tabId);
      try {
        const tile = popup.locator('#token-list li.tile', { hasText: card.reader });
        await tile.locator('section.otp.otp-ready').waitFor({ timeout: 15000 });
        await tile.locator('button.otp-add').click();
        await step(popup, 'form');
        await press(popup, 'Page images');
        // The link QR above is skipped; the export is offered account by account.
        const pick = dialog(popup).getByLabel('Account from the export', { exact: true });
        await pick.waitFor();
        assert.deepEqual(await pick.locator('option').allTextContents(), ['Export:first', 'Export:second', 'Export:third']);
        await shot(popup, 'export-read');
        for (let i = 0; i < 3; i++) {
          assert.equal(await pick.inputValue(), String(i));
          await addAccount(popup);
          if (i < 2) {
            await dialog(popup).getByText(`The export holds more accounts: next is ${i + 2} of 3.`).waitFor();
            if (i === 0) await shot(popup, 'export-next');
            await press(popup, 'Add the next account');
            await step(popup, 'form');
          }
        }
        await press(popup, 'Done');
        const now = Math.floor(Date.now() / 1000);
        for (const a of exportAccounts) {
          const code = await codeOf(popup, `Export: ${a.name}`);
          if (a.kind === 'hotp') {
            assert.equal(code, hotp(a.key, 1), `${a.name}: counter 1 (0 was the check)`);
          } else {
            assert.ok([now - 30, now, now + 30, now + 60].some((t) => totp(a.key, t) === code), `${a.name}: RFC 6238`);
          }
        }
        await shot(popup, 'export-tiles');
      } catch (e) {
        await screenshot(popup, GROUP, 'FAILED-export-popup').catch(() => {});
        throw e;
      } finally {
        await popup.close(); await page.close(); await card.stop();
      }
    }));
});
