import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 3000,
      databaseUrl: undefined,
      dataDir: './data',
      publicUrl: 'http://localhost:3000',
      adminPassword: undefined,
      masterKey: undefined,
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('reads every variable', () => {
    const key = 'ab'.repeat(32);
    const config = loadConfig({
      PORT: '8080',
      DATABASE_URL: 'postgres://kyso@db:5432/kyso',
      KYSO_DATA_DIR: '/var/lib/kyso',
      KYSO_PUBLIC_URL: 'https://ca.example.gov.vn/',
      KYSO_ADMIN_PASSWORD: 'a-long-password',
      KYSO_MASTER_KEY: key,
    });
    expect(config.port).toBe(8080);
    expect(config.databaseUrl).toBe('postgres://kyso@db:5432/kyso');
    expect(config.publicUrl).toBe('https://ca.example.gov.vn');
    expect(config.masterKey?.toString('hex')).toBe(key);
  });

  it('keeps idle connections longer than common load balancers do, and runs one process by default', () => {
    const config = loadConfig({});
    expect(config.keepAliveTimeoutMs).toBe(65_000);
    expect(config.headersTimeoutMs).toBe(66_000);
    expect(config.workers).toBe(1);
    const tuned = loadConfig({ KYSO_KEEP_ALIVE_TIMEOUT_SECONDS: '350', KYSO_HEADERS_TIMEOUT_SECONDS: '351' });
    expect([tuned.keepAliveTimeoutMs, tuned.headersTimeoutMs]).toEqual([350_000, 351_000]);
    const pg = { DATABASE_URL: 'postgres://kyso@db/kyso' };
    expect(loadConfig({ ...pg, KYSO_WORKERS: '3' }).workers).toBe(3);
    expect(loadConfig({ ...pg, KYSO_WORKERS: 'auto' }).workers).toBe(availableParallelism());
  });

  it('accepts a base64 master key', () => {
    const key = Buffer.alloc(32, 7);
    expect(loadConfig({ KYSO_MASTER_KEY: key.toString('base64') }).masterKey).toEqual(key);
  });

  it.each([
    [{ PORT: 'eighty' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL'],
    [{ KYSO_PUBLIC_URL: 'not a url' }, 'KYSO_PUBLIC_URL'],
    [{ KYSO_ADMIN_PASSWORD: 'short' }, 'KYSO_ADMIN_PASSWORD'],
    [{ KYSO_MASTER_KEY: 'abcd' }, 'KYSO_MASTER_KEY'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [{ KYSO_KEEP_ALIVE_TIMEOUT_SECONDS: '0' }, 'KYSO_KEEP_ALIVE_TIMEOUT_SECONDS'],
    [{ KYSO_KEEP_ALIVE_TIMEOUT_SECONDS: '120' }, 'KYSO_HEADERS_TIMEOUT_SECONDS'],
    [{ KYSO_WORKERS: 'many' }, 'KYSO_WORKERS'],
    [{ KYSO_WORKERS: '0' }, 'KYSO_WORKERS'],
    [{ KYSO_WORKERS: '2' }, 'KYSO_WORKERS'],
  ])('refuses %o naming %s', (env, variable) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(variable);
  });

  it('names every bad variable at once', () => {
    try {
      loadConfig({ PORT: 'x', DATABASE_URL: 'nope' });
      expect.unreachable();
    } catch (err) {
      expect((err as Error).message).toMatch(/PORT/);
      expect((err as Error).message).toMatch(/DATABASE_URL/);
    }
  });
});
