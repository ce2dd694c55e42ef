import cluster from 'node:cluster';
import { ConfigError, loadConfig } from './config.js';
import { DataDirLocked } from './db/connect.js';
import { createLogger } from './log.js';
import { PortInUse, startKyso } from './server.js';
import { StatsLayoutMismatch } from './db/stats/layout.js';

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
  if (config.workers > 1 && cluster.isPrimary) {
    superviseWorkers(config.workers, logger);
    return;
  }
  let kyso;
  try {
    kyso = await startKyso(config, logger);
  } catch (err) {
    if (err instanceof DataDirLocked || err instanceof StatsLayoutMismatch || err instanceof PortInUse) {
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

/**
 * KYSO_WORKERS > 1 (PostgreSQL only): this process only supervises. It forks one worker, and the
 * others once it listens (the first start creates the admin and the CAs; the others then load
 * them); the workers share the port (node:cluster hands out connections). A worker that dies is
 * replaced after a second; one that dies before it ever listened stops everything with its exit
 * code (a bad port or database would only fail again). SIGTERM/SIGINT go to every worker.
 */
function superviseWorkers(count: number, logger: ReturnType<typeof createLogger>): void {
  let stopping = false;
  let listening = 0;
  const fork = () => cluster.fork();
  cluster.on('listening', () => {
    listening += 1;
    if (listening === 1) for (let i = 1; i < count; i++) fork();
    if (listening === count) logger.info({ workers: count }, 'all workers listening');
  });
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
      return;
    }
    if (listening === 0) {
      logger.fatal({ code, signal }, 'the first worker failed to start; stopping');
      process.exit(code || 1);
    }
    logger.error({ pid: worker.process.pid, code, signal }, 'worker died; starting another in 1 s');
    setTimeout(() => {
      if (!stopping) fork();
    }, 1000);
  });
  const stop = (signal: NodeJS.Signals) => {
    stopping = true;
    logger.info({ signal }, 'stopping every worker');
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill(signal);
    setTimeout(() => process.exit(1), 15_000).unref();
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  fork();
}

process.on('unhandledRejection', (reason) => {
  // Logged, not fatal: one failed background promise must not take the service down.
  process.stderr.write(`kyso: unhandled rejection: ${reason instanceof Error ? reason.stack : String(reason)}\n`);
});

await main();
