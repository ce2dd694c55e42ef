import { spawn } from 'node:child_process';
import knexFactory, { type Knex } from 'knex';
import ClientPgLite from 'knex-pglite';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { statsLayoutHash, statsLayoutSql } from '../../src/db/stats/layout.js';
import { freshDatabase } from '../support/kyso.js';

// What the migrations installed is what the code runs; a database with another layout is refused at start-up.
let db: Awaited<ReturnType<typeof freshDatabase>>;
let knex: Knex;

beforeAll(async () => {
  db = await freshDatabase();
  knex = db.databaseUrl
    ? knexFactory({ client: 'pg', connection: db.databaseUrl, pool: { min: 0, max: 1 } })
    : knexFactory({ client: ClientPgLite, dialect: 'postgres', connection: { filename: path.join(db.dataDir, 'pgdata') } } as Knex.Config);
});

afterAll(async () => {
  await knex?.destroy();
  await db?.drop();
});

/** The body of a `create function … as $fn$ body $fn$` statement. */
const body = (sql: string) => sql.slice(sql.indexOf('$fn$') + 4, sql.lastIndexOf('$fn$'));

describe('the installed statistics layout', () => {
  it("is the code's: the fold and rebuild the migrations installed, and the recorded hash", async () => {
    const installed = await knex.raw(`select proname, prosrc from pg_proc where proname in ('kyso_stats_fold', 'kyso_stats_rebuild')`);
    const source = Object.fromEntries((installed.rows as Array<{ proname: string; prosrc: string }>).map((r) => [r.proname, r.prosrc]));
    const code = statsLayoutSql();
    expect(source.kyso_stats_fold === body(code.fold)).toBe(true);
    expect(source.kyso_stats_rebuild === body(code.rebuild)).toBe(true);
    expect(await knex('stats_layout').select('hash', 'installed_by')).toEqual([
      { hash: statsLayoutHash(), installed_by: '007_stats_running_totals.ts' },
    ]);
  });

  it('another layout refuses start-up with a clear message', async () => {
    await knex('stats_layout').update({ hash: 'f'.repeat(64) });
    await knex.destroy(); // PGlite: one process per data directory
    const { DATABASE_URL: _ignored, ...inherited } = process.env;
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      env: {
        ...inherited,
        ...(db.databaseUrl ? { DATABASE_URL: db.databaseUrl } : {}),
        KYSO_DATA_DIR: db.dataDir,
        KYSO_CERTS_DEV_DIR: path.join(db.dataDir, 'certs-dev'),
        PORT: '0',
        LOG_LEVEL: 'silent',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(3);
    expect(stderr).toContain(`the statistics layout in the database (hash ${'f'.repeat(64)}, installed by migrations/007_stats_running_totals.ts)`);
    expect(stderr).toContain(`is not this kyso's (hash ${statsLayoutHash()})`);
    expect(stderr).toContain('Add a migration');
    knex = db.databaseUrl
      ? knexFactory({ client: 'pg', connection: db.databaseUrl, pool: { min: 0, max: 1 } })
      : knexFactory({ client: ClientPgLite, dialect: 'postgres', connection: { filename: path.join(db.dataDir, 'pgdata') } } as Knex.Config);
    // Nothing was served nor changed: the refused start left the database as it was.
    expect((await knex('stats_layout').first('hash')).hash).toBe('f'.repeat(64));
  });
});
