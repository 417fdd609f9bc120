// Popup glue: feeds background messages and user input to the wasm state
// machine and renders the view it returns. No decisions here; see tessera-core
// popup.rs (tiles, menus) and popup/dialogs (dialogs).
import init, { PopupCore } from './wasm/tessera_core.js';
import { dialogRenderer } from './popup-dialogs.js';
import { listenForCaptures, runCapture } from './popup-capture.js';
import { loadAccounts, onAccountsChanged, saveAccounts } from './accounts-store.js';

const $ = (id) => document.getElementById(id);
const t = (text) => (text ? chrome.i18n.getMessage(text.key, text.args) || text.key : '');

for (const el of document.querySelectorAll('[data-i18n]')) el.textContent = chrome.i18n.getMessage(el.dataset.i18n);

const LOCK_ICONS = {
  // Closed padlock (locked, blocked) and open padlock (verified).
  closed: '<svg viewBox="0 0 16 16" width="16" height="16" aria-hidden="true"><rect x="3" y="7" width="10" height="8" rx="1.5" fill="currentColor"/><path d="M5 7V5a3 3 0 0 1 6 0v2" fill="none" stroke="currentColor" stroke-width="1.6"/></svg>',
  open: '<svg viewBox="0 0 16 16" width="16" height="16" aria-hidden="true"><rect x="3" y="7" width="10" height="8" rx="1.5" fill="currentColor"/><path d="M5 7V5a3 3 0 0 1 5.8-1" fill="none" stroke="currentColor" stroke-width="1.6"/></svg>',
};

let send = () => {};
let opener = null; // {device, role} of what opened the dialog, to give focus back
let menuOpen = null; // device whose kebab menu is open

function node(tag, className, text) {
  const n = document.createElement(tag);
  if (className) n.className = className;
  if (text !== undefined) n.textContent = text;
  return n;
}

// ---- kebab menu (WAI-ARIA menu button pattern) ----
function menuItems(menu) { return [...menu.querySelectorAll('[role=menuitem]')]; }

function openMenu(device, focus = 'first') {
  closeMenu(false);
  const button = document.querySelector(`.kebab[data-device="${CSS.escape(device)}"]`);
  const menu = button && $(button.getAttribute('aria-controls'));
  if (!menu) return;
  menu.hidden = false;
  button.setAttribute('aria-expanded', 'true');
  menuOpen = device;
  const items = menuItems(menu);
  (focus === 'last' ? items.at(-1) : typeof focus === 'string' && focus !== 'first'
    ? items.find((i) => i.dataset.action === focus) ?? items[0] : items[0])?.focus();
}

function closeMenu(refocus = true) {
  if (menuOpen === null) return;
  const button = document.querySelector(`.kebab[data-device="${CSS.escape(menuOpen)}"]`);
  menuOpen = null;
  for (const m of document.querySelectorAll('.menu')) m.hidden = true;
  for (const b of document.querySelectorAll('.kebab')) b.setAttribute('aria-expanded', 'false');
  if (refocus) button?.focus();
}

function activate(device, action, role, entry) {
  opener = { device, role, entry };
  closeMenu(role === 'kebab');
  send(entry ? { kind: 'open', device, action, entry } : { kind: 'open', device, action });
}

/** A kebab menu; `item.key` (default: the device) names it, `item.entry` is the OTP entry it acts on. */
function buildMenu(item, index) {
  const menuId = `menu-${index}`;
  const key = item.key ?? item.device;
  const button = node('button', 'kebab');
  button.type = 'button';
  button.dataset.device = key;
  if (item.entry) button.dataset.entry = item.entry;
  button.dataset.role = 'kebab';
  button.setAttribute('aria-haspopup', 'menu');
  button.setAttribute('aria-expanded', 'false');
  button.setAttribute('aria-controls', menuId);
  button.setAttribute('aria-label', t(item.menu_label));
  button.title = t(item.menu_label);
  button.innerHTML = '<svg viewBox="0 0 16 16" width="16" height="16" aria-hidden="true"><circle cx="8" cy="3" r="1.6" fill="currentColor"/><circle cx="8" cy="8" r="1.6" fill="currentColor"/><circle cx="8" cy="13" r="1.6" fill="currentColor"/></svg>';
  const menu = node('div', 'menu');
  menu.id = menuId;
  menu.hidden = true;
  menu.setAttribute('role', 'menu');
  menu.setAttribute('aria-label', t(item.menu_label));
  item.menu.forEach((m, i) => {
    const mi = node('button', `menuitem${m.danger ? ' danger' : ''}`);
    mi.type = 'button';
    mi.tabIndex = -1;
    mi.setAttribute('role', 'menuitem');
    mi.dataset.action = m.action;
    const label = node('span', 'menuitem-label', t(m.label));
    label.id = `${menuId}-l${i}`;
    mi.setAttribute('aria-labelledby', label.id);
    mi.append(label);
    if (!m.enabled) {
      mi.setAttribute('aria-disabled', 'true');
      const reason = node('span', 'menuitem-reason', t(m.reason));
      reason.id = `${menuId}-r${i}`;
      mi.setAttribute('aria-describedby', reason.id);
      mi.append(reason);
    }
    mi.addEventListener('click', () => {
      if (m.enabled) activate(item.device, m.action, item.entry ? 'otp-kebab' : 'kebab', item.entry);
    });
    menu.append(mi);
  });
  button.addEventListener('click', (e) => {
    e.stopPropagation();
    if (menuOpen === key) closeMenu(); else openMenu(key);
  });
  button.addEventListener('keydown', (e) => {
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      openMenu(key, e.key === 'ArrowUp' ? 'last' : 'first');
    }
  });
  menu.addEventListener('keydown', (e) => {
    const items = menuItems(menu);
    const at = items.indexOf(document.activeElement);
    const go = (i) => items[(i + items.length) % items.length].focus();
    switch (e.key) {
      case 'ArrowDown': go(at + 1); break;
      case 'ArrowUp': go(at - 1); break;
      case 'Home': go(0); break;
      case 'End': go(items.length - 1); break;
      case 'Escape': closeMenu(); break;
      case 'Tab': closeMenu(false); return;
      default: {
        // Type-ahead: the first item starting with the typed letter.
        if (e.key.length !== 1) return;
        const k = e.key.toLowerCase();
        const next = items.findIndex((it, i) => i > at && it.textContent.toLowerCase().startsWith(k));
        const first = next >= 0 ? next : items.findIndex((it) => it.textContent.toLowerCase().startsWith(k));
        if (first >= 0) go(first);
      }
    }
    e.preventDefault();
    e.stopPropagation();
  });
  return [button, menu];
}

document.addEventListener('click', (e) => {
  if (menuOpen !== null && !e.target.closest('.menu, .kebab')) closeMenu(false);
});

// ---- OTP section ----
function buildOtp(item, index) {
  const otp = item.otp;
  const section = node('section', `otp otp-${otp.state}`);
  const headingId = `otp-h-${index}`;
  section.setAttribute('aria-labelledby', headingId);
  section.setAttribute('aria-busy', String(otp.state === 'loading'));
  const head = node('div', 'otp-head');
  const h = node('h3', 'otp-heading', t(otp.heading));
  h.id = headingId;
  head.append(h);
  if (otp.add) {
    const add = node('button', 'btn otp-add', t(otp.add));
    add.type = 'button';
    add.dataset.device = item.device;
    add.dataset.role = 'otp-add';
    add.addEventListener('click', () => activate(item.device, 'otp_add', 'otp-add'));
    head.append(add);
  }
  section.append(head);
  const message = otp.message ? node('p', 'muted otp-message', t(otp.message)) : null;
  if (message) {
    message.id = `${headingId}-msg`;
    section.append(message);
  }
  if (otp.unlock) {
    // A YKOATH key with an OATH password: the core opens its Unlock dialog.
    const unlock = node('button', 'btn primary otp-unlock', t(otp.unlock));
    unlock.type = 'button';
    unlock.dataset.device = item.device;
    unlock.dataset.role = 'otp-unlock';
    if (message) unlock.setAttribute('aria-describedby', message.id);
    unlock.addEventListener('click', () => activate(item.device, 'otp_unlock', 'otp-unlock'));
    section.append(unlock);
  }
  const list = node('ul', 'otp-list');
  list.setAttribute('role', 'list');
  otp.entries.forEach((e, i) => {
    const li = node('li', `otp-tile${e.empty ? ' empty' : ''}`);
    li.dataset.entry = e.entry;
    li.dataset.device = `${item.device}/${e.entry}`;
    const main = node('button', 'otp-main');
    main.type = 'button';
    main.dataset.role = 'otp';
    main.dataset.device = `${item.device}/${e.entry}`;
    const detailsId = `otp-d-${index}-${i}`;
    main.setAttribute('aria-label', `${t(e.title)}: ${t(e.label)}`);
    main.setAttribute('aria-describedby', detailsId);
    const title = node('span', 'otp-title', t(e.title));
    const meta = node('span', 'otp-meta');
    if (e.kind) meta.append(node('span', 'otp-kind', t(e.kind)));
    if (e.access) meta.append(node('span', 'otp-access muted', t(e.access)));
    if (e.empty) meta.append(node('span', 'otp-add-hint', t({ key: 'otp_add', args: [] })));
    main.append(title, meta);
    const details = node('span', 'otp-details muted', e.details?.map(t).join(' · ') ?? '');
    details.id = detailsId;
    main.title = details.textContent;
    main.addEventListener('click', () => activate(item.device, e.empty ? 'otp_add' : 'otp_code', 'otp', e.entry));
    li.append(main, details);
    if (e.menu_label) {
      li.append(...buildMenu({
        key: `${item.device}/${e.entry}`, device: item.device, entry: e.entry, menu_label: e.menu_label,
        menu: [{ action: 'otp_delete', label: { key: 'action_otp_delete', args: [] }, enabled: true, danger: true }],
      }, `${index}-${i}`));
    }
    list.append(li);
  });
  section.append(list);
  return section;
}

// ---- tiles ----
function buildTile(item, index) {
  const li = document.createElement('li');
  li.className = item.atr ? 'tile' : 'tile empty';
  li.tabIndex = 0;
  li.setAttribute('aria-label', t(item.label));
  if (item.device) li.dataset.device = item.device;
  const head = node('div', 'tile-head');
  head.append(node('span', 'tile-title', t(item.title)));
  if (item.lock) {
    const lock = node('span', `lock lock-${item.lock.state}`);
    lock.setAttribute('role', 'img');
    lock.setAttribute('aria-label', t(item.lock.label));
    lock.title = t(item.lock.label);
    lock.innerHTML = item.lock.state === 'verified' ? LOCK_ICONS.open : LOCK_ICONS.closed;
    head.append(lock);
  }
  if (item.menu?.length) head.append(...buildMenu(item, index));
  li.append(head, node('span', 'tile-reader muted', item.reader));
  if (item.id) li.append(node('span', 'tile-id muted', t(item.id)));
  if (item.atr) li.append(node('code', 'tile-atr', item.atr));
  if (item.notice) li.append(node('p', 'tile-notice', t(item.notice)));
  if (item.primary) {
    const b = node('button', 'btn primary tile-primary', t(item.primary.label));
    b.type = 'button';
    b.dataset.device = item.device;
    b.dataset.role = 'primary';
    b.addEventListener('click', () => activate(item.device, item.primary.action, 'primary'));
    li.append(b);
  }
  if (item.otp) li.append(buildOtp(item, index));
  return li;
}

let tilesJson = '';
function renderTiles(tokens) {
  const json = JSON.stringify(tokens.items);
  if (json === tilesJson) return;
  tilesJson = json;
  // Rebuilding must not lose the user's place: note focus and open menu, restore after.
  const a = document.activeElement;
  const focus = a?.closest?.('#token-list')
    ? { device: (a.dataset.device ?? a.closest('[data-device]')?.dataset.device), role: a.dataset.role, action: a.dataset.action, tile: a.matches('li') }
    : null;
  const wasOpen = menuOpen;
  menuOpen = null;
  $('token-list').replaceChildren(...tokens.items.map(buildTile));
  if (wasOpen !== null && document.querySelector(`.kebab[data-device="${CSS.escape(wasOpen)}"]`)) {
    openMenu(wasOpen, focus?.action ?? 'first');
  } else if (focus?.device) {
    const sel = `[data-device="${CSS.escape(focus.device)}"]`;
    const target = focus.tile ? document.querySelector(`li${sel}`)
      : document.querySelector(`#token-list [data-role="${focus.role ?? 'kebab'}"]${sel}`)
        ?? document.querySelector(`.kebab${sel}`);
    target?.focus();
  }
}

function render(view, renderDialog) {
  const c = view.connection;
  document.body.dataset.conn = c.state;
  document.body.dataset.tokens = view.tokens.state;
  const banner = $('connection');
  banner.className = `banner ${c.state}`;
  banner.setAttribute('aria-busy', String(c.busy));
  banner.hidden = c.state === 'connected';
  $('conn-title').textContent = t(c.title);
  $('conn-detail').textContent = t(c.detail);
  $('fix').hidden = !c.fix_command;
  $('fix-command').textContent = c.fix_command ?? '';
  $('host-summary').textContent = t(view.host?.summary);

  const notice = $('notice');
  notice.textContent = t(view.notice?.text);
  notice.className = `notice${view.notice ? ` tone-${view.notice.tone}` : ''}`;

  const tokens = view.tokens;
  $('tokens').hidden = tokens.state === 'hidden';
  $('tokens').setAttribute('aria-busy', String(tokens.state === 'loading'));
  $('tokens-message').textContent = t(tokens.message);
  renderTiles(tokens);

  if (renderDialog?.(view.dialog ?? null) && opener) {
    // Focus returns to what opened the dialog (the kebab, or the tile's button if still there).
    const key = opener.entry ? `${opener.device}/${opener.entry}` : opener.device;
    const role = opener.role === 'otp-kebab' ? 'otp' : opener.role;
    const sel = `[data-device="${CSS.escape(key)}"]`;
    if (opener.entry) {
      opener = null;
      return void (document.querySelector(`#token-list [data-role="${role}"]${sel}`)
        ?? document.querySelector(`#token-list [data-role="otp-add"][data-device="${CSS.escape(key.split('/')[0])}"]`))?.focus();
    }
    (document.querySelector(`#token-list [data-role="${opener.role}"]${sel}`)
      // Unlocked: the button is gone, the section's first account takes focus.
      ?? document.querySelector(`#token-list [data-role="otp"][data-device^="${CSS.escape(`${key}/`)}"]`)
      ?? document.querySelector(`.kebab${sel}`))?.focus();
    opener = null;
  }
  if (c.state === 'connected' && !performance.getEntriesByName('hello-shown').length) {
    performance.mark('hello-shown');
  }
}

$('fix-copy').addEventListener('click', async () => {
  await navigator.clipboard.writeText($('fix-command').textContent);
  $('fix-copy').textContent = chrome.i18n.getMessage('copied');
});

// Connect to the background while the wasm core compiles; replay what arrived meanwhile.
performance.mark('popup-js');
const port = chrome.runtime.connect({ name: 'popup' });
const early = [];
const buffer = (input) => early.push(input);
port.onMessage.addListener(buffer);
await init();
performance.mark('wasm-ready');
const brands = navigator.userAgentData?.brands?.map((b) => b.brand) ?? [];
let core = new PopupCore(location.href, JSON.stringify(brands));
const renderDialog = dialogRenderer({ t, send: (input) => send(input) });
render(JSON.parse(core.view()), renderDialog);

/** Says `text` to screen readers (polite). */
function announce(text) {
  const live = $('announce');
  live.textContent = '';
  setTimeout(() => { live.textContent = text; }, 50);
}

// The first wasm module has the tiles and the OTP code dialog only. When an
// input needs another dialog the core answers `load_full`: that step is
// discarded, the full module is loaded, every input applied so far is replayed
// into it (the core is deterministic: same state, same call ids; replayed calls
// and effects were already carried out), then the input is applied there.
let inputs = []; // inputs applied to the first module (null once on the full one)
let switching = null; // inputs waiting while the full module loads
let fullFailed = false;

async function switchToFull(first) {
  if (!inputs || switching || fullFailed) return;
  switching = first ? [first] : [];
  try {
    const full = await import('./wasm/tessera_core_full.js');
    await full.default();
    const next = new full.PopupCore(location.href, JSON.stringify(brands));
    for (const input of inputs) next.apply(JSON.stringify(input));
    core.free();
    core = next;
    inputs = null;
  } catch (e) {
    fullFailed = true;
    console.error('tessera: cannot load the full popup module', e);
  }
  const waiting = switching;
  switching = null;
  waiting.forEach(step);
}

function step(input) {
  if (switching) return void switching.push(input);
  const out = JSON.parse(core.apply(JSON.stringify(input)));
  if (inputs && out.effects?.some((e) => e.kind === 'load_full')) {
    if (fullFailed) return void announce(chrome.i18n.getMessage('load_failed'));
    return void switchToFull(input);
  }
  inputs?.push(input);
  render(out.view, renderDialog);
  for (const call of out.calls) port.postMessage({ kind: 'call', id: call.id, method: call.method, params: call.params });
  for (const effect of out.effects ?? []) {
    if (effect.kind === 'copy') {
      navigator.clipboard.writeText(effect.text)
        .then(() => announce(chrome.i18n.getMessage('copied')))
        .catch(() => announce(chrome.i18n.getMessage('copy_failed')));
    } else if (effect.kind === 'store_accounts') {
      saveAccounts(effect.accounts);
    } else if (effect.kind === 'capture') {
      runCapture(effect.source, step);
    }
  }
}
send = step;
// Account names the extension keeps (no secrets): the core names Crescendo slots with them.
step({ kind: 'accounts', accounts: await loadAccounts() });
onAccountsChanged((accounts) => step({ kind: 'accounts', accounts }));
// The tab's site (popup-fill.js asks the host): accounts added now are bound to it.
document.addEventListener('tessera-site', (e) => step({ kind: 'site', registrable: e.detail }));
if (document.body.dataset.fillSite) step({ kind: 'site', registrable: document.body.dataset.fillSite });
port.onMessage.removeListener(buffer);
early.splice(0).forEach(step);
port.onMessage.addListener(step);
// A region or context-menu image the background holds for this popup (QR capture).
listenForCaptures(step);
// Load the full module once the first view is up, so a dialog opens without a
// wait and the input log above stays short-lived.
requestIdleCallback(() => switchToFull(null), { timeout: 1000 });
