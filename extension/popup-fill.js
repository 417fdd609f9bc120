// Popup glue for one-click fill: renders what the background (bg-fill.js, over
// the extension-only "fill" port) and tessera-core decided: the accounts bound
// to this tab's site first, the refusal with both domains side by side, the
// touch prompt. The tab is the one the toolbar button was clicked on (or, for
// tests, `?tab=<id>`: the background still reads that tab's URL from the browser).

import { onAccountsChanged } from './accounts-store.js';

const $ = (id) => document.getElementById(id);
const msg = (key, ...args) => chrome.i18n.getMessage(key, args.map(String)) || key;
const tr = (text) => (text ? chrome.i18n.getMessage(text.key, text.args) || text.key : '');

for (const el of document.querySelectorAll('#fill [data-i18n]')) el.textContent = msg(el.dataset.i18n);

const param = new URLSearchParams(location.search).get('tab');
const inTab = param !== null;
const tabId = inTab ? Number(param) : (await chrome.tabs.query({ active: true, currentWindow: true }))[0]?.id;
const port = chrome.runtime.connect({ name: 'fill' });
let refusing = null; // the refused account's key and the domain shown
let opener = null; // the button that asked, to give focus back

function status(text, tone = '') {
  const s = $('fill-status');
  s.textContent = text;
  s.className = `fill-status${tone ? ` ${tone}` : ''}`;
  document.body.dataset.fill = tone || 'idle';
}

/** Tells the popup's core which site accounts added now are bound to. */
function shareSite(site) {
  document.body.dataset.fillSite = site?.registrable ?? '';
  document.dispatchEvent(new CustomEvent('tessera-site', { detail: site?.registrable ?? null }));
}

function item(c) {
  const li = document.createElement('li');
  li.className = `fill-item${c.bound ? ' bound' : ''}`;
  li.dataset.key = c.key;
  const name = document.createElement('span');
  name.className = 'fill-name';
  name.textContent = tr(c.title);
  const small = document.createElement('small');
  small.textContent = c.domains.length ? c.domains.join(', ') : msg('fill_unbound');
  name.append(small);
  const b = document.createElement('button');
  b.type = 'button';
  b.className = 'fill-go';
  b.textContent = msg('fill_button');
  b.setAttribute('aria-label', msg('fill_button_label', tr(c.title)));
  b.addEventListener('click', () => {
    opener = b;
    hideRefusal(false);
    status(msg(c.touch ? 'fill_touch' : 'fill_working'), 'busy');
    port.postMessage({ kind: 'fill', tab: tabId, key: c.key });
  });
  li.append(name, b);
  return li;
}

function render(state) {
  shareSite(state.site);
  if (!state.site) {
    $('fill').hidden = true;
    return;
  }
  $('fill').hidden = false;
  $('fill-heading').textContent = msg('fill_heading', state.site.registrable);
  const warn = state.warnings ?? [];
  $('fill-warning').hidden = warn.length === 0;
  $('fill-warning').textContent = warn.map((w) => msg(`fill_warn_${w}`)).join(' ');
  const bound = state.candidates.filter((c) => c.bound);
  const others = state.candidates.filter((c) => !c.bound);
  $('fill-bound').replaceChildren(...bound.map(item));
  $('fill-none').hidden = bound.length > 0;
  $('fill-none').textContent = msg(state.candidates.length ? 'fill_none_bound' : 'fill_no_accounts');
  $('fill-others').replaceChildren(...others.map(item));
  $('fill-others-box').hidden = others.length === 0;
  if (bound.length === 0 && others.length) $('fill-others-box').open = true;
  $('fill-autosubmit').checked = state.autoSubmit === true;
  document.body.dataset.fillReady = String(bound.length);
}

function showRefusal(o) {
  refusing = { key: o.key, domain: o.current };
  $('fill-refuse-title').textContent = msg('fill_refuse_title', tr(o.title));
  $('fill-refuse-bound').textContent = o.bound.length ? o.bound.join(', ') : msg('fill_unbound');
  $('fill-refuse-current').textContent = o.current;
  $('fill-refuse-text').textContent = msg(o.bound.length ? 'fill_refuse_text' : 'fill_refuse_text_unbound', o.current);
  $('fill-refuse-add').textContent = msg('fill_refuse_add', o.current);
  $('fill-refuse').hidden = false;
  status('', 'refused');
  $('fill-refuse-cancel').focus();
}

function hideRefusal(refocus = true) {
  if ($('fill-refuse').hidden) return;
  $('fill-refuse').hidden = true;
  refusing = null;
  if (refocus) opener?.focus();
}

function onResult(o) {
  switch (o.kind) {
    case 'filled':
      status(msg(o.submitted ? 'fill_done_submitted' : 'fill_done', tr(o.account.title)), 'ok');
      port.postMessage({ kind: 'state', tab: tabId }); // a new binding moves the account up
      if (!inTab) setTimeout(() => window.close(), 800);
      break;
    case 'refuse':
      showRefusal(o);
      break;
    case 'popup':
      if (o.reason === 'pin' && o.key) {
        // PINs are typed in the popup only: the account's code dialog asks,
        // then copies the code for the user to paste.
        status(msg('fill_needs_pin'), 'bad');
        document.querySelector(`#token-list [data-role="otp"][data-device="${CSS.escape(o.key)}"]`)?.click();
      } else {
        status(msg(`fill_title_${o.reason}`), 'bad');
      }
      break;
    case 'no_field':
      status(msg('fill_title_no_field'), 'bad');
      break;
    case 'no_access':
      status(msg('fill_title_no_access'), 'bad');
      break;
    default:
      status(o.code === 'touch_timeout' ? msg('fill_touch_timeout') : msg('fill_error', o.message ?? o.code ?? ''), 'bad');
  }
}

port.onMessage.addListener((m) => {
  switch (m.kind) {
    case 'state': render(m); break;
    case 'touch': status(m.remaining_ms != null ? msg('fill_touch_seconds', Math.ceil(m.remaining_ms / 1000)) : msg('fill_touch'), 'touch'); break;
    case 'result': onResult(m.outcome); break;
    case 'export': {
      const a = document.createElement('a');
      a.href = URL.createObjectURL(new Blob([m.text], { type: 'application/json' }));
      a.download = 'tessera-site-bindings.json';
      a.click();
      setTimeout(() => URL.revokeObjectURL(a.href), 1000);
      status(msg('fill_exported'), 'ok');
      break;
    }
    case 'import':
      status(m.error ? msg('fill_import_failed', m.error) : msg('fill_imported', m.added), m.error ? 'bad' : 'ok');
      port.postMessage({ kind: 'state', tab: tabId });
      break;
    default:
  }
});

$('fill-refuse-cancel').addEventListener('click', () => { hideRefusal(); status(msg('fill_cancelled')); });
$('fill-refuse-add').addEventListener('click', () => {
  if (!refusing) return;
  const { key, domain } = refusing;
  hideRefusal(false);
  status(msg('fill_working'), 'busy');
  port.postMessage({ kind: 'bind', tab: tabId, key, domain });
});
$('fill-refuse').addEventListener('keydown', (e) => {
  if (e.key === 'Escape') { e.preventDefault(); e.stopPropagation(); hideRefusal(); status(msg('fill_cancelled')); }
});
$('fill-autosubmit').addEventListener('change', (e) => port.postMessage({ kind: 'auto_submit', value: e.target.checked }));
$('fill-export').addEventListener('click', () => port.postMessage({ kind: 'export' }));
$('fill-import').addEventListener('click', () => $('fill-import-file').click());
$('fill-import-file').addEventListener('change', async (e) => {
  const file = e.target.files?.[0];
  if (file) port.postMessage({ kind: 'import', text: await file.text() });
  e.target.value = '';
});

// An account added or bound meanwhile (this popup's enroll dialog, the background).
onAccountsChanged(() => { if (tabId != null) port.postMessage({ kind: 'state', tab: tabId }); });
if (tabId != null) port.postMessage({ kind: 'state', tab: tabId });
else shareSite(null);
