import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import knexFactory from 'knex';
import { encodeCsr } from '../src/pki/csr.js';
import { encodeName } from '../src/pki/name.js';
import { OID } from '../src/pki/oids.js';
import { toPem } from '../src/pki/pem.js';
import { KeyObjectSigner } from '../src/pki/signer.js';

/*
 * Issuance one request at a time, as agencies and officers work (issue #12): an agency submits ONE
 * request (a P-256 CSR), an officer approves it; 16 clients in parallel, certificates stored on
 * PostgreSQL. Beside it, in the same run, `cfssl serve` (Debian golang-cfssl, which stores nothing)
 * signs the same CSRs through its HTTP API with 16 clients. kyso runs as separate processes
 * (`src/main.ts`, KYSO_WORKERS as given), so the CPU of kyso, of PostgreSQL's backends for the
 * bench database and of cfssl are each read from /proc. Configurations: one instance with
 * KYSO_WORKERS=1, one with KYSO_WORKERS=auto, two instances (KYSO_WORKERS=1 each) on one database.
 * Also the floor any stored rate has here: pgbench's TPC-B on the same PostgreSQL, with no
 * application (`pgbenchRate`). Each line gives the CPU per operation and the load generator's own
 * CPU, which shares the machine. PostgreSQL only (DATABASE_URL).
 */

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CLIENTS = Number(process.env.BENCH_ONE_CLIENTS ?? 16);
const SECONDS = Number(process.env.BENCH_ONE_SECONDS ?? 10);
/** Extra node options for kyso's processes, e.g. `--cpu-prof --cpu-prof-dir=/tmp/p` to see where a request's time goes. */
const NODE_ARGS = (process.env.BENCH_KYSO_NODE_ARGS ?? '').split(' ').filter(Boolean);
/** Which kyso set-ups run (`1`, `auto`, `2` instances), e.g. BENCH_ONE_SETUPS=1 while profiling one. */
const SETUPS = (process.env.BENCH_ONE_SETUPS ?? '1,auto,2').split(',');
const PASSWORD = 'bench-one-password-2026';
const TICKS = 100; // USER_HZ
/** Request numbers go on rising across runs, so no two requests share a subject or a CSR. */
let next = 0;

export async function run(): Promise<void> {
  const base = process.env.DATABASE_URL;
  if (!base) {
    console.log('one-at-a-time: needs DATABASE_URL (PostgreSQL); skipped');
    return;
  }
  const pems = await csrs(4000);
  const cfssl = await cfsslRate(pems);
  line('cfssl serve: sign (stores nothing)', cfssl.rate, cfssl.p50, `cfssl CPU ${cfssl.cpu}% (${perOne(cfssl.cpu, cfssl.rate)} ms each), client ${cfssl.clientCpu}%`);
  const floor = await pgbenchRate(base);
  if (floor) {
    line(
      `PostgreSQL floor: pgbench TPC-B, prepared, ${CLIENTS} clients`,
      floor.tps,
      floor.latencyMs,
      'durable transactions/s with no application (latency is the mean); one submit+approve is two, of 13 statements',
    );
  }
  for (const setup of [
    { name: '1 instance, KYSO_WORKERS=1', key: '1', instances: 1, workers: '1' },
    { name: '1 instance, KYSO_WORKERS=auto', key: 'auto', instances: 1, workers: 'auto' },
    { name: '2 instances, KYSO_WORKERS=1 each', key: '2', instances: 2, workers: '1' },
  ].filter((s) => SETUPS.includes(s.key))) {
    const r = await kysoRate(base, setup.instances, setup.workers, pems);
    line(
      `kyso submit+approve, ${setup.name}`,
      r.rate,
      r.p50,
      `kyso CPU ${r.kysoCpu}% (${perOne(r.kysoCpu, r.rate)} ms each), PostgreSQL CPU ${r.pgCpu}% (${perOne(r.pgCpu, r.rate)} ms), client ${r.clientCpu}%; ${pct(r.rate, cfssl.rate)} of cfssl`,
    );
  }
}

function line(name: string, rate: number, p50: number, extra: string): void {
  console.log(`${name.padEnd(52)} ${Math.round(rate).toString().padStart(6)}/s  p50 ${p50.toFixed(0).padStart(4)} ms  ${extra}`);
}
const pct = (a: number, b: number) => `${((a / b) * 100).toFixed(0)}%`;
/** CPU milliseconds per operation from a CPU percentage and a rate. */
const perOne = (cpuPct: number, rate: number) => ((cpuPct / 100 / rate) * 1000).toFixed(2);

/** P-256 CSRs made ahead of time (the clients' work). */
async function csrs(n: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const signer = new KeyObjectSigner(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey);
    out.push(toPem(await encodeCsr(encodeName([{ type: OID.commonName, value: `bench ${i}` }]), signer), 'CERTIFICATE REQUEST'));
  }
  return out;
}

/** Runs `CLIENTS` loops of `one()` for `SECONDS`; returns the rate and the median latency. */
async function load(one: (i: number) => Promise<void>): Promise<{ rate: number; p50: number; clientCpu: number }> {
  const latencies: number[] = [];
  const end = Date.now() + SECONDS * 1000;
  const started = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (Date.now() < end) {
        const t0 = process.hrtime.bigint();
        await one(next++);
        latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const used = process.cpuUsage(cpu);
  latencies.sort((a, b) => a - b);
  // The load generator's own CPU: it shares the machine with the server and the database.
  const clientCpu = Math.round(((used.user + used.system) / 1e6 / seconds) * 100);
  return { rate: latencies.length / seconds, p50: latencies[Math.floor(latencies.length / 2)] ?? 0, clientCpu };
}

/** CPU ticks (user + system) of these processes and their live children. */
function cpuTicks(pids: number[]): number {
  let total = 0;
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      total += Number(fields[11]) + Number(fields[12]);
    } catch {
      // gone
    }
  }
  return total;
}

/** The pids of `root`'s children (cluster workers). */
function children(root: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === root) out.push(Number(entry));
    } catch {
      // gone
    }
  }
  return out;
}

async function waitFor(url: string, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`exited before ready:\n${log()}`);
    try {
      if ((await fetch(url)).status < 500) return;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`not ready:\n${log()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * What this machine's PostgreSQL does with no application in front of it: pgbench (C, prepared
 * statements, 16 clients) running its TPC-B-like transaction (five statements, one durable commit)
 * on a scratch database. kyso's one-at-a-time pair is two durable transactions, so this is an upper
 * bound on any stored issuance rate here. Skipped when pgbench is not installed.
 */
async function pgbenchRate(base: string): Promise<{ tps: number; latencyMs: number } | undefined> {
  const versions = existsSync('/usr/lib/postgresql') ? readdirSync('/usr/lib/postgresql') : [];
  const pgbench = ['/usr/bin/pgbench', ...versions.map((v) => `/usr/lib/postgresql/${v}/bin/pgbench`)].find((p) => existsSync(p));
  if (!pgbench) return undefined;
  const dbName = `kyso_bench_pgbench_${process.pid}`;
  const admin = knexFactory({ client: 'pg', connection: base, pool: { min: 0, max: 1 } });
  const u = new URL(base);
  u.pathname = `/${dbName}`;
  try {
    await admin.raw(`drop database if exists ${dbName} with (force)`);
    await admin.raw(`create database ${dbName}`);
    execFileSync(pgbench, ['-i', '-s', '10', '-q', u.toString()], { stdio: 'ignore' });
    const out = execFileSync(pgbench, ['-c', String(CLIENTS), '-j', '2', '-T', String(SECONDS), '-M', 'prepared', u.toString()], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return { tps: Number(/tps = ([\d.]+)/.exec(out)![1]), latencyMs: Number(/latency average = ([\d.]+)/.exec(out)![1]) };
  } finally {
    await admin.raw(`drop database if exists ${dbName} with (force)`);
    await admin.destroy();
  }
}

async function cfsslRate(pems: string[]): Promise<{ rate: number; p50: number; clientCpu: number; cpu: number }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-cfssl-'));
  try {
    // A P-256 CA like kyso's issuing CA, made with openssl.
    execFileSync('openssl', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', path.join(dir, 'ca-key.pem')]);
    execFileSync('openssl', ['req', '-x509', '-new', '-key', path.join(dir, 'ca-key.pem'), '-subj', '/C=VN/O=Bench/CN=Bench CA', '-days', '3650', '-out', path.join(dir, 'ca.pem')]);
    writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ signing: { default: { expiry: '8760h', usages: ['digital signature', 'content commitment'] } } }));
    const port = 20000 + Math.floor(Math.random() * 20000);
    let log = '';
    const child = spawn('cfssl', ['serve', '-address', '127.0.0.1', '-port', String(port), '-ca', path.join(dir, 'ca.pem'), '-ca-key', path.join(dir, 'ca-key.pem'), '-config', path.join(dir, 'config.json'), '-loglevel', '5'], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (c: Buffer) => (log += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (log += c.toString()));
    try {
      await waitFor(`http://127.0.0.1:${port}/api/v1/cfssl/scaninfo`, child, () => log);
      const sign = async (i: number) => {
        const res = await fetch(`http://127.0.0.1:${port}/api/v1/cfssl/sign`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ certificate_request: pems[i % pems.length] }),
        });
        const body = (await res.json()) as { success: boolean };
        if (!body.success) throw new Error(`cfssl sign: ${JSON.stringify(body)}`);
      };
      await load(async (i) => sign(i)); // warm-up
      const before = cpuTicks([child.pid!]);
      const t0 = Date.now();
      const result = await load(sign);
      const cpu = Math.round(((cpuTicks([child.pid!]) - before) / TICKS / ((Date.now() - t0) / 1000)) * 100);
      return { ...result, cpu };
    } finally {
      child.kill('SIGTERM');
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function kysoRate(
  base: string,
  instances: number,
  workers: string,
  pems: string[],
): Promise<{ rate: number; p50: number; clientCpu: number; kysoCpu: number; pgCpu: number }> {
  const dbName = `kyso_bench_one_${process.pid}`;
  const admin = knexFactory({ client: 'pg', connection: base, pool: { min: 0, max: 1 } });
  await admin.raw(`drop database if exists ${dbName} with (force)`);
  await admin.raw(`create database ${dbName}`);
  const u = new URL(base);
  u.pathname = `/${dbName}`;
  const db = knexFactory({ client: 'pg', connection: u.toString(), pool: { min: 0, max: 1 } });
  const dirs: string[] = [];
  const procs: Array<{ child: ChildProcess; url: string }> = [];
  const masterKey = 'ab'.repeat(32);
  try {
    for (let i = 0; i < instances; i++) {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-kyso-'));
      dirs.push(dir);
      const port = 20000 + Math.floor(Math.random() * 20000);
      let log = '';
      const child = spawn(process.execPath, [...NODE_ARGS, '--import', 'tsx', 'src/main.ts'], {
        cwd: REPO,
        env: {
          ...process.env,
          DATABASE_URL: u.toString(),
          PORT: String(port),
          KYSO_WORKERS: workers,
          KYSO_DATA_DIR: dir,
          KYSO_CERTS_DEV_DIR: path.join(dir, 'certs-dev'),
          KYSO_MASTER_KEY: masterKey,
          KYSO_ADMIN_PASSWORD: PASSWORD,
          LOG_LEVEL: 'info', // as in production: one log line per request, written to a pipe
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child.stdout!.on('data', (c: Buffer) => (log = (log + c.toString()).slice(-20_000)));
      child.stderr!.on('data', (c: Buffer) => (log = (log + c.toString()).slice(-20_000)));
      procs.push({ child, url: `http://127.0.0.1:${port}` });
      await waitFor(`http://127.0.0.1:${port}/readyz`, child, () => log);
      if (workers !== '1') await new Promise((r) => setTimeout(r, 8000)); // the other workers start after the first listens
    }
    const call = async (url: string, method: string, p: string, body: unknown, token?: string) => {
      const res = await fetch(`${url}${p}`, {
        method,
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const json = (await res.json()) as Record<string, unknown>;
      if (res.status >= 300) throw new Error(`${method} ${p}: ${res.status} ${JSON.stringify(json)}`);
      return json;
    };
    const first = procs[0]!.url;
    const adminToken = (await call(first, 'POST', '/api/v1/auth/login', { username: 'admin', password: PASSWORD })).token as string;
    const org = await call(first, 'POST', '/api/v1/organizations', { name: 'Sở Giáo dục và Đào tạo', code: '0100000001', sector: 'education', province: 'Hà Nội' }, adminToken);
    const user = async (role: string) => {
      const username = `${role}-bench`;
      await call(first, 'POST', '/api/v1/users', { username, password: `${role}-bench-password-2026`, role, organizationId: role === 'agency' ? org.id : undefined, fullName: `Nguyễn Văn ${role}` }, adminToken);
      return (await call(first, 'POST', '/api/v1/auth/login', { username, password: `${role}-bench-password-2026` })).token as string;
    };
    const agency = await user('agency');
    const officer = await user('officer');
    const one = async (i: number) => {
      const url = procs[i % procs.length]!.url;
      const submitted = await call(url, 'POST', '/api/v1/certificate-requests', {
        kind: 'new',
        holder: 'individual',
        medium: 'token',
        organizationId: org.id,
        subject: { commonName: `Nguyễn Văn Giáo Viên ${i}`, uid: [`CCCD:${String(1e11 + i).padStart(12, '0')}`], title: 'Giáo viên' },
        csr: pems[i % pems.length],
      }, agency);
      const approved = await call(url, 'POST', `/api/v1/certificate-requests/${submitted.id as string}/approve`, {}, officer);
      if (approved.status !== 'issued') throw new Error(`not issued: ${JSON.stringify(approved)}`);
    };
    await load(one); // warm-up
    const kysoPids = () => procs.flatMap((p) => [p.child.pid!, ...children(p.child.pid!)]);
    const pgPids = async () => ((await db.raw('select pid from pg_stat_activity where datname = ? and pid <> pg_backend_pid()', [dbName])).rows as Array<{ pid: number }>).map((r) => r.pid);
    const pg = await pgPids();
    const k = kysoPids();
    const before = { kyso: cpuTicks(k), pg: cpuTicks(pg) };
    const t0 = Date.now();
    const result = await load(one);
    const seconds = (Date.now() - t0) / 1000;
    const kysoCpu = Math.round(((cpuTicks(k) - before.kyso) / TICKS / seconds) * 100);
    const pgCpu = Math.round(((cpuTicks(pg) - before.pg) / TICKS / seconds) * 100);
    return { ...result, kysoCpu, pgCpu };
  } finally {
    for (const p of procs) p.child.kill('SIGTERM');
    // A graceful stop (a CPU profile is written then), 10 s at most.
    const exited = (child: ChildProcess) => (child.exitCode === null ? new Promise<void>((r) => child.once('exit', () => r())) : Promise.resolve());
    await Promise.race([Promise.all(procs.map((p) => exited(p.child))), new Promise((r) => setTimeout(r, 10_000))]);
    for (const p of procs) p.child.kill('SIGKILL');
    await db.destroy();
    await admin.raw(`drop database if exists ${dbName} with (force)`);
    await admin.destroy();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  }
}
