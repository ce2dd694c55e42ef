import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixedClock } from '../../src/clock.js';
import { listCas } from '../../src/db/ca-repo.js';
import { RESPONDER_VALIDITY_MS } from '../../src/revocation/responders.js';
import { startTestKyso, type TestKyso } from '../support/kyso.js';
import { issueTestCertificate, opensslAll, testOrganization, writePem } from './fixture.js';

const DAY = 24 * 3600 * 1000;

describe('CRL reissue and responder renewal over time', () => {
  const realNow = new Date(Math.floor(Date.now() / 1000) * 1000);
  // Start 25 days ago: by today the first responder certificates are within 10 days of their end.
  const clock = fixedClock(new Date(realNow.getTime() - 25 * DAY));
  let t: TestKyso;
  let dir: string;

  beforeAll(async () => {
    t = await startTestKyso({ clock });
    dir = mkdtempSync(path.join(os.tmpdir(), 'kyso-revocation-life-'));
  });

  afterAll(async () => {
    await t?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const responders = async () => (await listCas(t.kyso.services.knex)).filter((r) => r.kind === 'ocsp');

  it('issues one delegated responder per CA at start-up, short-lived and audited', async () => {
    const rows = await responders();
    const cas = t.kyso.services.authorities.all().filter((a) => a.kind === 'root' || a.kind === 'issuing');
    expect(rows.map((r) => r.parent_id).sort()).toEqual(cas.map((a) => a.row.id).sort());
    for (const row of rows) expect(row.not_after.getTime() - row.not_before.getTime()).toBe(RESPONDER_VALIDITY_MS);
    const audit = await t.kyso.services.knex('audit_events').where({ action: 'ocsp-responder.create' }).count({ n: '*' }).first();
    expect(Number(audit?.n)).toBe(rows.length);
  });

  it('keeps the CRL number while nothing changes and reissues once half the validity has passed', async () => {
    const { crls } = t.kyso.services.revocation;
    const first = await crls.current('dev-issuing');
    clock.advance(3600 * 1000);
    expect((await crls.current('dev-issuing')).crl_number).toBe(first.crl_number);
    clock.advance(12 * 3600 * 1000);
    const second = await crls.current('dev-issuing');
    expect(second.crl_number).toBe(first.crl_number + 1);
    expect(second.this_update.getTime()).toBe(clock.now().getTime());
    const audit = await t.kyso.services.knex('audit_events').where({ action: 'crl.issue' }).count({ n: '*' }).first();
    expect(Number(audit?.n)).toBeGreaterThanOrEqual(2);
  });

  it('renews a responder certificate nearing its end and signs with the new one, which openssl accepts', async () => {
    const organizationId = await testOrganization(t);
    const before = await responders();
    clock.set(realNow);
    const leaf = await issueTestCertificate(t, organizationId);
    const leafPem = writePem(dir, 'leaf.pem', leaf.der);
    const issuingPem = writePem(dir, 'issuing.pem', t.kyso.services.authorities.issuing().certificateDer);
    const rootPem = writePem(dir, 'root.pem', t.kyso.services.authorities.get('dev-root').certificateDer);
    // The old responder still answers while the renewal runs in the background.
    const request = path.join(dir, 'req.der');
    await opensslAll(['ocsp', '-issuer', issuingPem, '-cert', leafPem, '-reqout', request]);
    const answer = await t.kyso.services.revocation.ocsp.respond(readFileSync(request));
    expect(answer.der.length).toBeGreaterThan(100);
    await t.kyso.services.revocation.responders.ensure();
    const after = await responders();
    expect(after.length).toBe(before.length * 2);
    const newest = after.filter((r) => !before.some((b) => b.id === r.id));
    for (const row of newest) expect(row.not_before.getTime()).toBe(realNow.getTime() - 60_000);

    const text = await opensslAll(['ocsp', '-issuer', issuingPem, '-cert', leafPem, '-url', `${t.url}/pki/ocsp`, '-CAfile', rootPem, '-resp_text']);
    expect(text).toContain('Response verify OK');
    expect(text).toMatch(/leaf\.pem: good/);
    const issuingResponder = newest.find((r) => r.parent_id === t.kyso.services.authorities.issuing().row.id)!;
    const hex = issuingResponder.serial.length % 2 ? `0${issuingResponder.serial}` : issuingResponder.serial;
    const serial = hex.replace(/(..)(?!$)/g, '$1:'); // as openssl prints it
    expect(text.toLowerCase()).toContain(serial);
  });
});
