// The demo site's own verifier (independent of Tessera) against the RFC
// appendices, and its /verify endpoint end to end.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hotp, totp, startDemoSite } from '../demo-site/server.mjs';

const RFC_KEY = Buffer.from('12345678901234567890');

test('HOTP matches RFC 4226 Appendix D', () => {
  const want = ['755224', '287082', '359152', '969429', '338314', '254676', '287922', '162583', '399871', '520489'];
  want.forEach((code, c) => assert.equal(hotp(RFC_KEY, c), code));
});

test('TOTP matches RFC 6238 Appendix B (SHA1, SHA256, SHA512)', () => {
  const k256 = Buffer.from('12345678901234567890123456789012');
  const k512 = Buffer.from('1234567890123456789012345678901234567890123456789012345678901234');
  assert.equal(totp(RFC_KEY, 59, 30, 8), '94287082');
  assert.equal(totp(k256, 59, 30, 8, 'sha256'), '46119246');
  assert.equal(totp(k512, 59, 30, 8, 'sha512'), '90693936');
  assert.equal(totp(RFC_KEY, 1111111109, 30, 8), '07081804');
  assert.equal(totp(RFC_KEY, 20000000000, 30, 8), '65353130');
});

test('/verify accepts the current code and rejects others', async () => {
  const { server, port, accounts } = await startDemoSite();
  try {
    const page = await fetch(`http://127.0.0.1:${port}/signup?account=bob`).then((r) => r.text());
    assert.match(page, /<img id="qr" alt="Enrollment QR code" src="data:image\/png;base64,/);
    const key = accounts.get('bob').key;
    const post = (code) => fetch(`http://127.0.0.1:${port}/verify`, { method: 'POST', body: new URLSearchParams({ account: 'bob', code }) });
    const good = await post(totp(key, Math.floor(Date.now() / 1000)));
    assert.equal(good.status, 200);
    assert.equal(await good.text(), 'accepted');
    const bad = await post('000000');
    assert.equal(bad.status, 403);
  } finally {
    server.close();
  }
});
