import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixedClock } from '../../src/clock.js';
import { seedTenant, startTestKyso, type TestKyso } from '../support/kyso.js';
import { historicalCa, importHistory } from './fixture.js';

/*
 * A known history imported through POST /api/v1/certificates/import/batch (historical notBefore),
 * then suspended, resumed and revoked through the API at chosen dates (injected clock), and one
 * signing account opened through the API. Every count below is exact.
 *
 *  #  notBefore (UTC)        Vietnam day   holder        medium  organization
 *  0  2022-12-31T17:30Z      2023-01-01    individual    token   A (education, Bình Định → Gia Lai)
 *  1  2023-02-15T03:00Z      2023-02-15    individual    sim     A   suspended 2023-04-01, resumed 2023-04-20
 *  2  2023-03-10T03:00Z      2023-03-10    individual    sim     A   revoked 2023-06-15 keyCompromise
 *  3  2023-05-20T03:00Z      2023-05-20    organization  token   A   suspended 2023-08-01
 *  4  2023-09-30T16:30Z      2023-09-30    individual    token   B (health, Hà Nội)
 *  5  2023-09-30T17:30Z      2023-10-01    individual    token   B
 *  6  2021-06-01T03:00Z      2021-06-01    individual    token   B   notAfter 2022-06-01 (expired)
 *  7  2024-01-10T03:00Z      2024-01-10    organization  file    B
 *  +  the signing account's remote certificate, 2026-11-01, individual remote, A
 */
const NOW = new Date('2026-11-01T03:00:00Z');
const clock = fixedClock(NOW);
let t: TestKyso;
let a: Awaited<ReturnType<typeof seedTenant>>;
let b: Awaited<ReturnType<typeof seedTenant>>;
let admin: string;

const stats = (path: string, token = admin) => t.http().get(`/api/v1/stats/${path}`).set('Authorization', `Bearer ${token}`);
const rowsOf = async (path: string) => {
  const res = await stats(path);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.rows as Array<Record<string, unknown>>;
};

beforeAll(async () => {
  t = await startTestKyso({ clock });
  admin = await t.adminToken();
  a = await seedTenant(t, 'sa', { name: 'Trường THPT Quy Nhơn', sector: 'education', province: 'Bình Định' });
  b = await seedTenant(t, 'sb', { name: 'Bệnh viện Đa khoa', sector: 'health', province: 'Hà Nội' });
  const ca = await historicalCa('Historical National CA');
  const serials = await importHistory(t, ca, [
    { holder: 'individual', medium: 'token', organizationId: a.organizationId, notBefore: '2022-12-31T17:30:00Z' },
    { holder: 'individual', medium: 'sim', organizationId: a.organizationId, notBefore: '2023-02-15T03:00:00Z' },
    { holder: 'individual', medium: 'sim', organizationId: a.organizationId, notBefore: '2023-03-10T03:00:00Z' },
    { holder: 'organization', medium: 'token', organizationId: a.organizationId, notBefore: '2023-05-20T03:00:00Z' },
    { holder: 'individual', medium: 'token', organizationId: b.organizationId, notBefore: '2023-09-30T16:30:00Z' },
    { holder: 'individual', medium: 'token', organizationId: b.organizationId, notBefore: '2023-09-30T17:30:00Z' },
    { holder: 'individual', medium: 'token', organizationId: b.organizationId, notBefore: '2021-06-01T03:00:00Z', notAfter: '2022-06-01T03:00:00Z' },
    { holder: 'organization', medium: 'file', organizationId: b.organizationId, notBefore: '2024-01-10T03:00:00Z' },
  ]);
  const change = async (at: string, serial: string, action: string, body: object = {}) => {
    clock.set(new Date(at));
    const res = await t.http().post(`/api/v1/certificates/${serial}/${action}`).set('Authorization', `Bearer ${a.tokens.officer}`).send(body);
    if (res.status !== 200) throw new Error(`${action} ${serial}: ${res.status} ${JSON.stringify(res.body)}`);
  };
  await change('2023-04-01T03:00:00Z', serials[1]!, 'suspend');
  await change('2023-04-20T03:00:00Z', serials[1]!, 'resume');
  await change('2023-06-15T03:00:00Z', serials[2]!, 'revoke', { reason: 'keyCompromise' });
  await change('2023-08-01T03:00:00Z', serials[3]!, 'suspend');
  clock.set(NOW);
  const account = await t
    .http()
    .post('/api/v1/signing-accounts')
    .set('Authorization', `Bearer ${admin}`)
    .send({ userId: a.userIds.signer, organizationId: a.organizationId, pin: '246810', commonName: 'Trần Thị Giáo Viên', uid: 'CCCD:079200009999' });
  if (account.status !== 201) throw new Error(`signing account: ${account.status} ${JSON.stringify(account.body)}`);
});
afterAll(() => t?.close());

describe('GET /api/v1/stats/issuance', () => {
  it('counts the first nine months of 2023 by holder and medium (Vietnam calendar days)', async () => {
    const res = await stats('issuance?from=2023-01-01&to=2023-09-30&groupBy=holder,medium');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      from: '2023-01-01',
      to: '2023-09-30',
      groupBy: ['holder', 'medium'],
      rows: [
        { holder: 'individual', medium: 'sim', count: 2 },
        { holder: 'individual', medium: 'token', count: 2 },
        { holder: 'organization', medium: 'token', count: 1 },
      ],
      total: 5,
    });
  });

  it.each([
    ['groupBy=holder', [{ holder: 'individual', count: 7 }, { holder: 'organization', count: 2 }]],
    ['groupBy=year', [{ year: '2021', count: 1 }, { year: '2023', count: 6 }, { year: '2024', count: 1 }, { year: '2026', count: 1 }]],
    [
      'from=2021-01-01&to=2024-12-31&groupBy=quarter',
      [
        { quarter: '2021-Q2', count: 1 },
        { quarter: '2023-Q1', count: 3 },
        { quarter: '2023-Q2', count: 1 },
        { quarter: '2023-Q3', count: 1 },
        { quarter: '2023-Q4', count: 1 },
        { quarter: '2024-Q1', count: 1 },
      ],
    ],
    [
      'from=2023-01-01&to=2023-12-31&groupBy=month,holder',
      [
        { month: '2023-01', holder: 'individual', count: 1 },
        { month: '2023-02', holder: 'individual', count: 1 },
        { month: '2023-03', holder: 'individual', count: 1 },
        { month: '2023-05', holder: 'organization', count: 1 },
        { month: '2023-09', holder: 'individual', count: 1 },
        { month: '2023-10', holder: 'individual', count: 1 },
      ],
    ],
    ['groupBy=sector', [{ sector: 'education', count: 5 }, { sector: 'health', count: 4 }]],
    ['groupBy=province', [{ province: 'Bình Định', count: 5 }, { province: 'Hà Nội', count: 4 }]],
    ['groupBy=currentProvince', [{ currentProvince: 'Gia Lai', count: 5 }, { currentProvince: 'Hà Nội', count: 4 }]],
    ['groupBy=medium&from=2023-10-01', [{ medium: 'file', count: 1 }, { medium: 'remote', count: 1 }, { medium: 'token', count: 1 }]],
    ['from=2023-01-01&to=2023-01-01', [{ count: 1 }]],
    ['from=2022-12-31&to=2022-12-31', []],
    ['from=2023-09-30&to=2023-09-30&groupBy=sector', [{ sector: 'health', count: 1 }]],
    ['to=2022-12-31&groupBy=holder,medium,sector,province,issuer', [
      { holder: 'individual', medium: 'token', sector: 'health', province: 'Hà Nội', issuer: 'C=VN, O=Historical National CA, CN=Historical National CA Root CA', count: 1 },
    ]],
  ])('%s', async (query, expected) => {
    const res = await stats(`issuance?${query}`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.rows).toEqual(expected);
    expect(res.body.total).toBe(expected.reduce((n, r) => n + r.count, 0));
  });

  it('groups by organization with its name', async () => {
    expect(await rowsOf('issuance?to=2023-12-31&groupBy=organization')).toEqual([
      { organization: b.organizationId, organizationName: 'Bệnh viện Đa khoa', count: 3 },
      { organization: a.organizationId, organizationName: 'Trường THPT Quy Nhơn', count: 4 },
    ]);
  });
});

describe('GET /api/v1/stats/status', () => {
  const counts = (issued: number, active: number, suspended: number, revoked: number, expired: number) => ({ issued, active, suspended, revoked, expired });

  it.each([
    ['2021-05-31', counts(0, 0, 0, 0, 0)],
    ['2022-06-01', counts(1, 0, 0, 0, 1)],
    ['2023-04-10', counts(4, 2, 1, 0, 1)],
    ['2023-04-20', counts(4, 3, 0, 0, 1)],
    ['2023-06-15', counts(5, 3, 0, 1, 1)],
    ['2023-12-31', counts(7, 4, 1, 1, 1)],
    ['2026-11-01', counts(9, 2, 0, 1, 6)],
  ])('as of %s', async (asOf, total) => {
    const res = await stats(`status?asOf=${asOf}`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.asOf).toBe(asOf);
    expect(res.body.total).toEqual(total);
  });

  it('groups by holder and by sector', async () => {
    expect(await rowsOf('status?asOf=2023-12-31&groupBy=holder')).toEqual([
      { holder: 'individual', ...counts(6, 4, 0, 1, 1) },
      { holder: 'organization', ...counts(1, 0, 1, 0, 0) },
    ]);
    expect(await rowsOf('status?asOf=2023-12-31&groupBy=sector,currentProvince')).toEqual([
      { sector: 'education', currentProvince: 'Gia Lai', ...counts(4, 2, 1, 1, 0) },
      { sector: 'health', currentProvince: 'Hà Nội', ...counts(3, 2, 0, 0, 1) },
    ]);
  });

  it('defaults to today', async () => {
    const res = await stats('status');
    expect(res.body.asOf).toBe('2026-11-01');
  });
});

describe('revocations and signing accounts', () => {
  it('counts revocations by reason, sector and month', async () => {
    const res = await stats('revocations?from=2023-01-01&to=2023-12-31&groupBy=reason,sector,month');
    expect(res.body).toMatchObject({ rows: [{ reason: 'keyCompromise', sector: 'education', month: '2023-06', count: 1 }], total: 1 });
    expect((await stats('revocations?to=2023-06-14')).body.total).toBe(0);
  });

  it('counts signing accounts by sector and organization', async () => {
    expect(await rowsOf('signing-accounts?groupBy=sector')).toEqual([{ sector: 'education', count: 1 }]);
    expect(await rowsOf('signing-accounts?groupBy=organization')).toEqual([
      { organization: a.organizationId, organizationName: 'Trường THPT Quy Nhơn', count: 1 },
    ]);
  });
});

describe('the edge days of the cubes kept down to dekads or months', () => {
  // Five dimensions, or the organization, read years, months and dekads from the aggregates and
  // the single days at the edges, added or taken away, from the certificates (src/db/stats/events.ts);
  // the totals must equal those of the daily cubes.
  const days = [
    '2022-05-31', '2022-06-01', '2022-06-05', '2023-01-01', '2023-02-14', '2023-02-15', '2023-03-09', '2023-03-10',
    '2023-03-11', '2023-04-01', '2023-04-19', '2023-04-20', '2023-04-21', '2023-06-15', '2023-08-01', '2023-09-30', '2026-05-31',
  ];
  const sum = (rows: Array<Record<string, unknown>>, key: string) => rows.reduce((n, r) => n + Number(r[key]), 0);

  it('count status as of a day within a month', async () => {
    for (const asOf of days) {
      const whole = (await stats(`status?asOf=${asOf}`)).body.total;
      const rows = await rowsOf(`status?asOf=${asOf}&groupBy=holder,medium,sector,province,issuer`);
      for (const key of ['issued', 'active', 'suspended', 'revoked', 'expired']) expect(sum(rows, key), `${asOf} ${key}`).toBe(whole[key]);
    }
    expect(await rowsOf('status?asOf=2023-04-19&groupBy=holder,medium,sector,province,issuer')).toContainEqual(
      expect.objectContaining({ holder: 'individual', medium: 'sim', sector: 'education', issued: 2, suspended: 1, active: 1 }),
    );
  });

  it('count issuance over windows that cut months', async () => {
    const windows = [
      ['2022-12-31', '2023-02-15'], ['2023-02-16', '2023-09-30'], ['2023-03-10', '2024-01-10'], ['2021-06-02', '2023-10-01'],
      // within one month or dekad, and edges rounded outward (a few days taken away)
      ['2023-02-15', '2023-02-15'], ['2023-03-09', '2023-03-12'], ['2023-09-30', '2023-10-01'], ['2023-02-03', '2023-03-28'], ['2021-05-29', '2024-01-12'],
    ];
    for (const [from, to] of windows) {
      const whole = (await stats(`issuance?from=${from}&to=${to}`)).body.total;
      const counted = await t.kyso.services.knex('certificates').whereRaw('kyso_stats_day(not_before) between ? and ?', [from, to]).count<Array<{ n: string }>>({ n: '*' });
      expect(whole, `${from} ${to}`).toBe(Number(counted[0]!.n));
      expect(whole, `${from} ${to}`).toBeGreaterThan(0);
      for (const groupBy of ['holder,medium,sector,province,issuer', 'sector,province', 'organization', 'organization,holder', 'quarter,organization', 'month,organization']) {
        expect(sum(await rowsOf(`issuance?from=${from}&to=${to}&groupBy=${groupBy}`), 'count'), `${from} ${to} ${groupBy}`).toBe(whole);
      }
      // Per quarter, the organizations' quarter rows agree with the other cubes' months.
      const perQuarter = (rows: Array<Record<string, unknown>>) =>
        rows.reduce((m, r) => m.set(r.quarter, (m.get(r.quarter) ?? 0) + Number(r.count)), new Map<unknown, number>());
      expect(perQuarter(await rowsOf(`issuance?from=${from}&to=${to}&groupBy=quarter,organization`))).toEqual(
        perQuarter(await rowsOf(`issuance?from=${from}&to=${to}&groupBy=quarter`)),
      );
    }
  });
});

describe('the aggregates kept through the queue', () => {
  it('equal a full rebuild from the certificates and their history', async () => {
    const knex = t.kyso.services.knex;
    const snapshot = async () => {
      const out: Record<string, unknown[]> = {};
      for (const table of ['stats_certificates', 'stats_transitions', 'stats_certificates_org', 'stats_revocations', 'stats_signing_accounts']) {
        out[table] = (await knex(table).select('*')).map((r) => JSON.stringify(r)).sort();
      }
      return out;
    };
    await knex.raw('select kyso_stats_fold()');
    const byTriggers = await snapshot();
    expect(byTriggers.stats_certificates!.length).toBeGreaterThan(0);
    await knex.raw('select kyso_stats_rebuild()');
    expect(await snapshot()).toEqual(byTriggers);
  });
});

describe('CSV', () => {
  it('answers ?format=csv as UTF-8 with a byte-order mark, CRLF lines, a header row', async () => {
    const res = await stats('issuance?groupBy=province,holder&format=csv').buffer(true).parse((r, cb) => {
      const chunks: Buffer[] = [];
      r.on('data', (c: Buffer) => chunks.push(c));
      r.on('end', () => cb(null, Buffer.concat(chunks)));
    });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).toBe('attachment; filename="issuance.csv"');
    const body = res.body as Buffer;
    expect([...body.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(body.subarray(3).toString('utf8')).toBe(
      'province,holder,count\r\nBình Định,individual,4\r\nBình Định,organization,1\r\nHà Nội,individual,3\r\nHà Nội,organization,1\r\n',
    );
  });

  it('answers Accept: text/csv, with the status columns and quoted names', async () => {
    const res = await stats('status?asOf=2023-12-31&groupBy=issuer').set('Accept', 'text/csv');
    expect(res.type).toBe('text/csv');
    expect(res.text).toBe(
      '\uFEFFissuer,issued,active,suspended,revoked,expired\r\n"C=VN, O=Historical National CA, CN=Historical National CA Root CA",7,4,1,1,1\r\n',
    );
  });
});

describe('access and parameters', () => {
  it.each([
    ['admin', 200],
    ['officer', 200],
    ['auditor', 200],
    ['agency', 403],
    ['signer', 403],
  ])('%s → %i', async (role, status) => {
    const token = role === 'admin' ? admin : a.tokens[role as 'officer' | 'auditor' | 'agency' | 'signer'];
    for (const path of ['issuance', 'revocations', 'signing-accounts', 'status']) {
      const res = await stats(path, token);
      expect(res.status, path).toBe(status);
    }
  });

  it('needs a token', async () => {
    expect((await t.http().get('/api/v1/stats/issuance')).status).toBe(401);
  });

  it.each([
    'issuance?groupBy=colour',
    'issuance?groupBy=reason',
    'status?groupBy=month',
    'issuance?from=2023-02-30',
    'issuance?from=23-01-01',
    'issuance?from=2023-10-01&to=2023-09-30',
    'status?asOf=yesterday',
    // Periods are four-digit years: a window ending in 9999 once looped for ever.
    'status?asOf=9999-12-31',
    'issuance?from=9999-12-31',
    'issuance?from=1899-12-31',
    'revocations?format=xml',
  ])('%s → 400 problem', async (query) => {
    const res = await stats(query);
    expect(res.status).toBe(400);
    expect(res.type).toBe('application/problem+json');
  });
});

// Last: it adds organizations and certificates to the history above.
describe('rows by organization', () => {
  it('come in Vietnamese order of the names (Đ after D, numbers by value), organizations created since the last query included', async () => {
    await rowsOf('issuance?groupBy=organization'); // the organizations' order is cached now
    const ca = await historicalCa('Historical National CA 2');
    const names = ['Trường số 10', 'Đại học Quy Nhơn', 'Trường số 9', 'Dân lập Hùng Vương'];
    const ids: string[] = [];
    for (const [i, name] of names.entries()) {
      ids.push((await seedTenant(t, `so${i}`, { name, sector: 'education', province: 'Bình Định' })).organizationId);
    }
    await importHistory(t, ca, ids.map((organizationId) => ({ holder: 'individual', medium: 'token', organizationId, notBefore: '2025-03-03T03:00:00Z' })));
    const rows = await rowsOf('issuance?from=2025-01-01&to=2025-12-31&groupBy=organization,holder');
    expect(rows.map((r) => r.organizationName)).toEqual(['Dân lập Hùng Vương', 'Đại học Quy Nhơn', 'Trường số 9', 'Trường số 10']);
    expect(rows.every((r) => r.holder === 'individual' && r.count === 1)).toBe(true);
  });
});
