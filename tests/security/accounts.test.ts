import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixedClock } from '../../src/clock.js';
import { MAX_ADDRESS_FAILURES, throttleAddress } from '../../src/auth/auth-service.js';
import { passwordProblem, pinProblem, pkcs12PasswordProblem } from '../../src/auth/credentials.js';
import { openDatabase } from '../../src/db/connect.js';
import * as migration020 from '../../migrations/020_accounts.js';
import { ADMIN_PASSWORD, freshDatabase, startTestKyso, type TestKyso } from '../support/kyso.js';

// Issue #13 items 2 (login throttling), 8 (credential rules) and 10 (account management).

const clock = fixedClock(new Date('2026-05-04T08:00:00Z'));
let t: TestKyso;
let admin: string;
let organizationId: string;

beforeAll(async () => {
  t = await startTestKyso({ clock });
  admin = await t.adminToken();
  const org = await t
    .http()
    .post('/api/v1/organizations')
    .set('Authorization', `Bearer ${admin}`)
    .send({ name: 'Sở Tư pháp', code: '0109998887', sector: 'justice', province: 'Hà Nội' });
  organizationId = org.body.id;
});
afterAll(() => t?.close());

const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

async function createUser(username: string, password: string, role = 'officer'): Promise<string> {
  const res = await t
    .http()
    .post('/api/v1/users')
    .set(bearer(admin))
    .send({ username, password, role, organizationId: role === 'agency' || role === 'signer' ? organizationId : undefined });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.id as string;
}

/** A login from `address` (the app trusts X-Forwarded-For from loopback, as behind a local proxy). */
const loginFrom = (address: string, username: string, password: string) =>
  t.http().post('/api/v1/auth/login').set('X-Forwarded-For', address).send({ username, password });

async function auditActions(action: string): Promise<{ target: { id: string } | null; ip: string; details: Record<string, unknown> }[]> {
  const res = await t.http().get(`/api/v1/audit?action=${action}&limit=1000`).set(bearer(admin));
  expect(res.status).toBe(200);
  return res.body.items;
}

describe('login throttling (item 2)', () => {
  it('blocks a (username, address) pair, not the user: the right password still works from elsewhere', async () => {
    const id = await createUser('throttled-officer', 'kiem-tra-dang-nhap-01');
    for (let i = 0; i < 5; i++) expect((await loginFrom('203.0.113.7', 'throttled-officer', 'wrong-password-x')).status).toBe(401);
    const blocked = await loginFrom('203.0.113.7', 'throttled-officer', 'kiem-tra-dang-nhap-01');
    expect(blocked.status).toBe(429);
    expect(blocked.type).toBe('application/problem+json');
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    expect((await loginFrom('198.51.100.20', 'throttled-officer', 'kiem-tra-dang-nhap-01')).status).toBe(200);
    // The admin's unlock clears it at once.
    expect((await t.http().post(`/api/v1/users/${id}/unlock`).set(bearer(admin))).status).toBe(204);
    expect((await loginFrom('203.0.113.7', 'throttled-officer', 'kiem-tra-dang-nhap-01')).status).toBe(200);
    const unlocks = await auditActions('user.unlock');
    expect(unlocks.some((e) => e.target?.id === id)).toBe(true);
  });

  it('audits every failed login, unknown usernames included', async () => {
    const before = (await auditActions('auth.login-failed')).length;
    await loginFrom('192.0.2.50', 'admin', 'not-the-password');
    await loginFrom('192.0.2.50', 'nobody-at-all', 'whatever-password');
    const events = await auditActions('auth.login-failed');
    expect(events.length).toBe(before + 2);
    expect(events[0]).toMatchObject({ ip: '192.0.2.50', target: null, details: { username: 'nobody-at-all', reason: 'unknown-user' } });
    expect(events[1]).toMatchObject({ ip: '192.0.2.50', details: { username: 'admin', reason: 'wrong-password' } });
  });

  it('limits password spraying over many usernames from one address', async () => {
    for (let i = 0; i < MAX_ADDRESS_FAILURES; i++) {
      expect((await loginFrom('203.0.113.99', `spray-${i}`, 'Summer2026!!x')).status).toBe(401);
    }
    expect((await loginFrom('203.0.113.99', 'spray-x', 'Summer2026!!x')).status).toBe(429);
    // the address is blocked even for a real user; others are not
    expect((await loginFrom('203.0.113.99', 'admin', ADMIN_PASSWORD)).status).toBe(429);
    expect((await loginFrom('203.0.113.100', 'admin', ADMIN_PASSWORD)).status).toBe(200);
  });

  it('keeps the throttle table bounded: expired counters are swept', async () => {
    const rows = async () => Number((await t.kyso.services.knex('login_throttle').count({ n: '*' }))[0]!.n);
    expect(await rows()).toBeGreaterThan(MAX_ADDRESS_FAILURES);
    clock.advance(31 * 60_000);
    await loginFrom('192.0.2.77', 'one-more-unknown', 'whatever-password');
    expect(await rows()).toBe(2); // only the new pair and its address
  });

  it('counts IPv6 clients by their /64', () => {
    expect(throttleAddress('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(throttleAddress('2001:db8:1:2:bbbb:cccc:dddd:eeee')).toBe('2001:db8:1:2::/64');
    expect(throttleAddress('::ffff:192.0.2.1')).toBe('192.0.2.1');
    expect(throttleAddress('2001:db8::1')).toBe('2001:db8:0:0::/64');
  });

  it('bounds concurrent password hashing: a flood of bogus logins is turned away with 429, not queued without end', async () => {
    const results = await Promise.all(
      Array.from({ length: 48 }, (_, i) => loginFrom(`10.9.${i}.1`, `flood-${i}`, 'flood-password-000')),
    );
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(0);
    expect(statuses.every((s) => s === 401 || s === 429)).toBe(true);
    const busy = results.find((r) => r.status === 429)!;
    expect(busy.headers['retry-after']).toBe('1');
  });
});

describe('credential rules (item 8)', () => {
  it('refuses short, username-like and common passwords with 422', async () => {
    for (const [password, why] of [
      ['short-pass1', 'at least 12'],
      ['Nguyen.Van.An', 'username'],
      ['nguyen.van.an2024', 'username'],
      ['qwerty123456', 'commonly used'],
      ['Password1234!', 'commonly used'],
      ['aaaaaaaaaaaaaa', 'commonly used|too simple'],
      ['121212121212', 'commonly used|too simple'],
    ] as const) {
      const res = await t.http().post('/api/v1/users').set(bearer(admin)).send({ username: 'nguyen.van.an', password, role: 'auditor' });
      expect(res.status, password).toBe(422);
      expect(res.body.errors[0]).toMatchObject({ path: 'password', message: expect.stringMatching(new RegExp(why)) });
    }
  });

  it('treats usernames case-insensitively', async () => {
    await createUser('CanBo', 'mat-khau-can-bo-01');
    const dup = await t.http().post('/api/v1/users').set(bearer(admin)).send({ username: 'canbo', password: 'mat-khau-can-bo-02', role: 'auditor' });
    expect(dup.status).toBe(409);
    expect((await loginFrom('192.0.2.1', 'CANBO', 'mat-khau-can-bo-01')).status).toBe(200);
    expect((await loginFrom('192.0.2.1', 'canbo', 'mat-khau-can-bo-01')).body.user.username).toBe('CanBo');
  });

  it('judges PINs and PKCS#12 passwords', () => {
    for (const pin of ['000000', '11111111', '123456', '876543', '23456789', '890123', '12345', '123456789', 'a23456']) {
      expect(pinProblem(pin), pin).toBeDefined();
    }
    for (const pin of ['135790', '20262026', '246810', '55443322', '1357913']) expect(pinProblem(pin), pin).toBeUndefined();
    expect(pkcs12PasswordProblem('\u0000'.repeat(10))).toBeDefined();
    expect(pkcs12PasswordProblem('mậtkhẩu123')).toBeDefined();
    expect(pkcs12PasswordProblem('short')).toBeDefined();
    expect(pkcs12PasswordProblem('x'.repeat(65))).toBeDefined();
    expect(pkcs12PasswordProblem('Mat khau 2026!')).toBeUndefined();
    expect(passwordProblem('correct horse battery', 'an')).toBeUndefined();
  });
});

describe('account management (item 10)', () => {
  it('changes the own password and ends the other sessions', async () => {
    await createUser('doi-mat-khau', 'mat-khau-ban-dau-01');
    const one = await t.login('doi-mat-khau', 'mat-khau-ban-dau-01');
    const two = await t.login('doi-mat-khau', 'mat-khau-ban-dau-01');
    const wrong = await t.http().post('/api/v1/auth/password').set(bearer(one)).send({ currentPassword: 'not-it-at-all', newPassword: 'mat-khau-moi-2026' });
    expect(wrong.status).toBe(403);
    const weak = await t.http().post('/api/v1/auth/password').set(bearer(one)).send({ currentPassword: 'mat-khau-ban-dau-01', newPassword: 'password1234' });
    expect(weak.status).toBe(422);
    const ok = await t.http().post('/api/v1/auth/password').set(bearer(one)).send({ currentPassword: 'mat-khau-ban-dau-01', newPassword: 'mat-khau-moi-2026' });
    expect(ok.status).toBe(204);
    expect((await t.http().get('/api/v1/auth/me').set(bearer(one))).status).toBe(200);
    expect((await t.http().get('/api/v1/auth/me').set(bearer(two))).status).toBe(401);
    expect((await loginFrom('192.0.2.2', 'doi-mat-khau', 'mat-khau-ban-dau-01')).status).toBe(401);
    expect((await loginFrom('192.0.2.2', 'doi-mat-khau', 'mat-khau-moi-2026')).status).toBe(200);
  });

  it('resets a password: the temporary one must be changed before anything else', async () => {
    const id = await createUser('quen-mat-khau', 'mat-khau-cu-da-quen');
    const old = await t.login('quen-mat-khau', 'mat-khau-cu-da-quen');
    const reset = await t.http().post(`/api/v1/users/${id}/reset-password`).set(bearer(admin));
    expect(reset.status).toBe(200);
    const temporaryPassword = reset.body.temporaryPassword as string;
    expect(temporaryPassword.length).toBeGreaterThanOrEqual(12);
    expect((await t.http().get('/api/v1/auth/me').set(bearer(old))).status).toBe(401);
    const login = await loginFrom('192.0.2.3', 'quen-mat-khau', temporaryPassword);
    expect(login.status).toBe(200);
    expect(login.body.mustChangePassword).toBe(true);
    const token = login.body.token as string;
    expect((await t.http().get('/api/v1/organizations').set(bearer(token))).status).toBe(403);
    expect((await t.http().get('/api/v1/auth/me').set(bearer(token))).body.mustChangePassword).toBe(true);
    const changed = await t.http().post('/api/v1/auth/password').set(bearer(token)).send({ currentPassword: temporaryPassword, newPassword: 'mat-khau-moi-nho-ky' });
    expect(changed.status).toBe(204);
    expect((await t.http().get('/api/v1/organizations').set(bearer(token))).status).toBe(200);
    const again = await loginFrom('192.0.2.3', 'quen-mat-khau', 'mat-khau-moi-nho-ky');
    expect(again.body.mustChangePassword).toBe(false);
  });

  it('disables a user: its sessions end at once and it cannot log in; enabling lets it back', async () => {
    const id = await createUser('tam-dung', 'mat-khau-tam-dung-1');
    const token = await t.login('tam-dung', 'mat-khau-tam-dung-1');
    const patched = await t.http().patch(`/api/v1/users/${id}`).set(bearer(admin)).send({ disabled: true, fullName: 'Trần Văn Bình' });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ disabled: true, fullName: 'Trần Văn Bình' });
    expect((await t.http().get('/api/v1/auth/me').set(bearer(token))).status).toBe(401);
    expect((await loginFrom('192.0.2.4', 'tam-dung', 'mat-khau-tam-dung-1')).status).toBe(403);
    expect((await t.http().patch(`/api/v1/users/${id}`).set(bearer(admin)).send({ disabled: false })).body.disabled).toBe(false);
    expect((await loginFrom('192.0.2.4', 'tam-dung', 'mat-khau-tam-dung-1')).status).toBe(200);
  });

  it('changes role and organization with the same rules as creation', async () => {
    const id = await createUser('doi-vai-tro', 'mat-khau-vai-tro-1');
    expect((await t.http().patch(`/api/v1/users/${id}`).set(bearer(admin)).send({ role: 'agency' })).status).toBe(422);
    const res = await t.http().patch(`/api/v1/users/${id}`).set(bearer(admin)).send({ role: 'agency', organizationId });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ role: 'agency', organizationId });
    expect((await t.http().patch(`/api/v1/users/${id}`).set(bearer(admin)).send({ role: 'root' })).status).toBe(400);
    expect((await t.http().patch('/api/v1/users/00000000-0000-4000-8000-000000000000').set(bearer(admin)).send({ fullName: 'X' })).status).toBe(404);
    const me = (await t.http().get('/api/v1/auth/me').set(bearer(admin))).body.id as string;
    expect((await t.http().patch(`/api/v1/users/${me}`).set(bearer(admin)).send({ disabled: true })).status).toBe(409);
  });

  it('lets only an admin manage accounts, and says so before looking at the body', async () => {
    await createUser('khong-phai-admin', 'mat-khau-officer-01');
    const officer = await t.login('khong-phai-admin', 'mat-khau-officer-01');
    const anyId = '00000000-0000-4000-8000-000000000000';
    expect((await t.http().patch(`/api/v1/users/${anyId}`).set(bearer(officer)).send({ role: 'nonsense' })).status).toBe(403);
    expect((await t.http().post(`/api/v1/users/${anyId}/reset-password`).set(bearer(officer))).status).toBe(403);
    expect((await t.http().post(`/api/v1/users/${anyId}/unlock`).set(bearer(officer))).status).toBe(403);
  });

  it('describes the account routes in the OpenAPI document', async () => {
    const doc = (await t.http().get('/api/v1/openapi.json')).body;
    expect(doc.paths['/api/v1/auth/password'].post).toBeDefined();
    expect(doc.paths['/api/v1/users/{id}'].patch).toBeDefined();
    expect(doc.paths['/api/v1/users/{id}/reset-password'].post).toBeDefined();
    expect(doc.paths['/api/v1/users/{id}/unlock'].post).toBeDefined();
  });
});

describe('migration 020', () => {
  it('keeps users that differ only by case, renaming the later ones, then enforces one username per case', async () => {
    const db = await freshDatabase();
    const { knex, close } = await openDatabase({ databaseUrl: db.databaseUrl, dataDir: db.dataDir });
    try {
      await migration020.down(knex);
      const row = (id: string, username: string, at: string) => ({
        id,
        username,
        password_hash: 'x',
        role: 'auditor',
        created_at: new Date(at),
      });
      await knex('users').insert([
        row('10000000-0000-4000-8000-000000000001', 'CanBo', '2025-01-01T00:00:00Z'),
        row('20000000-0000-4000-8000-000000000002', 'canbo', '2025-02-01T00:00:00Z'),
        row('30000000-0000-4000-8000-000000000003', 'CANBO', '2025-03-01T00:00:00Z'),
      ]);
      await migration020.up(knex);
      const names = (await knex('users').whereILike('username', 'canbo%').orderBy('created_at').select('username')).map((r) => r.username);
      expect(names).toEqual(['CanBo', 'canbo-dup-20000000', 'CANBO-dup-30000000']);
      await expect(knex('users').insert(row('40000000-0000-4000-8000-000000000004', 'cAnBo', '2025-04-01T00:00:00Z'))).rejects.toThrow(/unique/);
    } finally {
      await close();
      await db.drop();
    }
  });
});
