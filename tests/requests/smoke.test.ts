import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedTenant, startTestKyso, type TestKyso } from '../support/kyso.js';
import { issueToken } from './support.js';

let t: TestKyso;
beforeAll(async () => {
  t = await startTestKyso();
});
afterAll(async () => t?.close());

describe('smoke', () => {
  it('issues a token certificate and imports nothing twice', async () => {
    const tenant = await seedTenant(t, 'smoke');
    const issued = await issueToken(t, tenant.organizationId, tenant.tokens.agency, tenant.tokens.officer);
    expect(issued.serial).toMatch(/^[1-9a-f][0-9a-f]{30,31}$/);
    const got = await t.http().get(`/api/v1/certificates/${issued.serial}`).set('Authorization', `Bearer ${tenant.tokens.agency}`);
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({ serial: issued.serial, holder: 'individual', medium: 'token', status: 'active', sector: 'education', province: 'Hà Nội' });
    const dup = await t.http().post('/api/v1/certificates/import').set('Authorization', `Bearer ${tenant.tokens.officer}`)
      .send({ pem: issued.pem, holder: 'individual', medium: 'token', organizationId: tenant.organizationId });
    expect(dup.status).toBe(409);
  });
});
