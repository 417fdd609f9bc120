// Benchmark: popup open → host hello shown, in real Chromium (median of N).
// `performance.mark('hello-shown')` is set by popup.js on the first connected
// render; its startTime is measured from the popup's navigation start.
// Two cases: "warm" (background already connected; the usual case) and
// "cold" (host killed just before, so the popup waits for a fresh host + hello).
import { freshInstall, hostPids, launchChromium, POPUP_URL, waitFor } from '../tests/e2e/harness.mjs';

const N = Number(process.env.N ?? 20);
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
const install = freshInstall();
const browser = await launchChromium(install);

async function once() {
  const page = await browser.context.newPage();
  await page.goto(POPUP_URL);
  await page.waitForFunction(() => performance.getEntriesByName('hello-shown').length, null, { timeout: 15000 });
  const ms = await page.evaluate(() => performance.getEntriesByName('hello-shown')[0].startTime);
  await page.close();
  return ms;
}

try {
  await once(); // warm-up: wasm compiled, host started
  const warm = [];
  for (let i = 0; i < N; i++) warm.push(await once());
  const cold = [];
  for (let i = 0; i < N; i++) {
    const [pid] = await waitFor(() => hostPids(install.hostBinary).length && hostPids(install.hostBinary));
    process.kill(pid, 'SIGKILL');
    await waitFor(() => !hostPids(install.hostBinary).includes(pid));
    cold.push(await once());
  }
  console.log(`popup open → hello shown, warm (host running), median of ${N}: ${median(warm).toFixed(1)} ms (min ${Math.min(...warm).toFixed(1)}, max ${Math.max(...warm).toFixed(1)})`);
  console.log(`popup open → hello shown, cold (host restarted), median of ${N}: ${median(cold).toFixed(1)} ms (min ${Math.min(...cold).toFixed(1)}, max ${Math.max(...cold).toFixed(1)})`);
} finally {
  await browser.close();
  install.cleanup();
}
