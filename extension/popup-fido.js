// FIDO dialog blocks (tessera-core popup/dialogs/fido): rows with a button each
// (the FIDO panel, passkeys per site, troubleshooting) and the countdown of
// "Touch your key". Rendering only: what a row says and what its button does
// is the core's; a press goes back as {kind: 'press', id}.

const busy = () => document.getElementById('dialog')?.getAttribute('aria-busy') === 'true';

/** A row list: heading (a site), then rows of title, detail and an optional button. */
function buildRows(b, { send, el }) {
  const list = el('ul', { class: 'rows-list', role: 'list' });
  for (const r of b.items) {
    const text = el('div', { class: 'row-text' },
      el('span', { class: 'row-title' }), r.detail ? el('span', { class: 'row-detail' }) : null);
    const li = el('li', { class: `row tone-${r.tone}` }, text);
    if (r.button) {
      const button = el('button', {
        type: 'button', class: `btn row-btn${r.button.danger ? ' danger-text' : ''}`, 'data-id': r.button.id,
      });
      button.addEventListener('click', () => {
        if (!busy()) send({ kind: 'press', id: r.button.id });
      });
      li.append(button);
    }
    list.append(li);
  }
  const section = el('section', { class: 'rows' });
  if (b.label) section.append(el('h3', { class: 'rows-label' }));
  section.append(list);
  section.dataset.sig = signature(b);
  return section;
}

const signature = (b) => b.items.map((r) => `${r.tone}:${r.button?.id ?? ''}:${r.detail ? 1 : 0}`).join('|');

/** Seconds left, counted down from when the block first showed. */
function buildCountdown(b, { t, el }) {
  const node = el('p', { class: 'countdown', role: 'timer', 'aria-atomic': 'true' });
  const start = performance.now();
  let shown = false;
  const tick = () => {
    if (node.isConnected) shown = true;
    else if (shown) return clearInterval(timer);
    const left = Math.max(0, Math.ceil((b.ms - (performance.now() - start)) / 1000));
    node.dataset.seconds = String(left);
    node.textContent = t({ key: b.text.key, args: [String(left)] });
  };
  const timer = setInterval(tick, 250);
  tick();
  return node;
}

/** Builds the node of a FIDO block type, or null for other types. */
export function buildFidoBlock(b, ctx) {
  if (b.type === 'rows') return buildRows(b, ctx);
  if (b.type === 'countdown') return buildCountdown(b, ctx);
  return null;
}

/**
 * Says each step of the FIDO dialog (the reset wizard's "Unplug your key now",
 * "Plug it back in", …) through a live region that outlives the rebuilt body:
 * a status element inserted with its text is not reliably read out.
 */
function announce(text) {
  const dialog = document.getElementById('dialog');
  let live = document.getElementById('fido-live');
  if (!live) {
    live = document.createElement('p');
    live.id = 'fido-live';
    live.className = 'sr-only';
    live.setAttribute('aria-live', 'assertive');
    dialog.append(live);
  }
  if (live.textContent !== text) live.textContent = text;
}

/** Updates a FIDO block's texts in place (rebuilding a row list whose shape changed). */
export function updateFidoBlock(node, b, ctx) {
  if (b.type === 'progress' && document.getElementById('dialog')?.dataset.kind === 'fido') announce(ctx.t(b.text));
  if (b.type !== 'rows') return;
  if (node.dataset.sig !== signature(b)) {
    const focused = document.activeElement?.dataset?.id;
    const fresh = buildRows(b, ctx);
    node.replaceWith(fresh);
    node = fresh;
    if (focused) node.querySelector(`[data-id="${CSS.escape(focused)}"]`)?.focus();
  }
  const { t } = ctx;
  node.querySelector('.rows-label')?.replaceChildren(t(b.label));
  b.items.forEach((r, i) => {
    const li = node.querySelectorAll('li.row')[i];
    li.querySelector('.row-title').textContent = t(r.title);
    const detail = li.querySelector('.row-detail');
    if (detail) detail.textContent = t(r.detail);
    const button = li.querySelector('.row-btn');
    if (button) {
      button.textContent = t(r.button.label);
      button.setAttribute('aria-label', `${t(r.button.label)}: ${t(r.button.aria)}`);
      button.toggleAttribute('aria-disabled', ctx.busy);
    }
  });
}
