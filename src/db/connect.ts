import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import path from 'node:path';
import knexFactory, { type Knex } from 'knex';
import ClientPgLite from 'knex-pglite';
import pg from 'pg';

// BIGINT (int8) and NUMERIC come back as strings from pg; counts here fit in a JS number.
pg.types.setTypeParser(20, (v) => Number(v));
pg.types.setTypeParser(1700, (v) => Number(v));

/** An open database: the knex instance and how to release what opening it took. */
export interface Database {
  readonly knex: Knex;
  readonly kind: 'postgres' | 'pglite';
  close(): Promise<void>;
}

/** Raised when another kyso process already holds the embedded database directory. */
export class DataDirLocked extends Error {}

/**
 * Opens PostgreSQL at `databaseUrl`, or the embedded PGlite database in `dataDir` when it is
 * undefined. The embedded directory is locked for this process: two PGlite processes on one
 * directory corrupt it silently (stack-notes.md).
 */
export async function openDatabase(options: { databaseUrl?: string; dataDir: string }): Promise<Database> {
  if (options.databaseUrl) {
    const knex = knexFactory({
      client: 'pg',
      connection: { connectionString: options.databaseUrl },
      pool: { min: 0, max: 10 },
    });
    return { knex, kind: 'postgres', close: () => knex.destroy() };
  }
  mkdirSync(options.dataDir, { recursive: true });
  const releaseLock = lockDataDir(options.dataDir);
  try {
    const knex = knexFactory({
      client: ClientPgLite,
      dialect: 'postgres',
      connection: { filename: path.join(options.dataDir, 'pgdata') },
    } as Knex.Config);
    await knex.raw('select 1');
    return {
      knex,
      kind: 'pglite',
      close: async () => {
        await knex.destroy();
        releaseLock();
      },
    };
  } catch (err) {
    releaseLock();
    throw err;
  }
}

/**
 * Takes `dataDir/kyso.lock` (O_EXCL, holding our pid). A lock left by a dead process is taken
 * over; one held by a live process refuses start-up.
 */
export function lockDataDir(dataDir: string): () => void {
  const lockPath = path.join(dataDir, 'kyso.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lockPath, 'wx', 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        try {
          unlinkSync(lockPath);
        } catch {
          // already gone: nothing to release
        }
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = Number(readFileSync(lockPath, 'utf8').trim());
      if (holder && holder !== process.pid && isAlive(holder)) {
        throw new DataDirLocked(
          `the embedded database in ${path.resolve(dataDir)} is in use by another kyso process (pid ${holder}); ` +
            'stop it first, or point KYSO_DATA_DIR elsewhere',
        );
      }
      if (holder === process.pid) {
        throw new DataDirLocked(`the embedded database in ${path.resolve(dataDir)} is already open in this process`);
      }
      unlinkSync(lockPath); // stale: its process is gone
    }
  }
  throw new DataDirLocked(`could not lock ${lockPath}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
