// QR capture in the background service worker (issue 6), plumbing only:
//  - "Select a region": the popup closes as soon as the page takes focus, so the
//    background injects the overlay (activeTab, granted when the popup was opened
//    from the toolbar), awaits the rectangle, takes the screenshot and holds it;
//  - the "Add to security key" context menu on an image (activeTab is granted by
//    the click): the image is drawn to PNG in its frame and held.
// Then it tells the popup that asked (`capture.ready`), or opens the popup
// (chrome.action.openPopup, else a small popup window on `popup.html?tab=ID`),
// which takes the held capture (`capture.take`), crops with the core's cropRect,
// decodes in its worker and opens Add account. Nothing held is a secret until
// decoded; it is dropped once taken, and after HOLD_MS.

const MENU_ID = 'tessera-capture-image';
const HOLD_MS = 120000;

let held = null; // {source, images:[{dataUrl, region?}], unreadable, url, tabId} or {source, failure}
let heldTimer = null;

function hold(capture) {
  held = capture;
  clearTimeout(heldTimer);
  heldTimer = setTimeout(() => { held = null; }, HOLD_MS);
}

const ours = (sender) => sender?.id === chrome.runtime.id && (sender.url ?? '').startsWith(chrome.runtime.getURL(''));

/** Tells the popup that asked; else opens one (it takes the capture at start). */
async function deliver(tabId, requester) {
  const answer = await chrome.runtime.sendMessage({ kind: 'capture.ready', requester }).catch(() => null);
  if (answer?.ok) return;
  try {
    await chrome.action.openPopup();
  } catch {
    await chrome.windows.create({
      url: chrome.runtime.getURL(`popup.html?tab=${tabId}`), type: 'popup', width: 400, height: 640,
    }).catch(() => {});
  }
}

// ---- the region overlay, run in the page's isolated world ----
/* eslint-disable no-undef */
function regionOverlay(hint) {
  document.getElementById('tessera-region-overlay')?.remove();
  return new Promise((resolve) => {
    const host = document.createElement('div');
    host.id = 'tessera-region-overlay';
    const root = host.attachShadow({ mode: 'closed' });
    root.innerHTML = `<style>
      .o{position:fixed;inset:0;z-index:2147483647;cursor:crosshair;background:rgba(0,0,0,.25);outline:none}
      .r{position:fixed;border:2px solid #1a73e8;background:rgba(26,115,232,.08);display:none;box-sizing:border-box}
      .h{position:fixed;top:8px;left:50%;transform:translateX(-50%);background:#202124;color:#fff;
         font:14px system-ui,sans-serif;padding:8px 12px;border-radius:6px;max-width:90vw}
    </style><div class="o" tabindex="0" role="dialog" aria-modal="true"><div class="h" role="status"></div><div class="r"></div></div>`;
    const overlay = root.querySelector('.o');
    const rect = root.querySelector('.r');
    root.querySelector('.h').textContent = hint;
    overlay.setAttribute('aria-label', hint);
    document.documentElement.append(host);
    overlay.focus();
    let start = null;
    let box = null;
    const finish = (result) => {
      host.remove();
      // Two frames: the screenshot must not show the overlay.
      requestAnimationFrame(() => requestAnimationFrame(() => resolve(result)));
    };
    const region = (x, y, width, height) => ({
      region: { x, y, width, height, viewport_width: innerWidth, viewport_height: innerHeight, dpr: devicePixelRatio },
    });
    overlay.addEventListener('pointerdown', (e) => {
      start = { x: e.clientX, y: e.clientY };
      overlay.setPointerCapture?.(e.pointerId);
      e.preventDefault();
    });
    overlay.addEventListener('pointermove', (e) => {
      if (!start) return;
      box = {
        x: Math.min(start.x, e.clientX), y: Math.min(start.y, e.clientY),
        width: Math.abs(e.clientX - start.x), height: Math.abs(e.clientY - start.y),
      };
      Object.assign(rect.style, {
        display: 'block', left: `${box.x}px`, top: `${box.y}px`, width: `${box.width}px`, height: `${box.height}px`,
      });
    });
    overlay.addEventListener('pointerup', () => {
      if (box && box.width > 3 && box.height > 3) finish(region(box.x, box.y, box.width, box.height));
      start = null;
    });
    overlay.addEventListener('keydown', (e) => {
      e.preventDefault();
      e.stopPropagation();
      if (e.key === 'Escape') finish({ cancelled: true });
      if (e.key === 'Enter' || e.key === ' ') finish(region(0, 0, innerWidth, innerHeight));
    });
  });
}

// ---- the context-menu image, drawn in its frame's isolated world ----
async function imageBySrc(src) {
  const img = [...document.images].find((i) => i.currentSrc === src || i.src === src);
  if (!img) return { unreadable: 1 };
  if (!img.complete) { try { await img.decode(); } catch { return { unreadable: 1 }; } }
  try {
    const c = document.createElement('canvas');
    c.width = img.naturalWidth; c.height = img.naturalHeight;
    const x = c.getContext('2d');
    x.fillStyle = '#fff';
    x.fillRect(0, 0, c.width, c.height);
    x.drawImage(img, 0, 0);
    return { dataUrl: c.toDataURL('image/png') };
  } catch {
    return { unreadable: 1 }; // another site's image: the canvas is tainted
  }
}
/* eslint-enable no-undef */

async function regionFlow(tabId, requester) {
  let tab;
  try {
    tab = await chrome.tabs.get(tabId);
    const [res] = await chrome.scripting.executeScript({
      target: { tabId }, func: regionOverlay, args: [chrome.i18n.getMessage('progress_capture_region')],
    });
    const outcome = res?.result;
    if (!outcome?.region) {
      hold({ source: 'region', failure: 'cancelled' });
    } else {
      const dataUrl = await chrome.tabs.captureVisibleTab(tab.windowId, { format: 'png' });
      hold({ source: 'region', images: [{ dataUrl, region: outcome.region }], url: tab.url, tabId });
    }
  } catch {
    hold({ source: 'region', failure: tab?.url ? 'no_tab' : 'permission' });
  }
  await deliver(tabId, requester);
}

chrome.runtime.onMessage.addListener((msg, sender, reply) => {
  if (!ours(sender)) return false;
  if (msg?.kind === 'capture.region' && Number.isInteger(msg.tabId)) {
    reply({ ok: true });
    regionFlow(msg.tabId, typeof msg.requester === 'string' ? msg.requester : null);
    return false;
  }
  if (msg?.kind === 'capture.take') {
    reply(held);
    held = null;
    return false;
  }
  return false;
});

function createMenu() {
  chrome.contextMenus.create(
    { id: MENU_ID, title: chrome.i18n.getMessage('ctx_add_to_key'), contexts: ['image'] },
    () => void chrome.runtime.lastError, // already there (service worker restarted)
  );
}
chrome.runtime.onInstalled.addListener(createMenu);
chrome.runtime.onStartup?.addListener(createMenu);

async function onMenuClicked(info, tab) {
  if (info.menuItemId !== MENU_ID || !tab?.id) return;
  let image = { unreadable: 1 };
  try {
    const [res] = await chrome.scripting.executeScript({
      target: { tabId: tab.id, frameIds: [info.frameId ?? 0] }, func: imageBySrc, args: [info.srcUrl ?? ''],
    });
    image = res?.result ?? image;
  } catch { /* a page we may not script: reported as unreadable */ }
  hold({
    source: 'menu',
    images: image.dataUrl ? [{ dataUrl: image.dataUrl }] : [],
    unreadable: image.unreadable ?? 0,
    url: tab.url,
    tabId: tab.id,
  });
  await deliver(tab.id, null);
}
chrome.contextMenus.onClicked.addListener(onMenuClicked);
// Test hook, reachable only from this service worker (CDP evaluate in the
// tests), never from a page: the function bound to the menu click.
globalThis.tesseraCapture = { onMenuClicked, MENU_ID };
