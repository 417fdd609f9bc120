// One-click OTP fill, background side (issue 7). Plumbing only: which account
// may fill where, and where on the page the code goes, are decided by
// tessera-core (binding.rs: fillDecide / bindSite; fill.rs: fillPlan).
//
// Tessera sees a page only when you ask it to: no host permissions, no content
// scripts, no externally_connectable. The fill functions are injected with
// chrome.scripting into the tab the browser names (activeTab, granted by the
// toolbar click, the shortcut or the context-menu click) and answer through
// executeScript's result only; nothing here listens to page messages. The
// tab's address comes from chrome.tabs.get, never from the page.
import { bindSite, exportBindings, fillDecide, fillPlan, importBindings } from './wasm/tessera_core_full.js';
import { collectFields, fillCode } from './fill.js';
import { loadAccounts, loadAutoSubmit, saveAccounts, saveAutoSubmit } from './accounts-store.js';

export const FILL_MENU_ID = 'tessera-fill-otp';
export const FILL_COMMAND = 'fill-otp';
const BADGE_MS = 4000;

let callHost = null;
let ready = null;

/** Everything the core needs to decide: the tab's site, the accounts, each key's OTP list. */
async function gather(tabId) {
  const tab = await chrome.tabs.get(tabId);
  // The host answers these in parallel (one worker per token): ask at once.
  const [siteReply, accounts, devices] = await Promise.all([
    callHost('site.of', { url: tab.url ?? '' }),
    loadAccounts(),
    callHost('devices.list', {}),
  ]);
  const site = siteReply.result ?? null;
  const lists = [];
  if (site) {
    const ids = (devices.result?.readers ?? []).map((r) => r.card?.token?.id).filter(Boolean);
    const replies = await Promise.all(ids.map((device) => callHost('otp.list', { device })));
    replies.forEach((list, i) => { if (list.result) lists.push({ device: ids[i], list: list.result }); });
  }
  return { tab, site, accounts, lists };
}

function decide({ site, accounts, lists, frame = null }, want = null) {
  return JSON.parse(fillDecide(JSON.stringify({ site, accounts, lists, want, frame })));
}

/**
 * Fills the code of the account the core picks (or `want`, clicked in the
 * popup) into the tab (or one frame of it). `onTouch(event)` hears the key's
 * "touch me" events. Returns what happened, for the popup or the badge.
 */
async function runFill(tabId, { frameId = null, frameUrl = null, want = null, onTouch = () => {} } = {}) {
  await ready;
  const g = await gather(tabId);
  // A frame's address as the browser reported it (context menu): must be the tab's site.
  if (frameId && frameUrl) g.frame = (await callHost('site.of', { url: frameUrl })).result ?? { host: '', registrable: '' };
  const { choice, candidates } = decide(g, want);
  if (choice.kind !== 'fill') return { ...choice, site: g.site, candidates };
  const account = choice.candidate;
  const target = frameId != null && frameId !== 0 ? { tabId, frameIds: [frameId] } : { tabId };
  let fields;
  try {
    [{ result: fields }] = await chrome.scripting.executeScript({ target, func: collectFields });
  } catch (e) {
    return { kind: 'no_access', message: String(e?.message ?? e), site: g.site };
  }
  const plan = JSON.parse(fillPlan(JSON.stringify(fields ?? []), account.digits));
  // No field for the code: nothing is computed (an HOTP counter is not spent).
  if (plan.kind === 'nothing') return { kind: 'no_field', site: g.site, account };
  const reply = await callHost('otp.code', { device: account.device, entry: account.entry }, { onEvent: onTouch });
  if (reply.error) {
    if (reply.error.code === 'pin_required') return { kind: 'popup', reason: 'pin', key: account.key, site: g.site, account };
    return { kind: 'error', code: reply.error.code, message: reply.error.message, site: g.site, account };
  }
  const submit = await loadAutoSubmit();
  const [{ result: filled }] = await chrome.scripting.executeScript({
    target, func: fillCode, args: [plan, reply.result.code, submit],
  });
  return { kind: 'filled', count: filled, warnings: choice.warnings, site: g.site, account, submitted: submit };
}

// ---- shortcut and context menu: no popup, feedback on the toolbar badge ----
let badgeTimer = null;
function badge(key, color) {
  clearTimeout(badgeTimer);
  chrome.action.setBadgeText({ text: key ? chrome.i18n.getMessage(key) : '' });
  if (color) chrome.action.setBadgeBackgroundColor({ color });
  if (key) badgeTimer = setTimeout(() => chrome.action.setBadgeText({ text: '' }), BADGE_MS);
}

/** The shortcut / menu path: fill the best bound account, else hand over to the popup. */
async function fillFromBrowser(tabId, frameId, frameUrl = null) {
  if (tabId == null || tabId < 0) return { kind: 'popup', reason: 'no_site' };
  let outcome;
  try {
    outcome = await runFill(tabId, {
      frameId,
      frameUrl,
      onTouch: () => { clearTimeout(badgeTimer); chrome.action.setBadgeText({ text: chrome.i18n.getMessage('badge_touch') }); },
    });
  } catch (e) {
    outcome = { kind: 'error', message: String(e?.message ?? e) };
  }
  if (outcome.kind === 'filled') {
    badge('badge_filled', '#1a7f37');
    chrome.action.setTitle({ title: chrome.i18n.getMessage('action_title') });
  } else {
    // PIN, a look-alike or unbound page, an error: the popup says what to do
    // (PINs are typed there, never in the page).
    badge('badge_attention', '#b42318');
    chrome.action.setTitle({ title: chrome.i18n.getMessage(`fill_title_${outcome.kind === 'popup' ? outcome.reason : outcome.kind}`) || chrome.i18n.getMessage('action_title') });
    chrome.action.openPopup?.().catch(() => {});
  }
  return outcome;
}

async function onCommand(command, tab) {
  if (command !== FILL_COMMAND) return null;
  const id = tab?.id ?? (await chrome.tabs.query({ active: true, currentWindow: true }))[0]?.id;
  return fillFromBrowser(id, null);
}

async function onMenuClicked(info, tab) {
  if (info.menuItemId !== FILL_MENU_ID) return null;
  return fillFromBrowser(tab?.id, info.frameId ?? null, info.frameUrl ?? null);
}

// ---- the popup's "fill" port (extension pages only: checked by background.js) ----
function onFillPort(port) {
  let open = true;
  port.onDisconnect.addListener(() => { open = false; });
  const post = (m) => { if (open) port.postMessage(m); };
  port.onMessage.addListener(async (msg) => {
    await ready;
    const tabId = Number(msg?.tab);
    try {
      switch (msg?.kind) {
        case 'state': {
          const g = await gather(tabId);
          const { candidates, warnings } = decide(g);
          post({ kind: 'state', site: g.site, candidates, warnings, autoSubmit: await loadAutoSubmit() });
          break;
        }
        case 'fill':
        case 'bind': {
          if (typeof msg.key !== 'string') return;
          if (msg.kind === 'bind') {
            // The domain added is the tab's as the browser reports it, never one the page or message names.
            const tab = await chrome.tabs.get(tabId);
            const site = (await callHost('site.of', { url: tab.url ?? '' })).result;
            if (!site) return post({ kind: 'result', outcome: { kind: 'popup', reason: 'no_site' } });
            // Bind only the domain the user saw and confirmed: if the tab navigated
            // meanwhile, the fill below refuses again and shows the new domain.
            if (site.registrable === msg.domain) {
              await saveAccounts(JSON.parse(bindSite(JSON.stringify(await loadAccounts()), msg.key, site.registrable)));
            }
          }
          const outcome = await runFill(tabId, {
            want: msg.key,
            onTouch: (ev) => post({ kind: 'touch', remaining_ms: ev.data?.remaining_ms ?? ev.remaining_ms ?? null }),
          });
          post({ kind: 'result', outcome });
          break;
        }
        case 'auto_submit':
          await saveAutoSubmit(msg.value === true);
          post({ kind: 'auto_submit', value: msg.value === true });
          break;
        case 'export':
          post({ kind: 'export', text: exportBindings(JSON.stringify(await loadAccounts())) });
          break;
        case 'import': {
          if (typeof msg.text !== 'string') return;
          const out = JSON.parse(importBindings(JSON.stringify(await loadAccounts()), msg.text));
          if (out.accounts) await saveAccounts(out.accounts);
          post({ kind: 'import', added: out.added ?? 0, error: out.error ?? null });
          break;
        }
        default:
      }
    } catch (e) {
      post({ kind: 'result', outcome: { kind: 'error', message: String(e?.message ?? e) } });
    }
  });
}

/**
 * Wires the fill paths: `host(method, params, caller)` is background.js's
 * callHost (a caller with `onEvent` hears that request's events); `wasm` the
 * core's init promise. Returns the handler for "fill" ports.
 */
export function installFill({ host, wasm }) {
  callHost = host;
  ready = wasm;
  chrome.runtime.onInstalled.addListener(() => {
    chrome.contextMenus.create({
      id: FILL_MENU_ID,
      title: chrome.i18n.getMessage('menu_fill_otp'),
      contexts: ['editable'],
    }, () => void chrome.runtime.lastError);
  });
  chrome.contextMenus.onClicked.addListener(onMenuClicked);
  chrome.commands.onCommand.addListener(onCommand);
  // Test hook, reachable only from this service worker (CDP evaluate in the
  // tests), never from a page: the exact functions bound to the browser events.
  globalThis.tesseraFill = { onCommand, onMenuClicked };
  return onFillPort;
}
