// E2E: the popup's OTP view and enrollment (issue 6 "OTP view" + "Manual
// configuration"), in real Chromium against the virtual Crescendo Key behind
// real pcscd + vpcd. Codes are checked against an independent RFC 4226/6238/6287
// implementation here (node:crypto), never against Tessera's own math.
// Screenshots of every state, light and dark, go to test-artifacts/otp/.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import {
  freshInstall, launchChromium, openPopup, screenshot, startPcscd, startVirtualCard,
  waitFor, withFailureShots,
} from './harness.mjs';
import { PINS, rememberSecret } from './secrets.mjs';

const GROUP = 'otp';
/** RFC 4226 Appendix D's key ("12345678901234567890"). */
const RFC_KEY_HEX = '3132333435363738393031323334353637383930';

/** RFC 4648 Base32 without padding. */
function base32(buf) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0; let value = 0; let out = '';
  for (const byte of buf) {
    value = (value << 8) | byte; bits += 8;
    while (bits >= 5) { out += alphabet[(value >>> (bits - 5)) & 31]; bits -= 5; }
  }
  if (bits > 0) out += alphabet[(value << (5 - bits)) & 31];
  return out;
}

/** RFC 4226 HOTP (dynamic truncation) over an 8-byte big-endian message. */
function hotp(key, counter, digits = 6) {
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac('sha1', key).update(msg).digest();
  const off = mac[mac.length - 1] & 0x0f;
  const bin = mac.readUInt32BE(off) & 0x7fffffff;
  return String(bin % 10 ** digits).padStart(digits, '0');
}
/** RFC 6238 TOTP at Unix time `t`. */
const totp = (key, t, period = 30) => hotp(key, Math.floor(t / period));
/** RFC 6287 OCRA-1:HOTP-SHA1-6:QN08 with a numeric question. */
function ocraQN08(key, question) {
  const suite = Buffer.from('OCRA-1:HOTP-SHA1-6:QN08', 'ascii');
  let hex = BigInt(question).toString(16).toUpperCase();
  hex = hex.padEnd(256, '0');
  const msg = Buffer.concat([suite, Buffer.from([0]), Buffer.from(hex, 'hex')]);
  const mac = createHmac('sha1', key).update(msg).digest();
  const off = mac[mac.length - 1] & 0x0f;
  return String((mac.readUInt32BE(off) & 0x7fffffff) % 1e6).padStart(6, '0');
}

describe('OTP in the popup', () => {
  let pcscd; let install; let browser; let server; let clipPage;
  before(async () => {
    rememberSecret(RFC_KEY_HEX);
    pcscd = await startPcscd();
    install = freshInstall();
    browser = await launchChromium({ ...install, env: { HOME: install.home, XDG_DATA_HOME: '' } });
    // The clipboard is read from a plain http page (permissions cannot be
    // granted to the extension's origin, and the extension asks only to write).
    server = createServer((_, res) => res.end('<!doctype html><title>clipboard</title>'));
    await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
    const origin = `http://127.0.0.1:${server.address().port}`;
    await browser.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin });
    clipPage = await browser.context.newPage();
    await clipPage.goto(origin);
  });
  after(async () => {
    server?.close();
    await browser?.close();
    await pcscd?.stop();
    install?.cleanup();
  });
  const ctx = () => browser?.context;

  async function withCard(name, body, options = {}) {
    const card = await startVirtualCard(options);
    const page = await openPopup(browser.context);
    await page.bringToFront();
    await page.setViewportSize({ width: 360, height: 640 });
    try {
      await page.waitForSelector('body[data-conn="connected"][data-tokens="ready"]', { timeout: 15000 });
      const tile = page.locator('#token-list li.tile', { hasText: card.reader });
      await tile.locator('section.otp.otp-ready').waitFor({ timeout: 15000 });
      await body({ page, card, tile });
    } catch (e) {
      await screenshot(page, GROUP, `FAILED-${name}`).catch(() => {});
      throw e;
    } finally {
      await card.stop();
      await page.close();
    }
  }

  const dialog = (page) => page.locator('dialog#dialog');
  const field = (page, label) => dialog(page).getByLabel(label, { exact: true });
  const press = (page, name) => dialog(page).getByRole('button', { name, exact: true }).click();
  const otpTile = (tile, title) => tile.locator('li.otp-tile', { has: tile.page().locator('.otp-title', { hasText: title }) });
  async function dialogStep(page, step, ms = 15000) {
    await page.waitForSelector(`dialog#dialog[open][data-step="${step}"]`, { timeout: ms });
  }
  async function waitClosed(page) {
    await page.waitForSelector('dialog#dialog:not([open])', { state: 'attached', timeout: 10000 });
  }
  async function shot(page, name) {
    await screenshot(page, GROUP, `${name}-light`);
    await page.emulateMedia({ colorScheme: 'dark' });
    await screenshot(page, GROUP, `${name}-dark`);
    await page.emulateMedia({ colorScheme: 'light' });
  }
  async function clipboard(page) {
    await clipPage.bringToFront();
    const text = await clipPage.evaluate(() => navigator.clipboard.readText());
    await page.bringToFront();
    return text;
  }
  const shownCode = (page) => dialog(page).locator('output.otp-code').getAttribute('data-code');

  /** Fills the PIN step (the key wants its PIN for writes) and submits. */
  async function pinStep(page) {
    await dialogStep(page, 'pin');
    await field(page, 'PIN').fill(PINS.factory);
    await page.keyboard.press('Enter');
  }

  test('TOTP from a pasted otpauth URI: tile, code equal to RFC 6238, clipboard; overwrite, PIN prompt, delete',
    withFailureShots(GROUP, 'totp', ctx, async () => {
      await withCard('totp', async ({ page, tile }) => {
        const secret = randomBytes(20);
        const b32 = base32(secret);
        rememberSecret(b32);
        rememberSecret(secret.toString('hex'));
        // Factory key: three empty slots, each offering "Add account".
        assert.equal(await tile.locator('li.otp-tile.empty').count(), 3);
        await shot(page, 'slots-empty');

        // Keyboard: Tab to the section's Add button, Enter opens the dialog.
        await tile.locator('button.otp-add').focus();
        await page.keyboard.press('Enter');
        await dialogStep(page, 'form');
        assert.equal(await page.evaluate(() => document.activeElement?.type), 'radio');
        await field(page, 'otpauth:// link').fill('otpauth://totp/Example:alice?secret=JBSW!&issuer=Example');
        await page.keyboard.press('Enter');
        await page.locator('#f-uri-err').getByText(/secret is missing or not Base32/).waitFor();
        await shot(page, 'add-uri-error');
        await field(page, 'otpauth:// link').fill(`otpauth://totp/Example:alice?secret=${b32}&issuer=Example`);
        await dialog(page).getByText('TOTP account Example:alice (SHA1, 6 digits)').waitFor();
        assert.equal(await dialog(page).locator('#f-slot').inputValue(), '2', 'first free slot that takes TOTP');
        assert.equal(await dialog(page).locator('#f-slot option[value="1"]').getAttribute('disabled'), '', 'slot 1 greyed');
        await shot(page, 'add-uri');
        await press(page, 'Add account');
        await dialogStep(page, 'pin');
        await shot(page, 'add-pin');
        await pinStep(page);
        await dialogStep(page, 'done');
        await dialog(page).getByText(/^Verified on the key/).waitFor();
        await shot(page, 'add-done');
        await press(page, 'Done');
        await waitClosed(page);

        // The tile carries the name the extension keeps for the slot.
        const alice = otpTile(tile, 'Example: alice');
        await alice.waitFor({ timeout: 10000 });
        assert.match(await alice.textContent(), /TOTP/);
        await alice.locator('.otp-main').focus();
        assert.match(await alice.locator('.otp-details').textContent(), /SHA1 · 6 digits · every 30 s/);
        await shot(page, 'tile-totp');

        // Click → code → equals RFC 6238 for this secret now (retry once across a 30 s boundary).
        let ok = false;
        for (let attempt = 0; attempt < 2 && !ok; attempt++) {
          const before = Math.floor(Date.now() / 1000);
          await alice.locator('.otp-main').click();
          await dialogStep(page, 'code');
          const code = await shownCode(page);
          const afterT = Math.floor(Date.now() / 1000);
          if (Math.floor(before / 30) !== Math.floor(afterT / 30)) { await press(page, 'Close'); await waitClosed(page); continue; }
          assert.equal(code, totp(secret, before), 'the key\'s code is RFC 6238\'s');
          await waitFor(async () => (await clipboard(page)) === code, { what: 'the clipboard to hold the code' });
          await waitFor(async () => (await page.locator('#announce').textContent()) === 'Copied', { what: 'Copied announced' });
          assert.match(await dialog(page).locator('.countdown-text').textContent(), /^(Valid for \d+ s|Expired)/);
          ok = true;
        }
        assert.ok(ok, 'a code inside one time window');
        await shot(page, 'code-totp');
        await press(page, 'Close');
        await waitClosed(page);

        // Overwrite: a second URI onto slot 2 names what would be lost; Replace writes it.
        await tile.locator('button.otp-add').click();
        await dialogStep(page, 'form');
        const bob = base32(randomBytes(20));
        rememberSecret(bob);
        await field(page, 'otpauth:// link').fill(`otpauth://totp/Other:bob?secret=${bob}&issuer=Other`);
        await dialog(page).locator('#f-slot').selectOption('2');
        await press(page, 'Add account');
        await dialogStep(page, 'overwrite');
        assert.match(await dialog(page).textContent(), /Example: alice/);
        assert.match(await dialog(page).locator('[data-output="overwrite"]').textContent(), /slot-2 · TOTP/);
        await shot(page, 'add-overwrite');
        await press(page, 'Replace');
        await dialogStep(page, 'done');
        await press(page, 'Done');
        await waitClosed(page);
        await otpTile(tile, 'Other: bob').waitFor();

        // PIN prompt for a code: Lock the key, add an account whose access is PIN, ask for its code.
        await tile.locator('.kebab').first().click();
        await tile.getByRole('menuitem', { name: 'Lock', exact: true }).click();
        await tile.locator('.lock[aria-label^="Locked"]').waitFor();
        await tile.locator('button.otp-add').click();
        await dialogStep(page, 'form');
        await dialog(page).getByLabel('Enter the details').check();
        await field(page, 'Secret encoding').selectOption('hex');
        await field(page, 'Secret').fill(RFC_KEY_HEX);
        await field(page, 'Issuer (site or service)').fill('Bank');
        await field(page, 'Account name').fill('carol');
        await field(page, 'Who may get codes').selectOption('pin');
        assert.equal(await dialog(page).locator('#f-slot').inputValue(), '3');
        await shot(page, 'add-manual');
        await press(page, 'Add account');
        await pinStep(page);
        await dialogStep(page, 'done');
        await press(page, 'Done');
        await waitClosed(page);
        await tile.locator('.kebab').first().click();
        await tile.getByRole('menuitem', { name: 'Lock', exact: true }).click();
        await tile.locator('.lock[aria-label^="Locked"]').waitFor();
        const carol = otpTile(tile, 'Bank: carol');
        await carol.locator('.otp-main').click();
        await dialogStep(page, 'pin');
        await shot(page, 'code-pin');
        await field(page, 'PIN').fill(PINS.factory);
        const t0 = Math.floor(Date.now() / 1000);
        await page.keyboard.press('Enter');
        await dialogStep(page, 'code');
        const code = await shownCode(page);
        const t1 = Math.floor(Date.now() / 1000);
        assert.ok([totp(Buffer.from(RFC_KEY_HEX, 'hex'), t0), totp(Buffer.from(RFC_KEY_HEX, 'hex'), t1)].includes(code));
        await press(page, 'Close');
        await waitClosed(page);

        // Delete with typed confirmation naming the entry.
        await carol.locator('.kebab').click();
        await carol.getByRole('menuitem', { name: 'Delete', exact: true }).click();
        await dialogStep(page, 'form');
        await field(page, 'Type slot-3 to confirm').fill('slot-2');
        await press(page, 'Delete');
        await page.locator('#f-confirm-err').getByText('Type slot-3 exactly to confirm.').waitFor();
        await shot(page, 'delete');
        await field(page, 'Type slot-3 to confirm').fill('slot-3');
        await press(page, 'Delete');
        await waitClosed(page);
        await waitFor(async () => /Account deleted/.test(await page.locator('#notice').textContent()), { what: 'deleted notice' });
        await waitFor(async () => (await tile.locator('li.otp-tile.empty').count()) === 2, { what: 'slot 3 empty again' });
        const stored = await page.evaluate(() => chrome.storage.sync.get('accounts'));
        const keys = Object.keys(stored.accounts);
        assert.ok(keys.some((k) => k.endsWith('/slot-2')) && !keys.some((k) => k.endsWith('/slot-3')), JSON.stringify(keys));
        assert.ok(!JSON.stringify(stored).includes(bob) && !JSON.stringify(stored).includes(RFC_KEY_HEX), 'no secret in storage');
        await shot(page, 'after-delete');
      });
    }));

  test('HOTP by hand on slot 1: "touch your key" until the button is pressed, codes follow RFC 4226',
    withFailureShots(GROUP, 'hotp', ctx, async () => {
      await withCard('hotp', async ({ page, tile, card }) => {
        await tile.locator('li.otp-tile.empty').first().locator('.otp-main').click();
        await dialogStep(page, 'form');
        await dialog(page).getByLabel('Enter the details').check();
        await field(page, 'Type').selectOption('hotp');
        assert.equal(await dialog(page).locator('#f-slot').inputValue(), '1', 'the empty slot clicked');
        await field(page, 'Secret encoding').selectOption('hex');
        await field(page, 'Secret').fill(RFC_KEY_HEX);
        await field(page, 'Account name').fill('button');
        await press(page, 'Add account');
        await pinStep(page);
        await dialogStep(page, 'touch');
        await dialog(page).getByText('Touch your key to confirm').waitFor();
        assert.match(await dialog(page).locator('.touch-seconds').textContent(), /\d+ s left/);
        await shot(page, 'add-touch');
        card.ctl('press');
        await dialogStep(page, 'done');
        await dialog(page).getByText(/^Verified on the key/).waitFor();
        await press(page, 'Done');
        await waitClosed(page);

        const b = otpTile(tile, 'button');
        await b.locator('.otp-main').click();
        await dialogStep(page, 'touch');
        await dialog(page).getByText('Touch your key', { exact: true }).waitFor();
        await shot(page, 'code-touch');
        card.ctl('press');
        await dialogStep(page, 'code');
        assert.equal(await shownCode(page), hotp(Buffer.from(RFC_KEY_HEX, 'hex'), 1), 'counter 1 (0 was the check)');
        assert.equal(await dialog(page).locator('.countdown').isHidden(), true, 'HOTP has no countdown');
        await shot(page, 'code-hotp');
        await press(page, 'Close');
        await waitClosed(page);
      }, { button: 'manual' });
    }));

  test('OCRA: the challenge first, then RFC 6287\'s answer; no touch → clear message and Retry',
    withFailureShots(GROUP, 'ocra', ctx, async () => {
      await withCard('ocra', async ({ page, tile, card }) => {
        await tile.locator('button.otp-add').click();
        await dialogStep(page, 'form');
        await dialog(page).getByLabel('Enter the details').check();
        await field(page, 'Type').selectOption('ocra');
        await field(page, 'OCRA suite').fill('OCRA-1:HOTP-SHA1-6:QX08');
        await field(page, 'Secret encoding').selectOption('hex');
        await field(page, 'Secret').fill(RFC_KEY_HEX);
        await field(page, 'Account name').fill('signing');
        await press(page, 'Add account');
        await page.locator('#f-ocra_suite-err').getByText(/This OCRA suite is not valid/).waitFor();
        await shot(page, 'add-ocra-error');
        await field(page, 'OCRA suite').fill('OCRA-1:HOTP-SHA1-6:QN08');
        await press(page, 'Add account');
        await pinStep(page);
        await dialogStep(page, 'done');
        await press(page, 'Done');
        await waitClosed(page);
        await otpTile(tile, 'signing').locator('.otp-main').click();
        await dialogStep(page, 'challenge');
        await shot(page, 'code-ocra-challenge');
        await field(page, 'Challenge').fill('44444444');
        await page.keyboard.press('Enter');
        await dialogStep(page, 'code');
        assert.equal(await shownCode(page), ocraQN08(Buffer.from(RFC_KEY_HEX, 'hex'), '44444444'));
        assert.equal(await shownCode(page), '608993', 'RFC 6287 Appendix C');
        await shot(page, 'code-ocra');
        await press(page, 'Close');
        await waitClosed(page);

        // Touch never comes: the HOTP button slot times out after 30 s.
        card.ctl('button', 'never');
        await tile.locator('li.otp-tile.empty').first().locator('.otp-main').click();
        await dialogStep(page, 'form');
        await dialog(page).getByLabel('Enter the details').check();
        await field(page, 'Type').selectOption('hotp');
        await field(page, 'Secret encoding').selectOption('hex');
        await field(page, 'Secret').fill(RFC_KEY_HEX);
        await field(page, 'Account name').fill('late');
        await press(page, 'Add account');
        await dialogStep(page, 'form', 45000);
        await dialog(page).locator('#dlg-error').getByText(/not touched in time/).waitFor();
        await shot(page, 'add-touch-timeout');
        await press(page, 'Cancel');
        await waitClosed(page);
      });
    }));
});
