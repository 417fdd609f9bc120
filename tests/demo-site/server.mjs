// Tessera's local demo site: a sign-up page showing an enrollment QR, login
// pages with the common one-time-code field variants, and a verifier with its
// own RFC 4226/6238 implementation (node:crypto), independent of Tessera's.
// Used by the E2E tests and the demo; serves on 127.0.0.1 only.
//
//   node tests/demo-site/server.mjs [--port N]   → prints {"port": N} on stdout
//
// Pages: /signup  /login/single  /login/split  /login/react  /login/iframe
//        /login/decoy   POST /verify (form: account, code) → 200 "accepted" | 403
import { createServer } from 'node:http';
import { createHmac, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import QRCode from 'qrcode';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');
const B32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** RFC 4648 Base32 (no padding). */
export function base32(bytes) {
  let bits = 0; let value = 0; let out = '';
  for (const b of bytes) {
    value = (value << 8) | b; bits += 8;
    while (bits >= 5) { out += B32[(value >>> (bits - 5)) & 31]; bits -= 5; }
  }
  if (bits > 0) out += B32[(value << (5 - bits)) & 31];
  return out;
}

/** RFC 4226 §5.3 HOTP. */
export function hotp(key, counter, digits = 6, hash = 'sha1') {
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac(hash, key).update(msg).digest();
  const o = mac[mac.length - 1] & 0x0f;
  const n = (mac.readUInt32BE(o) & 0x7fffffff) % 10 ** digits;
  return String(n).padStart(digits, '0');
}

/** RFC 6238 §4 TOTP. */
export const totp = (key, unix, period = 30, digits = 6, hash = 'sha1') =>
  hotp(key, Math.floor(unix / period), digits, hash);

const accounts = new Map(); // name → {key, kind, counter}

function account(name, kind = 'totp') {
  if (!accounts.has(name)) accounts.set(name, { key: randomBytes(20), kind, counter: 0 });
  return accounts.get(name);
}

/** Accepts the code for now ±1 step (TOTP) or the next 10 counters (HOTP, RFC 4226 §7.4). */
function verify(name, code) {
  const a = accounts.get(name);
  if (!a || !/^\d{6,8}$/.test(code)) return false;
  if (a.kind === 'hotp') {
    for (let c = a.counter; c < a.counter + 10; c++) {
      if (hotp(a.key, c) === code) { a.counter = c + 1; return true; }
    }
    return false;
  }
  const now = Math.floor(Date.now() / 1000);
  return [-30, 0, 30].some((d) => totp(a.key, now + d) === code);
}

const page = (title, body, script = '') => `<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>${title}</title><style>body{font:16px system-ui;margin:2rem;max-width:40rem}
input{font:inherit;padding:.4rem;margin:.2rem}.boxes input{width:2rem;text-align:center}</style></head>
<body><h1>${title}</h1>${body}<p id="result" role="status"></p>${script}</body></html>`;

const submitScript = (collect) => `<script>
document.querySelector('form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const body = new URLSearchParams({ account: document.body.dataset.account, code: ${collect} });
  const r = await fetch('/verify', { method: 'POST', body });
  document.getElementById('result').textContent = await r.text();
});</script>`;

const login = {
  single: (acct) => page('Sign in: verification', `<form>
<label for="user">Username</label><input id="user" name="username" autocomplete="username" value="alice"><br>
<label for="otp">Verification code</label><input id="otp" name="otp" autocomplete="one-time-code" inputmode="numeric" maxlength="8"><br>
<button>Verify</button></form>`, submitScript("document.getElementById('otp').value")),
  split: () => page('Sign in: enter the 6-digit code', `<form><div class="boxes" aria-label="Security code">
${[0, 1, 2, 3, 4, 5].map((i) => `<input class="box" maxlength="1" inputmode="numeric" aria-label="Digit ${i + 1}">`).join('')}
</div><button>Verify</button></form><script>
// Widgets like this move focus themselves and only accept one digit per box.
const boxes = [...document.querySelectorAll('.box')];
boxes.forEach((b, i) => b.addEventListener('input', () => {
  b.value = b.value.replace(/\\D/g, '').slice(-1);
  if (b.value && boxes[i + 1]) boxes[i + 1].focus();
}));
</script>`, submitScript("[...document.querySelectorAll('.box')].map((b) => b.value).join('')")),
  react: () => page('Sign in: React', '<form><div id="app"></div><button>Verify</button></form>'
    + '<script src="/vendor/react.js"></script><script src="/vendor/react-dom.js"></script><script>'
    + `// A controlled input: React owns the value; a plain .value= is undone on re-render.
function App() {
  const [v, setV] = React.useState('');
  window.__reactValue = v;
  return React.createElement('label', null, 'Two-factor code ',
    React.createElement('input', { id: 'code', name: 'code', inputMode: 'numeric', maxLength: 6,
      value: v, onChange: (e) => setV(e.target.value.replace(/\\D/g, '')) }));
}
ReactDOM.createRoot(document.getElementById('app')).render(React.createElement(App));
</script>`, submitScript('window.__reactValue')),
  iframe: () => page('Sign in: framed', '<form><iframe id="frame" src="/frame" title="Code entry" width="400" height="120"></iframe><button>Verify</button></form>',
    submitScript("document.getElementById('frame').contentDocument.getElementById('otp').value")),
  decoy: () => page('Sign in: with a search box', `<form role="search" id="s"><input type="search" name="q" placeholder="Search codes" maxlength="6"></form>
<form><label for="totp">Authenticator code</label><input id="totp" name="totp" inputmode="numeric"><button>Verify</button></form>`,
  submitScript("document.getElementById('totp').value").replace("document.querySelector('form')", "document.forms[1]")),
};

async function signup(name, kind, host) {
  const a = account(name, kind);
  const issuer = 'Tessera Demo';
  const uri = `otpauth://${kind}/${encodeURIComponent(issuer)}:${encodeURIComponent(name)}?secret=${base32(a.key)}&issuer=${encodeURIComponent(issuer)}${kind === 'hotp' ? '&counter=0' : ''}`;
  const png = await QRCode.toDataURL(uri, { margin: 4, scale: 5 });
  return page(`Set up two-factor sign-in on ${host}`, `<p>Scan this code with your authenticator, or add it to your security key with Tessera.</p>
<img id="qr" alt="Enrollment QR code" src="${png}"><p><a href="/login/single?account=${encodeURIComponent(name)}">Then sign in</a></p>`);
}

const vendor = {
  '/vendor/react.js': 'node_modules/react/umd/react.production.min.js',
  '/vendor/react-dom.js': 'node_modules/react-dom/umd/react-dom.production.min.js',
};

export function startDemoSite(port = 0) {
  const server = createServer(async (req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    const name = url.searchParams.get('account') ?? 'alice@example.com';
    const send = (code, type, body) => { res.writeHead(code, { 'content-type': type, 'cache-control': 'no-store' }); res.end(body); };
    try {
      if (req.method === 'POST' && url.pathname === '/verify') {
        let body = '';
        for await (const chunk of req) body += chunk;
        const form = new URLSearchParams(body);
        const ok = verify(form.get('account') ?? '', form.get('code') ?? '');
        return send(ok ? 200 : 403, 'text/plain', ok ? 'accepted' : 'rejected');
      }
      if (url.pathname === '/signup') return send(200, 'text/html', await signup(name, url.searchParams.get('kind') ?? 'totp', req.headers.host));
      if (url.pathname === '/frame') return send(200, 'text/html', '<label for="otp">One-time code</label><input id="otp" autocomplete="one-time-code" inputmode="numeric">');
      const variant = url.pathname.match(/^\/login\/(\w+)$/)?.[1];
      if (variant && login[variant]) return send(200, 'text/html', login[variant]().replace('<body>', `<body data-account="${name.replace(/"/g, '')}">`));
      if (vendor[url.pathname]) return send(200, 'text/javascript', readFileSync(join(ROOT, vendor[url.pathname])));
      return send(404, 'text/plain', 'not found');
    } catch (e) {
      return send(500, 'text/plain', String(e));
    }
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve({ server, port: server.address().port, accounts })));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const i = process.argv.indexOf('--port');
  const { port } = await startDemoSite(i > 0 ? Number(process.argv[i + 1]) : 0);
  console.log(JSON.stringify({ port }));
}
