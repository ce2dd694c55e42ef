import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixedClock } from '../../src/clock.js';
import { seedTenant, startTestKyso, type TestKyso } from '../support/kyso.js';
import { historicalCa, importHistory } from './fixture.js';

/*
 * The running totals (Y and M rows, src/db/stats/maintenance.ts) kept by the fold across several
 * batches: a first one, one that reaches years before the first and after the last year kept
 * (a certificate valid until 2040), and a revocation; they must equal a rebuild, and the status
 * and window counts read from them must equal counts made from the certificates themselves.
 */
const clock = fixedClock(new Date('2026-11-01T03:00:00Z'));
let t: TestKyso;
let admin: string;

const stats = async (path: string) => {
  const res = await t.http().get(`/api/v1/stats/${path}`).set('Authorization', `Bearer ${admin}`);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
};
const count = async (where: string, bindings: readonly string[]) => {
  const rows = await t.kyso.services.knex.raw(`select count(*)::int as n from certificates c where ${where}`, bindings);
  return rows.rows[0].n as number;
};

beforeAll(async () => {
  t = await startTestKyso({ clock });
  admin = await t.adminToken();
  const a = await seedTenant(t, 'ra', { sector: 'education', province: 'Bình Định' });
  const b = await seedTenant(t, 'rb', { sector: 'health', province: 'Hà Nội' });
  const ca = await historicalCa('Running Totals CA');
  await importHistory(t, ca, [
    { holder: 'individual', medium: 'token', organizationId: a.organizationId, notBefore: '2023-03-05T03:00:00Z' },
    { holder: 'individual', medium: 'sim', organizationId: a.organizationId, notBefore: '2023-07-21T03:00:00Z' },
    { holder: 'organization', medium: 'token', organizationId: b.organizationId, notBefore: '2024-12-31T18:00:00Z' },
  ]);
  await stats('status?groupBy=holder'); // the first fold
  const [longLived] = await importHistory(t, ca, [
    { holder: 'individual', medium: 'token', organizationId: b.organizationId, notBefore: '2019-03-05T03:00:00Z', notAfter: '2040-06-01T03:00:00Z' },
    { holder: 'individual', medium: 'file', organizationId: a.organizationId, notBefore: '2023-07-02T03:00:00Z', notAfter: '2024-02-10T03:00:00Z' },
  ]);
  await stats('issuance?groupBy=sector'); // a fold that adds years before and after those kept
  clock.set(new Date('2025-02-01T03:00:00Z'));
  const res = await t.http().post(`/api/v1/certificates/${longLived}/revoke`).set('Authorization', `Bearer ${b.tokens.officer}`).send({ reason: 'superseded' });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  clock.set(new Date('2026-11-01T03:00:00Z'));
});
afterAll(() => t?.close());

describe('running totals', () => {
  it('kept by the fold over several batches equal a rebuild', async () => {
    const knex = t.kyso.services.knex;
    await knex.raw('select kyso_stats_fold()');
    const snapshot = async () => {
      const out: Record<string, string[]> = {};
      for (const table of ['stats_certificates', 'stats_transitions', 'stats_certificates_org']) {
        out[table] = (await knex(table).select('*')).map((r) => JSON.stringify(r)).sort();
      }
      return out;
    };
    const folded = await snapshot();
    // Y rows run through 2041, the year after the last expiry (2040), from 2020 on for the 2019 certificate.
    const years = await knex('stats_certificates').where({ grain: 'Y' }).max({ last: 'period' }).min({ first: 'period' });
    expect(years[0]).toMatchObject({ first: expect.any(Date), last: expect.any(Date) });
    expect((years[0]!.first as Date).getFullYear()).toBe(2020);
    expect((years[0]!.last as Date).getFullYear()).toBe(2041);
    await knex.raw('select kyso_stats_rebuild()');
    expect(await snapshot()).toEqual(folded);
  });

  it('give the status at any day, beyond the last year kept too, as the certificates tell', async () => {
    for (const asOf of ['2019-03-04', '2019-03-05', '2023-07-01', '2023-07-25', '2024-02-10', '2024-12-31', '2025-01-01', '2026-11-01', '2040-06-01', '2055-01-01', '9998-12-31']) {
      const issued = await count('kyso_stats_day(c.not_before) <= ?', [asOf]);
      const revoked = await count(`c.status = 'revoked' and kyso_stats_day(c.revoked_at) <= ?`, [asOf]);
      const expired = await count(
        `kyso_stats_day(c.not_after) <= ? and not (c.status = 'revoked' and kyso_stats_day(c.revoked_at) <= kyso_stats_day(c.not_after))`,
        [asOf],
      );
      for (const groupBy of ['holder', 'holder,medium,sector,province,issuer', 'sector,province,issuer']) {
        const { total } = await stats(`status?asOf=${asOf}&groupBy=${groupBy}`);
        expect(total, `${asOf} ${groupBy}`).toMatchObject({ issued, revoked, expired, suspended: 0, active: issued - revoked - expired });
      }
    }
  });

  it('give the issuance of long and short windows as the certificates tell', async () => {
    const windows = [['2019-01-01', '2026-12-31'], ['2019-03-06', '2024-12-31'], ['2023-03-05', '2025-01-01'], ['2023-07-03', '2023-07-21'], ['2018-01-01', '2060-01-01'], ['1900-01-01', '9998-12-31']];
    for (const [from, to] of windows) {
      const expected = await count('kyso_stats_day(c.not_before) between ? and ?', [from!, to!]);
      for (const groupBy of ['holder', 'holder,medium,sector,province,issuer', 'organization', 'organization,holder']) {
        expect((await stats(`issuance?from=${from}&to=${to}&groupBy=${groupBy}`)).total, `${from} ${to} ${groupBy}`).toBe(expected);
      }
    }
  });
});
