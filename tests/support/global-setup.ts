import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import knexFactory from 'knex';
import type { TestProject } from 'vitest/node';
import { openDatabase } from '../../src/db/connect.js';
import { migrateLatest } from '../../src/db/migrate.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** PostgreSQL: the migrated template database each test file clones. */
    pgTemplate: string | null;
    /** PGlite: the migrated data directory each test file copies. */
    pgliteTemplate: string | null;
  }
}

/**
 * Migrates one template database per run (PostgreSQL: a template database; PGlite: a data
 * directory), so each test file gets a fresh, migrated database in well under a second.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // The web application the browser tests drive (npm install builds it; a fresh edit rebuilds it here).
  try {
    execFileSync(process.execPath, ['web/build.mjs', '--if-missing'], { stdio: 'inherit' });
  } catch (err) {
    throw new Error('building the web application failed: after a merge that added its dependencies, run npm install', { cause: err });
  }
  const url = process.env.DATABASE_URL;
  if (url) {
    const template = `kyso_tpl_${process.pid}_${Date.now()}`;
    const admin = knexFactory({ client: 'pg', connection: url, pool: { min: 0, max: 1 } });
    await admin.raw(`create database ${template}`);
    const tpl = knexFactory({ client: 'pg', connection: withDatabase(url, template), pool: { min: 0, max: 1 } });
    await migrateLatest(tpl);
    await tpl.destroy();
    project.provide('pgTemplate', template);
    project.provide('pgliteTemplate', null);
    return async () => {
      const leftovers = await admin.raw(`select datname from pg_database where datname like 'kyso_t_${process.pid}_%'`);
      for (const row of leftovers.rows as Array<{ datname: string }>) {
        await admin.raw(`drop database if exists ${row.datname} with (force)`);
      }
      await admin.raw(`drop database if exists ${template} with (force)`);
      await admin.destroy();
    };
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kyso-tpl-'));
  const db = await openDatabase({ dataDir: dir });
  await migrateLatest(db.knex);
  await db.close();
  project.provide('pgTemplate', null);
  project.provide('pgliteTemplate', dir);
  return async () => rmSync(dir, { recursive: true, force: true });
}

/** `url` with its database name replaced. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}
