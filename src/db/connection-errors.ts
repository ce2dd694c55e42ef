import type { Knex } from 'knex';

/** Node socket errors that mean the database server could not be reached or went away. */
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/**
 * SQLSTATEs of a lost or refused server (PostgreSQL appendix A): class 08 (connection exception),
 * 53300 too many connections (max_connections reached), 57P01 admin shutdown, 57P02 crash
 * shutdown, 57P03 cannot connect now (starting up, recovering).
 */
const SERVER_CODES = /^(08...|53300|57P0[123])$/;

/** What pg and knex say when a pooled connection died or none could be had in time. */
const MESSAGES = /Connection terminated|Connection ended unexpectedly|Client has encountered a connection error|Client was closed and is not queryable|Timeout acquiring a connection/;

/**
 * True when `err` (or its cause) says the database is unreachable rather than that the statement
 * was wrong: such failures are a 503 to retry later (#13 item 7), not a 500.
 */
export function isConnectionError(err: unknown): boolean {
  for (let e = err, depth = 0; e && typeof e === 'object' && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const { code, message, name } = e as { code?: unknown; message?: unknown; name?: unknown };
    if (typeof code === 'string' && (SOCKET_CODES.has(code) || SERVER_CODES.test(code))) return true;
    if (name === 'KnexTimeoutError') return true;
    if (typeof message === 'string' && MESSAGES.test(message)) return true;
  }
  return false;
}

/** A pooled pg connection, as far as this file needs it. */
interface PooledConnection {
  __knex__disposed?: unknown;
  /** Which connection this is, counting every connection the pool opened (see retryStaleConnections). */
  kysoOpened?: number;
}

/** knex's client, as far as this file needs it (tarn's free list). */
interface PooledClient {
  acquireRawConnection(): Promise<PooledConnection>;
  runner(builder: unknown): { run(): Promise<unknown>; connection?: PooledConnection };
  pool?: { free?: Array<{ resource: PooledConnection }> };
}

/**
 * Retries a statement outside a transaction that failed because its pooled connection was dead
 * (the server restarted, a proxy or NAT dropped it while idle): without this the first request
 * after PostgreSQL comes back is a 500 (#13 item 7). Every connection opened before the failure
 * may be to the lost server — the idle ones, and those still being opened at that moment — so the
 * idle ones are marked for disposal (knex's pool validation then drops them) and the statement is
 * tried again for as long as it fails on such a connection. It fails for good (a 503) when a
 * connection opened after the loss fails too, or none can be opened: then the server is down.
 * Each attempt disposes of one old connection, so the attempts end. Statements inside a
 * transaction are not retried — the transaction is lost with its connection — and fail as a
 * connection error (503).
 */
export function retryStaleConnections(knex: Knex): void {
  const client = knex.client as unknown as PooledClient;
  let opened = 0;
  const openConnection = client.acquireRawConnection.bind(client);
  client.acquireRawConnection = async () => {
    const number = ++opened;
    const connection = await openConnection();
    connection.kysoOpened = number;
    return connection;
  };
  const makeRunner = client.runner.bind(client);
  client.runner = (builder) => {
    const runner = makeRunner(builder);
    const run = runner.run.bind(runner);
    runner.run = async () => {
      try {
        return await run();
      } catch (err) {
        if (!isConnectionError(err)) throw err;
        const lost = opened;
        const openedBeforeLoss = (connection: PooledConnection | undefined) => (connection?.kysoOpened ?? Infinity) <= lost;
        for (let failed = runner.connection; ; ) {
          if (failed) failed.__knex__disposed ??= 'its server was lost';
          for (const free of client.pool?.free ?? []) if (openedBeforeLoss(free.resource)) free.resource.__knex__disposed ??= 'its server was lost';
          const again = makeRunner(builder);
          try {
            return await again.run();
          } catch (retryErr) {
            if (!isConnectionError(retryErr) || !openedBeforeLoss(again.connection)) throw retryErr;
            failed = again.connection;
          }
        }
      }
    };
    return runner;
  };
}
