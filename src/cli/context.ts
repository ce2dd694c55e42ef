import type { Logger } from 'pino';
import { systemClock, type Clock } from '../clock.js';
import type { Config } from '../config.js';
import { openDatabase, type Database } from '../db/connect.js';
import { migrateLatest } from '../db/migrate.js';
import { findUserByUsername } from '../db/users-repo.js';
import { KeyVault } from '../keys/vault.js';
import type { Actor } from '../auth/principal.js';
import { toPrincipal } from '../auth/auth-service.js';
import { ensurePkijsEngine } from '../pki/engine.js';
import { secureRandom } from '../pki/serial.js';
import { createServices, type Services } from '../services.js';
import { UsageError } from './errors.js';

/** What a CLI command works with: the server's configuration, database, vault and services, no HTTP. */
export interface CliContext {
  readonly config: Config;
  readonly services: Services;
  readonly database: Database;
  readonly vault: KeyVault;
  /** The audit actor of this command: the user named by --as (default `admin`), from no address. */
  actor(): Promise<Actor>;
  close(): Promise<void>;
}

/**
 * Opens kyso as the server does (same config, migrations, key vault, services) and loads the CAs.
 * On the embedded database this takes the data directory's lock, so it refuses while a server
 * holds it (DataDirLocked, a readable message).
 */
export async function openCli(config: Config, logger: Logger, options: { as?: string; clock?: Clock } = {}): Promise<CliContext> {
  ensurePkijsEngine();
  const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  let vault: KeyVault | undefined;
  try {
    await migrateLatest(database.knex);
    vault = KeyVault.open({ masterKey: config.masterKey, dataDir: config.dataDir, pkcs11: config.pkcs11, random: secureRandom });
    const services = createServices({ config, knex: database.knex, clock: options.clock ?? systemClock, random: secureRandom, logger, vault });
    await services.authorities.load();
    // The CLI's audit events are chained and checkpointed before it exits, as a server would.
    if (services.authorities.all().some((a) => a.kind === 'root')) await services.auditKey.ensure();
    const opened = vault;
    return {
      config,
      services,
      database,
      vault: opened,
      actor: async () => {
        const username = options.as ?? 'admin';
        const user = await findUserByUsername(database.knex, username);
        if (!user) throw new UsageError(`no user "${username}" (--as)`);
        return { principal: toPrincipal(user), ip: null };
      },
      close: async () => {
        if (services.authorities.all().some((a) => a.kind === 'root')) await services.auditSequencer.drain();
        await database.close();
        opened.close();
      },
    };
  } catch (err) {
    await database.close();
    vault?.close();
    throw err;
  }
}
