import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPORT_2023, REPORT_PROVINCE, seedDemo } from '../../scripts/seed-demo.js';
import { startTestKyso, type TestKyso } from '../support/kyso.js';

/*
 * The province's 2023 report (product.md), told by the statistics API over the demo seed's bulk
 * history (scripts/seed-demo.ts: a national history plus the report province, aggregates rebuilt).
 * The report's certificates are those on devices (token, SIM); its signing accounts hold remote ones.
 */
let t: TestKyso;
let admin: string;
type Row = { province: string; holder: string; medium: string; count: number };

const issuance = async (query: string): Promise<Row[]> => {
  const res = await t.http().get(`/api/v1/stats/issuance?${query}&groupBy=province,holder,medium`).set('Authorization', `Bearer ${admin}`);
  expect(res.status).toBe(200);
  return (res.body.rows as Row[]).filter((r) => r.province === REPORT_PROVINCE);
};
const sum = (rows: Row[], holder: string, media: string[]) =>
  rows.filter((r) => r.holder === holder && media.includes(r.medium)).reduce((n, r) => n + r.count, 0);

beforeAll(async () => {
  t = await startTestKyso();
  admin = await t.adminToken();
  const result = await seedDemo(t.kyso.services.knex, { certificates: 3000, organizations: 60, seed: 0.5, until: '2026-11-01' });
  expect(result.certificates).toBeGreaterThan(3000);
}, 600_000);
afterAll(() => t?.close());

describe('the 2023 report of product.md', () => {
  it('first nine months of 2023: 154 organization, 2,149 individual certificates, 279 of them SIM', async () => {
    const rows = await issuance('from=2023-01-01&to=2023-09-30');
    expect(sum(rows, 'organization', ['token', 'sim', 'file'])).toBe(REPORT_2023.organizationNineMonths);
    expect(sum(rows, 'individual', ['token', 'sim'])).toBe(2149);
    expect(sum(rows, 'individual', ['sim'])).toBe(279);
  });

  it('in total: 4,078 individual (299 SIM) and 807 organization certificates', async () => {
    const rows = await issuance('to=2023-09-30');
    expect(sum(rows, 'individual', ['token', 'sim'])).toBe(4078);
    expect(sum(rows, 'individual', ['sim'])).toBe(299);
    expect(sum(rows, 'organization', ['token', 'sim', 'file'])).toBe(807);
  });

  it('10,373 centralized signing accounts in education', async () => {
    const res = await t.http().get('/api/v1/stats/signing-accounts?groupBy=sector,province').set('Authorization', `Bearer ${admin}`);
    expect(res.status).toBe(200);
    expect(res.body.rows).toContainEqual({ sector: 'education', province: REPORT_PROVINCE, count: 10373 });
  });

  it('the status table at 30 September 2023 counts the same certificates as issued', async () => {
    const res = await t.http().get('/api/v1/stats/status?asOf=2023-09-30&groupBy=province,holder,medium').set('Authorization', `Bearer ${admin}`);
    const rows = (res.body.rows as Array<Row & { issued: number }>).filter((r) => r.province === REPORT_PROVINCE);
    const issued = (holder: string, media: string[]) =>
      rows.filter((r) => r.holder === holder && media.includes(r.medium)).reduce((n, r) => n + r.issued, 0);
    expect(issued('individual', ['token', 'sim'])).toBe(4078);
    expect(issued('organization', ['token', 'file'])).toBe(807);
  });

  it('today the province is part of Gia Lai', async () => {
    const res = await t.http().get('/api/v1/stats/issuance?to=2023-09-30&groupBy=currentProvince').set('Authorization', `Bearer ${admin}`);
    const gialai = (res.body.rows as Array<{ currentProvince: string; count: number }>).find((r) => r.currentProvince === 'Gia Lai');
    expect(gialai!.count).toBeGreaterThanOrEqual(4078 + 807 + 10373);
  });
});
