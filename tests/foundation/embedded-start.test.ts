import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/kyso.js';

// The embedded path exactly as `npm start` runs it: a separate process, PGlite, no DATABASE_URL.
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'kyso-embedded-'));
const children: ChildProcess[] = [];

function startProcess(env: Record<string, string>): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const { DATABASE_URL: _ignored, ...inherited } = process.env;
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: { ...inherited, KYSO_DATA_DIR: dataDir, KYSO_CERTS_DEV_DIR: path.join(dataDir, 'certs-dev'), LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => out, exited };
}

async function waitFor(predicate: () => boolean, what: string, ms = 90_000): Promise<void> {
  const until = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

describe('npm start on the embedded database', () => {
  it('refuses bad configuration with a clear message', async () => {
    const p = startProcess({ PORT: 'not-a-port' });
    expect(await p.exited).toBe(2);
    expect(p.output()).toMatch(/invalid configuration:[\s\S]*PORT/);
  });

  it('migrates, creates the CA, serves a request lifecycle, refuses a second instance and stops on SIGTERM', async () => {
    const port = await freePort();
    const first = startProcess({ PORT: String(port), KYSO_ADMIN_PASSWORD: 'embedded-admin-pw' });
    await waitFor(() => /kyso listening/.test(first.output()), 'start-up');
    // from the pre-migrated template npm install makes (src/db/embedded-template.ts), else migrated here
    expect(first.output()).toMatch(/embedded database created from the pre-migrated template|database migrated/);
    expect(first.output()).toMatch(/development root and issuing CA created/);
    expect(existsSync(path.join(dataDir, 'certs-dev', 'dev-issuing.pem'))).toBe(true);

    const base = `http://127.0.0.1:${port}`;
    expect(await fetch(`${base}/readyz`).then((r) => r.json())).toEqual({ status: 'ok' });
    const login = await fetch(`${base}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: 'embedded-admin-pw' }),
    }).then((r) => r.json() as Promise<{ token: string }>);
    const auth = { authorization: `Bearer ${login.token}`, 'content-type': 'application/json' };
    const created = await fetch(`${base}/api/v1/organizations`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ name: 'Sở Giáo dục và Đào tạo', code: '0101234567', sector: 'education', province: 'Hà Nội' }),
    });
    expect(created.status).toBe(201);
    const org = (await created.json()) as { id: string };
    const fetched = (await fetch(`${base}/api/v1/organizations/${org.id}`, { headers: auth }).then((r) => r.json())) as { name: string };
    expect(fetched.name).toBe('Sở Giáo dục và Đào tạo');

    const second = startProcess({ PORT: String(await freePort()) });
    expect(await second.exited).toBe(3);
    expect(second.output()).toMatch(/in use by another kyso process/);

    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    expect(first.output()).toMatch(/stopped/);
    expect(existsSync(path.join(dataDir, 'kyso.lock'))).toBe(false);

    // a restart keeps the data and the CA
    const third = startProcess({ PORT: String(port) });
    await waitFor(() => /kyso listening/.test(third.output()), 'restart');
    expect(third.output()).not.toMatch(/CA created|pre-migrated template/);
    const again = await fetch(`${base}/api/v1/organizations/${org.id}`, { headers: auth });
    expect(again.status).toBe(200); // the session survived the restart too
    third.child.kill('SIGTERM');
    expect(await third.exited).toBe(0);
  }, 240_000);
});
