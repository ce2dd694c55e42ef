import { randomBytes } from 'node:crypto';
import cluster from 'node:cluster';
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { createApp, type RouteModule } from './app.js';
import { createMetrics } from './http/metrics.js';
import { ocspFront } from './http/ocsp-front.js';
import { systemClock, type Clock } from './clock.js';
import type { Config } from './config.js';
import { openDatabase, type Database } from './db/connect.js';
import { migrateLatest } from './db/migrate.js';
import { KeyVault } from './keys/vault.js';
import { ensurePkijsEngine } from './pki/engine.js';
import { secureRandom, type RandomSource } from './pki/serial.js';
import { createServices, type Services } from './services.js';
import { routeModules } from './routes.js';

/** A running kyso: its HTTP server, services and how to stop it gracefully. */
export interface RunningKyso {
  readonly server: Server;
  readonly services: Services;
  readonly database: Database;
  readonly url: string;
  /** Stops accepting connections, lets in-flight requests finish, then closes the database. */
  close(): Promise<void>;
}

/**
 * Starts kyso: opens and migrates the database, loads the master key, creates the bootstrap
 * admin and the development CA on first start, and listens on `config.port`.
 */
export async function startKyso(
  config: Config,
  logger: Logger,
  options: { clock?: Clock; random?: RandomSource; modules?: RouteModule[] } = {},
): Promise<RunningKyso> {
  ensurePkijsEngine();
  const started = process.hrtime.bigint();
  // A taken port is said at once, not after the database was opened and migrated.
  if (config.port !== 0 && !cluster.isWorker) {
    const probe = await listen(undefined, config);
    await new Promise((resolve) => probe.close(resolve));
  }
  const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, warn: (message) => logger.warn(message) });
  let vault: KeyVault | undefined;
  let services: Services | undefined;
  try {
    if (database.fromTemplate) logger.info('embedded database created from the pre-migrated template');
    const ran = await migrateOnce(database);
    if (ran.length) logger.info({ migrations: ran }, 'database migrated');
    const random = options.random ?? secureRandom;
    vault = KeyVault.open({ masterKey: config.masterKey, dataDir: config.dataDir, pkcs11: config.pkcs11, random });
    logger.info({ database: database.kind, masterKeySource: vault.masterKeySource, pkcs11Token: vault.tokenLabel }, 'database open');
    services = createServices({
      config,
      knex: database.knex,
      clock: options.clock ?? systemClock,
      random,
      logger,
      vault,
    });
    await start(services, config, logger);
    const metrics = createMetrics();
    const app = createApp(services, [...routeModules, ...(options.modules ?? [])], metrics);
    // OCSP is answered on node:http before Express (the lean path, src/http/ocsp-front.ts).
    const server = await listen(ocspFront(services.revocation.ocsp, services.clock, services.logger, metrics, app), config);
    const port = (server.address() as AddressInfo).port;
    logger.info(
      { port, startupMs: Math.round(Number(process.hrtime.bigint() - started) / 1e6), database: database.kind },
      'kyso listening',
    );
    let closing: Promise<void> | undefined;
    const running = services;
    return {
      server,
      services: running,
      database,
      url: `http://127.0.0.1:${port}`,
      close: () => {
        closing ??= (async () => {
          await new Promise<void>((resolve) => {
            server.close(() => resolve());
            server.closeIdleConnections();
          });
          await running.signJobs.stop();
          await running.revocation.close();
          await running.auditSequencer.stop();
          await database.close();
          vault!.close();
        })();
        return closing;
      },
    };
  } catch (err) {
    await services?.auditSequencer.stop();
    await services?.revocation.close();
    await database.close();
    vault?.close();
    throw err;
  }
}

/**
 * The start-up work after migration, in order: each step needs the ones before it. Every step is
 * safe with several instances starting together on one database (each creation is checked and
 * made under its own advisory lock, and an instance loads what another made).
 */
async function start(services: Services, config: Config, logger: Logger): Promise<void> {
  // 1. The bootstrap admin, so the operator can log in.
  const generated = await services.users.bootstrapAdmin(config.adminPassword, () => randomBytes(12).toString('base64url'));
  if (generated) {
    // Printed once, on first start only, so the operator can log in (api.md "Start-up").
    logger.warn(`bootstrap user "admin" created with password: ${generated}`);
  }
  // 2. The CAs: created on the first start, then loaded with their keys.
  const created = await services.authorities.ensureDevelopmentCa();
  if (created) logger.info({ certsDevDir: config.certsDevDir }, 'development root and issuing CA created');
  const { kept } = services.authorities.writeCertificates(config.certsDevDir);
  if (kept.length) {
    logger.warn(
      { files: kept },
      'certs-dev holds certificates of other CAs (another database wrote them); left unchanged: set KYSO_CERTS_DEV_DIR for this database',
    );
  }
  // 3. What signs under the CAs: OCSP responders (one per CA), the TSA, the audit key (under the root).
  await services.revocation.start();
  await services.tsa.ensure();
  await services.auditKey.ensure();
  // 4. The audit sequencer, which signs checkpoints with the audit key.
  services.auditSequencer.start();
  await services.signJobs.startSweeping();
}

/** Raised when the port is taken; start-up stops with its message. */
export class PortInUse extends Error {}

/** Listens on `config.port` with the configured keep-alive and header timeouts (no handler: a probe). */
function listen(handler: RequestListener | undefined, config: Config): Promise<Server> {
  return new Promise<Server>((resolve, reject) => {
    const options = { keepAliveTimeout: config.keepAliveTimeoutMs, headersTimeout: config.headersTimeoutMs };
    const server = handler ? createServer(options, handler) : createServer(options);
    server.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') {
        reject(new PortInUse(`port ${config.port} is already in use: stop what listens there, or set PORT to a free port`));
      } else if (err.code === 'EACCES') {
        reject(new PortInUse(`port ${config.port} needs privileges this process does not have: set PORT above 1023`));
      } else {
        reject(err);
      }
    });
    server.listen(config.port, () => resolve(server));
  });
}

/**
 * Brings the schema up to date once however many instances start together: on PostgreSQL under a
 * transaction-scoped advisory lock held on one connection while the migrations run on others, so
 * the others wait and then find nothing to do (knex's own lock table is created by the first
 * migration run, which is what two instances raced on). PGlite is one process and one connection.
 */
async function migrateOnce(database: Database): Promise<string[]> {
  if (database.kind !== 'postgres') return migrateLatest(database.knex);
  return database.knex.transaction(async (trx) => {
    await trx.raw('select pg_advisory_xact_lock(7215000)');
    return migrateLatest(database.knex);
  });
}
