// Where the account metadata lives (names and bound sites, never a secret):
// chrome.storage.sync `accounts`, so the site bindings follow the user's
// browser profile; chrome.storage.local when sync is unavailable (Firefox
// without an account, policy-disabled). Older versions kept it in local only:
// that copy is read when sync holds none.

const KEY = 'accounts';

async function area() {
  try {
    await chrome.storage.sync.get(KEY);
    return chrome.storage.sync;
  } catch {
    return chrome.storage.local;
  }
}

/** The `{"<device>/<entry>": {issuer, name, site, sites}}` map. */
export async function loadAccounts() {
  const a = await area();
  const got = (await a.get(KEY))[KEY];
  if (got) return got;
  return (await chrome.storage.local.get(KEY))[KEY] ?? {};
}

/** Writes the whole map. */
export async function saveAccounts(accounts) {
  const a = await area();
  try {
    await a.set({ [KEY]: accounts });
  } catch {
    await chrome.storage.local.set({ [KEY]: accounts }); // sync quota exceeded
  }
}

/** Calls `fn(accounts)` whenever the map changes (another popup, the background). */
export function onAccountsChanged(fn) {
  chrome.storage.onChanged.addListener((changes, areaName) => {
    if (changes[KEY] && (areaName === 'sync' || areaName === 'local')) fn(changes[KEY].newValue ?? {});
  });
}

/** The auto-submit setting (off by default). */
export async function loadAutoSubmit() {
  const a = await area();
  return (await a.get('fill_auto_submit')).fill_auto_submit === true;
}

export async function saveAutoSubmit(value) {
  const a = await area();
  await a.set({ fill_auto_submit: value === true });
}
