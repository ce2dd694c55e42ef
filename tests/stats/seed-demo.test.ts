import { spawnSync } from 'node:child_process';
import knexFactory, { type Knex } from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueToken } from '../requests/support.js';
import { freePort, seedTenant, startTestKyso, type TestKyso } from '../support/kyso.js';

// #13 item 15: `seed-demo --help` seeded; it wrote certificates dated in the future and a dev-CA
// issuer DN of its own (two rows for one CA in the statistics by issuer); errors were stack traces.
let t: TestKyso;
let db: Knex;
let admin: string;

/** Runs `npm run seed-demo -- …args` as the operator would, on this test's database unless the args say otherwise. */
function seedDemo(args: string[]) {
  const { DATABASE_URL: _ignored, ...env } = process.env;
  const run = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/seed-demo.ts', ...args], { env, encoding: 'utf8', timeout: 300_000 });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}
const synthetic = async () => Number((await db('certificates').where({ synthetic: true }).count<Array<{ count: number }>>({ count: '*' }))[0]!.count);

describe.skipIf(!process.env.DATABASE_URL)('npm run seed-demo', () => {
  beforeAll(async () => {
    t = await startTestKyso();
    db = knexFactory({ client: 'pg', connection: t.config.databaseUrl!, pool: { min: 0, max: 2 } });
    admin = await t.adminToken();
    const tenant = await seedTenant(t, 'seed');
    await issueToken(t, tenant.organizationId, tenant.tokens.agency, tenant.tokens.officer);
  });
  afterAll(async () => {
    await db?.destroy();
    await t?.close();
  });

  it('prints its help and exits 0 with --help, writing nothing', () => {
    for (const flag of ['--help', '-h']) {
      const run = seedDemo([flag, '--database-url', t.config.databaseUrl!]);
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/^Usage: npm run seed-demo/);
      expect(run.stdout).toContain('--certificates');
    }
    return expect(synthetic()).resolves.toBe(0);
  }, 300_000);

  it('says what is wrong in one line, no stack trace: 2 for a bad option, 1 for an unreachable database', async () => {
    for (const args of [['--certificates', 'many'], ['--until', '2999-01-01']]) {
      const run = seedDemo([...args, '--database-url', t.config.databaseUrl!]);
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stderr.split('\n')[0]).toMatch(/^seed-demo: /);
      expect(run.stderr).not.toMatch(/^\s+at /m);
    }
    const down = seedDemo(['--certificates', '10', '--database-url', `postgres://postgres@127.0.0.1:${await freePort()}/nowhere`]);
    expect(down.code).toBe(1);
    expect(down.stderr.trim().split('\n')).toHaveLength(1);
    expect(down.stderr).toMatch(/^seed-demo: .*ECONNREFUSED/);
    expect(await synthetic()).toBe(0);
  }, 300_000);

  it('seeds a small history dated up to now, issued by the dev CA as it is (one statistics row per issuer)', async () => {
    const run = seedDemo(['--certificates', '2000', '--organizations', '50', '--database-url', t.config.databaseUrl!]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/seeded \d+ certificates/);
    expect(await synthetic()).toBeGreaterThan(2000);

    const future = await db.raw(`select
        (select count(*) from certificates where not_before > now() or created_at > now() or revoked_at > now() or suspended_at > now()) as certificates,
        (select count(*) from certificate_status_changes where at > now()) as changes`);
    expect(future.rows[0]).toEqual({ certificates: 0, changes: 0 });

    const ca = await db('certificate_authorities').where({ kind: 'issuing' }).first('id', 'subject_dn');
    const devIssued = await db('certificates').where({ synthetic: true, issuer_dn: ca.subject_dn }).whereNull('issuer_ca_id').count<Array<{ count: number }>>({ count: '*' });
    expect(Number(devIssued[0]!.count)).toBe(0);

    const report = await t.http().get('/api/v1/stats/status?groupBy=issuer').set('Authorization', `Bearer ${admin}`);
    expect(report.status).toBe(200);
    const issuers = (report.body.rows as Array<{ issuer: string }>).map((r) => r.issuer);
    expect(new Set(issuers).size).toBe(issuers.length);
    const kysoRows = issuers.filter((i) => /kyso|dev/i.test(i));
    expect(kysoRows).toEqual([ca.subject_dn]);
  }, 300_000);
});
