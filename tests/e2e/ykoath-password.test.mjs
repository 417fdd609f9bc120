// E2E: a YKOATH key whose OATH applet has a password, in the popup. The
// password and the account are set by a third-party client (Yubico's ykman,
// .venv/bin/ykman) on the virtual ykoath card behind real pcscd + vpcd; pcscd
// names the vpcd reader like a YubiKey (ykman talks to nothing else, see
// benches/otp-codes.sh). Then in real Chromium: the OTP section is locked with
// an Unlock button; a wrong password shows the error and nothing is retried;
// the right one lists the account; its tile gives the RFC 6238 code computed
// here (node:crypto). Screenshots light + dark go to test-artifacts/ykpass/.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  HOST_LOG, freshInstall, launchChromium, openPopup, screenshot, startPcscd, startVirtualCard,
  waitFor, withFailureShots,
} from './harness.mjs';
import { rememberSecret } from './secrets.mjs';

const GROUP = 'ykpass';
const ROOT = resolve(import.meta.dirname, '../..');
const YKMAN = process.env.YKMAN ?? join(ROOT, '.venv/bin/ykman');
const READER = 'Yubico YubiKey OTP+FIDO+CCID 00 00';
const PASSWORD = `Oath-${randomBytes(6).toString('hex')}`;
const WRONG = `Wrong-${randomBytes(6).toString('hex')}`;

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

/** RFC 6238 TOTP (SHA-1, 6 digits, 30 s) at Unix time `t` (RFC 4226 §5.3 truncation). */
function totp(key, t) {
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(Math.floor(t / 30)));
  const mac = createHmac('sha1', key).update(msg).digest();
  const off = mac[mac.length - 1] & 0x0f;
  return String((mac.readUInt32BE(off) & 0x7fffffff) % 1e6).padStart(6, '0');
}

const ykman = (...args) => execFileSync(YKMAN, ['--reader', READER, ...args],
  { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 30000 });

describe('YKOATH key with an OATH password', () => {
  let pcscd; let install; let browser; let card; let confDir;
  const secret = randomBytes(20);
  before(async () => {
    rememberSecret(PASSWORD);
    rememberSecret(WRONG);
    rememberSecret(base32(secret));
    rememberSecret(secret.toString('hex'));
    // vpcd's first slot (port 35963) under a YubiKey's reader name.
    confDir = mkdtempSync(join(tmpdir(), 'tessera-pcscd-conf-'));
    writeFileSync(join(confDir, 'vpcd'), [
      'FRIENDLYNAME "Yubico YubiKey OTP+FIDO+CCID"',
      'DEVICENAME   /dev/null:0x8C7B',
      'LIBPATH      /usr/lib/pcsc/drivers/serial/libifdvpcd.so',
      'CHANNELID    0x8C7B', ''].join('\n'));
    pcscd = await startPcscd({ configDir: confDir });
    card = await startVirtualCard({ profile: 'ykoath', readerName: READER });
    // Third-party client: account, then the password (ykman derives the key
    // with PBKDF2 and sends SET CODE itself).
    ykman('oath', 'accounts', 'add', '-i', 'Example', 'alice', base32(secret));
    ykman('oath', 'access', 'change', '-n', PASSWORD);
    assert.throws(() => ykman('oath', 'accounts', 'list', '-p', WRONG), /Wrong password|failed/i,
      'ykman itself is refused with a wrong password');
    assert.match(ykman('oath', 'accounts', 'list', '-p', PASSWORD), /Example:alice/);
    install = freshInstall();
    browser = await launchChromium({ ...install, env: { HOME: install.home, XDG_DATA_HOME: '' } });
  });
  after(async () => {
    await browser?.close();
    await card?.stop();
    await pcscd?.stop();
    install?.cleanup();
    if (confDir) rmSync(confDir, { recursive: true, force: true });
  });
  const ctx = () => browser?.context;

  const dialog = (page) => page.locator('dialog#dialog');
  async function dialogStep(page, step, ms = 15000) {
    await page.waitForSelector(`dialog#dialog[open][data-step="${step}"]`, { timeout: ms });
  }
  async function shot(page, name) {
    await screenshot(page, GROUP, `${name}-light`);
    await page.emulateMedia({ colorScheme: 'dark' });
    await screenshot(page, GROUP, `${name}-dark`);
    await page.emulateMedia({ colorScheme: 'light' });
  }

  test('locked section, Unlock dialog, wrong password, right password, RFC 6238 code; password in no log',
    withFailureShots(GROUP, 'unlock', ctx, async () => {
      const page = await openPopup(browser.context);
      await page.bringToFront();
      await page.setViewportSize({ width: 360, height: 640 });
      await page.waitForSelector('body[data-conn="connected"][data-tokens="ready"]', { timeout: 15000 });
      const tile = page.locator('#token-list li.tile', { hasText: READER });
      const section = tile.locator('section.otp');
      await tile.locator('section.otp.otp-locked').waitFor({ timeout: 15000 });
      assert.match(await section.textContent(), /Protected by a password/);
      assert.equal(await section.locator('li.otp-tile').count(), 0, 'no accounts before Unlock');
      const unlock = section.getByRole('button', { name: 'Unlock', exact: true });
      assert.equal(await unlock.getAttribute('aria-describedby'), await section.locator('.otp-message').getAttribute('id'));
      await shot(page, 'locked');

      // Keyboard: focus Unlock, Enter opens the dialog with the field focused.
      await unlock.focus();
      await page.keyboard.press('Enter');
      await dialogStep(page, 'form');
      const input = dialog(page).getByLabel('OATH password', { exact: true });
      assert.equal(await input.getAttribute('type'), 'password', 'never echoed');
      await waitFor(() => input.evaluate((el) => el === document.activeElement), { what: 'the password field focused' });
      await shot(page, 'unlock-dialog');

      // Wrong password: the key refuses, the field says what to do; no retry.
      const hostLines = () => (existsSync(HOST_LOG) ? readFileSync(HOST_LOG, 'utf8').split('\n').length : 0);
      await input.fill(WRONG);
      let t = performance.now();
      await page.keyboard.press('Enter');
      await dialog(page).locator('#f-pin-err').getByText(/Wrong password: the key refused it/).waitFor({ timeout: 15000 });
      console.log(`wrong password → error shown: ${(performance.now() - t).toFixed(0)} ms`);
      assert.equal(await input.inputValue(), '', 'the wrong password is wiped');
      const before = hostLines();
      await page.waitForTimeout(1500);
      const listsAfter = readFileSync(HOST_LOG, 'utf8').split('\n').slice(before).filter((l) => l.includes('otp.list'));
      assert.equal(listsAfter.length, 0, 'nothing retried on its own');
      await shot(page, 'unlock-wrong');

      // Right password: the dialog closes, the account is listed.
      await input.fill(PASSWORD);
      t = performance.now();
      await page.keyboard.press('Enter');
      await page.waitForSelector('dialog#dialog:not([open])', { state: 'attached', timeout: 15000 });
      const alice = tile.locator('li.otp-tile', { has: page.locator('.otp-title', { hasText: 'Example: alice' }) });
      await alice.waitFor({ timeout: 15000 });
      console.log(`right password → account listed: ${(performance.now() - t).toFixed(0)} ms`);
      assert.equal(await section.getAttribute('class'), 'otp otp-ready');
      await waitFor(() => alice.locator('.otp-main').evaluate((el) => el === document.activeElement),
        { what: 'focus on the first account after Unlock' });
      await shot(page, 'unlocked');

      // The tile's code (otp.code carries the kept password) equals RFC 6238 here.
      let ok = false;
      for (let attempt = 0; attempt < 2 && !ok; attempt++) {
        const t0 = Math.floor(Date.now() / 1000);
        await alice.locator('.otp-main').click();
        await dialogStep(page, 'code');
        const code = await dialog(page).locator('output.otp-code').getAttribute('data-code');
        const t1 = Math.floor(Date.now() / 1000);
        await dialog(page).getByRole('button', { name: 'Close', exact: true }).click();
        await page.waitForSelector('dialog#dialog:not([open])', { state: 'attached', timeout: 10000 });
        if (Math.floor(t0 / 30) !== Math.floor(t1 / 30)) continue;
        assert.equal(code, totp(secret, t0), 'the key\'s code is RFC 6238\'s for the secret ykman stored');
        ok = true;
      }
      assert.ok(ok, 'a code inside one time window');

      // The password reached the host (as `pin`) but no log line.
      const log = readFileSync(HOST_LOG, 'utf8');
      assert.ok(log.includes('otp.code'), 'the host logged its calls');
      for (const s of [PASSWORD, WRONG]) assert.ok(!log.includes(s), 'a password in the host log');
      await page.close();
    }));
});
