import { chmodSync, closeSync, mkdirSync, openSync, readdirSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import path from 'node:path';
import knexFactory, { type Knex } from 'knex';
import ClientPgLite from 'knex-pglite';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { retryStaleConnections } from './connection-errors.js';
import { seedFromTemplate } from './embedded-template.js';

// BIGINT (int8) and NUMERIC come back as strings from pg; counts here fit in a JS number.
pg.types.setTypeParser(20, (v) => Number(v));
pg.types.setTypeParser(1700, (v) => Number(v));

/** An open database: the knex instance and how to release what opening it took. */
export interface Database {
  readonly knex: Knex;
  readonly kind: 'postgres' | 'pglite';
  /** True when this open made the embedded database from the pre-migrated template (src/db/embedded-template.ts). */
  readonly fromTemplate: boolean;
  close(): Promise<void>;
}

/** Raised when another kyso process already holds the embedded database directory. */
export class DataDirLocked extends Error {}

/**
 * Opens PostgreSQL at `databaseUrl`, or the embedded PGlite database in `dataDir` when it is
 * undefined. The embedded directory is locked for this process: two PGlite processes on one
 * directory corrupt it silently (stack-notes.md).
 */
export async function openDatabase(options: {
  databaseUrl?: string;
  dataDir: string;
  /** Where knex's own warnings go (a lost connection, a failed connect); default: the console. */
  warn?: (message: string) => void;
}): Promise<Database> {
  if (options.databaseUrl) {
    const warn = options.warn;
    const knex = knexFactory({
      client: 'pg',
      connection: { connectionString: options.databaseUrl },
      pool: { min: 0, max: 10 },
      ...(warn ? { log: { warn: (m: unknown) => warn(messageOf(m)), error: (m: unknown) => warn(messageOf(m)) } } : {}),
    });
    retryStaleConnections(knex);
    return { knex, kind: 'postgres', fromTemplate: false, close: () => knex.destroy() };
  }
  // The data directory holds the database and the master key: this user's only (#13 item 5).
  mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  chmodSync(options.dataDir, 0o700);
  const releaseLock = lockDataDir(options.dataDir);
  try {
    const pgdata = path.join(options.dataDir, 'pgdata');
    const fromTemplate = seedFromTemplate(pgdata);
    // PostgreSQL's default 128 MB of shared buffers is WebAssembly memory the process keeps
    // resident once touched; PGlite reads its files through node:fs, so the OS page cache still
    // holds what does not fit. 16 MB: idle RSS ~170 MB instead of ~310 MB (issue #12 item 6).
    const pglite = new PGlite(pgdata, { postgresqlconf: 'shared_buffers = 16MB' });
    const knex = knexFactory({
      client: ClientPgLite,
      dialect: 'postgres',
      connection: { pglite },
    } as Knex.Config);
    await knex.raw('select 1');
    // PGlite unpacks its initial cluster with mode 0666 whatever the umask; PostgreSQL itself
    // creates files 0600 and directories 0700, so one pass after opening is enough.
    restrictToOwner(pgdata);
    return {
      knex,
      kind: 'pglite',
      fromTemplate,
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

const messageOf = (m: unknown) => (m instanceof Error ? m.message : String(m)).split('\n')[0]!;

/** Makes a directory tree this user's only: directories 0700, files 0600. */
function restrictToOwner(dir: string): void {
  chmodSync(dir, 0o700);
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const child = path.join(dir, entry.name);
    if (entry.isDirectory()) restrictToOwner(child);
    else if (entry.isFile()) chmodSync(child, 0o600);
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
