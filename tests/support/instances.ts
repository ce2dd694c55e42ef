import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ADMIN_PASSWORD, freePort, freshDatabase } from './kyso.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** One kyso child process (`src/main.ts` under tsx), on its own port, data and certs-dev directories. */
export interface KysoProcess {
  readonly index: number;
  readonly url: string;
  readonly port: number;
  readonly child: ChildProcess;
  /** Everything it wrote on stdout and stderr so far (its log), for failure messages. */
  output(): string;
  /** SIGSTOP: the process stops running (its connections stay open) until resume(). */
  pause(): void;
  /** SIGCONT after pause(). */
  resume(): void;
  /** Sends a signal (SIGKILL for a crash) and resolves when it has exited. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Waits until GET /readyz answers 200. */
  ready(timeoutMs?: number): Promise<void>;
}

/** Several kyso processes sharing one PostgreSQL database, as instances behind a load balancer. */
export interface KysoCluster {
  readonly processes: KysoProcess[];
  readonly databaseUrl: string;
  /** The master key all of them share (hex). */
  readonly masterKey: string;
  /** Starts one more process on the same database. */
  add(env?: Record<string, string>): Promise<KysoProcess>;
  /** Logs in as the bootstrap admin on `process` (default the first) and returns the bearer token. */
  adminToken(process?: KysoProcess): Promise<string>;
  /** Stops every process (SIGKILL after 10 s) and drops the database and temp dirs. */
  close(): Promise<void>;
}

/**
 * Starts `count` kyso processes on one fresh PostgreSQL database (cloned from the test template),
 * each on a random port with its own data and certs-dev directories and the same master key.
 * By default the first starts alone (it creates the admin and the CAs) and the rest after it is
 * ready; `together: true` starts them all at once, for start-up race tests. PostgreSQL only.
 */
export async function startKysoCluster(
  count: number,
  options: { env?: Record<string, string>; together?: boolean } = {},
): Promise<KysoCluster> {
  const db = await freshDatabase();
  if (!db.databaseUrl) throw new Error('startKysoCluster needs DATABASE_URL (PostgreSQL)');
  const masterKey = randomBytes(32).toString('hex');
  const processes: KysoProcess[] = [];
  const dirs: string[] = [db.dataDir];
  const add = async (env: Record<string, string> = {}): Promise<KysoProcess> => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'kyso-instance-'));
    dirs.push(dir);
    const started = await spawnKyso(processes.length, {
      DATABASE_URL: db.databaseUrl!,
      KYSO_DATA_DIR: dir,
      KYSO_CERTS_DEV_DIR: path.join(dir, 'certs-dev'),
      KYSO_MASTER_KEY: masterKey,
      KYSO_ADMIN_PASSWORD: ADMIN_PASSWORD,
      LOG_LEVEL: process.env.KYSO_TEST_LOG_LEVEL ?? 'warn',
      ...options.env,
      ...env,
    });
    processes.push(started);
    return started;
  };
  const cluster: KysoCluster = {
    processes,
    databaseUrl: db.databaseUrl,
    masterKey,
    add: async (env) => {
      const p = await add(env);
      await p.ready();
      return p;
    },
    adminToken: async (on = processes[0]!) => {
      const res = await fetch(`${on.url}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }),
      });
      if (res.status !== 200) throw new Error(`admin login on instance ${on.index}: ${res.status} ${await res.text()}`);
      return ((await res.json()) as { token: string }).token;
    },
    close: async () => {
      await Promise.all(processes.map((p) => stop(p)));
      await db.drop();
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    if (options.together) {
      const started = await Promise.all(Array.from({ length: count }, () => add()));
      await Promise.all(started.map((p) => p.ready()));
    } else {
      for (let i = 0; i < count; i++) await (await add()).ready();
    }
  } catch (err) {
    await cluster.close();
    throw err;
  }
  return cluster;
}

async function spawnKyso(index: number, env: Record<string, string>): Promise<KysoProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: REPO,
    env: { ...process.env, ...env, PORT: String(port), KYSO_PUBLIC_URL: `http://127.0.0.1:${port}` },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  const keep = (chunk: Buffer) => {
    log += chunk.toString('utf8');
    if (log.length > 200_000) log = log.slice(-100_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const self: KysoProcess = {
    index,
    url,
    port,
    child,
    output: () => log,
    pause: () => {
      child.kill('SIGSTOP');
    },
    resume: () => {
      child.kill('SIGCONT');
    },
    kill: async (signal = 'SIGTERM') => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGCONT'); // a paused process would not act on SIGTERM
      child.kill(signal);
      await exited;
    },
    ready: async (timeoutMs = 60_000) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        if (child.exitCode !== null || child.signalCode !== null) {
          throw new Error(`kyso instance ${index} exited (${child.exitCode ?? child.signalCode}) before it was ready:\n${log}`);
        }
        try {
          const res = await fetch(`${url}/readyz`);
          if (res.status === 200) return;
        } catch {
          // not listening yet
        }
        if (Date.now() > deadline) throw new Error(`kyso instance ${index} not ready after ${timeoutMs} ms:\n${log}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
  };
  return self;
}

async function stop(p: KysoProcess): Promise<void> {
  const timer = setTimeout(() => p.child.kill('SIGKILL'), 10_000);
  try {
    await p.kill('SIGTERM');
  } finally {
    clearTimeout(timer);
  }
}
