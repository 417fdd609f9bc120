// Popup glue: feeds background messages to the wasm state machine and renders
// the view it returns. No decisions here; see tessera-core popup.rs.
import init, { PopupCore } from './wasm/tessera_core.js';

const $ = (id) => document.getElementById(id);
const t = (text) => (text ? chrome.i18n.getMessage(text.key, text.args) || text.key : '');

for (const el of document.querySelectorAll('[data-i18n]')) el.textContent = chrome.i18n.getMessage(el.dataset.i18n);

function render(view) {
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

  const tokens = view.tokens;
  $('tokens').hidden = tokens.state === 'hidden';
  $('tokens').setAttribute('aria-busy', String(tokens.state === 'loading'));
  $('tokens-message').textContent = t(tokens.message);
  const list = $('token-list');
  list.replaceChildren(...tokens.items.map((item) => {
    const li = document.createElement('li');
    li.className = item.atr ? 'tile' : 'tile empty';
    li.tabIndex = 0;
    li.setAttribute('aria-label', t(item.label));
    const title = document.createElement('span');
    title.className = 'tile-title';
    title.textContent = t(item.title);
    const reader = document.createElement('span');
    reader.className = 'tile-reader muted';
    reader.textContent = item.reader;
    li.append(title, reader);
    if (item.id) {
      const id = document.createElement('span');
      id.className = 'tile-id muted';
      id.textContent = t(item.id);
      li.append(id);
    }
    if (item.atr) {
      const atr = document.createElement('code');
      atr.className = 'tile-atr';
      atr.textContent = item.atr;
      li.append(atr);
    }
    return li;
  }));
  if (c.state === 'connected' && !performance.getEntriesByName('hello-shown').length) {
    performance.mark('hello-shown');
  }
}

$('fix-copy').addEventListener('click', async () => {
  await navigator.clipboard.writeText($('fix-command').textContent);
  $('fix-copy').textContent = chrome.i18n.getMessage('copied');
});

// Connect to the background while the wasm core compiles; replay what arrived meanwhile.
const port = chrome.runtime.connect({ name: 'popup' });
const early = [];
const buffer = (input) => early.push(input);
port.onMessage.addListener(buffer);
await init();
const brands = navigator.userAgentData?.brands?.map((b) => b.brand) ?? [];
const core = new PopupCore(location.href, JSON.stringify(brands));
render(JSON.parse(core.view()));

let nextId = 1;
function step(input) {
  const out = JSON.parse(core.apply(JSON.stringify(input)));
  render(out.view);
  for (const call of out.calls) port.postMessage({ kind: 'call', id: nextId++, method: call.method, params: call.params });
}
port.onMessage.removeListener(buffer);
early.splice(0).forEach(step);
port.onMessage.addListener(step);
