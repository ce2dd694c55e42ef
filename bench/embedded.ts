import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { embeddedTemplateDir } from '../src/db/embedded-template.js';

/*
 * The embedded database's start (issue #12 item 6): kyso as `npm start` would run it (node + tsx,
 * PGlite in a fresh KYSO_DATA_DIR), first start (initdb, migrations, CA creation) and second start
 * on the same directory: the time until GET /readyz answers, kyso's own `startupMs` (from opening
 * the database to listening), the CPU time it took until then (the figure to trust on a loaded
 * machine: start-up is one thread), and the resident set size after 10 s idle. The first start
 * copies the pre-migrated template `npm install`/`npm start` make (scripts/embedded-template.ts,
 * which prints what making it cost: initdb and the migrations, what a first start paid before).
 */

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** CPU seconds (user + system) a process has used so far, from /proc (clock ticks of 10 ms). */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function start(dataDir: string): Promise<{ readyMs: number; startupMs: number; cpuS: number; rssMb: number }> {
  const port = 20000 + Math.floor(Math.random() * 20000);
  const t0 = Date.now();
  let log = '';
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: REPO,
    env: { ...process.env, DATABASE_URL: '', PORT: String(port), KYSO_DATA_DIR: dataDir, KYSO_CERTS_DEV_DIR: path.join(dataDir, 'certs-dev'), KYSO_ADMIN_PASSWORD: 'embedded-bench-password', LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (c: Buffer) => (log += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (log += c.toString()));
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`kyso exited:\n${log}`);
      try {
        if ((await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200) break;
      } catch {
        // not yet
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    const readyMs = Date.now() - t0;
    const cpuS = cpuSeconds(child.pid!);
    const startupMs = Number(/"startupMs":(\d+)/.exec(log)?.[1] ?? NaN);
    await new Promise((r) => setTimeout(r, 10_000));
    const rssKb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))![1]);
    return { readyMs, startupMs, cpuS, rssMb: Math.round(rssKb / 1024) };
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
}

export async function run(): Promise<void> {
  console.log(`template ${existsSync(embeddedTemplateDir()) ? 'present' : 'missing (the first start runs initdb and the migrations)'}`);
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'kyso-embedded-'));
  try {
    for (const which of ['first start (empty directory)', 'second start (same directory)']) {
      const r = await start(dataDir);
      console.log(`${which.padEnd(34)} ready after ${r.readyMs} ms (kyso startupMs ${r.startupMs}; ${r.cpuS.toFixed(2)} s of CPU until ready), RSS after 10 s idle ${r.rssMb} MB`);
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}
