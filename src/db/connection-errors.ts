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

/** Functions a select can call that change something: such a select is not a read. */
const SIDE_EFFECTS = /\b(pg_(try_)?advisory\w*|pg_notify|nextval|setval|set_config)\s*\(/i;

/**
 * Whether running `builder` again is harmless: a query builder's read, or raw SQL that is a plain
 * select. A write that failed on a lost connection may have run on the server before the
 * connection dropped, so it is never repeated (a login throttle would count twice).
 */
function isRead(builder: unknown): boolean {
  const { _method, sql } = builder as { _method?: unknown; sql?: unknown };
  if (_method === undefined && typeof sql === 'string') return /^\s*select\b/i.test(sql) && !SIDE_EFFECTS.test(sql);
  return _method === 'select' || _method === 'first' || _method === 'pluck';
}

/**
 * Retries a read outside a transaction that failed because its pooled connection was dead
 * (the server restarted, a proxy or NAT dropped it while idle): without this the first request
 * after PostgreSQL comes back is a 500 (#13 item 7). A write is retried only when it never had a
 * connection (it failed while connecting, so the server never saw it); otherwise it fails as a
 * 503 the client may retry — but the failed read has already cleared the stale connections, so
 * a request that reads first (nearly all do: the session lookup) finds fresh ones for its writes.
 * Every connection opened before the failure may be to the lost server — the idle ones, and those
 * still being opened at that moment — so they are marked for disposal (the idle ones at once,
 * the others when they are ready; knex's pool validation then drops them) and a read is tried
 * again for as long as it fails on such a connection. It fails for good (a 503) when a
 * connection opened after the loss fails too, or none can be opened: then the server is down.
 * Each attempt disposes of one old connection, so the attempts end. Statements inside a
 * transaction are not retried — the transaction is lost with its connection — and fail as a
 * connection error (503).
 */
export function retryStaleConnections(knex: Knex): void {
  const client = knex.client as unknown as PooledClient;
  let opened = 0;
  /** How many connections had been opened when one was last found lost: those may be to the lost server. */
  let lostAfter = 0;
  const openConnection = client.acquireRawConnection.bind(client);
  client.acquireRawConnection = async () => {
    const number = ++opened;
    const connection = await openConnection();
    connection.kysoOpened = number;
    // Begun before a loss, finished after it: as suspect as the idle ones (validation drops it).
    if (number <= lostAfter) connection.__knex__disposed ??= 'it was opened before its server was lost';
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
        const lost = (lostAfter = opened);
        const read = isRead(builder);
        const openedBeforeLoss = (connection: PooledConnection | undefined) => (connection?.kysoOpened ?? Infinity) <= lost;
        for (let failed = runner.connection, error = err; ; ) {
          if (failed) failed.__knex__disposed ??= 'its server was lost';
          for (const free of client.pool?.free ?? []) if (openedBeforeLoss(free.resource)) free.resource.__knex__disposed ??= 'its server was lost';
          if (failed && !read) throw error; // it may have run: never twice
          const again = makeRunner(builder);
          try {
            return await again.run();
          } catch (retryErr) {
            if (!isConnectionError(retryErr) || !openedBeforeLoss(again.connection)) throw retryErr;
            failed = again.connection;
            error = retryErr;
          }
        }
      }
    };
    return runner;
  };
}
