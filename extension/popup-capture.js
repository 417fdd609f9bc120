// QR capture glue for the Add account dialog (issue 6): browser plumbing only.
// The core (tessera-core popup/capture.rs) asks for a capture with a `capture`
// effect; this file takes the pixels (visible tab, page images, clipboard; a
// dragged region through the background, see bg-capture.js), decodes them in a
// worker (qr-worker.js → wasm/tessera_qr) and reports back with a `captured`
// input: the decoder's JSON per image, or a failure code. What to offer and
// every text is decided by the core; crop maths is the core's cropRect.
import { cropRect } from './wasm/tessera_core.js';

const DECODE_TIMEOUT_MS = 20000;

// ---- the decoder worker (restarted when it dies) ----
let worker = null;
let nextId = 1;
const waiting = new Map(); // id -> {resolve, reject, timer}

function failAll(reason) {
  for (const [, w] of waiting) { clearTimeout(w.timer); w.reject(new Error(reason)); }
  waiting.clear();
}

function startWorker() {
  const w = new Worker(new URL('./qr-worker.js', import.meta.url), { type: 'module' });
  w.onmessage = (e) => {
    const { id, json, crashed } = e.data ?? {};
    const entry = waiting.get(id);
    if (crashed) {
      if (worker === w) worker = null;
      failAll('decoder');
      return;
    }
    if (!entry) return;
    waiting.delete(id);
    clearTimeout(entry.timer);
    try { entry.resolve(JSON.parse(json)); } catch { entry.reject(new Error('decoder')); }
  };
  w.onerror = (e) => {
    e.preventDefault?.();
    if (worker === w) worker = null;
    w.terminate();
    failAll('decoder');
  };
  return w;
}

/** Decodes one ImageData in the worker: the decoder's JSON object. */
function decode(image) {
  worker ??= startWorker();
  const w = worker;
  const id = nextId++;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      // A decode that never ends: drop this worker, the next capture gets a new one.
      if (worker === w) worker = null;
      w.terminate();
      failAll('decoder');
    }, DECODE_TIMEOUT_MS);
    waiting.set(id, { resolve, reject, timer });
    const pixels = image.data.buffer;
    w.postMessage({ id, width: image.width, height: image.height, pixels }, [pixels]);
  });
}

/** Pixels of an image Blob (PNG, JPEG, …), optionally cropped to `rect` (image pixels). */
async function pixelsOf(blob, rect) {
  const bitmap = await createImageBitmap(blob);
  const r = rect ?? { x: 0, y: 0, width: bitmap.width, height: bitmap.height };
  const canvas = new OffscreenCanvas(r.width, r.height);
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, r.width, r.height);
  ctx.drawImage(bitmap, -r.x, -r.y);
  bitmap.close();
  return ctx.getImageData(0, 0, r.width, r.height);
}

const blobOf = async (dataUrl) => (await fetch(dataUrl)).blob();

/** Decodes a data: URL image (with an optional dragged region); the decoder's JSON. */
async function decodeDataUrl(dataUrl, region) {
  const blob = await blobOf(dataUrl);
  let rect;
  if (region) {
    const bitmap = await createImageBitmap(blob);
    const crop = JSON.parse(cropRect(JSON.stringify(region), bitmap.width, bitmap.height));
    bitmap.close();
    if (crop.error) return { error: crop.error === 'too_small' ? 'region_small' : 'invalid' };
    rect = crop;
  }
  return decode(await pixelsOf(blob, rect));
}

/** The tab the popup acts on: `?tab=ID` (a popup window the background opened), else the active one. */
async function targetTab() {
  const q = new URLSearchParams(location.search).get('tab');
  if (q) return chrome.tabs.get(Number(q)).catch(() => null);
  const [tab] = await chrome.tabs.query({ active: true, currentWindow: true });
  return tab ?? null;
}

// ---- the page-image collector, run in the page's isolated world ----
/* eslint-disable no-undef */
async function collectPageImages(minSide, maxImages) {
  const images = [];
  let unreadable = 0;
  const draw = (w, h, paint) => {
    const c = document.createElement('canvas');
    c.width = w; c.height = h;
    const x = c.getContext('2d');
    x.fillStyle = '#fff';
    x.fillRect(0, 0, w, h);
    paint(x);
    return c.toDataURL('image/png'); // throws SecurityError when tainted
  };
  const take = (f) => {
    if (images.length >= maxImages) return;
    try { images.push(f()); } catch { unreadable += 1; }
  };
  for (const img of document.querySelectorAll('img')) {
    if (!img.complete) { try { await img.decode(); } catch { continue; } }
    const w = img.naturalWidth; const h = img.naturalHeight;
    if (w < minSide || h < minSide) continue;
    take(() => draw(w, h, (x) => x.drawImage(img, 0, 0)));
  }
  for (const canvas of document.querySelectorAll('canvas')) {
    if (canvas.width < minSide || canvas.height < minSide) continue;
    take(() => canvas.toDataURL('image/png'));
  }
  for (const svg of document.querySelectorAll('svg')) {
    if (svg.parentElement?.closest('svg')) continue;
    const box = svg.getBoundingClientRect();
    const vb = svg.viewBox?.baseVal;
    const w = Math.round(box.width || vb?.width || 0); const h = Math.round(box.height || vb?.height || 0);
    if (w < minSide || h < minSide) continue;
    const scale = Math.max(1, Math.min(4, Math.ceil(400 / Math.min(w, h))));
    const xml = new XMLSerializer().serializeToString(svg);
    const img = new Image(w * scale, h * scale);
    img.src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(xml)}`;
    try { await img.decode(); } catch { unreadable += 1; continue; }
    take(() => draw(w * scale, h * scale, (x) => x.drawImage(img, 0, 0, w * scale, h * scale)));
  }
  return { images, unreadable };
}
/* eslint-enable no-undef */

// ---- the capture paths ----
async function captureTab() {
  const tab = await targetTab();
  if (!tab) return { failure: 'no_tab' };
  let shot;
  try {
    shot = await chrome.tabs.captureVisibleTab(tab.windowId, { format: 'png' });
  } catch {
    return { failure: tab.url ? 'no_tab' : 'permission' };
  }
  return { images: [await decodeDataUrl(shot)], url: tab.url };
}

async function captureImages() {
  const tab = await targetTab();
  if (!tab) return { failure: 'no_tab' };
  let found;
  try {
    const [res] = await chrome.scripting.executeScript({
      target: { tabId: tab.id }, func: collectPageImages, args: [21, 32],
    });
    found = res?.result ?? { images: [], unreadable: 0 };
  } catch {
    return { failure: tab.url ? 'no_tab' : 'permission' };
  }
  const images = [];
  for (const url of found.images) images.push(await decodeDataUrl(url));
  return { images, unreadable: found.unreadable, url: tab.url };
}

async function captureClipboard() {
  let items;
  try {
    items = await navigator.clipboard.read();
  } catch (e) {
    return { failure: e?.name === 'NotAllowedError' ? 'clipboard_denied' : 'clipboard_empty' };
  }
  for (const item of items) {
    const type = item.types.find((ty) => ty.startsWith('image/'));
    if (type) return { images: [await decode(await pixelsOf(await item.getType(type)))] };
  }
  return { failure: 'clipboard_empty' };
}

// A region: the background injects the overlay (the popup may close when the
// page takes focus) and hands the screenshot back; see bg-capture.js.
let regionToken = null;
async function captureRegion() {
  const tab = await targetTab();
  if (!tab) return { failure: 'no_tab' };
  regionToken = crypto.randomUUID();
  const answer = await chrome.runtime.sendMessage({ kind: 'capture.region', tabId: tab.id, requester: regionToken })
    .catch(() => null);
  if (!answer?.ok) return { failure: answer?.failure ?? 'permission' };
  return null; // the outcome arrives as `capture.ready`
}

/** Turns what the background held (region screenshot, menu image) into a `captured` input. */
async function decodeHeld(held) {
  if (held.failure) return { source: held.source, failure: held.failure };
  const images = [];
  for (const img of held.images ?? []) {
    const json = await decodeDataUrl(img.dataUrl, img.region);
    if (json.error === 'region_small') return { source: held.source, failure: 'too_small' };
    images.push(json);
  }
  return { source: held.source, images, unreadable: held.unreadable ?? 0, url: held.url };
}

async function takeHeld(send) {
  const held = await chrome.runtime.sendMessage({ kind: 'capture.take' }).catch(() => null);
  if (!held) return;
  let input;
  try { input = await decodeHeld(held); } catch { input = { source: held.source, failure: 'decoder' }; }
  send({ kind: 'captured', ...input });
}

const PATHS = { tab: captureTab, images: captureImages, clipboard: captureClipboard, region: captureRegion };

/** Carries out the core's `capture` effect; reports with a `captured` input. */
export async function runCapture(source, send) {
  let result;
  try {
    result = await (PATHS[source] ?? (async () => ({ failure: 'failed' })))();
  } catch (e) {
    result = { failure: e?.message === 'decoder' ? 'decoder' : 'failed' };
  }
  if (result) send({ kind: 'captured', source, ...result });
}

/** On popup start: a capture the background holds (region, context menu); and later ones. */
export function listenForCaptures(send) {
  chrome.runtime.onMessage.addListener((msg, sender, reply) => {
    if (sender.id !== chrome.runtime.id || msg?.kind !== 'capture.ready') return false;
    // Another popup's region is not ours to take (a popup opened for it takes it at start).
    if (msg.requester && msg.requester !== regionToken) return false;
    reply({ ok: true });
    takeHeld(send);
    return false;
  });
  return takeHeld(send);
}

/** The capture buttons (a `capture` block): a labelled group, one button per path. */
export function buildCaptureBlock(b, { t, send, el }) {
  if (b.type !== 'capture') return null;
  const label = el('span', { class: 'capture-label', id: 'capture-label', text: t(b.label) });
  const group = el('div', { class: 'capture', role: 'group', 'aria-labelledby': 'capture-label' }, label);
  const row = el('div', { class: 'capture-buttons' });
  for (const item of b.items) {
    const button = el('button', {
      // Name = the visible label (WCAG 2.5.3); the longer help is the description.
      type: 'button', class: 'btn capture-btn', 'data-id': item.id, title: t(item.aria), text: t(item.label),
    });
    button.addEventListener('click', () => send({ kind: 'press', id: item.id }));
    row.append(button);
  }
  group.append(row);
  return group;
}
