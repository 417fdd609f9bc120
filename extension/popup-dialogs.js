// Dialog glue: renders the core's DialogView into the <dialog> and forwards
// field changes and button presses back as inputs. No decisions here (what to
// show, check or send is in tessera-core popup/dialogs); typed values live in
// the inputs and in the core only, never in storage or the console.

import { buildFidoBlock, updateFidoBlock } from './popup-fido.js';
import { buildCaptureBlock } from './popup-capture.js';
import { buildKeysField, updateKeysField } from './popup-keys.js';

const $ = (id) => document.getElementById(id);

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') node.className = v;
    else if (k === 'text') node.textContent = v;
    else if (k in node && typeof v !== 'string') node[k] = v;
    else node.setAttribute(k, v === true ? '' : v);
  }
  node.append(...children.filter(Boolean));
  return node;
}

const fieldId = (name) => `f-${name}`;

/** A structural fingerprint: same fingerprint → update in place (keeps focus and caret). */
function shape(d) {
  return [d.kind, d.step, d.form, ...d.blocks.map((b) =>
    `${b.type}:${b.name ?? ''}:${b.input ?? ''}:${b.options?.length ?? ''}:${b.items?.length ?? ''}`)].join('|');
}

export function dialogRenderer({ t, send }) {
  const dialog = $('dialog');
  const body = $('dlg-body');
  const actions = $('dlg-actions');
  let shown = null; // { fingerprint, kind, form } of what is rendered
  let current = null; // last DialogView
  // What was typed in this form generation, to refill inputs when a wizard
  // step is shown again (memory only; dropped with the generation).
  let typed = new Map();

  const sendField = (name, value) => {
    typed.set(name, value);
    send({ kind: 'field', name, value });
  };

  // Esc: the core decides whether the dialog may close (not while a write runs,
  // not before the PUK was acknowledged).
  dialog.addEventListener('cancel', (e) => {
    e.preventDefault();
    send({ kind: 'close' });
  });
  $('dlg-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const primary = current?.actions.find((a) => a.primary);
    if (primary?.enabled) send({ kind: 'press', id: primary.id });
  });

  function describedBy(name, b) {
    const ids = [];
    if (b.hint) ids.push(`${fieldId(name)}-hint`);
    ids.push(`${fieldId(name)}-err`);
    return ids.join(' ');
  }

  function buildField(b) {
    const id = fieldId(b.name);
    const hint = b.hint ? el('p', { class: 'hint', id: `${id}-hint`, text: t(b.hint) }) : null;
    const err = el('p', { class: 'field-error', id: `${id}-err` });
    if (b.input === 'keys') {
      return buildKeysField(b, { t, el, sendField, recorded: typed.get(b.name), id, describedBy: describedBy(b.name, b) });
    }
    if (b.input === 'radio') {
      const set = el('fieldset', { class: 'field radio', id, 'aria-describedby': `${id}-err` },
        el('legend', { text: t(b.label) }));
      for (const o of b.options) {
        const input = el('input', { type: 'radio', name: b.name, id: `${id}-${o.value}`, value: o.value });
        input.addEventListener('change', () => input.checked && sendField(b.name, o.value));
        set.append(el('label', { class: 'choice', for: input.id }, input, el('span', { text: t(o.label) })));
      }
      set.append(...[hint, err].filter(Boolean));
      return set;
    }
    if (b.input === 'checkbox') {
      const input = el('input', { type: 'checkbox', id, name: b.name, 'aria-describedby': describedBy(b.name, b) });
      input.addEventListener('change', () => sendField(b.name, String(input.checked)));
      return el('div', { class: 'field check' },
        el('div', { class: 'check-row' }, input, el('label', { for: id, text: t(b.label) })), hint, err);
    }
    let input;
    if (b.input === 'select') {
      input = el('select', { id, name: b.name });
      for (const o of b.options) {
        // An option the token cannot take stays visible, greyed, with the reason.
        input.append(el('option', { value: o.value, disabled: Boolean(o.reason), text: o.reason ? `${t(o.label)} (${t(o.reason)})` : t(o.label) }));
      }
      input.addEventListener('change', () => sendField(b.name, input.value));
    } else {
      input = el('input', {
        id, name: b.name, type: b.input, autocomplete: b.autocomplete, inputmode: b.inputmode,
        min: b.min, max: b.max, spellcheck: 'false', autocapitalize: 'off',
      });
      input.addEventListener('input', () => sendField(b.name, input.value));
    }
    input.setAttribute('aria-describedby', describedBy(b.name, b));
    if (b.mono) input.classList.add('mono');
    return el('div', { class: 'field' }, el('label', { for: id, text: t(b.label) }), input, hint, err);
  }

  function buildRules(b) {
    const list = el('ul');
    for (const _ of b.items) list.append(el('li', {}, el('span', { class: 'mark', 'aria-hidden': 'true' }),
      el('span', { class: 'rule-text' }), el('span', { class: 'sr-only rule-state' })));
    return el('div', { class: 'rules', id: 'dlg-rules' }, el('p', { class: 'rules-label' }), list);
  }

  function buildOutput(b) {
    const copy = b.copy ? el('button', { type: 'button', class: 'btn copy', 'data-copy': b.name, text: t({ key: 'btn_copy', args: [] }) }) : null;
    copy?.addEventListener('click', async () => {
      await navigator.clipboard.writeText(body.querySelector(`[data-output="${b.name}"]`).textContent);
      copy.textContent = t({ key: 'copied', args: [] });
    });
    return el('div', { class: 'output' },
      el('span', { class: 'output-label', id: `o-${b.name}-label` }),
      el('code', { class: 'output-value', 'data-output': b.name, 'aria-labelledby': `o-${b.name}-label` }),
      copy);
  }

  function build(d) {
    body.replaceChildren(...d.blocks.map((b) => {
      switch (b.type) {
        case 'text': return el('p', { class: `dlg-text tone-${b.tone}` });
        case 'field': return buildField(b);
        case 'rules': return buildRules(b);
        case 'output': return buildOutput(b);
        case 'progress': return el('p', { class: 'progress', role: 'status' },
          el('span', { class: 'spinner', 'aria-hidden': 'true' }), el('span', { class: 'progress-text' }));
        case 'touch': return el('div', { class: 'touch', role: 'status' },
          el('span', { class: 'touch-icon', 'aria-hidden': 'true' }),
          el('span', {}, el('strong', { class: 'touch-text' }), el('span', { class: 'touch-seconds muted' })));
        case 'code': return el('div', { class: 'otp-code-box' },
          el('p', { class: 'otp-code-label', id: 'otp-code-label' }),
          el('output', { class: 'otp-code', 'aria-labelledby': 'otp-code-label', 'data-output': 'code' }),
          el('div', { class: 'countdown' }, el('div', { class: 'countdown-bar' }, el('span')),
            el('p', { class: 'countdown-text muted' })));
        default: return buildFidoBlock(b, { t, send, el }) ?? buildCaptureBlock(b, { t, send, el }) ?? el('div');
      }
    }));
    for (const input of body.querySelectorAll('input:not([type=radio]):not([type=checkbox])')) {
      if (typed.has(input.name)) input.value = typed.get(input.name);
    }
    // The PIN policy above the new-PIN field describes it.
    const newPin = body.querySelector('input[name="new"]');
    if (newPin && body.querySelector('#dlg-rules')) {
      newPin.setAttribute('aria-describedby', `dlg-rules ${newPin.getAttribute('aria-describedby')}`);
    }
  }

  function update(d) {
    $('dlg-title').textContent = t(d.title);
    $('dlg-subtitle').textContent = t(d.subtitle);
    dialog.setAttribute('aria-busy', String(d.busy));
    dialog.dataset.kind = d.kind;
    dialog.dataset.step = d.step;
    d.blocks.forEach((b, i) => {
      const node = body.children[i];
      if (!node) return;
      if (b.type === 'text') node.textContent = t(b.text);
      updateFidoBlock(node, b, { t, send, el, busy: d.busy });
      if (b.type === 'progress') node.querySelector('.progress-text').textContent = t(b.text);
      if (b.type === 'touch') {
        node.querySelector('.touch-text').textContent = t(b.text);
        node.querySelector('.touch-seconds').textContent = ` ${t({ key: 'otp_touch_seconds', args: [String(b.seconds)] })}`;
      }
      if (b.type === 'code') {
        node.querySelector('.otp-code-label').textContent = t(b.label);
        node.querySelector('.otp-code').textContent = b.value.replace(/^(\d{3,4})(\d{3,4})$/, '$1 $2');
        node.querySelector('.otp-code').dataset.code = b.value;
        node.querySelector('.countdown').hidden = !b.valid_until;
        tick();
      }
      if (b.type === 'output') {
        node.querySelector('.output-label').textContent = t(b.label);
        node.querySelector('.output-value').textContent = b.value;
      }
      if (b.type === 'rules') {
        node.querySelector('.rules-label').textContent = t(b.label);
        b.items.forEach((r, j) => {
          const li = node.querySelectorAll('li')[j];
          const state = r.met === undefined ? 'pending' : (r.met ? 'met' : 'unmet');
          li.className = state;
          li.querySelector('.mark').textContent = { pending: '•', met: '✓', unmet: '✗' }[state];
          li.querySelector('.rule-text').textContent = t(r.text);
          li.querySelector('.rule-state').textContent =
            state === 'pending' ? '' : ` (${t({ key: state === 'met' ? 'rule_met' : 'rule_unmet', args: [] })})`;
        });
      }
      if (b.type === 'field' && b.input === 'keys') {
        updateKeysField(node, b, { t, el, id: fieldId(b.name), busy: d.busy });
      } else if (b.type === 'field') {
        const id = fieldId(b.name);
        const label = node.querySelector(`label[for="${id}"]`);
        if (label) label.textContent = t(b.label);
        const errors = b.errors ?? [];
        const err = node.querySelector(`#${id}-err`);
        err.replaceChildren(...errors.map((e) => el('span', { text: t(e) })));
        const inputs = b.input === 'radio' ? [...node.querySelectorAll('input')] : [node.querySelector(`#${id}`)];
        for (const input of inputs) {
          input.disabled = b.disabled;
          input.toggleAttribute('aria-invalid', errors.length > 0);
          if (input.type !== 'checkbox' && input.type !== 'radio') input.readOnly = d.busy;
          if (b.value === undefined) continue; // secrets are never echoed back
          if (input.type === 'checkbox') input.checked = b.value === 'true';
          else if (input.type === 'radio') input.checked = input.value === b.value;
          else if (input.value !== b.value) input.value = b.value;
        }
        if (b.input === 'radio') node.toggleAttribute('aria-invalid', errors.length > 0);
      }
    });
    const err = $('dlg-error');
    err.textContent = t(d.error);
    if (d.error) dialog.setAttribute('aria-describedby', 'dlg-error');
    else dialog.removeAttribute('aria-describedby');
    const focusedId = document.activeElement?.dataset?.id;
    // Visual order left to right = tab order: the primary button comes last.
    const buttons = [...d.actions].reverse();
    const sameButtons = [...actions.children].map((b) => b.dataset.id).join() === buttons.map((a) => a.id).join();
    actions.replaceChildren(...buttons.map((a) => {
      const button = el('button', {
        type: a.primary ? 'submit' : 'button',
        class: `btn${a.primary ? ' primary' : ''}${a.danger ? ' danger' : ''}`,
        'data-id': a.id,
        'aria-disabled': a.enabled ? null : 'true',
        'aria-busy': a.busy ? 'true' : null,
      });
      if (a.busy) button.append(el('span', { class: 'spinner', 'aria-hidden': 'true' }));
      button.append(el('span', { text: t(a.label) }));
      if (a.busy) button.append(el('span', { class: 'sr-only', text: t({ key: 'progress_working', args: [] }) }));
      if (!a.primary) {
        button.addEventListener('click', () => {
          if (current?.actions.find((x) => x.id === a.id)?.enabled) send({ kind: 'press', id: a.id });
        });
      }
      return button;
    }));
    if (focusedId && sameButtons) actions.querySelector(`[data-id="${focusedId}"]`)?.focus();
  }

  function focusFirst(d) {
    const invalid = body.querySelector('[aria-invalid]');
    if (invalid) return (invalid.matches('fieldset') ? invalid.querySelector('input') : invalid).focus();
    const input = body.querySelector('input:not([disabled]):not([type=hidden]), select:not([disabled])');
    if (input) return input.focus();
    (body.querySelector('.copy, .row-btn') ?? actions.querySelector('.primary') ?? actions.querySelector('button'))?.focus();
  }

  // The TOTP countdown: only re-renders the seconds left of the shown code.
  function tick() {
    const code = current?.blocks.find((b) => b.type === 'code');
    const box = body.querySelector('.countdown');
    if (!code?.valid_until || !box) return;
    const left = Math.max(0, Math.ceil(code.valid_until - Date.now() / 1000));
    box.querySelector('.countdown-bar span').style.width = `${Math.min(100, (100 * left) / (code.period || 30))}%`;
    box.querySelector('.countdown-text').textContent = left > 0
      ? t({ key: 'otp_valid_for', args: [String(left)] }) : t({ key: 'otp_expired', args: [] });
    box.dataset.left = String(left);
  }
  setInterval(tick, 1000);

  /** Renders `d` (a DialogView or null); returns true when the dialog just closed. */
  return function render(d) {
    if (!d) {
      current = null;
      typed = new Map();
      if (!dialog.open) return false;
      shown = null;
      body.replaceChildren();
      dialog.close();
      document.body.style.minHeight = '';
      return true;
    }
    const errorsOf = (v) => JSON.stringify(v.blocks.map((b) => b.errors ?? [])) + JSON.stringify(v.error ?? '');
    const countErrors = (v) => v.blocks.reduce((n, b) => n + (b.errors?.length ?? 0), 0);
    const previous = current;
    const hadErrors = current && errorsOf(current);
    current = d;
    const fingerprint = shape(d);
    let rebuilt = false;
    if (fingerprint !== shown?.fingerprint) {
      // A new form generation (the core wiped the secrets) starts empty.
      const sameForm = shown?.kind === d.kind && shown?.form === d.form;
      if (!sameForm) typed = new Map();
      const focused = document.activeElement?.getAttribute?.('name');
      build(d);
      shown = { fingerprint, kind: d.kind, form: d.form };
      rebuilt = true;
      update(d);
      if (!dialog.open) dialog.showModal();
      const again = focused && sameForm && body.querySelector(`[name="${focused}"]`);
      if (again && !again.matches('[type=radio]')) again.focus();
      else if (again) body.querySelector(`[name="${focused}"]:checked`)?.focus();
      else focusFirst(d);
    } else {
      update(d);
    }
    // After a refused submit (errors appeared), take the user to the first field
    // that needs fixing, unless they are already in one.
    const invalid = body.querySelector('[aria-invalid]');
    if (!rebuilt && hadErrors !== errorsOf(d) && invalid && countErrors(d) >= countErrors(previous ?? d)
      && !document.activeElement?.closest?.('[aria-invalid]')) focusFirst(d);
    document.body.style.minHeight = `${dialog.offsetHeight + 24}px`;
    return false;
  };
}
