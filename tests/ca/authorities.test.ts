import { createPublicKey, verify } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { recordAudit } from '../../src/audit/audit.js';
import { CertificateAuthorities } from '../../src/ca/authorities.js';
import { createOnce } from '../../src/ca/create-once.js';
import { CaOperations } from '../../src/ca/operations.js';
import { fixedClock } from '../../src/clock.js';
import { NotFound } from '../../src/errors.js';
import { KeyVault } from '../../src/keys/vault.js';
import { readCertificate } from '../../src/pki/x509-reader.js';
import { TimeStampAuthority } from '../../src/tsa/tsa.js';
import { softHsmToken, tokenPrivateKeyLabels } from '../support/softhsm.js';
import { startTestKyso, type TestKyso } from '../support/kyso.js';

const system = { principal: null, ip: null };
const DAY = 24 * 3600 * 1000;

// A second kyso instance on the same database: its own CertificateAuthorities over its own vault
// (the same master key and, in the SoftHSM pass, the same token).
describe('the CAs and service identities of several instances', () => {
  let t: TestKyso;
  let vault: KeyVault;
  const clock = fixedClock(new Date());
  const unassignedInToken = () => (t.config.pkcs11 ? tokenPrivateKeyLabels(softHsmToken()).filter((l) => l === 'kyso (unassigned)').length : 0);

  beforeAll(async () => {
    t = await startTestKyso({ clock });
    vault = KeyVault.open({ masterKey: t.config.masterKey, dataDir: t.config.dataDir, pkcs11: t.config.pkcs11, random: t.kyso.services.random });
  });
  afterAll(async () => {
    vault?.close();
    await t?.close();
  });

  const otherInstance = async () => {
    const authorities = new CertificateAuthorities(t.kyso.services.knex, clock, vault, t.kyso.services.random, t.config.publicUrl);
    await authorities.load();
    return authorities;
  };

  it('finds a CA another instance added, by name, without waiting for the periodic check', async () => {
    const { services } = t.kyso;
    await services.authorities.refresh();
    const elsewhere = await otherInstance();
    const operations = new CaOperations(services.knex, clock, elsewhere, vault, services.random, t.config.publicUrl);
    const added = await operations.rollover(system, { name: 'elsewhere-g2' });
    expect(() => services.authorities.get('elsewhere-g2')).toThrow(NotFound);
    expect((await services.authorities.find('elsewhere-g2')).row.id).toBe(added.row.id);
    expect(services.authorities.get('elsewhere-g2').row.id).toBe(added.row.id);
    await expect(services.authorities.find('nowhere')).rejects.toBeInstanceOf(NotFound);
  });

  it('drops what it made when another instance stored first, destroying the token key it generated', async () => {
    const { knex } = t.kyso.services;
    const find = async (db: typeof knex) => (await db('audit_events').where({ action: 'test.create-once' }).first('seq'))?.seq as string | undefined;
    const unassigned = unassignedInToken();
    const result = await createOnce({ knex, vault }, 7215099, {
      find,
      make: async (generate) => {
        const key = await generate('P-256');
        if (t.config.pkcs11) expect(unassignedInToken()).toBe(unassigned + 1);
        // Meanwhile another instance stores its own.
        await knex.transaction((trx) => recordAudit(trx, clock, system, { action: 'test.create-once' }));
        return key;
      },
      store: () => Promise.reject(new Error('stored although another instance was first')),
    });
    expect(result).toEqual({ value: await find(knex), created: false });
    expect(unassignedInToken()).toBe(unassigned);
  });

  it('renews the TSA and audit certificates once when instances find them due together', async () => {
    const { services } = t.kyso;
    const counts = async () =>
      Object.fromEntries(
        ((await services.knex('certificate_authorities').whereIn('kind', ['tsa', 'audit']).groupBy('kind').select('kind').count({ n: '*' })) as Array<{ kind: string; n: string | number }>).map(
          (r) => [r.kind, Number(r.n)],
        ),
      );
    const before = await counts();
    const unassigned = unassignedInToken();
    // Less than 90 days left of both (TSA: five calendar years; audit key: 5 × 365.25 days).
    clock.advance(5 * 365.25 * DAY - 60 * DAY);
    const elsewhere = await otherInstance();
    const otherTsa = new TimeStampAuthority(services.knex, clock, elsewhere, vault, services.random, t.config.publicUrl);
    await Promise.all([services.tsa.ensure(), otherTsa.ensure(), services.auditKey.ensure(), services.auditKey.ensure()]);
    expect(await counts()).toEqual({ tsa: before.tsa! + 1, audit: before.audit! + 1 });
    const created = await services.knex('audit_events').whereIn('action', ['tsa.create', 'audit-key.create']).count({ n: '*' }).first();
    expect(Number(created!.n)).toBe(4); // one of each at first start, one of each now
    expect(unassignedInToken()).toBe(unassigned);
    expect(elsewhere.all().filter((a) => a.kind === 'tsa').length).toBe(before.tsa! + 1);
  });

  it('opens the keys of expired service identities only when something signs with them', async () => {
    clock.advance(62 * DAY); // past the first TSA and audit certificates and the first OCSP responders
    const open = vi.spyOn(vault, 'openServiceKey');
    try {
      const authorities = await otherInstance();
      const now = clock.now().getTime();
      const expired = authorities.all().filter((a) => ['ocsp', 'tsa', 'audit'].includes(a.kind) && a.row.not_after.getTime() <= now);
      expect(new Set(expired.map((a) => a.kind))).toEqual(new Set(['ocsp', 'tsa', 'audit']));
      const opened = open.mock.calls.map(([, owner]) => owner);
      for (const a of expired) expect(opened).not.toContain(a.name);
      const live = authorities.all().filter((a) => a.hasKey && !expired.includes(a));
      expect(opened.sort()).toEqual(live.map((a) => a.name).sort());

      // Should something sign with one after all, its key opens then, once.
      const old = expired.find((a) => a.kind === 'ocsp')!;
      const key = createPublicKey({ key: readCertificate(old.certificateDer).publicKeyInfo, format: 'der', type: 'spki' });
      expect(Buffer.from(old.signer.publicKeyInfo)).toEqual(key.export({ type: 'spki', format: 'der' }));
      for (const text of ['late', 'later']) {
        const data = Buffer.from(text);
        expect(verify(old.signer.algorithm.hash, data, { key, dsaEncoding: 'der' }, await old.signer.sign(data))).toBe(true);
      }
      expect(open.mock.calls.filter(([, owner]) => owner === old.name)).toHaveLength(1);
    } finally {
      open.mockRestore();
    }
  });
});
