import { ConfigError, loadConfig } from './config.js';
import { DataDirLocked } from './db/connect.js';
import { createLogger } from './log.js';
import { startKyso } from './server.js';

/** Entry point of `npm start`: parse config, start, stop gracefully on SIGTERM/SIGINT. */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`kyso: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const logger = createLogger(config.logLevel);
  let kyso;
  try {
    kyso = await startKyso(config, logger);
  } catch (err) {
    if (err instanceof DataDirLocked) {
      logger.fatal(err.message);
      process.stderr.write(`kyso: ${err.message}\n`);
      process.exit(3);
    }
    logger.fatal({ err }, 'start-up failed');
    process.exit(1);
  }
  const stop = (signal: string) => {
    logger.info({ signal }, 'shutting down: finishing in-flight requests');
    const force = setTimeout(() => {
      logger.error('in-flight requests did not finish within 10 s; exiting');
      process.exit(1);
    }, 10_000);
    force.unref();
    kyso.close().then(
      () => {
        logger.info('stopped');
        process.exit(0);
      },
      (err: unknown) => {
        logger.error({ err }, 'error while stopping');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

process.on('unhandledRejection', (reason) => {
  // Logged, not fatal: one failed background promise must not take the service down.
  process.stderr.write(`kyso: unhandled rejection: ${reason instanceof Error ? reason.stack : String(reason)}\n`);
});

await main();
