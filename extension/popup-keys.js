// Key recorder glue (the Key button dialog's static password): records the
// physical keys pressed (KeyboardEvent.code + Shift + AltGr) and sends the list
// to the core as JSON; the core checks them and says what they type on this
// layout (wasm-core/src/keyboard.rs, popup/dialogs/key_button.rs). The
// characters are hidden until the user asks to see them.

const MODIFIERS = new Set(['ShiftLeft', 'ShiftRight', 'AltRight', 'AltLeft', 'ControlLeft', 'ControlRight',
  'MetaLeft', 'MetaRight', 'CapsLock']);

/** Builds the recorder for field view `b`; `recorded` is the JSON sent last (this form generation). */
export function buildKeysField(b, { t, el, sendField, recorded, id, describedBy }) {
  let keys = [];
  try { keys = JSON.parse(recorded ?? '[]'); } catch { keys = []; }
  let shown = false;
  const send = () => {
    sendField(b.name, JSON.stringify(keys));
    count.textContent = t({ key: 'button_recorded', args: [String(keys.length)] });
  };
  const box = el('div', {
    id, name: b.name, class: 'key-recorder mono', role: 'textbox', tabindex: '0', 'aria-multiline': 'false',
    'aria-describedby': describedBy, 'aria-labelledby': `${id}-label`,
  });
  const count = el('span', { class: 'sr-only', 'aria-live': 'polite' });
  box.addEventListener('keydown', (e) => {
    if (e.code === 'Tab' || e.code === 'Escape' || MODIFIERS.has(e.code) || e.isComposing) return;
    e.preventDefault();
    if (e.code === 'Backspace') keys.pop();
    else keys.push({ code: e.code, shift: e.shiftKey, altgr: e.getModifierState('AltGraph') });
    send();
  });
  const show = el('button', { type: 'button', class: 'btn small', 'aria-pressed': 'false', 'aria-controls': id });
  show.textContent = t({ key: 'button_show', args: [] });
  show.addEventListener('click', () => {
    shown = !shown;
    show.setAttribute('aria-pressed', String(shown));
    show.textContent = t({ key: shown ? 'button_hide' : 'button_show', args: [] });
    box.dataset.shown = String(shown);
    paint(box, box.dataset.value ?? '');
  });
  const tab = el('button', { type: 'button', class: 'btn small' });
  tab.textContent = t({ key: 'button_add_tab', args: [] });
  tab.addEventListener('click', () => { keys.push({ code: 'Tab', shift: false, altgr: false }); send(); box.focus(); });
  const clear = el('button', { type: 'button', class: 'btn small' });
  clear.textContent = t({ key: 'button_clear', args: [] });
  clear.addEventListener('click', () => { keys = []; send(); box.focus(); });
  // The layout map lets the core show what the keys type here (Chromium only).
  navigator.keyboard?.getLayoutMap?.()
    .then((map) => sendField('layout', JSON.stringify(Object.fromEntries(map))))
    .catch(() => {});
  const hint = b.hint ? el('p', { class: 'hint', id: `${id}-hint` }) : null;
  const err = el('p', { class: 'field-error', id: `${id}-err` });
  const node = el('div', { class: 'field keys' },
    el('span', { class: 'label', id: `${id}-label`, text: t(b.label) }), box,
    el('div', { class: 'key-tools' }, show, tab, clear), count, hint, err);
  updateKeysField(node, b, { t, el, id });
  return node;
}

function paint(box, value) {
  box.textContent = box.dataset.shown === 'true' ? value : '•'.repeat([...value].length);
}

/** Updates the recorder in place: what the keys type (masked), hint, errors. */
export function updateKeysField(node, b, { t, el, id, busy }) {
  const box = node.querySelector(`#${id}`);
  box.dataset.value = b.value ?? '';
  paint(box, b.value ?? '');
  box.setAttribute('aria-readonly', String(Boolean(busy)));
  const label = node.querySelector(`#${id}-label`);
  if (label) label.textContent = t(b.label);
  const hint = node.querySelector(`#${id}-hint`);
  if (hint) hint.textContent = t(b.hint);
  const errors = b.errors ?? [];
  node.querySelector(`#${id}-err`).replaceChildren(...errors.map((e) => el('span', { text: t(e) })));
  box.toggleAttribute('aria-invalid', errors.length > 0);
}
