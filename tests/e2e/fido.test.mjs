// E2E: the popup's FIDO panel (issue 5) in real Chromium, against the virtual
// Crescendo Key's FIDO2 authenticator (OpenSK) behind real pcscd + vpcd. The
// key's state is set up and checked with python-fido2 (tests/python/fido_client.py),
// a separate CTAP client on the same reader. The reset wizard is driven end to
// end: the test unplugs and replugs the virtual card through its control socket
// when the wizard says so and presses its button at "Touch your key".
// Screenshots (light + dark) go to test-artifacts/fido/.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  ROOT, freshInstall, launchChromium, openPopup, screenshot, startPcscd, startVirtualCard, waitFor,
  withFailureShots,
} from './harness.mjs';
import { rememberSecret } from './secrets.mjs';

const GROUP = 'fido';
const PYTHON = process.env.TESSERA_PYTHON ?? join(ROOT, '.venv/bin/python');
// FIDO PINs typed in these tests (recorded: zz-logs.test.mjs greps the host log for them).
const FIDO = { first: '482915', changed: '7305-fido', wrong: '999111' };
for (const pin of Object.values(FIDO)) rememberSecret(pin);
// OpenSK accepts a reset only within 10 s of power-up: waiting longer since the
// card was plugged makes the host's in-place attempt fail for sure, so the
// wizard shows the replug steps (without the wait it might skip them).
const RESET_WINDOW_MS = 10000;

/** python-fido2 as a second CTAP client: one command per line, one JSON answer per line. */
function fidoClient(reader) {
  const child = spawn(PYTHON, [join(ROOT, 'tests/python/fido_client.py'), reader], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout });
  const waiting = [];
  lines.on('line', (l) => waiting.shift()?.(l));
  return {
    async call(command) {
      const line = new Promise((resolve) => waiting.push(resolve));
      child.stdin.write(`${command}\n`);
      const value = JSON.parse(await line);
      assert.equal(value.exception, undefined, `${command}: ${value.exception}`);
      return value;
    },
    close() {
      child.stdin.end('quit\n');
      child.kill();
    },
  };
}

describe('FIDO in the popup', () => {
  let pcscd; let install; let browser;
  before(async () => {
    pcscd = await startPcscd();
    install = freshInstall();
    browser = await launchChromium({ ...install, env: { HOME: install.home, XDG_DATA_HOME: '' } });
  });
  after(async () => {
    await browser?.close();
    await pcscd?.stop();
    install?.cleanup();
  });
  const ctx = () => browser?.context;

  /** A fresh virtual key, its python-fido2 client, and a popup showing its tile. */
  async function withCard(name, body, options = {}) {
    const card = await startVirtualCard(options);
    const pluggedAt = Date.now();
    const client = fidoClient(card.reader);
    const page = await openPopup(browser.context);
    try {
      await page.waitForSelector('body[data-conn="connected"][data-tokens="ready"]', { timeout: 15000 });
      const tile = page.locator('#token-list li.tile', { hasText: card.reader });
      await tile.locator('.kebab').waitFor({ timeout: 10000 });
      const id = await tile.getAttribute('data-device');
      await body({ page, card, client, tile, id, pluggedAt });
    } catch (e) {
      await screenshot(page, GROUP, `FAILED-${name}`).catch(() => {});
      throw e;
    } finally {
      client.close();
      await card.stop();
      await page.close();
    }
  }

  const dialog = (page) => page.locator('dialog#dialog');
  const press = (page, name) => dialog(page).getByRole('button', { name, exact: true }).click();
  const rowButton = (page, name) => dialog(page).locator('.row-btn', { hasText: name }).first();
  const field = (page, label) => dialog(page).getByLabel(label, { exact: true });
  const bodyText = (page) => dialog(page).locator('#dlg-body').innerText();

  async function step(page, name, ms = 10000) {
    await page.waitForSelector(`dialog#dialog[open][data-kind="fido"][data-step="${name}"]:not([aria-busy="true"])`, { timeout: ms });
  }

  /** The wizard's running steps keep the dialog busy: wait for the step only. */
  async function runningStep(page, name, ms = 40000) {
    await page.waitForSelector(`dialog#dialog[open][data-kind="fido"][data-step="${name}"]`, { timeout: ms });
  }

  async function shot(page, name) {
    await screenshot(page, GROUP, `${name}-light`);
    await page.emulateMedia({ colorScheme: 'dark' });
    await screenshot(page, GROUP, `${name}-dark`);
    await page.emulateMedia({ colorScheme: 'light' });
  }

  async function openFido(page, tile) {
    await tile.locator('.kebab').click();
    await tile.getByRole('menuitem', { name: 'FIDO (passkeys)', exact: true }).click();
    await step(page, 'panel');
  }

  test('panel, set the FIDO PIN (min length enforced), change it (wrong PIN shows tries left)',
    withFailureShots(GROUP, 'pin', ctx, async () => {
      await withCard('pin', async ({ page, tile, client }) => {
        // Keyboard: the FIDO entry is in the kebab menu.
        await tile.locator('.kebab').focus();
        await page.keyboard.press('ArrowUp');
        assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Key button…', 'the key button last');
        await page.keyboard.press('ArrowUp');
        assert.equal(await page.evaluate(() => document.activeElement.textContent), 'FIDO (passkeys)');
        await page.keyboard.press('Enter');
        await step(page, 'panel');
        assert.equal(await dialog(page).locator('#dlg-title').textContent(), 'FIDO security key');
        const text = await bodyText(page);
        assert.match(text, /FIDO2 security key \(.*FIDO_2_1.*\)/);
        assert.match(text, /FIDO PIN: not set/);
        assert.match(text, /Set a FIDO PIN first: passkeys are listed only after it/);
        assert.equal(await page.evaluate(() => document.activeElement.getAttribute('aria-label')),
          'Set PIN: FIDO PIN: not set', 'focus on the first row button, named by its row');
        await shot(page, 'panel-no-pin');

        await page.keyboard.press('Enter');
        await step(page, 'set_pin');
        await field(page, 'New FIDO PIN').fill('123');
        await field(page, 'New FIDO PIN again').fill('123');
        await page.keyboard.press('Enter');
        await page.locator('#f-new-err', { hasText: 'Too short: at least 4 characters.' }).waitFor();
        await shot(page, 'set-pin-too-short');
        await field(page, 'New FIDO PIN').fill(FIDO.first);
        await field(page, 'New FIDO PIN again').fill(FIDO.first);
        await page.keyboard.press('Enter');
        await step(page, 'panel');
        assert.match(await bodyText(page), /FIDO PIN set\.[\s\S]*FIDO PIN: set[\s\S]*8 tries left/);
        await shot(page, 'panel-pin-set');
        assert.deepEqual(await client.call('retries'), { retries: 8 }, 'the key has a PIN now');

        await rowButton(page, 'Change PIN').click();
        await step(page, 'change_pin');
        await field(page, 'Current FIDO PIN').fill(FIDO.wrong);
        await field(page, 'New FIDO PIN').fill(FIDO.changed);
        await field(page, 'New FIDO PIN again').fill(FIDO.changed);
        await press(page, 'Change PIN');
        await page.locator('#f-old-err', { hasText: 'Wrong FIDO PIN. 7 tries left.' }).waitFor();
        assert.equal(await field(page, 'Current FIDO PIN').inputValue(), '', 'typed PINs wiped, never retried');
        assert.deepEqual(await client.call('retries'), { retries: 7 }, 'exactly one try spent');
        await shot(page, 'change-pin-wrong');
        await field(page, 'Current FIDO PIN').fill(FIDO.first);
        await field(page, 'New FIDO PIN').fill(FIDO.changed);
        await field(page, 'New FIDO PIN again').fill(FIDO.changed);
        await press(page, 'Change PIN');
        await step(page, 'panel');
        assert.match(await bodyText(page), /FIDO PIN changed\.[\s\S]*8 tries left/);
        assert.deepEqual(await client.call(`list_rk ${FIDO.changed}`), { count: 0, users: [] }, 'the new PIN works');
        await page.keyboard.press('Escape');
        await page.waitForSelector('dialog#dialog:not([open])', { state: 'attached' });
      });
    }));

  test('passkeys: listed per site with user names after the PIN; delete one, confirmed by site and user',
    withFailureShots(GROUP, 'passkeys', ctx, async () => {
      await withCard('passkeys', async ({ page, tile, client }) => {
        assert.deepEqual(await client.call(`set_pin ${FIDO.first}`), { ok: true });
        for (const [user, rp] of [['alice', 'example.com'], ['bob', 'example.com'], ['carol', 'acme.test']]) {
          assert.ok((await client.call(`make_rk ${FIDO.first} ${user} ${rp}`)).credential_id);
        }
        await openFido(page, tile);
        await rowButton(page, 'Manage').click();
        await step(page, 'passkeys_pin');
        await field(page, 'FIDO PIN').fill(FIDO.first);
        await page.keyboard.press('Enter');
        await step(page, 'passkeys');
        const groups = await dialog(page).locator('section.rows').evaluateAll((ss) => ss.map((s) => [
          s.querySelector('.rows-label').textContent, [...s.querySelectorAll('.row-title')].map((r) => r.textContent)]));
        assert.deepEqual(groups, [['acme.test', ['carol']], ['example.com', ['alice', 'bob']]]);
        assert.match(await bodyText(page), /3 stored, room for \d+ more/);
        await shot(page, 'passkeys-list');

        await dialog(page).getByRole('button', { name: 'Delete: Delete the passkey of alice on example.com' }).click();
        await step(page, 'delete');
        assert.match(await bodyText(page), /Delete the passkey of alice for example\.com\?/);
        await shot(page, 'passkeys-delete-confirm');
        await press(page, 'Delete passkey');
        await step(page, 'passkeys');
        assert.match(await bodyText(page), /Deleted the passkey of alice for example\.com\.[\s\S]*2 stored/);
        await shot(page, 'passkeys-after-delete');
        const left = await client.call(`list_rk ${FIDO.first}`);
        assert.equal(left.count, 2);
        assert.deepEqual([...left.users].sort(), ['bob', 'carol']);

        await press(page, 'Back');
        await step(page, 'panel');
        assert.match(await bodyText(page), /2 stored/);
        await rowButton(page, 'Troubleshoot').click();
        await step(page, 'help');
        assert.match(await bodyText(page), /no problem[\s\S]*FIDO app not found on this key[\s\S]*U2F only/);
        await shot(page, 'troubleshooting');
      });
    }));

  /**
   * Drives a started reset: unplug and replug when asked, press the button at
   * "Touch your key". Returns {toTouch, toDone}: ms from the replug to the
   * touch prompt and from the press to "Done" (screenshots in between excluded).
   */
  async function driveReset(page, card, name) {
    await runningStep(page, 'reset_unplug');
    assert.match(await bodyText(page), /Unplug your key now\./);
    await shot(page, `${name}-1-unplug`);
    assert.equal(card.ctl('unplug'), 'ok');
    await runningStep(page, 'reset_plug');
    assert.match(await bodyText(page), /Plug it back in\./);
    await shot(page, `${name}-2-plug`);
    const replugged = Date.now();
    assert.equal(card.ctl('plug'), 'ok');
    await runningStep(page, 'reset_touch');
    const toTouch = Date.now() - replugged;
    const seconds = Number(await dialog(page).locator('.countdown').getAttribute('data-seconds'));
    assert.ok(seconds > 0 && seconds <= 30, `countdown ${seconds}`);
    assert.match(await bodyText(page), /Touch your key\.[\s\S]*seconds left/);
    await shot(page, `${name}-3-touch`);
    await waitFor(() => JSON.parse(card.ctl('status')).waiting_for_touch, { what: 'the key to wait for a touch' });
    const pressed = Date.now();
    assert.equal(card.ctl('press'), 'ok');
    await step(page, 'reset_done', 20000);
    const toDone = Date.now() - pressed;
    assert.match(await bodyText(page), /Done: the FIDO app was reset/);
    await shot(page, `${name}-4-done`);
    return { toTouch, toDone };
  }

  /** FIDO → Reset…, the warning, the typed device id, Reset FIDO. */
  async function startReset(page, tile, id, shots) {
    await openFido(page, tile);
    await rowButton(page, 'Reset…').click();
    await step(page, 'reset_confirm');
    assert.match(await bodyText(page), /erases every passkey and U2F registration[\s\S]*does not touch the smart-card \(PIV\) PIN/);
    await press(page, 'Reset FIDO');
    await page.locator('#f-confirm-err', { hasText: `Type the device ID exactly as shown: ${id}` }).waitFor();
    if (shots) await shot(page, 'reset-0-confirm');
    await field(page, `To confirm, type the device ID ${id}`).fill(id);
    await press(page, 'Reset FIDO');
  }

  async function keyWithPasskey(client, card, pluggedAt) {
    assert.deepEqual(await client.call(`set_pin ${FIDO.first}`), { ok: true });
    assert.ok((await client.call(`make_rk ${FIDO.first} dora example.com`)).credential_id);
    assert.equal(card.ctl('button', 'manual'), 'ok');
    const rest = RESET_WINDOW_MS + 1000 - (Date.now() - pluggedAt);
    if (rest > 0) await sleep(rest);
  }

  test('reset wizard end to end: unplug, plug back in, touch (countdown), done; PIN and passkeys gone',
    withFailureShots(GROUP, 'reset', ctx, async () => {
      await withCard('reset', async ({ page, tile, client, card, id, pluggedAt }) => {
        await keyWithPasskey(client, card, pluggedAt);
        await startReset(page, tile, id, true);
        const t = await driveReset(page, card, 'reset');
        console.log(`# reset wizard: replug → "Touch your key" ${t.toTouch} ms, touch → "Done" ${t.toDone} ms`);
        assert.equal((await client.call('info')).client_pin, false, 'FIDO PIN gone');
        await press(page, 'Back to FIDO');
        await step(page, 'panel');
        assert.match(await bodyText(page), /FIDO PIN: not set/);
        await shot(page, 'reset-5-panel-after');
      });
    }));

  test('too late: no replug → the timeout says what happened, nothing erased; Retry then completes',
    withFailureShots(GROUP, 'reset-timeout', ctx, async () => {
      await withCard('reset-timeout', async ({ page, tile, client, card, id, pluggedAt }) => {
        await keyWithPasskey(client, card, pluggedAt);
        await startReset(page, tile, id, false);
        await runningStep(page, 'reset_unplug');
        // Do nothing: the host gives up after its 30 s replug timeout.
        await step(page, 'reset_failed', 45000);
        assert.match(await bodyText(page), /not unplugged and plugged back in within 30 seconds\. Nothing was erased/);
        assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Retry', 'focus on Retry');
        await shot(page, 'reset-timeout');
        assert.equal((await client.call(`list_rk ${FIDO.first}`)).count, 1, 'nothing erased');
        // The key was plugged long ago: the host's in-place attempt fails again
        // and the replug steps come.
        await press(page, 'Retry');
        const t = await driveReset(page, card, 'reset-retry');
        console.log(`# reset wizard after Retry: replug → "Touch your key" ${t.toTouch} ms, touch → "Done" ${t.toDone} ms`);
        assert.equal((await client.call('info')).client_pin, false);
      });
    }));
});
