// Demo driver (scripts/demo.sh): pcscd, a fresh profile with Tessera installed,
// the popup opened. Headed when a display exists, else a screenshot.
import { chromium } from 'playwright-core';
import {
  freshInstall, launchChromium, openPopup, POPUP_URL, screenshot, startPcscd, startVirtualCard,
} from './harness.mjs';
import { startDemoSite } from '../demo-site/server.mjs';

// pcscd + the built-in virtual Crescendo Key in "Virtual PCD 00 00".
const pcscd = await startPcscd();
const card = await startVirtualCard({ button: 'auto' });
console.log(`Virtual Crescendo Key running (control: tessera virtual-card-ctl --control ${card.control} press|unplug|replug)`);
const install = freshInstall();
// The demo site: a sign-up page with an enrollment QR, login pages with the usual OTP fields,
// and a server that checks the submitted code with its own RFC 6238 implementation.
const site = await startDemoSite(Number(process.env.TESSERA_DEMO_PORT ?? 0));
const base = `http://127.0.0.1:${site.port}`;
console.log(`Demo site: ${base}/signup (enrollment QR), ${base}/login/single | split | react | iframe | decoy`);
const cleanup = async () => { site.server.close(); await card.stop(); await pcscd.stop(); install.cleanup(); };
try {
  if (process.env.DISPLAY) {
    const context = await chromium.launchPersistentContext(install.profile, {
      executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
      headless: false,
      viewport: null,
      args: ['--no-first-run', `--disable-extensions-except=${install.extension}`, `--load-extension=${install.extension}`],
    });
    const signup = await context.newPage();
    await signup.goto(`${base}/signup`);
    const page = await context.newPage();
    await page.goto(POPUP_URL);
    await signup.bringToFront();
    console.log('Chromium is running with Tessera on the demo sign-up page. Click the Tessera icon →');
    console.log('Add account → Scan this tab; then open a login page above and click Fill (or press Ctrl+Shift+L).');
    console.log('Close the browser to end the demo.');
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
