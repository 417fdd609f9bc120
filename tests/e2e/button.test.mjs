// The Key button dialog against the virtual Crescendo Key behind pcscd + vpcd:
// a static password recorded as physical keys in the popup lands on the double
// press, and the card types exactly those HID usages when double-pressed (read
// back from its control socket, not from Tessera). Replacing it needs the press
// typed; the single press keeps typing RFC 4226 HOTP codes.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  freshInstall, launchChromium, openPopup, screenshot, startPcscd, startVirtualCard,
} from './harness.mjs';
import { PINS } from './secrets.mjs';

const GROUP = 'button';

describe('Key button in the popup', () => {
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

  const dialog = (page) => page.locator('dialog#dialog');
  const press = (page, name) => dialog(page).getByRole('button', { name, exact: true }).click();
  const step = (page, s) => page.waitForSelector(`dialog#dialog[open][data-kind="button"][data-step="${s}"]`, { timeout: 15000 });
  async function openButtonDialog(page, tile) {
    await tile.locator('.kebab').click();
    await tile.getByRole('menuitem', { name: 'Key button…', exact: true }).click();
    await step(page, 'form');
  }
  const typedByCard = (card) => JSON.parse(card.ctl('typed')).typed;

  test('record a static password for the double press, the card types those keys; replacing it needs the press typed', async () => {
    const card = await startVirtualCard();
    const page = await openPopup(browser.context);
    await page.setViewportSize({ width: 360, height: 640 });
    try {
      await page.waitForSelector('body[data-conn="connected"][data-tokens="ready"]', { timeout: 15000 });
      const tile = page.locator('#token-list li.tile', { hasText: card.reader });
      await openButtonDialog(page, tile);
      const text = await dialog(page).textContent();
      assert.match(text, /Single press: types a one-time code \(HOTP, slot 1\)\./, 'factory single press');
      assert.match(text, /Double press: does nothing\./, 'factory double press');

      await dialog(page).getByLabel('Double press', { exact: true }).check();
      await dialog(page).getByLabel('A static password', { exact: true }).check();
      const recorder = dialog(page).getByRole('textbox', { name: /Static password/ });
      await recorder.focus();
      for (const key of ['Shift+KeyA', 'KeyB', 'KeyX', 'Backspace', 'Digit1', 'Enter']) await page.keyboard.press(key);
      // Masked until asked; the core renders what the keys type on this layout.
      assert.equal(await recorder.textContent(), '••••');
      await dialog(page).getByRole('button', { name: 'Show', exact: true }).click();
      assert.equal(await recorder.textContent(), 'Ab1⏎');
      assert.match(await dialog(page).textContent(), /another keyboard layout these keys type other characters/);
      await screenshot(page, GROUP, 'recorder-light');
      await page.emulateMedia({ colorScheme: 'dark' });
      await screenshot(page, GROUP, 'recorder-dark');
      await page.emulateMedia({ colorScheme: 'light' });

      // Writing the button needs the PIN: the host says so, the dialog asks (never retries itself).
      await press(page, 'Save');
      const pin = dialog(page).getByLabel('PIN', { exact: true });
      await pin.waitFor({ timeout: 15000 });
      await pin.fill(PINS.factory);
      await press(page, 'Save');
      await page.waitForSelector('dialog#dialog:not([open])', { state: 'attached', timeout: 15000 });
      assert.match(await page.locator('#notice').textContent(), /Double press: types a static password \(4 keys\)\./);

      // The card types the recorded usages: Shift+A (02,04), B (05), 1 (1E), Enter (28).
      typedByCard(card);
      card.ctl('double-press');
      assert.deepEqual(typedByCard(card), [[2, 0x04], [0, 0x05], [0, 0x1e], [0, 0x28]]);

      // Replacing the password: the dialog names what is lost and wants "double" typed.
      await openButtonDialog(page, tile);
      assert.match(await dialog(page).textContent(), /Double press: types a static password \(4 keys\)\./);
      await dialog(page).getByLabel('Double press', { exact: true }).check();
      await dialog(page).getByLabel('Nothing', { exact: true }).check();
      assert.match(await dialog(page).textContent(), /The double press holds a static password \(4 keys\)\. Saving erases it/);
      await screenshot(page, GROUP, 'replace-confirm');
      await press(page, 'Save');
      assert.match(await dialog(page).textContent(), /Type double exactly to confirm\./);
      await dialog(page).getByLabel('Type double to replace it', { exact: true }).fill('double');
      // The PIN verified a moment ago still holds on the host's connection: no second prompt.
      await press(page, 'Save');
      await page.waitForSelector('dialog#dialog:not([open])', { state: 'attached', timeout: 15000 });
      assert.match(await page.locator('#notice').textContent(), /Double press: does nothing\./);
      card.ctl('double-press');
      assert.deepEqual(typedByCard(card), [], 'the static password is gone');
    } catch (e) {
      await screenshot(page, GROUP, 'FAILED').catch(() => {});
      throw e;
    } finally {
      await card.stop();
      await page.close();
    }
  });
});
