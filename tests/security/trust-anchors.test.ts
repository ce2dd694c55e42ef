import { createHash, generateKeyPairSync, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCertificate } from '../../src/pki/certificate.js';
import { basicConstraintsValue, KeyUsageBit, keyUsageValue } from '../../src/pki/extensions.js';
import { encodeName } from '../../src/pki/name.js';
import { OID } from '../../src/pki/oids.js';
import { toPem } from '../../src/pki/pem.js';
import { randomSerial } from '../../src/pki/serial.js';
import { KeyObjectSigner } from '../../src/pki/signer.js';
import { foreignCa, type ForeignCa } from '../support/foreign-ca.js';
import { seedTenant, startTestKyso, type TestKyso } from '../support/kyso.js';

// #13 item 1: an anchor whose key Node cannot parse was accepted and then broke every import.
let t: TestKyso;
let tenant: Awaited<ReturnType<typeof seedTenant>>;
let admin: string;
let national: ForeignCa;
const log: string[] = [];
const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
const name = (cn: string) => encodeName([{ type: OID.countryName, value: 'VN' }, { type: OID.commonName, value: cn }]);

/** An intermediate CA certificate whose EC point starts 05 instead of 04 (a key Node cannot parse). */
async function brokenIntermediate(cn: string): Promise<Buffer> {
  const root = new KeyObjectSigner(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey);
  const spki = Buffer.from(generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'der' }));
  const at = spki.indexOf(Buffer.from('06082a8648ce3d03010703420004', 'hex'));
  expect(at).toBeGreaterThan(0);
  spki[at + 13] = 0x05;
  return buildCertificate(
    {
      serialNumber: randomSerial(),
      issuer: name('Broken Root'),
      subject: name(cn),
      notBefore: new Date(Date.now() - 864e5),
      notAfter: new Date(Date.now() + 3650 * 864e5),
      subjectPublicKeyInfo: spki,
      extensions: [
        { oid: OID.basicConstraints, critical: true, value: basicConstraintsValue(true) },
        { oid: OID.keyUsage, critical: true, value: keyUsageValue([KeyUsageBit.keyCertSign, KeyUsageBit.cRLSign]) },
      ],
    },
    root,
  );
}

beforeAll(async () => {
  t = await startTestKyso({ logDestination: { write: (line) => void log.push(line) }, env: { LOG_LEVEL: 'warn' } });
  admin = await t.adminToken();
  tenant = await seedTenant(t, 'anchors');
  national = await foreignCa('National Anchor Test CA');
});
afterAll(async () => t?.close());

const importBody = (der: Buffer) => ({ pem: toPem(der, 'CERTIFICATE'), holder: 'individual', medium: 'token', organizationId: tenant.organizationId });

describe('trust anchors whose key cannot be used', () => {
  it('refuses an intermediate with an EC point Node cannot parse (422), and import keeps working', async () => {
    const res = await t.http().post('/api/v1/trust-anchors').set(bearer(admin)).send({ name: 'Broken', pem: toPem(await brokenIntermediate('Broken Sub CA'), 'CERTIFICATE') });
    expect(res.status).toBe(422);
    expect(res.type).toBe('application/problem+json');
    expect((await t.http().get('/api/v1/trust-anchors').set(bearer(admin))).body.map((a: { name: string }) => a.name)).not.toContain('Broken');
  });

  it('skips an unusable anchor stored before the check, logging it once', async () => {
    const der = await brokenIntermediate('Stored Broken CA');
    const id = randomUUID();
    await t.kyso.database.knex('trust_anchors').insert({
      id,
      name: 'Stored broken',
      subject_dn: 'C=VN, CN=Stored Broken CA',
      subject_der: name('Stored Broken CA'),
      der,
      fingerprint: createHash('sha256').update(der).digest('hex'),
      serial: '01',
      not_before: new Date(),
      not_after: new Date(Date.now() + 864e5),
      created_by: null,
      created_at: new Date(),
    });
    const anchor = await t.http().post('/api/v1/trust-anchors').set(bearer(admin)).send({ name: 'National', pem: toPem(national.certificate, 'CERTIFICATE') });
    expect(anchor.status).toBe(201);
    const [first, second, third] = national.leaves(3);
    expect((await t.http().post('/api/v1/certificates/import').set(bearer(tenant.tokens.officer)).send(importBody(first!))).status).toBe(201);
    const batch = await t.http().post('/api/v1/certificates/import/batch').set(bearer(admin)).send([importBody(second!), importBody(third!)]);
    expect(batch.status).toBe(207);
    expect(batch.body.results.map((r: { status: string }) => r.status)).toEqual(['imported', 'imported']);
    const warnings = log.filter((line) => line.includes(id));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('trust anchor skipped');
    // and the admin can remove it
    expect((await t.http().delete(`/api/v1/trust-anchors/${id}`).set(bearer(admin))).status).toBe(204);
  });
});

describe('DELETE /api/v1/trust-anchors/:id', () => {
  it('is for admins, audited, 404 for an unknown id, and keeps the certificates imported under it', async () => {
    const other = await foreignCa('Removable Test CA');
    const created = await t.http().post('/api/v1/trust-anchors').set(bearer(admin)).send({ name: 'Removable', pem: toPem(other.certificate, 'CERTIFICATE') });
    expect(created.status).toBe(201);
    const [leaf, later] = other.leaves(2);
    const imported = await t.http().post('/api/v1/certificates/import').set(bearer(admin)).send(importBody(leaf!));
    expect(imported.status).toBe(201);

    for (const token of [tenant.tokens.officer, tenant.tokens.auditor, tenant.tokens.agency]) {
      expect((await t.http().delete(`/api/v1/trust-anchors/${created.body.id}`).set(bearer(token))).status).toBe(403);
    }
    expect((await t.http().delete(`/api/v1/trust-anchors/${randomUUID()}`).set(bearer(admin))).status).toBe(404);
    expect((await t.http().delete('/api/v1/trust-anchors/not-an-id').set(bearer(admin))).status).toBe(404);

    expect((await t.http().delete(`/api/v1/trust-anchors/${created.body.id}`).set(bearer(admin))).status).toBe(204);
    expect((await t.http().delete(`/api/v1/trust-anchors/${created.body.id}`).set(bearer(admin))).status).toBe(404);
    const anchors = (await t.http().get('/api/v1/trust-anchors').set(bearer(admin))).body as Array<{ id: string }>;
    expect(anchors.map((a) => a.id)).not.toContain(created.body.id);

    const kept = await t.http().get(`/api/v1/certificates/${imported.body.serial}`).set(bearer(admin));
    expect(kept.status).toBe(200);
    // no longer an accepted issuer
    expect((await t.http().post('/api/v1/certificates/import').set(bearer(admin)).send(importBody(later!))).status).toBe(422);

    const audit = await t.http().get('/api/v1/audit?action=trust-anchor.delete').set(bearer(admin));
    expect(audit.body.items.some((e: { target: { id: string } }) => e.target?.id === created.body.id)).toBe(true);
    const doc = (await t.http().get('/api/v1/openapi.json')).body;
    expect(doc.paths['/api/v1/trust-anchors/{id}']?.delete?.operationId).toBe('deleteApiV1TrustAnchorsById');
  });
});
