// Demo driver (scripts/demo.sh): pcscd, a fresh profile with Tessera installed,
// the popup opened. Headed when a display exists, else a screenshot.
import { chromium } from 'playwright-core';
import {
  freshInstall, launchChromium, openPopup, POPUP_URL, screenshot, startPcscd, startVirtualCard,
} from './harness.mjs';

// pcscd + the built-in virtual Crescendo Key in "Virtual PCD 00 00".
const pcscd = await startPcscd();
const card = await startVirtualCard({ button: 'auto' });
console.log(`Virtual Crescendo Key running (control: tessera virtual-card-ctl --control ${card.control} press|unplug|replug)`);
const install = freshInstall();
const cleanup = async () => { await card.stop(); await pcscd.stop(); install.cleanup(); };
try {
  if (process.env.DISPLAY) {
    const context = await chromium.launchPersistentContext(install.profile, {
      executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
      headless: false,
      viewport: null,
      args: ['--no-first-run', `--disable-extensions-except=${install.extension}`, `--load-extension=${install.extension}`],
    });
    const page = await context.newPage();
    await page.goto(POPUP_URL);
    console.log('Chromium is running with Tessera; the popup is open in a tab. Close the browser to end the demo.');
    await new Promise((resolve) => context.on('close', resolve));
  } else {
    const browser = await launchChromium(install);
    try {
      const page = await openPopup(browser.context);
      await page.waitForSelector('body[data-conn="connected"][data-tokens="ready"]', { timeout: 15000 });
      await page.waitForSelector('#token-list li:not(.empty)', { timeout: 5000 });
      const path = await screenshot(page, 'demo', 'popup');
      console.log(`Popup: ${await page.textContent('#host-summary')}; tokens: ${(await page.$$eval('#token-list li .tile-title', (e) => e.map((x) => x.textContent))).join(', ')}`);
      console.log(`Screenshot of the popup: ${path}`);
    } finally {
      await browser.close();
    }
  }
} finally {
  await cleanup();
}
