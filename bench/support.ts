import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import knexFactory from 'knex';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/log.js';
import { startKyso, type RunningKyso } from '../src/server.js';

/** Password of the bootstrap admin of a benchmark instance. */
export const BENCH_ADMIN_PASSWORD = 'bench-admin-password';

/**
 * `openssl speed` sign and verify rates on one core for `algorithm` (e.g. `ecdsap256`, `rsa2048`):
 * the reference every benchmark prints its ratio against, measured in the same run.
 */
export function opensslSpeed(algorithm: string, seconds = 3): { sign: number; verify: number } {
  const out = execFileSync('openssl', ['speed', '-seconds', String(seconds), '-mr', algorithm], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  // OpenSSL 3 -mr lines: +F<k>:<index>:<bits>:<signs per second>:<verifies per second>
  const line = out.split('\n').find((l) => /^\+F\d+:/.test(l));
  if (!line) throw new Error(`unexpected openssl speed output:\n${out}`);
  const parts = line.split(':');
  return { sign: Number(parts[3]), verify: Number(parts[4]) };
}

/** Prints one benchmark line: the measured rate, the reference and their ratio. */
export function report(name: string, perSecond: number, reference?: { name: string; perSecond: number }): void {
  const ratio = reference ? `  = ${((perSecond / reference.perSecond) * 100).toFixed(1)}% of ${reference.name} (${Math.round(reference.perSecond)}/s)` : '';
  console.log(`${name.padEnd(48)} ${Math.round(perSecond).toString().padStart(8)}/s${ratio}`);
}

/** Times `fn` and returns its duration in seconds. */
export async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e9;
}

/** A bearer token for `username` from kyso at `url`. */
export async function login(url: string, username: string, password: string): Promise<string> {
  const res = await fetch(`${url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  if (res.status !== 200) throw new Error(`login as ${username}: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { token: string }).token;
}

/**
 * Starts kyso for a benchmark on a fresh database: a new database on the PostgreSQL server at
 * DATABASE_URL when it is set (dropped afterwards), otherwise PGlite in a temp dir.
 */
export async function startBenchKyso(env: Record<string, string> = {}): Promise<{ kyso: RunningKyso; adminToken: string; close(): Promise<void> }> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'kyso-bench-'));
  const baseUrl = process.env.DATABASE_URL;
  let databaseUrl: string | undefined;
  let dbName: string | undefined;
  if (baseUrl) {
    dbName = `kyso_bench_${process.pid}_${Date.now()}`;
    const admin = knexFactory({ client: 'pg', connection: baseUrl, pool: { min: 0, max: 1 } });
    await admin.raw(`drop database if exists ${dbName} with (force)`);
    await admin.raw(`create database ${dbName}`);
    await admin.destroy();
    const u = new URL(baseUrl);
    u.pathname = `/${dbName}`;
    databaseUrl = u.toString();
  }
  const config = loadConfig({
    PORT: '0',
    KYSO_DATA_DIR: dataDir,
    KYSO_CERTS_DEV_DIR: path.join(dataDir, 'certs-dev'),
    KYSO_ADMIN_PASSWORD: BENCH_ADMIN_PASSWORD,
    LOG_LEVEL: 'silent',
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
    ...env,
  });
  const kyso = await startKyso(config, createLogger('silent'));
  return {
    kyso,
    adminToken: await login(kyso.url, 'admin', BENCH_ADMIN_PASSWORD),
    close: async () => {
      await kyso.close();
      if (baseUrl && dbName) {
        const admin = knexFactory({ client: 'pg', connection: baseUrl, pool: { min: 0, max: 1 } });
        await admin.raw(`drop database if exists ${dbName} with (force)`);
        await admin.destroy();
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
