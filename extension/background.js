// Background service worker: the only owner of the native port.
// Plumbing only: connect, hello, correlate ids, reconnect, fan out to popups.
// Decisions (what a disconnect means, what to show) live in tessera-core.
// The full module: the background also runs the fill decisions (bg-fill.js).
import init, { protocolVersion } from './wasm/tessera_core_full.js';
import { installFill } from './bg-fill.js';
import './bg-capture.js';

const HOST_NAME = 'com.tessera.host';
const HELLO_TIMEOUT_MS = 5000;
const RETRY_MIN_MS = 250;
const RETRY_MAX_MS = 5000;

const wasmReady = init();
let port = null;
let status = { kind: 'status', state: 'connecting' };
let nextHostId = 1;
const pending = new Map(); // host id -> (response) => void
const callers = new Map(); // host id -> {port, id}: where a request's events (otp.touch) go
const popups = new Set();
let retryMs = RETRY_MIN_MS;
let retryTimer = null;

function setStatus(next) {
  status = { kind: 'status', ...next };
  for (const p of popups) p.postMessage(status);
}

function callHost(method, params, caller) {
  return new Promise((resolve) => {
    if (!port) {
      resolve({ id: null, error: { code: 'host_disconnected', message: status.error ?? 'not connected' } });
      return;
    }
    const id = nextHostId++;
    pending.set(id, (response) => {
      callers.delete(id);
      resolve(response);
    });
    if (caller) callers.set(id, caller);
    port.postMessage({ id, method, params });
  });
}

function onHostMessage(msg) {
  if (msg && typeof msg.event === 'string') {
    // Progress of one request goes to the popup that asked, under its own id.
    const caller = msg.id != null ? callers.get(msg.id) : null;
    if (caller?.onEvent) {
      caller.onEvent(msg); // a request of the background itself (bg-fill.js)
      return;
    }
    if (caller) {
      if (popups.has(caller.port)) caller.port.postMessage({ kind: 'event', ...msg, id: caller.id });
      return;
    }
    for (const p of popups) p.postMessage({ kind: 'event', ...msg });
    return;
  }
  const resolve = pending.get(msg?.id);
  if (resolve) {
    pending.delete(msg.id);
    resolve(msg);
  }
}

function scheduleReconnect() {
  if (retryTimer) return;
  retryTimer = setTimeout(() => {
    retryTimer = null;
    connect();
  }, retryMs);
  retryMs = Math.min(retryMs * 2, RETRY_MAX_MS);
}

async function connect() {
  await wasmReady;
  if (port) return;
  setStatus({ state: 'connecting' });
  const p = chrome.runtime.connectNative(HOST_NAME);
  port = p;
  p.onMessage.addListener(onHostMessage);
  p.onDisconnect.addListener(() => {
    const error = chrome.runtime.lastError?.message ?? 'Native host has exited.';
    if (port === p) port = null;
    for (const [id, resolve] of pending) resolve({ id, error: { code: 'host_disconnected', message: error } });
    pending.clear();
    callers.clear();
    setStatus({ state: 'disconnected', error });
    scheduleReconnect();
  });
  const timeout = new Promise((resolve) =>
    setTimeout(() => resolve({ error: { code: 'timeout', message: 'no hello from the host' } }), HELLO_TIMEOUT_MS));
  const hello = await Promise.race([
    callHost('hello', { protocol: protocolVersion(), extension_version: chrome.runtime.getManifest().version }),
    timeout,
  ]);
  if (port !== p) return;
  if (hello.result) {
    retryMs = RETRY_MIN_MS;
    setStatus({ state: 'connected', hello: hello.result });
  } else {
    p.disconnect();
    port = null;
    setStatus({ state: 'disconnected', error: hello.error?.message ?? 'hello failed' });
    scheduleReconnect();
  }
}

chrome.runtime.onConnect.addListener((p) => {
  // Only our own extension pages (popup, options) may use the host. Content
  // scripts also carry our id, but their sender.url is the web page's.
  const ours = p.sender?.id === chrome.runtime.id &&
    (p.sender?.url ?? '').startsWith(chrome.runtime.getURL(''));
  if (ours && p.name === 'fill') {
    fillPort(p); // the popup's fill panel (bg-fill.js)
    return;
  }
  if (p.name !== 'popup' || !ours) {
    p.disconnect();
    return;
  }
  popups.add(p);
  p.onDisconnect.addListener(() => popups.delete(p));
  p.onMessage.addListener(async (msg) => {
    if (msg?.kind !== 'call' || typeof msg.method !== 'string') return;
    const response = await callHost(msg.method, msg.params ?? {}, { port: p, id: msg.id });
    if (popups.has(p)) p.postMessage({ kind: 'reply', id: msg.id, method: msg.method, response: { ...response, id: msg.id } });
  });
  p.postMessage(status);
  if (!port && !retryTimer) connect();
});

// Listeners are registered synchronously (MV3: events that wake the worker).
const fillPort = installFill({ host: callHost, wasm: wasmReady });
connect();
