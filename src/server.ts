import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { createApp, type RouteModule } from './app.js';
import { loadMasterKey } from './ca/master-key.js';
import { systemClock, type Clock } from './clock.js';
import type { Config } from './config.js';
import { openDatabase, type Database } from './db/connect.js';
import { migrateLatest } from './db/migrate.js';
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
  const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  try {
    const ran = await migrateLatest(database.knex);
    if (ran.length) logger.info({ migrations: ran }, 'database migrated');
    const master = loadMasterKey(config.masterKey, config.dataDir);
    logger.info({ database: database.kind, masterKeySource: master.source }, 'database open');
    const services = createServices({
      config,
      knex: database.knex,
      clock: options.clock ?? systemClock,
      random: options.random ?? secureRandom,
      logger,
      masterKey: master.key,
    });
    const generated = await services.users.bootstrapAdmin(config.adminPassword, () => randomBytes(12).toString('base64url'));
    if (generated) {
      // Printed once, on first start only, so the operator can log in (api.md "Start-up").
      logger.warn(`bootstrap user "admin" created with password: ${generated}`);
    }
    const created = await services.authorities.ensureDevelopmentCa(config.certsDevDir);
    if (created) logger.info({ certsDevDir: config.certsDevDir }, 'development root and issuing CA created');
    const app = createApp(services, [...routeModules, ...(options.modules ?? [])]);
    const server = await new Promise<Server>((resolve, reject) => {
      const s = app.listen(config.port, () => resolve(s));
      s.once('error', reject);
    });
    server.keepAliveTimeout = 5000;
    const port = (server.address() as AddressInfo).port;
    logger.info(
      { port, startupMs: Math.round(Number(process.hrtime.bigint() - started) / 1e6), database: database.kind },
      'kyso listening',
    );
    let closing: Promise<void> | undefined;
    return {
      server,
      services,
      database,
      url: `http://127.0.0.1:${port}`,
      close: () => {
        closing ??= (async () => {
          await new Promise<void>((resolve) => {
            server.close(() => resolve());
            server.closeIdleConnections();
          });
          await database.close();
        })();
        return closing;
      },
    };
  } catch (err) {
    await database.close();
    throw err;
  }
}
