import type { Knex } from 'knex';
import pg from 'pg';

/** The channel migration 010's triggers notify, at commit, with the serials whose status changed. */
const STATUS_CHANNEL = 'kyso_certificate_status';

/** Serials whose status changed, or 'all' when the notification could not name them (or some were missed). */
export type ChangedSerials = readonly string[] | 'all';

/** What a status watch reports to its owner. */
export interface StatusWatchEvents {
  /** Certificates whose status change has committed (delivered in commit order). */
  changed(serials: ChangedSerials): void;
  /**
   * The listening connection answered a heartbeat sent at `sentAt` (performance.now()): every
   * change committed before that moment has been passed to `changed` already.
   */
  confirmed(sentAt: number): void;
  /** The listening connection is gone; notifications may be missed until it is back. */
  lost(err: unknown): void;
}

/** A running watch on committed status changes. */
export interface StatusWatch {
  /** 'in-process': PGlite, notified inside the commit, never lost. 'server': a LISTEN connection to PostgreSQL. */
  readonly kind: 'in-process' | 'server';
  close(): Promise<void>;
}

/** How often the LISTEN connection is asked to prove it is alive, and how long it may take to answer. */
export const HEARTBEAT_MS = 200;
const HEARTBEAT_TIMEOUT_MS = 2000;
const RECONNECT_MS = 500;

/**
 * Watches committed certificate status changes. PGlite runs inside this process and calls its
 * listeners before a commit returns, so its `listen` is enough. On a PostgreSQL server a dedicated
 * connection (not from the pool: LISTEN belongs to a session) listens; NOTIFY is delivered after
 * the sending transaction commits and in commit order, whatever order ids were taken in. The
 * connection is pinged every HEARTBEAT_MS: a reply proves every notification committed before the
 * ping was delivered, which lets the owner bound how stale its caches can be; a lost connection is
 * reported and re-opened.
 */
export async function watchStatusChanges(knex: Knex, events: StatusWatchEvents): Promise<StatusWatch> {
  const pglite = (knex.client as { pglite?: { listen(channel: string, cb: (payload: string) => void): Promise<() => Promise<void>> } }).pglite;
  if (pglite) {
    const unlisten = await pglite.listen(STATUS_CHANNEL, (payload) => events.changed(parsePayload(payload)));
    return { kind: 'in-process', close: () => unlisten() };
  }
  const connection = (knex.client as { config: { connection: pg.ClientConfig | string } }).config.connection;
  const watch = new ServerWatch(typeof connection === 'string' ? { connectionString: connection } : connection, events);
  await watch.open();
  return watch;
}

class ServerWatch implements StatusWatch {
  readonly kind = 'server';
  private client: pg.Client | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private reconnect: NodeJS.Timeout | undefined;
  private pingSentAt: number | undefined;
  private closed = false;

  constructor(
    private readonly config: pg.ClientConfig,
    private readonly events: StatusWatchEvents,
  ) {}

  /** Connects and listens; throws if the first attempt fails (start-up reports it). */
  async open(): Promise<void> {
    const client = new pg.Client({ ...this.config, application_name: 'kyso status listener', keepAlive: true });
    client.on('notification', (message) => {
      if (message.channel === STATUS_CHANNEL && client === this.client) this.events.changed(parsePayload(message.payload ?? '*'));
    });
    client.on('error', (err) => this.drop(client, err));
    client.on('end', () => this.drop(client, new Error('status listener connection ended')));
    try {
      await client.connect();
      await client.query(`listen ${STATUS_CHANNEL}`);
    } catch (err) {
      client.removeAllListeners('end');
      await client.end().catch(() => undefined);
      throw err;
    }
    if (this.closed) {
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    // Whatever committed while nobody listened is unknown: everything may have changed.
    this.events.changed('all');
    this.heartbeat = setInterval(() => this.ping(client), HEARTBEAT_MS);
    this.heartbeat.unref();
    this.ping(client);
  }

  private ping(client: pg.Client): void {
    const now = performance.now();
    if (this.pingSentAt !== undefined) {
      // The previous ping is still unanswered: a connection that stays silent this long is dead
      // to us (a network partition shows no error until TCP gives up).
      if (now - this.pingSentAt > HEARTBEAT_TIMEOUT_MS) this.drop(client, new Error('status listener stopped answering'));
      return;
    }
    this.pingSentAt = now;
    client.query('select 1').then(
      () => {
        this.pingSentAt = undefined;
        // Notifications arrive on this connection before the answer to a later query.
        if (client === this.client) this.events.confirmed(now);
      },
      (err: unknown) => this.drop(client, err),
    );
  }

  private drop(client: pg.Client, err: unknown): void {
    if (client !== this.client) return;
    this.client = undefined;
    this.pingSentAt = undefined;
    clearInterval(this.heartbeat);
    client.removeAllListeners('end');
    client.end().catch(() => undefined);
    if (this.closed) return;
    this.events.lost(err);
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    this.reconnect = setTimeout(() => {
      this.open().catch((err: unknown) => {
        if (this.closed) return;
        this.events.lost(err);
        this.scheduleReconnect();
      });
    }, RECONNECT_MS);
    this.reconnect.unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.heartbeat);
    clearTimeout(this.reconnect);
    const client = this.client;
    this.client = undefined;
    if (client) {
      client.removeAllListeners('end');
      await client.end().catch(() => undefined);
    }
  }
}

function parsePayload(payload: string): ChangedSerials {
  return payload === '*' || payload === '' ? 'all' : payload.split(',');
}

type CommitListener = (serials: readonly string[]) => void;
const commitListeners = new Set<CommitListener>();

/**
 * Tells this process's status watchers, once the transaction has committed, that these serials
 * changed: the NOTIFY reaches the LISTEN connection a moment later, and a client that revoked a
 * certificate and at once asks this same process must already see it. A savepoint's release is
 * not a commit: the signal waits for the outermost transaction.
 */
export function signalAfterCommit(trx: Knex.Transaction, serials: readonly string[]): void {
  let outer = trx as Knex.Transaction & { parentTransaction?: Knex.Transaction };
  while (outer.parentTransaction) outer = outer.parentTransaction as typeof outer;
  outer.executionPromise.then(
    () => {
      for (const listener of commitListeners) listener(serials);
    },
    () => undefined,
  );
}

/** Subscribes to this process's own commits of status changes; returns the unsubscribe. */
export function onLocalStatusCommit(listener: CommitListener): () => void {
  commitListeners.add(listener);
  return () => commitListeners.delete(listener);
}
