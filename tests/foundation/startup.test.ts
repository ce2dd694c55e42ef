import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { PortInUse, startKyso } from '../../src/server.js';
import { startTestKyso, type TestKyso } from '../support/kyso.js';

let t: TestKyso;

beforeAll(async () => {
  t = await startTestKyso();
});
afterAll(() => t?.close());

describe('start-up', () => {
  it('keeps idle connections open longer than common load balancers (configurable)', () => {
    expect(t.kyso.server.keepAliveTimeout).toBe(65_000);
    expect(t.kyso.server.headersTimeout).toBe(66_000);
  });

  it('says clearly that the port is in use', async () => {
    const port = new URL(t.url).port;
    // Another data directory (PGlite's is locked by the running instance) with the same master key.
    const dataDir = `${t.dataDir}-other`;
    mkdirSync(dataDir);
    copyFileSync(path.join(t.dataDir, 'master.key'), path.join(dataDir, 'master.key'));
    const attempt = startKyso({ ...t.config, port: Number(port), dataDir }, createLogger('silent'));
    await expect(attempt).rejects.toThrow(PortInUse);
    await expect(attempt).rejects.toThrow(`port ${port} is already in use`);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('never overwrites certs-dev with another database’s CA', async () => {
    const dir = t.config.certsDevDir;
    const before = ['dev-root.pem', 'dev-issuing.pem', 'chain.pem'].map((f) => readFileSync(path.join(dir, f), 'utf8'));
    const other = await startTestKyso({ env: { KYSO_CERTS_DEV_DIR: dir } });
    try {
      const otherRoot = (await other.http().get('/pki/ca/dev-root.pem')).text;
      expect(otherRoot).not.toBe(before[0]);
      expect(['dev-root.pem', 'dev-issuing.pem', 'chain.pem'].map((f) => readFileSync(path.join(dir, f), 'utf8'))).toEqual(before);
      // The first instance's certificates still verify against the chain it wrote.
      const issuing = path.join(t.dataDir, 'issuing.pem');
      writeFileSync(issuing, (await t.http().get('/pki/ca/dev-issuing.pem')).text);
      expect(execFileSync('openssl', ['verify', '-CAfile', path.join(dir, 'chain.pem'), issuing], { encoding: 'utf8' })).toMatch(/: OK/);
    } finally {
      await other.close();
    }
  });
});
