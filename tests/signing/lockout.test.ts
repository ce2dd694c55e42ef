import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixedClock } from '../../src/clock.js';
import { createLogger } from '../../src/log.js';
import { startKyso, type RunningKyso } from '../../src/server.js';
import { seedTenant, startTestKyso, type TestKyso } from '../support/kyso.js';
import { openAccount } from './support.js';

const PIN = '55443322';
const clock = fixedClock(new Date());
let t: TestKyso;
let restarted: RunningKyso | undefined;
let a: Awaited<ReturnType<typeof seedTenant>>;
let url: string;

beforeAll(async () => {
  t = await startTestKyso({ clock });
  url = t.url;
  a = await seedTenant(t, 'lock');
});
afterAll(async () => {
  await restarted?.close();
  await t.close();
});

const call = (path: string, token: string, body: object) =>
  fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify(body) });
const sign = (id: string, pin: string, token = a.tokens.signer) =>
  call(`/api/v1/signing-accounts/${id}/sign`, token, { pin, document: Buffer.from('biên bản').toString('base64'), format: 'cms' });
const view = async (id: string) =>
  (await fetch(`${url}/api/v1/signing-accounts/${id}`, { headers: { authorization: `Bearer ${a.tokens.signer}` } })).json() as Promise<{
    status: string;
    failedPinAttempts: number;
    certificateStatus: string;
  }>;

describe('PIN lockout', () => {
  let account: { id: string };

  it('counts wrong PINs (403 with the attempts left) and locks at the fifth (423)', async () => {
    account = await openAccount(t, a.tokens.officer, { userId: a.userIds.signer, organizationId: a.organizationId, pin: PIN }, a.tokens.signer);
    for (let i = 1; i <= 4; i++) {
      const res = await sign(account.id, '00000000');
      expect(res.status).toBe(403);
      expect(((await res.json()) as { detail: string }).detail).toContain(`${5 - i} attempt`);
      expect((await view(account.id)).failedPinAttempts).toBe(i);
    }
    const fifth = await sign(account.id, '00000000');
    expect(fifth.status).toBe(423);
    expect(await view(account.id)).toMatchObject({ status: 'locked', failedPinAttempts: 5 });
  });

  it('refuses even the right PIN while locked, for every use of the key', async () => {
    expect((await sign(account.id, PIN)).status).toBe(423);
    const hashes = await call(`/api/v1/signing-accounts/${account.id}/sign-hash`, a.tokens.signer, {
      pin: PIN,
      hashAlgorithm: 'SHA-256',
      hashes: [Buffer.alloc(32).toString('base64')],
    });
    expect(hashes.status).toBe(423);
    expect((await call(`/api/v1/signing-accounts/${account.id}/pin`, a.tokens.signer, { pin: PIN, newPin: '7654329' })).status).toBe(423);
  });

  it('stays locked across a restart', async () => {
    await t.kyso.close();
    restarted = await startKyso(t.config, createLogger('silent'), { clock });
    url = restarted.url;
    expect((await sign(account.id, PIN)).status).toBe(423);
    expect(await view(account.id)).toMatchObject({ status: 'locked', failedPinAttempts: 5 });
  });

  it('is unlocked by an officer only, after which the right PIN signs', async () => {
    expect((await call(`/api/v1/signing-accounts/${account.id}/unlock`, a.tokens.signer, {})).status).toBe(403);
    expect((await call(`/api/v1/signing-accounts/${account.id}/unlock`, a.tokens.agency, {})).status).toBe(403);
    expect((await call('/api/v1/signing-accounts/00000000-0000-4000-8000-000000000000/unlock', a.tokens.officer, {})).status).toBe(404);
    const unlocked = await call(`/api/v1/signing-accounts/${account.id}/unlock`, a.tokens.officer, {});
    expect(unlocked.status).toBe(200);
    expect(await unlocked.json()).toMatchObject({ status: 'active', failedPinAttempts: 0, lockedAt: null });
    expect((await sign(account.id, PIN)).status).toBe(200);
  });

  it('locks under concurrent wrong PINs without losing a count', async () => {
    const results = await Promise.all(Array.from({ length: 7 }, () => sign(account.id, '11111111')));
    const statuses = results.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 403)).toHaveLength(4);
    expect(statuses.filter((s) => s === 423)).toHaveLength(3);
    expect(await view(account.id)).toMatchObject({ status: 'locked', failedPinAttempts: 5 });
  });
});

describe('expired certificate', () => {
  it('cannot sign once its certificate has expired (409), while the view says expired', async () => {
    const account = await openAccount(t, a.tokens.officer, { userId: a.userIds.signer, organizationId: a.organizationId, pin: PIN }, a.tokens.signer);
    expect((await sign(account.id, PIN)).status).toBe(200);
    clock.advance(4 * 366 * 24 * 3600 * 1000); // past the 3-year individual profile
    const login = await call('/api/v1/auth/login', '', { username: 'signer-lock', password: 'signer-password-lock' });
    const token = ((await login.json()) as { token: string }).token;
    const res = await sign(account.id, PIN, token);
    expect(res.status).toBe(409);
    expect(((await res.json()) as { detail: string }).detail).toContain('expired');
    const seen = await fetch(`${url}/api/v1/signing-accounts/${account.id}`, { headers: { authorization: `Bearer ${token}` } });
    expect(((await seen.json()) as { certificateStatus: string }).certificateStatus).toBe('expired');
  });
});
