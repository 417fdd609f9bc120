// Fill plumbing, injected into the active tab with chrome.scripting only when
// the user asks (popup click, shortcut, context menu; activeTab). It describes
// the page's inputs and types a code where tessera-core's fill plan says
// (wasm-core/src/fill.rs decides; nothing is decided here). Both functions are
// self-contained: executeScript serialises them into the page's isolated world.

/** Describes the visible inputs of this document and its same-origin frames. */
export function collectFields() {
  const out = [];
  const docs = [document];
  for (const f of document.querySelectorAll('iframe')) {
    try { if (f.contentDocument) docs.push(f.contentDocument); } catch { /* cross-origin: not ours */ }
  }
  docs.forEach((doc, frame) => {
    const inputs = [...doc.querySelectorAll('input, textarea')];
    inputs.forEach((el) => {
      const r = el.getBoundingClientRect();
      const style = doc.defaultView.getComputedStyle(el);
      const labelled = el.labels?.[0]?.textContent
        ?? (el.getAttribute('aria-labelledby') ? doc.getElementById(el.getAttribute('aria-labelledby'))?.textContent : '')
        ?? '';
      const form = el.form ?? el.parentElement;
      out.push({
        index: out.length,
        frame,
        type: (el.getAttribute('type') ?? (el.tagName === 'TEXTAREA' ? 'textarea' : 'text')).toLowerCase(),
        name: el.name ?? '',
        id: el.id ?? '',
        autocomplete: el.getAttribute('autocomplete') ?? '',
        inputmode: el.getAttribute('inputmode') ?? '',
        max_length: el.maxLength > 0 ? el.maxLength : null,
        label: (labelled || el.closest('label')?.textContent || '').trim().slice(0, 200),
        placeholder: el.placeholder ?? '',
        aria_label: el.getAttribute('aria-label') ?? el.parentElement?.getAttribute('aria-label') ?? '',
        visible: r.width > 0 && r.height > 0 && style.visibility !== 'hidden' && style.display !== 'none',
        enabled: !el.disabled,
        readonly: el.readOnly,
        x: Math.round(r.left), y: Math.round(r.top), width: Math.round(r.width),
        group: form ? [...doc.querySelectorAll('form, div, fieldset')].indexOf(form) + 1 : 0,
      });
      el.dataset.tesseraIndex = String(out.length - 1);
    });
  });
  return out;
}

/**
 * Types `code` per `plan` ({kind: single, index} | {kind: split, indices}).
 * Uses the native value setter and input/change events, so framework-controlled
 * inputs (React, Vue) see the change; returns how many fields were filled.
 * `submit` (the user's auto-submit setting, off by default) then submits the
 * filled field's form (or, in a same-origin frame, the form around the frame).
 */
export function fillCode(plan, code, submit = false) {
  const docs = [document];
  for (const f of document.querySelectorAll('iframe')) {
    try { if (f.contentDocument) docs.push(f.contentDocument); } catch { /* cross-origin */ }
  }
  const byIndex = (i) => {
    for (const doc of docs) {
      const el = doc.querySelector(`[data-tessera-index="${i}"]`);
      if (el) return el;
    }
    return null;
  };
  const type = (el, value) => {
    el.focus();
    const proto = el instanceof el.ownerDocument.defaultView.HTMLTextAreaElement
      ? el.ownerDocument.defaultView.HTMLTextAreaElement.prototype
      : el.ownerDocument.defaultView.HTMLInputElement.prototype;
    Object.getOwnPropertyDescriptor(proto, 'value').set.call(el, value);
    el.dispatchEvent(new InputEvent('input', { bubbles: true, data: value, inputType: 'insertText' }));
    el.dispatchEvent(new Event('change', { bubbles: true }));
  };
  const submitFrom = (el) => {
    if (!submit || !el) return;
    const form = el.form ?? el.closest('form') ?? el.ownerDocument.defaultView.frameElement?.closest('form');
    // After the page's own input handlers ran (React re-renders, focus moves).
    if (form) setTimeout(() => form.requestSubmit(), 50);
  };
  if (plan.kind === 'single') {
    const el = byIndex(plan.index);
    if (!el) return 0;
    type(el, code);
    submitFrom(el);
    return 1;
  }
  if (plan.kind === 'split') {
    let n = 0;
    let last = null;
    plan.indices.forEach((i, k) => {
      const el = byIndex(i);
      if (el && code[k] !== undefined) { type(el, code[k]); n++; last = el; }
    });
    submitFrom(last);
    return n;
  }
  return 0;
}
