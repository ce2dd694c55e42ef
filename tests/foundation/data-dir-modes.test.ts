import { chmodSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { startKyso } from '../../src/server.js';

// #13 item 5: with umask 0022, PGlite left ~970 of its files 0666 and the directories 0755.
const root = mkdtempSync(path.join(os.tmpdir(), 'kyso-modes-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Every path under `dir` (itself included) whose permission bits are not 0700 (directories) or 0600 (files). */
function looseModes(dir: string): string[] {
  const loose: string[] = [];
  const visit = (p: string) => {
    const stat = statSync(p);
    const mode = stat.mode & 0o777;
    if (stat.isDirectory()) {
      if (mode !== 0o700) loose.push(`${p} ${mode.toString(8)}`);
      for (const name of readdirSync(p)) visit(path.join(p, name));
    } else if (mode !== 0o600) {
      loose.push(`${p} ${mode.toString(8)}`);
    }
  };
  visit(dir);
  return loose;
}

describe('the embedded data directory', () => {
  it('is 0700 with every file 0600 under umask 0022, from the first start and on restart', async () => {
    const previous = process.umask(0o022);
    try {
      const dataDir = path.join(root, 'data');
      const config = loadConfig({
        PORT: '0',
        KYSO_DATA_DIR: dataDir,
        KYSO_CERTS_DEV_DIR: path.join(root, 'certs-dev'),
        KYSO_ADMIN_PASSWORD: 'modes-admin-password',
        LOG_LEVEL: 'silent',
      });
      const first = await startKyso(config, createLogger('silent'));
      expect(first.database.kind).toBe('pglite');
      const login = await fetch(`${first.url}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'admin', password: 'modes-admin-password' }),
      });
      expect(login.status).toBe(200);
      expect(looseModes(dataDir).filter((p) => !p.includes('kyso.lock'))).toEqual([]);
      expect(statSync(path.join(dataDir, 'kyso.lock')).mode & 0o777).toBe(0o600);
      await first.close();
      expect(looseModes(dataDir)).toEqual([]);
      expect(statSync(path.join(dataDir, 'master.key')).isFile()).toBe(true);

      // a copy restored with loose modes is tightened on the next start
      writeFileSync(path.join(dataDir, 'pgdata', 'loose-file'), 'x', { mode: 0o666 });
      chmodSync(path.join(dataDir, 'master.key'), 0o644);
      chmodSync(dataDir, 0o755);
      const again = await startKyso(config, createLogger('silent'));
      await again.close();
      expect(looseModes(dataDir)).toEqual([]);
    } finally {
      process.umask(previous);
    }
  });
});
