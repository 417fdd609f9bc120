// One-click fill, the page side: on every login variant of the demo site, the
// extension's fill.js describes the inputs, tessera-core's fill plan (the
// shipped wasm) picks the field(s), fill.js types a code the demo server's own
// RFC 6238 implementation accepts. (Popup, shortcut and origin binding come on top.)
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { freshInstall, screenshot } from './harness.mjs';
import { startDemoSite, totp } from '../demo-site/server.mjs';

const GROUP = 'fill';

describe('fill plan + fill.js on the demo site', () => {
  let install; let site; let browser; let core; let fill;
  before(async () => {
    install = freshInstall({ install: false });
    core = await import(pathToFileURL(join(install.extension, 'wasm/tessera_core_full.js')));
    core.initSync({ module: readFileSync(join(install.extension, 'wasm/tessera_core_full_bg.wasm')) });
    fill = await import(pathToFileURL(join(install.extension, 'fill.js')));
    site = await startDemoSite();
    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
    });
  });
  after(async () => {
    await browser?.close();
    site?.server.close();
    install?.cleanup();
  });

  const variants = {
    single: { kind: 'single' },
    split: { kind: 'split' },
    react: { kind: 'single' },
    iframe: { kind: 'single' },
    decoy: { kind: 'single' },
  };
  for (const [variant, want] of Object.entries(variants)) {
    test(`${variant}: the planned field(s) take a code the server accepts`, async () => {
      const page = await browser.newPage();
      try {
        const account = `user-${variant}@example.com`;
        const base = `http://127.0.0.1:${site.port}`;
        await page.goto(`${base}/signup?account=${encodeURIComponent(account)}`);
        await page.goto(`${base}/login/${variant}?account=${encodeURIComponent(account)}`);
        await page.waitForLoadState('load');
        if (variant === 'react') await page.locator('#code').waitFor();
        const fields = await page.evaluate(fill.collectFields);
        const plan = JSON.parse(core.fillPlan(JSON.stringify(fields), 6));
        assert.equal(plan.kind, want.kind, JSON.stringify({ plan, fields }));
        if (variant === 'decoy') {
          const chosen = fields.find((f) => f.index === plan.index);
          assert.equal(chosen.id, 'totp', 'not the search box');
        }
        if (variant === 'single') {
          assert.equal(fields.find((f) => f.index === plan.index).id, 'otp', 'not the username');
        }
        const code = totp(site.accounts.get(account).key, Math.floor(Date.now() / 1000));
        const filled = await page.evaluate(`(${fill.fillCode})(${JSON.stringify(plan)}, ${JSON.stringify(code)})`);
        assert.equal(filled, plan.kind === 'split' ? 6 : 1);
        await screenshot(page, GROUP, `${variant}-filled`);
        await page.getByRole('button', { name: 'Verify' }).click();
        await page.locator('#result', { hasText: /accepted|rejected/ }).waitFor();
        assert.equal(await page.locator('#result').textContent(), 'accepted');
      } finally {
        await page.close();
      }
    });
  }

  test('a page with no code field gets no plan', async () => {
    const page = await browser.newPage();
    try {
      await page.setContent('<form><input name="q" type="search"><input name="email" type="email"><input type="password" name="pw"></form>');
      const fields = await page.evaluate(fill.collectFields);
      assert.equal(JSON.parse(core.fillPlan(JSON.stringify(fields), 6)).kind, 'nothing');
    } finally {
      await page.close();
    }
  });
});
