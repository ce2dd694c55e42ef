import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordAudit } from '../../src/audit/audit.js';
import { startTestKyso, type TestKyso } from '../support/kyso.js';

let t: TestKyso;
let admin: string;

beforeAll(async () => {
  t = await startTestKyso();
  admin = await t.adminToken();
  for (const code of ['s1', 's2', 's3']) {
    await t.http().post('/api/v1/sectors').set('Authorization', `Bearer ${admin}`).send({ code: `sector-${code}`, name: `Sector ${code}` });
  }
});
afterAll(() => t?.close());

describe('audit trail', () => {
  it('records each state change with actor, target, IP and details, newest first', async () => {
    const res = await t.http().get('/api/v1/audit?action=sector.create').set('Authorization', `Bearer ${admin}`);
    expect(res.status).toBe(200);
    expect(res.body.items.map((e: { target: { id: string } }) => e.target.id)).toEqual(['sector-s3', 'sector-s2', 'sector-s1']);
    const event = res.body.items[0];
    expect(event).toMatchObject({
      action: 'sector.create',
      actor: { username: 'admin', role: 'admin' },
      target: { type: 'sector', id: 'sector-s3' },
      details: { name: 'Sector s3' },
    });
    expect(event.ip).toMatch(/127\.0\.0\.1/);
    expect(event.seq).toBeGreaterThan(res.body.items[1].seq);
  });

  it('filters by actor and time, and pages with a cursor', async () => {
    const byActor = await t.http().get('/api/v1/audit?actor=nobody').set('Authorization', `Bearer ${admin}`);
    expect(byActor.body.items).toEqual([]);
    const future = await t.http().get('/api/v1/audit?from=2999-01-01').set('Authorization', `Bearer ${admin}`);
    expect(future.body.items).toEqual([]);
    const first = await t.http().get('/api/v1/audit?limit=2').set('Authorization', `Bearer ${admin}`);
    expect(first.body.items).toHaveLength(2);
    const second = await t.http().get(`/api/v1/audit?limit=2&cursor=${first.body.nextCursor}`).set('Authorization', `Bearer ${admin}`);
    expect(second.body.items[0].seq).toBeLessThan(first.body.items[1].seq);
    expect((await t.http().get('/api/v1/audit?from=yesterday').set('Authorization', `Bearer ${admin}`)).status).toBe(400);
  });

  it('hashes details as jsonb stores them (dates, undefined values)', async () => {
    const { knex, clock } = t.kyso.services;
    await knex.transaction((trx) =>
      recordAudit(trx, clock, { principal: null, ip: null }, {
        action: 'test.dates',
        details: { at: new Date('2026-01-02T03:04:05Z'), missing: undefined, nested: { n: 1 } },
      }),
    );
    const res = await t.http().get('/api/v1/audit?action=test.dates').set('Authorization', `Bearer ${admin}`);
    expect(res.body.items[0].details).toEqual({ at: '2026-01-02T03:04:05.000Z', nested: { n: 1 } });
  });

  it('verifies the hash chain and reports the first tampered event', async () => {
    const ok = await t.http().get('/api/v1/audit/verify').set('Authorization', `Bearer ${admin}`);
    expect(ok.body.ok).toBe(true);
    expect(ok.body.checked).toBeGreaterThanOrEqual(7);

    const knex = t.kyso.services.knex;
    const target = await knex('audit_events').where({ action: 'sector.create', target_id: 'sector-s2' }).first('seq');
    await knex('audit_events').where({ seq: target.seq }).update({ details: JSON.stringify({ name: 'forged' }) });
    const broken = await t.http().get('/api/v1/audit/verify').set('Authorization', `Bearer ${admin}`);
    expect(broken.body).toMatchObject({ ok: false, firstBrokenSeq: Number(target.seq) });
  });

  it('detects a deleted event', async () => {
    const knex = t.kyso.services.knex;
    // restore a consistent chain by deleting from the tampered event on, then delete one in the middle
    const tampered = await knex('audit_events').where({ target_id: 'sector-s2' }).first('seq');
    const later = await knex('audit_events').where('seq', '>', tampered.seq).orderBy('seq').first('seq');
    await knex('audit_events').where({ seq: later.seq }).delete();
    const res = await t.http().get('/api/v1/audit/verify').set('Authorization', `Bearer ${admin}`);
    expect(res.body.ok).toBe(false);
    expect(res.body.firstBrokenSeq).toBeLessThanOrEqual(Number(later.seq));
  });
});

