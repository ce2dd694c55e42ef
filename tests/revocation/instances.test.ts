import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { startKyso, type RunningKyso } from '../../src/server.js';
import { freePort, startTestKyso, type TestKyso } from '../support/kyso.js';
import { changeStatus, firstCertStatus, issueTestCertificate, testOrganization } from './fixture.js';
import { NULL, octetString, oid, sequence, unsignedInteger } from '../../src/pki/der.js';
import { issuerHashes, parseOcspRequest } from '../../src/pki/ocsp.js';
import { OID } from '../../src/pki/oids.js';
import { serialBytes } from '../../src/pki/certificate.js';

// Two instances on one PostgreSQL database: what one revokes, the other's OCSP and CRL show at once.
describe.skipIf(!process.env.DATABASE_URL)('two instances sharing PostgreSQL', () => {
  let t: TestKyso;
  let second: RunningKyso;

  beforeAll(async () => {
    t = await startTestKyso();
    const config = loadConfig({
      PORT: String(await freePort()),
      DATABASE_URL: t.config.databaseUrl,
      KYSO_DATA_DIR: t.dataDir,
      KYSO_CERTS_DEV_DIR: t.config.certsDevDir,
      LOG_LEVEL: 'silent',
    });
    second = await startKyso(config, createLogger('silent'));
  });

  afterAll(async () => {
    await second?.close();
    await t?.close();
  });

  /** A certificate issued on the first instance, and its OCSP status as the second answers it. */
  async function certificateOnSecond() {
    const certificate = await issueTestCertificate(t, await testOrganization(t));
    const ca = t.kyso.services.authorities.issuing();
    const { nameHash, keyHash } = issuerHashes('sha1', ca.subjectDer, ca.signer.publicKeyInfo);
    const certId = sequence(sequence(oid(OID.sha1), NULL), octetString(nameHash), octetString(keyHash), unsignedInteger(serialBytes(certificate.serial)));
    const request = sequence(sequence(sequence(sequence(certId))));
    expect(parseOcspRequest(request).certIds[0]!.serial).toBe(certificate.serial);
    return { certificate, status: async () => firstCertStatus((await second.services.revocation.ocsp.respond(request)).der) };
  }

  it('answers on the second instance what the first one changed, and numbers CRLs in one sequence', async () => {
    const { certificate, status } = await certificateOnSecond();

    const firstCrl = await t.kyso.services.revocation.crls.current('dev-issuing');
    expect(await status()).toBe('good');
    await changeStatus(t, certificate, 'revoke', 'superseded');
    expect(await status()).toBe('revoked');
    const secondCrl = await second.services.revocation.crls.current('dev-issuing');
    expect(secondCrl.crl_number).toBeGreaterThan(firstCrl.crl_number);
    expect(secondCrl.entry_count).toBe(1);
    // The first instance finds the CRL the second issued for the same content: no new number.
    const again = await t.kyso.services.revocation.crls.current('dev-issuing');
    expect(again.crl_number).toBe(secondCrl.crl_number);
  });

  it('answers from the database while its status listener is lost, and reconnects', async () => {
    const { certificate, status } = await certificateOnSecond();
    const listeners = () =>
      t.kyso.services.knex.raw("select pid from pg_stat_activity where application_name = 'kyso status listener' and datname = current_database()");
    expect((await listeners()).rows).toHaveLength(2);
    expect(await status()).toBe('good');

    // Both listeners die; the revocation commits while nobody listens, so its NOTIFY is lost.
    await t.kyso.services.knex.raw("select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'kyso status listener' and datname = current_database()");
    const knex = t.kyso.services.knex;
    await knex.transaction(async (trx) => {
      const [row] = await trx('certificates').where({ serial: certificate.serial }).update({ status: 'revoked', revoked_at: new Date(), revocation_reason: 'keyCompromise' }).returning('id');
      await trx('certificate_status_changes').insert({ certificate_id: row.id, at: new Date(), status: 'revoked', reason: 'keyCompromise' });
    });
    expect(await status()).toBe('revoked');
    const crl = await second.services.revocation.crls.current('dev-issuing');
    expect(crl.entry_count).toBeGreaterThanOrEqual(1);
    // Each listener comes back within a second or so.
    for (let i = 0; i < 50 && (await listeners()).rows.length < 2; i++) await new Promise((r) => setTimeout(r, 100));
    expect((await listeners()).rows).toHaveLength(2);
    expect(await status()).toBe('revoked');
  });
});
