import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import knexFactory, { type Knex } from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withDatabase } from '../support/global-setup.js';
import { startKysoCluster, type KysoCluster, type KysoProcess } from '../support/instances.js';

/*
 * Several kyso processes on one PostgreSQL database: the audit sequencer across them (verify during
 * writes, a pass killed mid-way taken over, no committed event lost), and simultaneous first starts.
 */

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const SEQUENCER_LOCK = 7215012;
/** `openssl ts -query -digest <sha256 of "kyso"> -sha256 -cert -no_nonce`: a TimeStampReq any TSA answers. */
const TIMESTAMP_QUERY = Buffer.from(
  '30390201013031300d060960864801650304020105000420cd289affcc30028af9975bf5f31c6a85bfc0e4f149e3e3bd8ef5f689b4bebf3f0101ff',
  'hex',
);

describe.skipIf(!process.env.DATABASE_URL)('the audit sequencer across three processes', () => {
  let cluster: KysoCluster;
  let db: Knex;
  let token: string;

  beforeAll(async () => {
    cluster = await startKysoCluster(3);
    db = knexFactory({ client: 'pg', connection: cluster.databaseUrl, pool: { min: 0, max: 4 } });
    token = await cluster.adminToken();
  }, 120_000);
  afterAll(async () => {
    await db?.destroy();
    await cluster?.close();
  });

  const verify = async (p: KysoProcess) => {
    const res = await fetch(`${p.url}/api/v1/audit/verify`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    return (await res.json()) as { ok: boolean; checked: number; pending: number; checkpoints: number; reason?: string };
  };

  it('chains every committed event once, verifies during writes, and carries on after the process holding the sequencer is killed mid-pass', async () => {
    // A backlog, as committed writer transactions leave it (recordAudit's one insert), so that passes are long.
    const backlog = 30_000;
    await db.raw(
      `insert into audit_events (at, action, target_type, target_id, details)
       select now(), 'test.backlog', 'n', g::text, jsonb_build_object('n', g) from generate_series(1, ?) g`,
      [backlog],
    );

    // Writers over HTTP on every instance the whole time; each 201 is an event that must survive.
    const acknowledged: string[] = [];
    let writing = true;
    const writers = cluster.processes.map(async (p, w) => {
      for (let i = 0; writing; i++) {
        const code = `w${w}-${i}`;
        try {
          const res = await fetch(`${p.url}/api/v1/sectors`, {
            method: 'POST',
            headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
            body: JSON.stringify({ code, name: `Sector ${code}` }),
          });
          if (res.status === 201) acknowledged.push(code);
        } catch {
          break; // its process was killed
        }
      }
    });

    // Catch a process in the middle of a pass: a pass holds the sequencer's lock only while it writes
    // a stretch, so watch the lock, pause the process whose connection holds it, and keep it paused
    // only if its connection still holds the lock once it stopped.
    let victim: KysoProcess | undefined;
    for (const watchUntil = Date.now() + 90_000; !victim && Date.now() < watchUntil; ) {
      const holder = await lockHolderPort(db);
      const p = holder === undefined ? undefined : cluster.processes.find((q) => clientPorts(q.child.pid!).has(holder));
      if (!p) continue;
      p.pause();
      await sleep(100);
      if ((await lockHolderPort(db)) === holder) victim = p;
      else p.resume();
    }
    expect(victim, 'no process was caught holding the sequencer lock').toBeDefined();
    const survivors = cluster.processes.filter((p) => p !== victim);
    const verifications = await Promise.all(survivors.map(verify));
    // Its pass is stuck, so nothing is chained meanwhile, yet what is chained verifies.
    expect(verifications.every((v) => v.ok)).toBe(true);
    await victim!.kill('SIGKILL');

    // The lock went with the dead process's connection: the others chain the rest.
    await sleep(1500);
    writing = false;
    await Promise.all(writers);
    const deadline = Date.now() + 60_000;
    let last = await verify(survivors[0]!);
    while (last.pending > 0 && Date.now() < deadline) {
      expect(last.ok).toBe(true);
      await sleep(250);
      last = await verify(survivors[(Date.now() >> 8) % 2]!);
    }
    expect(last).toMatchObject({ ok: true, pending: 0 });
    const total = Number((await db('audit_events').count({ n: '*' }).first())!.n);
    expect(last.checked).toBe(total);
    expect(last.checkpoints).toBeGreaterThan(1);
    const chainedBacklog = await db('audit_events').where({ action: 'test.backlog' }).whereNotNull('chain_seq').count({ n: '*' }).first();
    expect(Number(chainedBacklog!.n)).toBe(backlog);
    // Every write a client saw succeed, on any instance (the killed one too), is in the chain.
    expect(acknowledged.length).toBeGreaterThan(10);
    const chained = new Set(
      await db('audit_events').where({ action: 'sector.create' }).whereNotNull('chain_seq').pluck('target_id'),
    );
    expect(acknowledged.filter((code) => !chained.has(code))).toEqual([]);
  }, 240_000);
});

describe.skipIf(!process.env.DATABASE_URL)('three instances starting together on an empty database', () => {
  it('migrate once and create one admin, one CA and one of each service key, ten times over', async () => {
    const base = process.env.DATABASE_URL!;
    const admin = knexFactory({ client: 'pg', connection: base, pool: { min: 0, max: 1 } });
    try {
      for (let trial = 0; trial < 10; trial++) {
        const name = `kyso_empty_${process.pid}_${trial}_${Date.now()}`;
        await admin.raw(`create database ${name}`);
        const url = withDatabase(base, name);
        let cluster: KysoCluster | undefined;
        const db = knexFactory({ client: 'pg', connection: url, pool: { min: 0, max: 2 } });
        try {
          cluster = await startKysoCluster(3, { together: true, env: { DATABASE_URL: url } });
          const migrations = await db('knex_migrations').select('name');
          expect(new Set(migrations.map((m) => m.name)).size, `trial ${trial}`).toBe(migrations.length);
          expect(Number((await db('users').count({ n: '*' }).first())!.n), `trial ${trial}`).toBe(1);
          const kinds = (await db.raw('select kind, count(*)::int as n from certificate_authorities group by kind')).rows as Array<{ kind: string; n: number }>;
          expect(Object.fromEntries(kinds.map((k) => [k.kind, k.n])), `trial ${trial}`).toEqual({
            audit: 1,
            issuing: 1,
            ocsp: 2,
            root: 1,
            tsa: 1,
          });
          // Every instance serves the same CAs and wrote the same certs-dev chain; each can sign a time-stamp.
          const chains = cluster.processes.map((p) => readFileSync(certsDevChain(p), 'utf8'));
          expect(new Set(chains).size).toBe(1);
          const serials = await Promise.all(
            cluster.processes.map(async (p) => ((await (await fetch(`${p.url}/pki/ca`)).json()) as Array<{ serial: string }>).map((c) => c.serial)),
          );
          expect(serials[1]).toEqual(serials[0]);
          expect(serials[2]).toEqual(serials[0]);
          for (const p of cluster.processes) {
            const stamp = await fetch(`${p.url}/pki/tsa`, {
              method: 'POST',
              headers: { 'content-type': 'application/timestamp-query' },
              body: TIMESTAMP_QUERY,
            });
            expect(stamp.status).toBe(200);
            // PKIStatusInfo { status granted (0) } right at the start of the TimeStampResp.
            expect(Buffer.from(await stamp.arrayBuffer()).subarray(0, 12).includes(Buffer.from([0x30, 0x03, 0x02, 0x01, 0x00]))).toBe(true);
          }
          for (const p of cluster.processes) expect(p.output()).not.toMatch(/"level":(50|60)/);
        } finally {
          await cluster?.close();
          await db.destroy();
          await admin.raw(`drop database if exists ${name} with (force)`);
        }
      }
    } finally {
      await admin.destroy();
    }
  }, 600_000);
});

describe.skipIf(!process.env.DATABASE_URL)('KYSO_WORKERS', () => {
  it('serves from that many processes on one port and replaces a worker that dies', async () => {
    const cluster = await startKysoCluster(1, { env: { KYSO_WORKERS: '2', LOG_LEVEL: 'info' } });
    try {
      const primary = cluster.processes[0]!;
      const workers = async (count: number) => {
        const deadline = Date.now() + 60_000;
        let pids = workerPids(primary.child.pid!);
        while (pids.length !== count && Date.now() < deadline) {
          await sleep(200);
          pids = workerPids(primary.child.pid!);
        }
        return pids;
      };
      const before = await workers(2);
      expect(before).toHaveLength(2);
      for (let i = 0; i < 300 && !/all workers listening/.test(primary.output()); i++) await sleep(200);
      expect(primary.output()).toMatch(/all workers listening/);
      process.kill(before[0]!, 'SIGKILL');
      await sleep(500);
      expect((await fetch(`${primary.url}/readyz`)).status).toBe(200);
      const after = await workers(2);
      expect(after).toHaveLength(2);
      expect(after).not.toContain(before[0]);
      expect(primary.output()).toMatch(/worker died; starting another/);
    } finally {
      await cluster.close();
    }
  }, 180_000);
});

/** The pids of a process's children (its cluster workers). */
function workerPids(parent: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === parent) out.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** The client port of the backend holding the sequencer's advisory lock, if any. */
async function lockHolderPort(db: Knex): Promise<number | undefined> {
  const result = await db.raw(
    `select a.client_port from pg_locks l join pg_stat_activity a on a.pid = l.pid
     where l.locktype = 'advisory' and l.objid = ? and l.granted`,
    [SEQUENCER_LOCK],
  );
  const row = (result.rows as Array<{ client_port: number }>)[0];
  return row?.client_port;
}

/** The local TCP ports of a process's sockets (its database connections among them). */
function clientPorts(pid: number): Set<number> {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const link = readlinkSync(`/proc/${pid}/fd/${fd}`);
      const m = /^socket:\[(\d+)\]$/.exec(link);
      if (m) inodes.add(m[1]!);
    } catch {
      // closed meanwhile
    }
  }
  const ports = new Set<number>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length > 9 && inodes.has(cols[9]!)) ports.add(parseInt(cols[1]!.split(':')[1]!, 16));
    }
  }
  return ports;
}

/** The chain.pem a process wrote (its certs-dev directory is in its environment). */
function certsDevChain(p: KysoProcess): string {
  const environ = readFileSync(`/proc/${p.child.pid}/environ`, 'utf8').split('\0');
  const dir = environ.find((e) => e.startsWith('KYSO_CERTS_DEV_DIR='))!.slice('KYSO_CERTS_DEV_DIR='.length);
  return `${dir}/chain.pem`;
}
