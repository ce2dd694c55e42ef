import { createConnection, createServer, type Server, type Socket } from 'node:net';
import knexFactory from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/connect.js';
import { isConnectionError } from '../../src/db/connection-errors.js';
import { startTestKyso, type TestKyso } from '../support/kyso.js';

/**
 * A TCP proxy between kyso and PostgreSQL that can fail the way networks do: `outage()` stops
 * accepting connections and leaves the pooled ones stale — they learn they are dead only when
 * they next send something (a server restarted behind a proxy, a NAT that forgot them).
 */
async function databaseProxy(target: { host: string; port: number }) {
  const clients = new Set<Socket>();
  let up = true;
  let server: Server | undefined;
  const accept = (client: Socket) => {
    const upstream = createConnection(target);
    clients.add(client);
    client.on('close', () => {
      clients.delete(client);
      upstream.destroy();
    });
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    client.on('data', (chunk) => (up ? upstream.write(chunk) : client.destroy()));
    upstream.on('data', (chunk) => client.write(chunk));
    upstream.on('close', () => up && client.destroy());
  };
  const listen = (port: number) =>
    new Promise<number>((resolve) => {
      server = createServer(accept);
      server.listen(port, '127.0.0.1', () => resolve((server!.address() as { port: number }).port));
    });
  const port = await listen(0);
  return {
    port,
    /** The database becomes unreachable; the pooled connections go stale, silently. */
    outage: async () => {
      up = false;
      await new Promise((resolve) => server!.close(resolve));
    },
    /** Reachable again. */
    recover: async () => {
      up = true;
      await listen(port);
    },
    /** The pooled connections go stale while the database stays reachable. */
    staleAll: () => {
      for (const client of clients) {
        client.removeAllListeners('data');
        client.on('data', () => client.destroy());
      }
    },
    close: async () => {
      for (const client of clients) client.destroy();
      await new Promise((resolve) => (server?.listening ? server.close(resolve) : resolve(undefined)));
    },
  };
}

describe.skipIf(!process.env.DATABASE_URL)('a PostgreSQL outage (#13 item 7)', () => {
  let t: TestKyso;
  let proxy: Awaited<ReturnType<typeof databaseProxy>>;
  let token: string;
  let realUrl: string;
  const me = () => t.http().get('/api/v1/auth/me').set('Authorization', `Bearer ${token}`);
  /** Several requests at once, so the pool holds several connections. */
  const warm = async () => {
    const answers = await Promise.all(Array.from({ length: 6 }, () => me()));
    expect(answers.map((r) => r.status)).toEqual(Array(6).fill(200));
  };

  beforeAll(async () => {
    const target = new URL(process.env.DATABASE_URL!);
    proxy = await databaseProxy({ host: target.hostname, port: Number(target.port || 5432) });
    t = await startTestKyso({
      databaseUrl: (url) => {
        realUrl = url;
        const proxied = new URL(url);
        proxied.hostname = '127.0.0.1';
        proxied.port = String(proxy.port);
        return proxied.toString();
      },
    });
    token = await t.adminToken();
  });
  afterAll(async () => {
    await t?.close();
    await proxy?.close();
  });

  it('answers the first requests after stale pooled connections (retried on a fresh connection)', async () => {
    // Rounds, because what goes stale varies with timing: idle connections, those in use, and
    // those still being opened when the network dropped them (a retry used to get one: 503).
    for (let round = 0; round < 25; round++) {
      await warm();
      proxy.staleAll();
      const answers = await Promise.all([me(), me(), t.http().get('/api/v1/organizations').set('Authorization', `Bearer ${token}`)]);
      expect(answers.map((r) => r.status), `round ${round}`).toEqual([200, 200, 200]);
    }
  });

  it('retries a read on a stale connection but never a write, which may have run before the connection dropped', async () => {
    const proxied = new URL(realUrl);
    proxied.hostname = '127.0.0.1';
    proxied.port = String(proxy.port);
    const db = await openDatabase({ databaseUrl: proxied.toString(), dataDir: '/nonexistent', warn: () => undefined });
    try {
      const table = `outage_writes_${process.pid}`;
      await db.knex.schema.createTable(table, (t) => t.integer('n'));
      await Promise.all(Array.from({ length: 4 }, () => db.knex(table).count({ n: '*' })));
      proxy.staleAll();
      const write = await db.knex(table).insert({ n: 1 }).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(isConnectionError(write)).toBe(true);
      // The failed write cleared the stale connections: what follows runs on fresh ones.
      await db.knex(table).insert({ n: 2 });
      expect(await db.knex(table).pluck('n')).toEqual([2]);
      await Promise.all(Array.from({ length: 4 }, () => db.knex(table).count({ n: '*' })));
      proxy.staleAll();
      expect(await db.knex(table).pluck('n')).toEqual([2]);
      await db.knex.schema.dropTable(table);
    } finally {
      await db.close();
    }
  });

  it('answers the first request after the server terminated the pooled backends (pg_terminate_backend)', async () => {
    await warm();
    const admin = knexFactory({ client: 'pg', connection: process.env.DATABASE_URL!, pool: { min: 0, max: 1 } });
    try {
      const database = new URL(realUrl).pathname.slice(1);
      const { rows } = await admin.raw('select pg_terminate_backend(pid) as done from pg_stat_activity where datname = ? and pid <> pg_backend_pid()', [database]);
      expect(rows.length).toBeGreaterThan(0);
    } finally {
      await admin.destroy();
    }
    expect((await me()).status).toBe(200);
  });

  it('answers 503 problem+json with Retry-After while the database is unreachable, and 200 once it is back', async () => {
    await warm();
    await proxy.outage();
    for (const res of [
      await me(),
      await t.http().get('/api/v1/organizations').set('Authorization', `Bearer ${token}`),
      await t.http().post('/api/v1/auth/login').send({ username: 'admin', password: 'whatever-password' }),
      await t.http().post('/api/v1/organizations').set('Authorization', `Bearer ${token}`).send({ name: 'Trường Mất Điện', code: '0199999999', sector: 'education', province: 'Hà Nội' }),
    ]) {
      expect(res.status, res.text).toBe(503);
      expect(res.type).toBe('application/problem+json');
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
      expect(res.body).toMatchObject({ status: 503, title: 'Service Unavailable' });
    }
    const ready = await t.http().get('/readyz');
    expect(ready.status).toBe(503);
    expect(Number(ready.headers['retry-after'])).toBeGreaterThan(0);

    await proxy.recover();
    expect((await me()).status).toBe(200);
    expect((await t.http().get('/readyz')).status).toBe(200);
  });
});
