// Every secret the E2E tests type or receive. Tests type their PINs from here
// and record secrets learned at run time (PUKs, pairing codes, helpdesk
// responses) with rememberSecret(); zz-logs.test.mjs, which runs last in its
// own process, checks that none of them reached the host log.
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

const ARTIFACTS = process.env.TESSERA_ARTIFACTS ?? join(resolve(import.meta.dirname, '../..'), 'test-artifacts');
const LEARNED = join(ARTIFACTS, 'learned-secrets.txt');

export const PINS = {
  factory: '00000000',
  wrong: '11111111',
  changed: '25801470',
  unblocked: '13572468',
  personalised: '80246813',
};
export const ADMIN_KEY = '00000000000000000000000000000000';

/** Records a secret seen at run time (one per line). */
export function rememberSecret(secret) {
  mkdirSync(dirname(LEARNED), { recursive: true });
  appendFileSync(LEARNED, `${secret}\n`, { mode: 0o600 });
}

/** Every secret: the fixed ones and those recorded by earlier test files. */
export function allSecrets() {
  const learned = existsSync(LEARNED) ? readFileSync(LEARNED, 'utf8').split('\n').filter(Boolean) : [];
  return new Set([...Object.values(PINS), ADMIN_KEY, ...learned]);
}
