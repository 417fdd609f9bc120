// After the whole E2E suite (files run in name order; this one is last): the
// hosts' debug log must not contain any PIN, PUK, admin key or response the
// tests typed, nor any secret the token returned (issue 4, PIN safety).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { HOST_LOG } from './harness.mjs';
import { allSecrets } from './secrets.mjs';

test('no secret in any host log', () => {
  assert.ok(existsSync(HOST_LOG), `the hosts wrote ${HOST_LOG}`);
  const log = readFileSync(HOST_LOG, 'utf8');
  assert.ok(log.includes('hello'), 'the log holds the hosts\' records');
  for (const secret of allSecrets()) {
    assert.ok(!log.includes(secret), `a secret (${secret.length} characters) appears in ${HOST_LOG}`);
  }
});
