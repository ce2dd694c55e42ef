import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { hashEvent, recordAudit } from '../../src/audit/audit.js';
import { chainHead, pendingAuditRows, StretchOutdated, writeChainedStretch, type AuditRow } from '../../src/db/audit-repo.js';
import { seedTenant, startTestKyso, type TestKyso } from '../support/kyso.js';

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

  it('chains committed events within a second of their commit and reports those still pending', async () => {
    const { knex, clock, auditSequencer } = t.kyso.services;
    await auditSequencer.stop();
    await auditSequencer.drain();
    await knex.transaction((trx) => recordAudit(trx, clock, { principal: null, ip: null }, { action: 'test.pending' }));
    const before = await t.http().get('/api/v1/audit/verify').set('Authorization', `Bearer ${admin}`);
    expect(before.body).toMatchObject({ ok: true, pending: 1 });
    auditSequencer.start();
    const deadline = Date.now() + 1500;
    let row;
    do {
      await new Promise((resolve) => setTimeout(resolve, 50));
      row = await knex('audit_events').where({ action: 'test.pending' }).first('chain_seq');
    } while (row.chain_seq === null && Date.now() < deadline);
    expect(row.chain_seq).not.toBeNull();
    const after = await t.http().get('/api/v1/audit/verify').set('Authorization', `Bearer ${admin}`);
    expect(after.body).toMatchObject({ ok: true, pending: 0 });
    expect(after.body.checkpoints).toBeGreaterThanOrEqual(1);
    expect(after.body.checked).toBeGreaterThanOrEqual(8);
  });

  it('writes nothing of a stretch read before the chain moved (two sequencers racing), and chains it on the next pass', async () => {
    const { knex, clock, auditSequencer } = t.kyso.services;
    await auditSequencer.stop();
    await auditSequencer.drain();
    await knex.transaction((trx) => recordAudit(trx, clock, { principal: null, ip: null }, { action: 'test.race' }));
    const head = await chainHead(knex);
    const [row] = await pendingAuditRows(knex, 10);
    const link = { seq: Number(row!.seq), chain_seq: head.seq + 1, prev_hash: head.hash, hash: hashEvent(row!, head.hash) };
    // Another sequencer chains the event first; this one then writes what it read before.
    expect(await auditSequencer.pass()).toBe(1);
    const checkpoints = await knex('audit_checkpoints').count({ n: '*' }).first();
    const caId = (await t.kyso.services.auditKey.current()).row.id;
    const stale = knex.transaction((trx) =>
      writeChainedStretch(trx, head, [link], { seq: head.seq + 1, hash: link.hash, at: new Date(), signature: Buffer.from('x'), ca_id: caId }),
    );
    await expect(stale).rejects.toBeInstanceOf(StretchOutdated);
    expect(await knex('audit_checkpoints').count({ n: '*' }).first()).toEqual(checkpoints);
    const verified = await t.http().get('/api/v1/audit/verify').set('Authorization', `Bearer ${admin}`);
    expect(verified.body).toMatchObject({ ok: true, pending: 0 });
    auditSequencer.start();
  });

  it('stays ok while writers append concurrently', async () => {
    const writes = Array.from({ length: 40 }, (_, i) =>
      t.http().post('/api/v1/sectors').set('Authorization', `Bearer ${admin}`).send({ code: `busy-${i}`, name: `Busy ${i}` }),
    );
    const verifications: Array<{ ok: boolean }> = [];
    const reading = (async () => {
      for (let i = 0; i < 8; i++) {
        verifications.push((await t.http().get('/api/v1/audit/verify').set('Authorization', `Bearer ${admin}`)).body);
      }
    })();
    expect((await Promise.all(writes)).map((r) => r.status)).toEqual(writes.map(() => 201));
    await reading;
    expect(verifications.every((v) => v.ok)).toBe(true);
    await t.kyso.services.auditSequencer.drain();
    const done = await t.http().get('/api/v1/audit/verify').set('Authorization', `Bearer ${admin}`);
    expect(done.body).toMatchObject({ ok: true, pending: 0 });
    const busy = await t.kyso.services.knex('audit_events').where('target_id', 'like', 'busy-%').whereNotNull('chain_seq').count({ n: '*' }).first();
    expect(Number(busy?.n)).toBe(40);
  });

  it('publishes checkpoints whose signatures openssl verifies under the root', async () => {
    await t.kyso.services.auditSequencer.drain();
    const res = await t.http().get('/api/v1/audit/checkpoints?limit=2').set('Authorization', `Bearer ${admin}`);
    expect(res.status).toBe(200);
    expect(res.body).toHaveLength(2);
    expect(res.body[0].seq).toBeGreaterThan(res.body[1].seq);
    const older = await t.http().get(`/api/v1/audit/checkpoints?cursor=${res.body[1].seq}&limit=1`).set('Authorization', `Bearer ${admin}`);
    expect(older.body[0].seq).toBeLessThan(res.body[1].seq);
    const checkpoint = res.body[0];
    const dir = mkdtempSync(path.join(os.tmpdir(), 'kyso-audit-'));
    try {
      const root = await t.http().get('/pki/ca/dev-root.pem');
      writeFileSync(path.join(dir, 'root.pem'), root.text);
      writeFileSync(path.join(dir, 'audit.der'), Buffer.from(checkpoint.certificate, 'base64'));
      execFileSync('openssl', ['x509', '-inform', 'DER', '-in', path.join(dir, 'audit.der'), '-out', path.join(dir, 'audit.pem')]);
      expect(execFileSync('openssl', ['verify', '-CAfile', path.join(dir, 'root.pem'), path.join(dir, 'audit.pem')]).toString()).toMatch(/OK/);
      execFileSync('openssl', ['x509', '-in', path.join(dir, 'audit.pem'), '-pubkey', '-noout', '-out', path.join(dir, 'pub.pem')]);
      const position = Buffer.alloc(8);
      position.writeBigUInt64BE(BigInt(checkpoint.seq));
      writeFileSync(path.join(dir, 'msg'), Buffer.concat([position, Buffer.from(checkpoint.hash, 'hex'), Buffer.from(checkpoint.at)]));
      writeFileSync(path.join(dir, 'sig'), Buffer.from(checkpoint.signature, 'base64'));
      const out = execFileSync('openssl', ['dgst', '-sha256', '-verify', path.join(dir, 'pub.pem'), '-signature', path.join(dir, 'sig'), path.join(dir, 'msg')]);
      expect(out.toString()).toMatch(/Verified OK/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const agency = await t.http().get('/api/v1/audit/checkpoints').set('Authorization', `Bearer ${await nonAuditorToken()}`);
    expect(agency.status).toBe(403);
  });

  it('reports the first event altered after it was chained', async () => {
    await t.kyso.services.auditSequencer.drain();
    const knex = t.kyso.services.knex;
    const target = await knex('audit_events').where({ action: 'sector.create', target_id: 'sector-s2' }).first('seq');
    await knex('audit_events').where({ seq: target.seq }).update({ details: JSON.stringify({ name: 'forged' }) });
    const broken = await t.http().get('/api/v1/audit/verify').set('Authorization', `Bearer ${admin}`);
    expect(broken.body).toMatchObject({ ok: false, firstBrokenSeq: Number(target.seq) });
    await knex('audit_events').where({ seq: target.seq }).update({ details: JSON.stringify({ name: 'Sector s2' }) });
    expect((await t.http().get('/api/v1/audit/verify').set('Authorization', `Bearer ${admin}`)).body.ok).toBe(true);
  });

  it('detects a deleted event, in the middle or at the end of the chain', async () => {
    await t.kyso.services.auditSequencer.drain();
    const knex = t.kyso.services.knex;
    const verify = async () => (await t.http().get('/api/v1/audit/verify').set('Authorization', `Bearer ${admin}`)).body;
    const middle = await knex('audit_events').where({ action: 'sector.create', target_id: 'sector-s2' }).first('*');
    const next = await knex('audit_events').where({ chain_seq: Number(middle.chain_seq) + 1 }).first('seq');
    await knex('audit_events').where({ seq: middle.seq }).delete();
    expect(await verify()).toMatchObject({ ok: false, firstBrokenSeq: Number(next.seq) });
    await knex('audit_events').insert({ ...middle, details: JSON.stringify(middle.details) });
    expect((await verify()).ok).toBe(true);

    const last = await knex('audit_events').whereNotNull('chain_seq').orderBy('chain_seq', 'desc').first('*');
    await knex('audit_events').where({ seq: last.seq }).delete();
    const truncated = await verify();
    expect(truncated.ok).toBe(false);
    expect(truncated.reason).toMatch(/no longer there|not covered by a signed checkpoint/);
    await knex('audit_events').insert({ ...last, details: JSON.stringify(last.details) });
    expect((await verify()).ok).toBe(true);
  });

  it('detects rows rewritten with every hash after them recomputed, through the signed checkpoints', async () => {
    await t.kyso.services.auditSequencer.drain();
    const knex = t.kyso.services.knex;
    const target = await knex('audit_events').where({ action: 'sector.create', target_id: 'sector-s2' }).first('seq', 'chain_seq');
    await rewriteChainFrom(Number(target.chain_seq), (row) => (row.seq === Number(target.seq) ? { ...row, details: { name: 'forged' } } : row));
    const res = await t.http().get('/api/v1/audit/verify').set('Authorization', `Bearer ${admin}`);
    expect(res.body.ok).toBe(false);
    expect(res.body.reason).toMatch(/differ from what checkpoint/);
    // The first event of the stretch whose checkpoint no longer matches: at or before the forged one.
    expect(res.body.firstBrokenSeq).toBeLessThanOrEqual(Number(target.seq));

    // Forging the checkpoints too needs the audit key: one signed by another key is refused.
    const { generateKeyPairSync, sign } = await import('node:crypto');
    const forger = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    const checkpoints = await knex('audit_checkpoints').where('seq', '>=', target.chain_seq).select('seq', 'at');
    const head = await knex('audit_events').orderBy('chain_seq', 'desc').whereNotNull('chain_seq').first('chain_seq');
    for (const c of checkpoints) {
      const row = await knex('audit_events').where({ chain_seq: c.seq }).first('hash');
      const position = Buffer.alloc(8);
      position.writeBigUInt64BE(BigInt(c.seq));
      const signature = sign('sha256', Buffer.concat([position, Buffer.from(row.hash, 'hex'), Buffer.from(new Date(c.at).toISOString())]), forger);
      await knex('audit_checkpoints').where({ seq: c.seq }).update({ hash: row.hash, signature });
    }
    expect(head.chain_seq).toBeGreaterThan(0);
    const forged = await t.http().get('/api/v1/audit/verify').set('Authorization', `Bearer ${admin}`);
    expect(forged.body).toMatchObject({ ok: false });
    expect(forged.body.reason).toMatch(/bad signature/);
  });

});

/** Rewrites the chain from `fromChainSeq` on as an attacker with write access would: content changed, every hash recomputed. */
async function rewriteChainFrom(
  fromChainSeq: number,
  change: (row: AuditRow & { seq: number }) => AuditRow & { seq: number },
): Promise<void> {
  const knex = t.kyso.services.knex;
  const before = await knex('audit_events').where({ chain_seq: fromChainSeq - 1 }).first('hash');
  let prev: string = before?.hash ?? '0'.repeat(64);
  const rows = await knex('audit_events').where('chain_seq', '>=', fromChainSeq).orderBy('chain_seq').select('*');
  for (const original of rows) {
    const row = change({ ...original, seq: Number(original.seq) });
    const hash = hashEvent(row, prev);
    await knex('audit_events').where({ seq: row.seq }).update({ details: JSON.stringify(row.details), prev_hash: prev, hash });
    prev = hash;
  }
  await knex('audit_head').where({ id: 1 }).update({ hash: prev });
}

async function nonAuditorToken(): Promise<string> {
  const { tokens } = await seedTenant(t, 'audit');
  return tokens.agency;
}
