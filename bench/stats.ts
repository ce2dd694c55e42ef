/**
 * Statistics at national scale: loads N synthetic certificates with scripts/seed-demo.ts into a
 * PostgreSQL database (DATABASE_URL's server), then times each statistics query over HTTP, p50
 * and p95 over varied parameters. Sizes: KYSO_BENCH_STATS_SIZES (default 1000000,10000000).
 * A database seeded by an earlier run (kyso_bench_stats_<N>) is reused; its comment keeps the
 * load time. KYSO_BENCH_STATS_RESEED=1 loads again.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import knexFactory from 'knex';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/log.js';
import { startKyso } from '../src/server.js';
import { seedDemo } from '../scripts/seed-demo.js';
import { BENCH_ADMIN_PASSWORD, login } from './support.js';

const ITERATIONS = 40;

/** Query strings per statistic, varied so that caches do not flatter the numbers. */
function queries(random: () => number): Array<[string, () => string]> {
  const day = (from: number, to: number) => {
    const t = from + random() * (to - from);
    return new Date(t).toISOString().slice(0, 10);
  };
  const y = (year: number) => Date.UTC(year, 0, 1);
  const year = () => 2016 + Math.floor(random() * 10);
  return [
    ['issuance by holder, medium (all time)', () => 'issuance?groupBy=holder,medium'],
    ['issuance 9 months by holder, medium, province', () => { const yr = year(); return `issuance?from=${yr}-01-01&to=${yr}-09-30&groupBy=holder,medium,province`; }],
    ['issuance per month of a year by holder, medium', () => { const yr = year(); return `issuance?from=${yr}-01-01&to=${yr}-12-31&groupBy=month,holder,medium`; }],
    ['issuance random window by sector', () => { const a = day(y(2015), y(2026)); const b = day(Date.parse(a), y(2026)); return `issuance?from=${a}&to=${b}&groupBy=sector`; }],
    ['issuance random window by currentProvince', () => { const a = day(y(2015), y(2026)); const b = day(Date.parse(a), y(2026)); return `issuance?from=${a}&to=${b}&groupBy=currentProvince`; }],
    ['issuance of a year by sector, province', () => { const yr = year(); return `issuance?from=${yr}-01-01&to=${yr}-12-31&groupBy=sector,province`; }],
    ['issuance of a quarter by organization', () => { const yr = year(); return `issuance?from=${yr}-04-01&to=${yr}-06-30&groupBy=organization`; }],
    ['status at a random date by holder, sector', () => `status?asOf=${day(y(2016), y(2026))}&groupBy=holder,sector`],
    ['status at a random date by province, issuer', () => `status?asOf=${day(y(2016), y(2026))}&groupBy=province,issuer`],
    ['status at a random date by sector, province', () => `status?asOf=${day(y(2016), y(2026))}&groupBy=sector,province`],
    // Cubes kept down to dekads or months (src/db/stats/cubes.ts): the edge days come from the certificates.
    ['status at a random date by sector, province, issuer (edge)', () => `status?asOf=${day(y(2016), y(2026))}&groupBy=sector,province,issuer`],
    ['issuance random window by organization (edge)', () => { const a = day(y(2015), y(2026)); const b = day(Date.parse(a), y(2026)); return `issuance?from=${a}&to=${b}&groupBy=organization`; }],
    ['issuance random window by all five dimensions (edge)', () => { const a = day(y(2015), y(2026)); const b = day(Date.parse(a), y(2026)); return `issuance?from=${a}&to=${b}&groupBy=holder,medium,sector,province,issuer`; }],
    ['issuance random window by organization, holder (edge)', () => { const a = day(y(2015), y(2026)); const b = day(Date.parse(a), y(2026)); return `issuance?from=${a}&to=${b}&groupBy=organization,holder`; }],
    ['revocations of a year by reason, month', () => { const yr = year(); return `revocations?from=${yr}-01-01&to=${yr}-12-31&groupBy=reason,month`; }],
    ['signing accounts by sector', () => 'signing-accounts?groupBy=sector'],
  ];
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

/** Runs the benchmark at each size. */
export async function run(): Promise<void> {
  const baseUrl = process.env.DATABASE_URL;
  if (!baseUrl) {
    console.log('stats: skipped, needs DATABASE_URL (a PostgreSQL server)');
    return;
  }
  const sizes = (process.env.KYSO_BENCH_STATS_SIZES ?? '1000000,10000000').split(',').map(Number);
  for (const size of sizes) {
    const name = `kyso_bench_stats_${size}`;
    const u = new URL(baseUrl);
    u.pathname = `/${name}`;
    const admin = knexFactory({ client: 'pg', connection: baseUrl, pool: { min: 0, max: 1 } });
    const found = await admin.raw(`select shobj_description(oid, 'pg_database') as note from pg_database where datname = ?`, [name]);
    let note: string | null = found.rows[0]?.note ?? null;
    const reseed = !note || Boolean(process.env.KYSO_BENCH_STATS_RESEED);
    if (reseed) {
      await admin.raw(`drop database if exists ${name} with (force)`);
      await admin.raw(`create database ${name}`);
    }
    // kyso starts first: it migrates and creates the bootstrap admin before the seed adds its signer users.
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'kyso-bench-stats-'));
    const config = loadConfig({
      PORT: '0',
      DATABASE_URL: u.toString(),
      KYSO_DATA_DIR: dataDir,
      KYSO_CERTS_DEV_DIR: path.join(dataDir, 'certs-dev'),
      KYSO_ADMIN_PASSWORD: BENCH_ADMIN_PASSWORD,
      KYSO_MASTER_KEY: '42'.repeat(32),
      LOG_LEVEL: 'silent',
    });
    const kyso = await startKyso(config, createLogger('silent'));
    if (reseed) {
      const started = Date.now();
      const result = await seedDemo(kyso.services.knex, {
        certificates: size,
        organizations: Math.min(20_000, Math.max(50, Math.round(size / 500))),
        seed: 0.42,
        until: new Date(Date.now() + 7 * 3600_000).toISOString().slice(0, 10),
        log: (line) => console.log(`  [${((Date.now() - started) / 1000).toFixed(0)} s] ${line}`),
      });
      note = `seeded ${result.certificates} certificates in ${result.seconds.toFixed(0)} s`;
      await admin.raw(`comment on database ${name} is '${note}'`);
    }
    await admin.destroy();
    const sizes = await kyso.services.knex.raw(
      `select pg_size_pretty(pg_total_relation_size('certificates')) as certificates,
              pg_size_pretty(pg_total_relation_size('stats_certificates') + pg_total_relation_size('stats_transitions')
                             + pg_total_relation_size('stats_certificates_org') + pg_total_relation_size('stats_revocations')
                             + pg_total_relation_size('stats_signing_accounts')) as aggregates`,
    );
    console.log(`${size.toLocaleString('en')} certificates: ${note}; on disk: certificates ${sizes.rows[0].certificates}, aggregates ${sizes.rows[0].aggregates}`);

    try {
      const token = await login(kyso.url, 'admin', BENCH_ADMIN_PASSWORD);
      // The machine's load beside the figures: on a shared box, waiting for CPU shows up as latency.
      console.log(`  (load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')} on ${os.cpus().length} CPUs)`);
      let state = 42;
      const random = () => ((state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
      for (const [label, next] of queries(random)) {
        const times: number[] = [];
        let rows = 0;
        for (let i = 0; i < ITERATIONS + 3; i++) {
          const started = process.hrtime.bigint();
          const res = await fetch(`${kyso.url}/api/v1/stats/${next()}`, { headers: { authorization: `Bearer ${token}` } });
          const body = (await res.json()) as { rows: unknown[] };
          if (res.status !== 200) throw new Error(`${label}: ${res.status} ${JSON.stringify(body)}`);
          if (i >= 3) times.push(Number(process.hrtime.bigint() - started) / 1e6);
          rows = Math.max(rows, body.rows.length);
        }
        times.sort((a, b) => a - b);
        console.log(
          `  ${label.padEnd(52)} p50 ${percentile(times, 50).toFixed(1).padStart(6)} ms   p95 ${percentile(times, 95).toFixed(1).padStart(6)} ms   (≤ ${rows} rows)`,
        );
      }
    } finally {
      await kyso.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }
}
