import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import knexFactory from 'knex';
import request from 'supertest';
import { inject } from 'vitest';
import type { RouteModule } from '../../src/app.js';
import type { Clock } from '../../src/clock.js';
import { loadConfig, type Config } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import type { RandomSource } from '../../src/pki/serial.js';
import { startKyso, type RunningKyso } from '../../src/server.js';
import { withDatabase } from './global-setup.js';
import { softHsmToken } from './softhsm.js';

/** Password of the bootstrap admin in tests. */
export const ADMIN_PASSWORD = 'admin-password-for-tests';

/** A kyso started for one test file on its own database, temp dirs and a random port. */
export interface TestKyso {
  readonly kyso: RunningKyso;
  readonly url: string;
  readonly config: Config;
  readonly dataDir: string;
  /** supertest against the running server. */
  http(): ReturnType<typeof request>;
  /** Logs in and returns the bearer token. */
  login(username: string, password: string): Promise<string>;
  adminToken(): Promise<string>;
  /** Stops the server and drops the database and temp dirs. */
  close(): Promise<void>;
}

/** A fresh database for one test file: a clone of the migrated template. */
export async function freshDatabase(): Promise<{ databaseUrl?: string; dataDir: string; drop(): Promise<void> }> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'kyso-test-'));
  const pgTemplate = inject('pgTemplate');
  if (pgTemplate) {
    const url = process.env.DATABASE_URL!;
    const name = `kyso_t_${process.ppid}_${randomBytes(6).toString('hex')}`;
    const admin = knexFactory({ client: 'pg', connection: url, pool: { min: 0, max: 1 } });
    await admin.raw(`create database ${name} template ${pgTemplate}`);
    await admin.destroy();
    return {
      databaseUrl: withDatabase(url, name),
      dataDir,
      drop: async () => {
        const a = knexFactory({ client: 'pg', connection: url, pool: { min: 0, max: 1 } });
        await a.raw(`drop database if exists ${name} with (force)`);
        await a.destroy();
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  }
  cpSync(inject('pgliteTemplate')!, dataDir, { recursive: true });
  rmSync(path.join(dataDir, 'kyso.lock'), { force: true });
  return { dataDir, drop: async () => rmSync(dataDir, { recursive: true, force: true }) };
}

/** Starts kyso for a test file. `env` overrides configuration variables. */
export async function startTestKyso(
  options: {
    env?: Record<string, string>;
    clock?: Clock;
    random?: RandomSource;
    modules?: RouteModule[];
    /** Where the service log goes (e.g. an array a test inspects); default: nowhere or stdout. */
    logDestination?: { write(line: string): void };
    /** Rewrites the fresh PostgreSQL database's URL (a test puts a TCP proxy in between). */
    databaseUrl?: (url: string) => string;
  } = {},
): Promise<TestKyso> {
  const db = await freshDatabase();
  const config = loadConfig({
    // A known free port, so that KYSO_PUBLIC_URL (CRL, OCSP, AIA URLs) points at this server.
    PORT: String(await freePort()),
    KYSO_DATA_DIR: db.dataDir,
    KYSO_CERTS_DEV_DIR: path.join(db.dataDir, 'certs-dev'),
    KYSO_ADMIN_PASSWORD: ADMIN_PASSWORD,
    LOG_LEVEL: process.env.KYSO_TEST_LOG_LEVEL ?? 'silent',
    ...(db.databaseUrl ? { DATABASE_URL: options.databaseUrl ? options.databaseUrl(db.databaseUrl) : db.databaseUrl } : {}),
    // The SoftHSM pass (KYSO_TEST_PKCS11=1, .ci/run): CA and service keys in a token.
    ...(process.env.KYSO_TEST_PKCS11 === '1' ? softHsmToken().env : {}),
    ...options.env,
  });
  const kyso = await startKyso(config, createLogger(config.logLevel, options.logDestination), options);
  let token: string | undefined;
  const self: TestKyso = {
    kyso,
    url: kyso.url,
    config,
    dataDir: db.dataDir,
    http: () => request(kyso.url),
    login: async (username, password) => {
      const res = await request(kyso.url).post('/api/v1/auth/login').send({ username, password });
      if (res.status !== 200) throw new Error(`login ${username} failed: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body.token as string;
    },
    adminToken: async () => (token ??= await self.login('admin', ADMIN_PASSWORD)),
    close: async () => {
      await kyso.close();
      await db.drop();
    },
  };
  return self;
}

/** Creates an organization and a user of each role in it; returns their ids and tokens. */
export async function seedTenant(
  t: TestKyso,
  suffix: string,
  organization: Partial<{ name: string; code: string; sector: string; province: string }> = {},
): Promise<{
  organizationId: string;
  tokens: Record<'officer' | 'agency' | 'signer' | 'auditor', string>;
  userIds: Record<'officer' | 'agency' | 'signer' | 'auditor', string>;
}> {
  const admin = await t.adminToken();
  const org = await t
    .http()
    .post('/api/v1/organizations')
    .set('Authorization', `Bearer ${admin}`)
    .send({
      name: organization.name ?? `Trường THPT ${suffix}`,
      code: organization.code ?? `01${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`,
      sector: organization.sector ?? 'education',
      province: organization.province ?? 'Hà Nội',
    });
  if (org.status !== 201) throw new Error(`create organization: ${org.status} ${JSON.stringify(org.body)}`);
  const tokens = {} as Record<'officer' | 'agency' | 'signer' | 'auditor', string>;
  const userIds = {} as Record<'officer' | 'agency' | 'signer' | 'auditor', string>;
  for (const role of ['officer', 'agency', 'signer', 'auditor'] as const) {
    const username = `${role}-${suffix}`;
    const password = `${role}-password-${suffix}`;
    const res = await t
      .http()
      .post('/api/v1/users')
      .set('Authorization', `Bearer ${admin}`)
      .send({ username, password, role, organizationId: role === 'agency' || role === 'signer' ? org.body.id : undefined, fullName: `Nguyễn Văn ${role}` });
    if (res.status !== 201) throw new Error(`create user ${username}: ${res.status} ${JSON.stringify(res.body)}`);
    userIds[role] = res.body.id;
    tokens[role] = await t.login(username, password);
  }
  return { organizationId: org.body.id, tokens, userIds };
}

/** A port nobody listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
