import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Config } from '../config.js';
import { lockDataDir, openDatabase } from '../db/connect.js';
import { isEmptyDatabase } from '../db/schema-repo.js';
import { CommandFailed } from './errors.js';

const run = promisify(execFile);

/**
 * `kyso backup <file>`. PostgreSQL: `pg_dump --format=custom` (a consistent snapshot while kyso
 * runs). Embedded: a gzipped tar of the data directory, taken under its lock, so never while a
 * server has it open. The master key is in the backup only when it is the development key file
 * in the data directory; with KYSO_MASTER_KEY the operator keeps that key apart.
 */
export async function backup(config: Config, file: string): Promise<string> {
  const target = path.resolve(file);
  if (config.databaseUrl) {
    await tool('pg_dump', ['--format=custom', '--no-owner', `--file=${target}`, `--dbname=${config.databaseUrl}`]);
    return `PostgreSQL database dumped to ${target} (pg_dump custom format)`;
  }
  const dataDir = path.resolve(config.dataDir);
  if (!existsSync(path.join(dataDir, 'pgdata'))) throw new CommandFailed(`${dataDir} holds no embedded database`);
  const release = lockDataDir(dataDir);
  try {
    await tool('tar', ['--create', '--gzip', `--file=${target}`, `--directory=${dataDir}`, '--exclude=./kyso.lock', '.']);
  } finally {
    release();
  }
  return `embedded database ${dataDir} copied to ${target}`;
}

/**
 * `kyso restore <file>` into an empty database (PostgreSQL: `pg_restore`; embedded: an empty or
 * absent KYSO_DATA_DIR). It refuses a database or directory that already holds kyso data rather
 * than mix two installations.
 */
export async function restore(config: Config, file: string): Promise<string> {
  const source = path.resolve(file);
  if (!existsSync(source)) throw new CommandFailed(`${source}: no such file`);
  if (config.databaseUrl) {
    const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
    try {
      if (!(await isEmptyDatabase(database.knex))) throw new CommandFailed('the database named by DATABASE_URL is not empty: restore into a new, empty database');
    } finally {
      await database.close();
    }
    await tool('pg_restore', ['--no-owner', '--exit-on-error', `--dbname=${config.databaseUrl}`, source]);
    return `PostgreSQL database restored from ${source}`;
  }
  const dataDir = path.resolve(config.dataDir);
  if (existsSync(dataDir) && readdirSync(dataDir).length > 0) {
    throw new CommandFailed(`${dataDir} is not empty: restore into an empty or new KYSO_DATA_DIR`);
  }
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const release = lockDataDir(dataDir);
  try {
    await tool('tar', ['--extract', '--gzip', `--file=${source}`, `--directory=${dataDir}`]);
  } finally {
    release();
  }
  return `embedded database restored into ${dataDir}`;
}

async function tool(command: string, args: string[]): Promise<void> {
  try {
    await run(command, args, { maxBuffer: 16 * 1024 * 1024 });
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT') throw new CommandFailed(`${command} is not installed`);
    const detail = (e.stderr ?? e.message).trim().split('\n').filter(Boolean).pop() ?? e.message;
    throw new CommandFailed(`${command} failed: ${detail}`);
  }
}
