// E2E: device management in the popup (issue 4 "Features"), in real Chromium,
// against the virtual Crescendo Key behind real pcscd + vpcd. Each test asserts
// what the user sees and the token's resulting state, read with
// `tessera apdu` on the reader (a separate PC/SC client), and saves a
// screenshot of each dialog into test-artifacts/devices/.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createCipheriv } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  TESSERA_BIN, freshInstall, launchChromium, openPopup, screenshot, startPcscd, startVirtualCard,
  waitFor, withFailureShots,
} from './harness.mjs';
import { ADMIN_KEY, PINS, rememberSecret } from './secrets.mjs';

const GROUP = 'devices';
const R0 = 'Virtual PCD 00 00';
const R1 = 'Virtual PCD 00 01';
const SELECT_ACA = '00A4040007A0000000791000';
const SELECT_PIV = '00A4040009A00000030800001000';
const hexPin = (pin) => Buffer.from(pin, 'ascii').toString('hex').toUpperCase().padEnd(16, 'F');

/** Sends APDUs to `reader` in one transaction; returns the responses (hex). */
function apdu(reader, ...commands) {
  const out = execFileSync(TESSERA_BIN, ['apdu', '--reader', reader, ...commands], { encoding: 'utf8' });
  return out.split('\n').filter((l) => l.startsWith('< ')).map((l) => l.slice(2));
}
const sw = (response) => response.slice(-4);
/** The PIN counter as the card reports it: 63Cn (n tries left), 6983 (blocked) or 9000 (verified). */
const pinState = (reader) => sw(apdu(reader, SELECT_ACA, '0020000000').at(-1));
/** VERIFY with `pin` on the ACA (spends a try when wrong). */
const verify = (reader, pin) => sw(apdu(reader, SELECT_ACA, `0020000008${hexPin(pin)}`).at(-1));
/** Blocks the PIN from outside Tessera: wrong PINs until `left` tries remain. */
function spendTries(reader, from, left) {
  for (let n = from; n > left; n--) assert.equal(verify(reader, PINS.wrong), n - 1 ? `63C${n - 1}` : '6983');
}

/** The device id Tessera derives: the first 8 bytes of the PIV CHUID GUID (GET DATA 5FC102). */
function cardId(reader) {
  const [, chuid] = apdu(reader, SELECT_PIV, '00CB3FFF055C035FC10200');
  return /3410([0-9A-F]{16})/.exec(chuid)[1];
}

/** AES-128-ECB of the challenge with the factory admin key: what a helpdesk computes. */
function helpdeskResponse(challengeHex) {
  const c = createCipheriv('aes-128-ecb', Buffer.from(ADMIN_KEY, 'hex'), null);
  c.setAutoPadding(false);
  return Buffer.concat([c.update(Buffer.from(challengeHex, 'hex')), c.final()]).toString('hex').toUpperCase();
}

describe('device management in the popup', () => {
  let pcscd; let install; let browser;
  before(async () => {
    pcscd = await startPcscd();
    install = freshInstall();
    // The host keeps PIN policies under $HOME: a throw-away one per run.
    browser = await launchChromium({ ...install, env: { HOME: install.home, XDG_DATA_HOME: '', TESSERA_ADMIN_POLICY: adminPolicy() } });
  });
  after(async () => {
    await browser?.close();
    await pcscd?.stop();
    install?.cleanup();
  });
  const ctx = () => browser?.context;

  /** A fresh card (factory state), no stored PIN policy, and a popup showing its tile. */
  async function withCard(name, body, options = {}) {
    // Fresh virtual cards may share an id: forget the policies earlier tests stored.
    rmSync(policies(), { force: true });
    const card = await startVirtualCard(options);
    const page = await openPopup(browser.context);
    try {
      await page.waitForSelector('body[data-conn="connected"][data-tokens="ready"]', { timeout: 15000 });
      const tile = tileOf(page, card.reader);
      await tile.locator('.lock').waitFor({ timeout: 10000 });
      const id = await tile.getAttribute('data-device');
      assert.equal(id, cardId(card.reader), 'the tile shows this card, not one read earlier');
      await body({ page, card, tile, id, reader: card.reader });
    } catch (e) {
      await screenshot(page, GROUP, `FAILED-${name}`).catch(() => {});
      throw e;
    } finally {
      // Pulled while a popup is open: the host hears of it (it caches tokens per reader and ATR).
      await card.stop();
      await page.close();
    }
  }

  const policies = () => join(install.home, '.local/share/tessera/pin-policies.json');
  /** The administrator's policy file the host reads (machine-wide in real life). */
  const adminPolicy = () => join(install.home, 'admin-policy.json');
  const tileOf = (page, reader) => page.locator('#token-list li.tile', { hasText: reader });
  const dialog = (page) => page.locator('dialog#dialog');
  const lockLabel = (tile) => tile.locator('.lock').getAttribute('aria-label');

  async function waitLock(tile, label) {
    await tile.locator(`.lock[aria-label="${label}"]`).waitFor({ timeout: 10000 });
  }

  /** Opens the kebab menu of `tile` and picks `item`. */
  async function menu(page, tile, item) {
    await tile.locator('.kebab').click();
    await tile.getByRole('menuitem', { name: item, exact: true }).click();
    if (!['Lock', 'Clear cache'].includes(item)) await dialog(page).waitFor({ state: 'visible' });
  }

  async function dialogStep(page, step) {
    await page.waitForSelector(`dialog#dialog[open][data-step="${step}"]:not([aria-busy="true"])`, { timeout: 10000 });
  }

  const field = (page, label) => dialog(page).getByLabel(label, { exact: true });
  const fieldError = (page, name) => page.locator(`#f-${name}-err`);
  const press = (page, name) => dialog(page).getByRole('button', { name, exact: true }).click();
  const notice = (page) => page.locator('#notice');

  async function waitNotice(page, re) {
    await waitFor(async () => re.test(await notice(page).textContent()), { what: `notice ${re}` });
  }

  async function waitClosed(page) {
    await page.waitForSelector('dialog#dialog:not([open])', { state: 'attached', timeout: 10000 });
  }

  async function shot(page, name, dark = false) {
    await screenshot(page, GROUP, `${name}-light`);
    if (dark) {
      await page.emulateMedia({ colorScheme: 'dark' });
      await screenshot(page, GROUP, `${name}-dark`);
      await page.emulateMedia({ colorScheme: 'light' });
    }
  }

  test('authenticate: keyboard menu, Esc, wrong PIN shows tries left, the right PIN is accepted',
    withFailureShots(GROUP, 'authenticate', ctx, async () => {
      await withCard('authenticate', async ({ page, tile, reader }) => {
        assert.equal(await lockLabel(tile), 'Locked, 6 tries left');
        await shot(page, 'tile', true);
        // Keyboard: the kebab is a menu button; arrows move, Esc closes and gives focus back.
        const kebab = tile.locator('.kebab');
        assert.equal(await kebab.getAttribute('aria-haspopup'), 'menu');
        assert.match(await kebab.getAttribute('aria-label'), /^Actions for HID Crescendo Key, ID [0-9A-F]{16}$/);
        await kebab.focus();
        await page.keyboard.press('Enter');
        assert.equal(await kebab.getAttribute('aria-expanded'), 'true');
        const focusedItem = () => page.evaluate(() => document.activeElement?.querySelector('.menuitem-label')?.textContent);
        assert.equal(await focusedItem(), 'Authenticate');
        await page.keyboard.press('ArrowDown');
        assert.equal(await focusedItem(), 'Change PIN');
        await page.keyboard.press('End');
        assert.equal(await focusedItem(), 'Key button…', 'the key button last: the key has OATH slots');
        await page.keyboard.press('ArrowUp');
        assert.equal(await focusedItem(), 'FIDO (passkeys)', 'FIDO before it: the key has the FIDO app');
        await page.keyboard.press('End');
        await page.keyboard.press('ArrowDown');
        assert.equal(await focusedItem(), 'Authenticate', 'wraps around');
        await shot(page, 'menu', true);
        await page.keyboard.press('Escape');
        assert.equal(await kebab.getAttribute('aria-expanded'), 'false');
        assert.equal(await page.evaluate(() => document.activeElement?.classList.contains('kebab')), true);
        await page.keyboard.press('ArrowDown');
        await page.keyboard.press('Enter');
        await dialogStep(page, 'form');
        assert.equal(await page.evaluate(() => document.activeElement?.id), 'f-pin', 'focus in the PIN field');
        assert.equal(await dialog(page).locator('#dlg-title').textContent(), 'Authenticate');

        // Wrong PIN: tries left, never retried.
        await page.keyboard.type(PINS.wrong);
        await page.keyboard.press('Enter');
        await fieldError(page, 'pin').getByText('Wrong PIN: 5 tries left. Check it and try again.').waitFor();
        assert.equal(await field(page, 'PIN').getAttribute('aria-invalid'), '');
        assert.match(await field(page, 'PIN').getAttribute('aria-describedby'), /f-pin-err/);
        assert.equal(await field(page, 'PIN').inputValue(), '', 'the wrong PIN is wiped');
        await waitLock(tile, 'Locked, 5 tries left');
        assert.equal(pinState(reader), '63C5', 'one try spent, not more');
        await shot(page, 'authenticate-wrong-pin', true);

        await field(page, 'PIN').fill(PINS.factory);
        await page.keyboard.press('Enter');
        await waitClosed(page);
        await waitNotice(page, /^PIN verified on HID Crescendo Key\.$/);
        assert.equal(await page.evaluate(() => document.activeElement?.classList.contains('kebab')), true, 'focus back on the menu button');
        // The card stays verified (the host leaves the card, it does not reset it).
        await waitLock(tile, 'PIN verified');
        assert.equal(pinState(reader), '9000');
        await shot(page, 'verified');

        // Esc closes a dialog and gives focus back (verified: the menu offers Lock, so use Change PIN).
        await menu(page, tile, 'Change PIN');
        await page.keyboard.press('Escape');
        await waitClosed(page);
        assert.equal(await page.evaluate(() => document.activeElement?.classList.contains('kebab')), true);
      });
    }));

  test('the lock stays open after Authenticate, and Lock closes it',
    withFailureShots(GROUP, 'lock', ctx, async () => {
    await withCard('lock', async ({ page, tile, reader }) => {
      await menu(page, tile, 'Authenticate');
      await field(page, 'PIN').fill(PINS.factory);
      await page.keyboard.press('Enter');
      await waitClosed(page);
      await waitLock(tile, 'PIN verified');
      assert.equal(pinState(reader), '9000', 'the card is verified');
      await shot(page, 'tile-verified');
      await menu(page, tile, 'Lock');
      await waitNotice(page, /^HID Crescendo Key is locked\.$/);
      await waitLock(tile, 'Locked, 6 tries left');
      assert.equal(pinState(reader), '63C6');
    });
  }));

  test('last try asks for confirmation; a blocked PIN leads to Unblock with the admin key',
    withFailureShots(GROUP, 'unblock-admin', ctx, async () => {
      await withCard('unblock-admin', async ({ page, tile, reader }) => {
        spendTries(reader, 6, 1);
        await page.reload();
        await waitLock(tileOf(page, reader), 'Locked, 1 try left');
        await menu(page, tile, 'Authenticate');
        await dialogStep(page, 'form');
        await dialog(page).getByText('This is your last try.', { exact: false }).waitFor();
        await field(page, 'PIN').fill(PINS.wrong);
        await page.keyboard.press('Enter');
        await fieldError(page, 'last_try').getByText(/Tick the box to use your last try/).waitFor();
        assert.equal(pinState(reader), '63C1', 'nothing sent without the confirmation');
        await shot(page, 'authenticate-last-try', true);
        await field(page, 'I understand: use my last try').check();
        await press(page, 'Unlock');
        await dialogStep(page, 'blocked');
        await dialog(page).getByText(/The PIN is blocked after too many wrong tries/).waitFor();
        assert.equal(pinState(reader), '6983', 'blocked');
        await waitLock(tile, 'PIN blocked');
        await shot(page, 'authenticate-blocked');

        // The tile leads to Unblock; other actions say why they are unavailable.
        await page.keyboard.press('Escape');
        await waitClosed(page);
        assert.equal(await tile.locator('.tile-notice').textContent(), 'The PIN is blocked. Unblock it to use this key again.');
        await tile.locator('.kebab').click();
        const auth = tile.getByRole('menuitem', { name: 'Authenticate', exact: true });
        assert.equal(await auth.getAttribute('aria-disabled'), 'true');
        assert.equal(await tile.locator(`#${await auth.getAttribute('aria-describedby')}`).textContent(), 'Unblock the PIN first');
        await shot(page, 'menu-blocked');
        await auth.click({ force: true });
        assert.equal(await dialog(page).isVisible(), false, 'a disabled item does nothing');
        await page.keyboard.press('Escape');
        await tile.getByRole('button', { name: 'Unblock PIN', exact: true }).click();
        await dialogStep(page, 'form');
        assert.equal(await dialog(page).locator('#dlg-title').textContent(), 'Unblock PIN');
        assert.equal(await field(page, 'Admin key').isChecked(), true, 'admin key first on a Crescendo Key');

        // A wrong admin key: clear message, secrets wiped.
        await field(page, 'Admin key (hexadecimal)').fill('11'.repeat(16));
        await field(page, 'New PIN').fill(PINS.unblocked);
        await field(page, 'Repeat the new PIN').fill(PINS.unblocked);
        await press(page, 'Unblock PIN');
        await fieldError(page, 'key').getByText(/The admin key is wrong/).waitFor();
        assert.equal(await field(page, 'New PIN').inputValue(), '');
        assert.equal(pinState(reader), '6983', 'still blocked');
        await shot(page, 'unblock-wrong-key', true);

        await field(page, 'Admin key (hexadecimal)').fill(ADMIN_KEY.replace(/(.{8})/g, '$1 ').trim());
        await field(page, 'New PIN').fill(PINS.unblocked);
        await field(page, 'Repeat the new PIN').fill(PINS.unblocked);
        await press(page, 'Unblock PIN');
        await waitClosed(page);
        await waitNotice(page, /^PIN unblocked on HID Crescendo Key\. Use the new PIN from now on\.$/);
        assert.equal(await tile.locator('.tile-notice').count(), 0);
        assert.equal(verify(reader, PINS.unblocked), '9000', 'the new PIN works');
      });
    }));

  test('helpdesk unblock: the challenge is shown, its AES response unblocks',
    withFailureShots(GROUP, 'unblock-helpdesk', ctx, async () => {
      await withCard('unblock-helpdesk', async ({ page, tile, reader }) => {
        spendTries(reader, 6, 0);
        await page.reload();
        await waitLock(tileOf(page, reader), 'PIN blocked');
        await tile.getByRole('button', { name: 'Unblock PIN', exact: true }).click();
        await dialogStep(page, 'form');
        await field(page, 'Helpdesk (challenge and response)').check();
        const challengeBox = dialog(page).locator('[data-output="challenge"]');
        await challengeBox.waitFor();
        const first = (await challengeBox.textContent()).replace(/\s/g, '');
        assert.match(first, /^[0-9A-F]{32}$/, 'a 16-byte challenge (AES admin key)');
        await dialog(page).getByText(/Read this challenge to your helpdesk/).waitFor();
        await shot(page, 'unblock-challenge', true);

        // A wrong response: the card spent the challenge, a new one is shown.
        await field(page, 'Response from your helpdesk').fill('00'.repeat(16));
        await field(page, 'New PIN').fill(PINS.unblocked);
        await field(page, 'Repeat the new PIN').fill(PINS.unblocked);
        await press(page, 'Unblock PIN');
        await dialog(page).locator('#dlg-error').getByText(/does not match the challenge/).waitFor();
        await waitFor(async () => (await challengeBox.textContent()).replace(/\s/g, '') !== first, { what: 'a new challenge' });
        assert.equal(pinState(reader), '6983');

        const challenge = (await challengeBox.textContent()).replace(/\s/g, '');
        const response = helpdeskResponse(challenge);
        rememberSecret(response);
        await field(page, 'Response from your helpdesk').fill(response);
        await field(page, 'New PIN').fill(PINS.unblocked);
        await field(page, 'Repeat the new PIN').fill(PINS.unblocked);
        await press(page, 'Unblock PIN');
        await waitClosed(page);
        await waitNotice(page, /^PIN unblocked on HID Crescendo Key/);
        assert.equal(verify(reader, PINS.unblocked), '9000');
      });
    }));

  test('PIN policy: card limits shown, weak PINs refused; Change PIN enforces it before sending',
    withFailureShots(GROUP, 'policy', ctx, async () => {
      await withCard('policy', async ({ page, tile, reader, id }) => {
        await menu(page, tile, 'PIN policy');
        await dialogStep(page, 'form');
        await dialog(page).getByText('This key allows PINs of 4 to 8 digits; a policy stays within that.').waitFor();
        assert.equal(await field(page, 'Characters').isDisabled(), true, 'the card takes digits only');
        assert.equal(await field(page, 'FIDO uses the same PIN').isDisabled(), true, 'Personalize only');
        await field(page, 'Minimum length').fill('2');
        await press(page, 'Save policy');
        await fieldError(page, 'min_len').getByText('Enter a number from 4 to 8.').waitFor();
        await field(page, 'Minimum length').fill('6');
        await field(page, 'Refuse weak PINs').check();
        await shot(page, 'pin-policy', true);
        await press(page, 'Save policy');
        await waitClosed(page);
        await waitNotice(page, /^PIN policy saved\.$/);
        const stored = JSON.parse(readFileSync(policies(), 'utf8'));
        assert.equal(stored[id].policy.min_len, 6);
        assert.equal(stored[id].policy.refuse_weak, true);

        await menu(page, tile, 'Change PIN');
        await dialogStep(page, 'form');
        const rules = dialog(page).locator('#dlg-rules li');
        assert.deepEqual(await rules.locator('.rule-text').allTextContents(), [
          '6 to 8 digits', 'No repeated or evenly stepping characters (1111, 1234, ABCD)', 'Different from the current PIN',
        ]);
        assert.match(await field(page, 'New PIN').getAttribute('aria-describedby'), /dlg-rules/, 'the policy describes the field');
        await field(page, 'Current PIN').fill(PINS.factory);
        await field(page, 'New PIN').fill('123456');
        await field(page, 'Repeat the new PIN').fill('123456');
        assert.deepEqual(await rules.evaluateAll((lis) => lis.map((li) => li.className)), ['met', 'unmet', 'met']);
        await press(page, 'Change PIN');
        await fieldError(page, 'new').getByText(/Too easy to guess/).waitFor();
        assert.equal(pinState(reader), '63C6', 'nothing reached the card');
        await shot(page, 'change-pin-weak', true);
        await field(page, 'New PIN').fill('2580');
        await press(page, 'Change PIN');
        await fieldError(page, 'new').getByText('At least 6 digits.').waitFor();
        await field(page, 'New PIN').fill(PINS.changed);
        await press(page, 'Change PIN');
        await fieldError(page, 'confirm_new').getByText(/The two new PINs differ/).waitFor();
        assert.equal(pinState(reader), '63C6');

        // A wrong current PIN costs one try and says so.
        await field(page, 'Current PIN').fill(PINS.wrong);
        await field(page, 'Repeat the new PIN').fill(PINS.changed);
        await press(page, 'Change PIN');
        await fieldError(page, 'old').getByText('Wrong PIN: 5 tries left. Check it and try again.').waitFor();
        assert.equal(pinState(reader), '63C5');

        await field(page, 'Current PIN').fill(PINS.factory);
        await field(page, 'New PIN').fill(PINS.changed);
        await field(page, 'Repeat the new PIN').fill(PINS.changed);
        await press(page, 'Change PIN');
        await waitClosed(page);
        await waitNotice(page, /^PIN changed on HID Crescendo Key\. Use the new PIN from now on\.$/);
        assert.equal(verify(reader, PINS.factory), '63C5', 'the old PIN is gone');
        assert.equal(verify(reader, PINS.changed), '9000', 'the new PIN works');
      });
    }));

  test('forced PIN change: the popup demands a new PIN before anything else',
    withFailureShots(GROUP, 'force-change', ctx, async () => {
      await withCard('force-change', async ({ page, tile, reader }) => {
        await menu(page, tile, 'PIN policy');
        await dialogStep(page, 'form');
        await field(page, 'Require a PIN change at next use').check();
        await press(page, 'Save policy');
        // The saved policy makes the popup open Change PIN at once.
        await page.waitForSelector('dialog#dialog[open][data-kind="change_pin"][data-step="form"]', { timeout: 10000 });
        await dialog(page).getByText(/requires a new PIN before you use this key/).waitFor();
        await shot(page, 'change-pin-forced', true);
        await page.keyboard.press('Escape');
        await waitClosed(page);
        assert.equal(await tile.locator('.tile-notice').textContent(), 'Your PIN policy requires a new PIN before you can use this key.');
        await tile.locator('.kebab').click();
        const puk = tile.getByRole('menuitem', { name: 'View PUK', exact: true });
        assert.equal(await puk.getAttribute('aria-disabled'), 'true');
        assert.equal(await tile.locator(`#${await puk.getAttribute('aria-describedby')}`).textContent(), 'Change your PIN first');
        await shot(page, 'menu-must-change');
        await page.keyboard.press('Escape');
        await tile.getByRole('button', { name: 'Change PIN', exact: true }).click();
        await dialogStep(page, 'form');
        await field(page, 'Current PIN').fill(PINS.factory);
        await field(page, 'New PIN').fill(PINS.changed);
        await field(page, 'Repeat the new PIN').fill(PINS.changed);
        await press(page, 'Change PIN');
        await waitClosed(page);
        await waitNotice(page, /^PIN changed/);
        await tile.locator('.tile-notice').waitFor({ state: 'detached' });
        assert.equal(verify(reader, PINS.changed), '9000');
      });
    }));

  test('personalize: recycle, policy, new PIN, the PUK shown once; View PUK shows it after the PIN',
    withFailureShots(GROUP, 'personalize', ctx, async () => {
      await withCard('personalize', async ({ page, card, tile, reader, id }) => {
        await menu(page, tile, 'Personalize…');
        await dialogStep(page, 'start');
        await dialog(page).getByText('Step 1 of 4').waitFor();
        await field(page, 'Recycle the key first (erase everything on it)').check();
        const confirm = field(page, `To confirm, type the device ID ${id}`);
        await confirm.waitFor();
        await confirm.fill('not the id');
        await field(page, 'Current PIN').fill(PINS.factory);
        await shot(page, 'personalize-1-start', true);
        await press(page, 'Next');
        await fieldError(page, 'confirm').getByText(`Type the device ID exactly as shown: ${id}`).waitFor();
        await confirm.fill(id.toLowerCase());
        await press(page, 'Next');
        await dialogStep(page, 'policy');
        assert.equal(await field(page, 'FIDO uses the same PIN').isDisabled(), false, 'settable while personalizing');
        await field(page, 'Refuse weak PINs').check();
        await field(page, 'FIDO uses the same PIN').check();
        await shot(page, 'personalize-2-policy');
        await press(page, 'Next');
        await dialogStep(page, 'pin');
        await field(page, 'New PIN').fill('13579');
        await field(page, 'Repeat the new PIN').fill('13579');
        await press(page, 'Personalize');
        await fieldError(page, 'new').getByText(/Too easy to guess/).waitFor();
        assert.equal(pinState(reader), '63C6', 'nothing happened to the key yet');
        await field(page, 'New PIN').fill(PINS.personalised);
        await field(page, 'Repeat the new PIN').fill(PINS.personalised);
        await shot(page, 'personalize-3-pin');
        // A slow key (its process paused): the primary button shows progress and Esc waits.
        process.kill(card.pid, 'SIGSTOP');
        try {
          await press(page, 'Personalize');
          const busy = dialog(page).locator('button[aria-busy="true"]');
          await busy.waitFor();
          assert.equal(await busy.getAttribute('aria-disabled'), 'true');
          assert.equal(await busy.locator('.spinner').count(), 1);
          assert.equal(await dialog(page).getAttribute('aria-busy'), 'true');
          await page.keyboard.press('Escape');
          assert.equal(await dialog(page).isVisible(), true, 'no closing while the key is being written');
          await shot(page, 'personalize-busy');
        } finally {
          process.kill(card.pid, 'SIGCONT');
        }
        await dialogStep(page, 'puk');
        const puk = await dialog(page).locator('[data-output="puk"]').textContent();
        assert.match(puk, /^\d{8}$/);
        rememberSecret(puk);
        await dialog(page).getByText(/Tessera shows it only this once here/).waitFor();
        const finish = dialog(page).getByRole('button', { name: 'Finish', exact: true });
        assert.equal(await finish.getAttribute('aria-disabled'), 'true', 'Finish waits for the acknowledgement');
        await shot(page, 'personalize-4-puk', true);
        await page.keyboard.press('Escape');
        await dialog(page).locator('#dlg-error').getByText(/the PUK is not shown again here/).waitFor();
        assert.equal(await dialog(page).isVisible(), true, 'Esc does not skip the PUK');
        await field(page, 'I wrote my PUK down and stored it safely').check();
        await finish.click();
        await waitClosed(page);
        await waitNotice(page, /^HID Crescendo Key is personalized\./);
        assert.equal(verify(reader, PINS.personalised), '9000', 'the new PIN works');
        // A recycle gives the key a new CHUID, hence a new device id.
        const newId = await tile.getAttribute('data-device');
        const stored = JSON.parse(readFileSync(policies(), 'utf8'));
        assert.equal(stored[newId].policy.fido_shared, true);
        // The FIDO PIN followed (shared PIN): a third-party-style CTAP call with it works.
        const fido = JSON.parse(execFileSync(TESSERA_BIN, ['fido', 'credentials', 'list', '--device', reader, '--json'],
          { input: `${PINS.personalised}\n`, encoding: 'utf8' }));
        assert.ok(fido.metadata, 'the personalised PIN opens the FIDO credential list');

        // View PUK after the PIN (a wrong one first: tries left, no PUK). Lock first:
        // personalising left the key verified.
        await menu(page, tile, 'Lock');
        await waitLock(tile, 'Locked, 6 tries left');
        await menu(page, tile, 'View PUK');
        await dialogStep(page, 'form');
        await field(page, 'PIN').fill(PINS.wrong);
        await press(page, 'Show PUK');
        await fieldError(page, 'pin').getByText('Wrong PIN: 5 tries left. Check it and try again.').waitFor();
        assert.equal(await dialog(page).locator('[data-output="puk"]').count(), 0);
        await field(page, 'PIN').fill(PINS.personalised);
        await press(page, 'Show PUK');
        await dialogStep(page, 'result');
        assert.equal(await dialog(page).locator('[data-output="puk"]').textContent(), puk, 'the PUK stored on the key');
        assert.equal(await dialog(page).getByRole('button', { name: 'Copy', exact: true }).isVisible(), true);
        await shot(page, 'view-puk', true);
        await press(page, 'Done');
        await waitClosed(page);
      });
    }));

  test('pairing code after the PIN, as the card holds it', withFailureShots(GROUP, 'pairing', ctx, async () => {
    await withCard('pairing', async ({ page, tile, reader }) => {
      await menu(page, tile, 'Pairing code');
      await dialogStep(page, 'form');
      await shot(page, 'pairing-code-pin');
      await field(page, 'PIN').fill(PINS.factory);
      await press(page, 'Show code');
      await dialogStep(page, 'result');
      const code = await dialog(page).locator('[data-output="code"]').textContent();
      assert.match(code, /^\d{8}$/);
      rememberSecret(code);
      await dialog(page).getByText(/Enter this code on the computer or phone/).waitFor();
      await shot(page, 'pairing-code', true);
      await press(page, 'Done');
      await waitClosed(page);
      // The card's own copy (PIV GET DATA 5FC123 after the PIN).
      const [, , data] = apdu(reader, SELECT_PIV, `0020008008${hexPin(PINS.factory)}`, '00CB3FFF055C035FC12300');
      const digits = /9908([0-9A-F]{16})/.exec(data)[1];
      assert.equal(Buffer.from(digits, 'hex').toString('ascii'), code);
    });
  }));

  test('clear cache: the host forgets and re-reads; the key is untouched', withFailureShots(GROUP, 'cache', ctx, async () => {
    await withCard('cache', async ({ page, tile, reader, id }) => {
      await menu(page, tile, 'Clear cache');
      await waitNotice(page, /^Cache cleared: Tessera read your keys again\.$/);
      assert.equal(await tile.getAttribute('data-device'), id, 'read again: the same key');
      assert.equal(await lockLabel(tile), 'Locked, 6 tries left');
      assert.equal(pinState(reader), '63C6');
      await shot(page, 'clear-cache');
    });
  }));

  test('recycle needs the typed device id and restores the factory PIN', withFailureShots(GROUP, 'recycle', ctx, async () => {
    await withCard('recycle', async ({ page, tile, reader, id }) => {
      // Someone changed the PIN (ACA CHANGE PIN, outside Tessera).
      assert.equal(sw(apdu(reader, SELECT_ACA, `0024010010${hexPin(PINS.factory)}${hexPin(PINS.changed)}`).at(-1)), '9000');
      // …and logged out (PIV VERIFY P1=FF), as a program that leaves the card would.
      assert.equal(sw(apdu(reader, SELECT_PIV, '0020FF80').at(-1)), '9000');
      await page.reload();
      await menu(page, tileOf(page, reader), 'Recycle…');
      await dialogStep(page, 'form');
      await dialog(page).getByText(/Recycling erases everything on this key.*factory PIN 00000000/).waitFor();
      await field(page, 'PIN').fill(PINS.changed);
      await field(page, `To confirm, type the device ID ${id}`).fill(id.slice(0, -1));
      await press(page, 'Recycle key');
      await fieldError(page, 'confirm').getByText(`Type the device ID exactly as shown: ${id}`).waitFor();
      assert.equal(verify(reader, PINS.changed), '9000', 'nothing was recycled');
      await shot(page, 'recycle', true);
      await field(page, `To confirm, type the device ID ${id}`).fill(id);
      await press(page, 'Recycle key');
      await waitClosed(page);
      await waitNotice(page, /^HID Crescendo Key was recycled\. Its PIN is now 00000000/);
      assert.equal(verify(reader, PINS.factory), '9000', 'factory PIN');
    });
  }));

  test('two keys at once: both tiles; an operation on one never touches the other',
    withFailureShots(GROUP, 'two-keys', ctx, async () => {
      const second = await startVirtualCard({ vpcd: '127.0.0.1:35964' });
      try {
        await withCard('two-keys', async ({ page, tile, reader, id }) => {
          const other = tileOf(page, R1);
          await waitLock(other, 'Locked, 6 tries left');
          const otherId = await other.getAttribute('data-device');
          assert.equal(otherId, cardId(R1));
          assert.notEqual(otherId, id);
          assert.equal(reader, R0);
          await shot(page, 'two-keys', true);
          await menu(page, tile, 'Authenticate');
          await field(page, 'PIN').fill(PINS.wrong);
          await press(page, 'Unlock');
          await fieldError(page, 'pin').getByText(/5 tries left/).waitFor();
          await page.keyboard.press('Escape');
          assert.equal(pinState(R0), '63C5');
          assert.equal(pinState(R1), '63C6', 'the other key is untouched');
          await waitLock(other, 'Locked, 6 tries left');
          await menu(page, other, 'Change PIN');
          await dialogStep(page, 'form');
          assert.match(await dialog(page).locator('#dlg-subtitle').textContent(), new RegExp(otherId));
          await field(page, 'Current PIN').fill(PINS.factory);
          await field(page, 'New PIN').fill(PINS.changed);
          await field(page, 'Repeat the new PIN').fill(PINS.changed);
          await press(page, 'Change PIN');
          await waitClosed(page);
          assert.equal(pinState(R0), '63C5', 'still untouched');
          assert.equal(verify(R1, PINS.changed), '9000');
          assert.equal(verify(R0, PINS.factory), '9000', 'the first key keeps its PIN');
        });
      } finally {
        await second.stop();
      }
    }));

  test('a managed key: the organisation keeps PUK, policy, recycle and personalize; unblock by the helpdesk',
    withFailureShots(GROUP, 'managed', ctx, async () => {
      await withCard('managed', async ({ page, tile, id, reader }) => {
        writeFileSync(adminPolicy(), JSON.stringify({ managed: [id] }));
        try {
          await page.reload();
          const t = tileOf(page, reader);
          await t.getByText('Managed by your organisation. For the PUK, a reset or a new policy, ask your helpdesk.').waitFor();
          await t.locator('.kebab').click();
          const items = await t.getByRole('menuitem').evaluateAll((els) => els.map((e) => [
            e.querySelector('.menuitem-label').textContent, e.getAttribute('aria-disabled') === 'true',
            e.querySelector('.menuitem-reason')?.textContent ?? null]));
          const theirs = items.filter(([, disabled]) => disabled);
          assert.deepEqual(theirs.map(([name]) => name), ['View PUK', 'PIN policy', 'Recycle…', 'Personalize…']);
          assert.ok(theirs.every(([, , reason]) => reason === 'Managed by your organisation'));
          await shot(page, 'menu-managed', true);
          await t.getByRole('menuitem', { name: 'Unblock PIN', exact: true }).click();
          await dialogStep(page, 'form');
          await dialog(page).locator('[data-output="challenge"]').waitFor();
          assert.equal(await field(page, 'Admin key (hexadecimal)').count(), 0, 'no admin-key unblock on a managed key');
          assert.equal(await field(page, 'Unblock with').count(), 0, 'no method to choose');
          await shot(page, 'unblock-managed', true);
          await page.keyboard.press('Escape');
          assert.equal(pinState(reader), '63C6', 'nothing was tried on the card');
        } finally {
          rmSync(adminPolicy(), { force: true });
        }
      });
    }));

  test('a generic PIV key shows what it lacks, disabled with a reason', withFailureShots(GROUP, 'generic', ctx, async () => {
    const yk = await startVirtualCard({ profile: 'ykoath', vpcd: '127.0.0.1:35964' });
    try {
      const page = await openPopup(browser.context);
      const tile = tileOf(page, R1);
      await tile.locator('.kebab').waitFor({ timeout: 15000 });
      await tile.locator('.kebab').click();
      const items = await tile.getByRole('menuitem').evaluateAll((els) => els.map((e) => [
        e.querySelector('.menuitem-label').textContent, e.getAttribute('aria-disabled') === 'true',
        e.querySelector('.menuitem-reason')?.textContent ?? null]));
      const unavailable = items.filter(([, disabled]) => disabled);
      assert.deepEqual(unavailable.map(([name]) => name), ['View PUK', 'Pairing code', 'PIN policy', 'Recycle…', 'Personalize…']);
      assert.ok(unavailable.every(([, , reason]) => reason === 'Not available on this key'));
      await shot(page, 'menu-generic-piv', true);
      await page.close();
    } finally {
      await yk.stop();
    }
  }));
});
