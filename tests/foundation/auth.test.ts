import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixedClock } from '../../src/clock.js';
import { ADMIN_PASSWORD, startTestKyso, type TestKyso } from '../support/kyso.js';

const clock = fixedClock(new Date('2026-03-01T08:00:00Z'));
let t: TestKyso;

beforeAll(async () => {
  t = await startTestKyso({ clock, env: { KYSO_TOKEN_TTL_SECONDS: '3600' } });
});
afterAll(() => t?.close());

describe('login', () => {
  it('returns a token, its expiry and the user', async () => {
    const res = await t.http().post('/api/v1/auth/login').send({ username: 'admin', password: ADMIN_PASSWORD });
    expect(res.status).toBe(200);
    expect(res.body.token).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    expect(res.body.expiresAt).toBe('2026-03-01T09:00:00.000Z');
    expect(res.body.user).toMatchObject({ username: 'admin', role: 'admin', organizationId: null });
    const me = await t.http().get('/api/v1/auth/me').set('Authorization', `Bearer ${res.body.token}`);
    expect(me.status).toBe(200);
    expect(me.body.username).toBe('admin');
  });

  it('refuses a wrong password with a 401 problem', async () => {
    const res = await t.http().post('/api/v1/auth/login').send({ username: 'admin', password: 'wrong-password' });
    expect(res.status).toBe(401);
    expect(res.type).toBe('application/problem+json');
    expect(res.body).toMatchObject({ status: 401, title: 'Unauthorized' });
  });

  it('refuses an unknown user the same way', async () => {
    const res = await t.http().post('/api/v1/auth/login').send({ username: 'nobody', password: 'whatever-password' });
    expect(res.status).toBe(401);
    expect(res.body.detail).toBe('wrong username or password');
  });

  it('requires a token on /api/v1 routes', async () => {
    const none = await t.http().get('/api/v1/organizations');
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toBe('Bearer');
    const bad = await t.http().get('/api/v1/organizations').set('Authorization', 'Bearer not-a-token');
    expect(bad.status).toBe(401);
  });

  it('ends the session on logout', async () => {
    const token = await t.login('admin', ADMIN_PASSWORD);
    expect((await t.http().get('/api/v1/organizations').set('Authorization', `Bearer ${token}`)).status).toBe(200);
    expect((await t.http().post('/api/v1/auth/logout').set('Authorization', `Bearer ${token}`)).status).toBe(204);
    expect((await t.http().get('/api/v1/organizations').set('Authorization', `Bearer ${token}`)).status).toBe(401);
  });

  it('expires tokens after their lifetime', async () => {
    const token = await t.login('admin', ADMIN_PASSWORD);
    clock.advance(3599_000);
    expect((await t.http().get('/api/v1/auth/me').set('Authorization', `Bearer ${token}`)).status).toBe(200);
    clock.advance(2_000);
    expect((await t.http().get('/api/v1/auth/me').set('Authorization', `Bearer ${token}`)).status).toBe(401);
  });

  it('blocks a username with 429 after 5 wrong passwords, then lets it in again later', async () => {
    const admin = await t.adminToken();
    await t.http().post('/api/v1/users').set('Authorization', `Bearer ${admin}`).send({ username: 'auditor-x', password: 'right-password-1', role: 'auditor' });
    for (let i = 0; i < 5; i++) {
      const res = await t.http().post('/api/v1/auth/login').send({ username: 'auditor-x', password: 'wrong-password' });
      expect(res.status).toBe(401);
    }
    const blocked = await t.http().post('/api/v1/auth/login').send({ username: 'auditor-x', password: 'right-password-1' });
    expect(blocked.status).toBe(429);
    expect(blocked.type).toBe('application/problem+json');
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    // other usernames are not affected
    expect((await t.http().post('/api/v1/auth/login').send({ username: 'admin', password: ADMIN_PASSWORD })).status).toBe(200);
    clock.advance(16 * 60_000);
    const again = await t.http().post('/api/v1/auth/login').send({ username: 'auditor-x', password: 'right-password-1' });
    expect(again.status).toBe(200);
  });

  it('validates the login body', async () => {
    const res = await t.http().post('/api/v1/auth/login').send({ username: 'admin' });
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ path: 'password' })]));
  });
});

describe('changing the password while blocked', () => {
  it('answers 429 with the time actually left of the block as Retry-After', async () => {
    const admin = await t.adminToken();
    await t.http().post('/api/v1/users').set('Authorization', `Bearer ${admin}`).send({ username: 'auditor-y', password: 'right-password-2', role: 'auditor' });
    const login = await t.http().post('/api/v1/auth/login').send({ username: 'auditor-y', password: 'right-password-2' });
    expect(login.status).toBe(200);
    const change = (currentPassword: string) =>
      t.http().post('/api/v1/auth/password').set('Authorization', `Bearer ${login.body.token}`).send({ currentPassword, newPassword: 'mat-khau-moi-2026' });
    for (let i = 0; i < 5; i++) expect((await change('not-the-password')).status).toBe(403);
    expect(Number((await change('right-password-2')).headers['retry-after'])).toBe(15 * 60);
    clock.advance(10 * 60_000);
    const blocked = await change('right-password-2');
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers['retry-after'])).toBe(5 * 60);
    clock.advance(5 * 60_000 + 1000);
    expect((await change('right-password-2')).status).toBe(204);
  });
});
