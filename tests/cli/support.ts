import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Config } from '../../src/config.js';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/kyso.mjs');

/** What one run of the real `kyso` binary did. */
export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** The environment that points the CLI at the same database, data dir and token as `config`. */
export function cliEnv(config: Config, extra: Record<string, string> = {}): Record<string, string> {
  return {
    KYSO_DATA_DIR: config.dataDir,
    KYSO_CERTS_DEV_DIR: config.certsDevDir,
    LOG_LEVEL: 'silent',
    ...(config.databaseUrl ? { DATABASE_URL: config.databaseUrl } : {}),
    ...(config.masterKey ? { KYSO_MASTER_KEY: config.masterKey.toString('hex') } : {}),
    ...(config.pkcs11 ? { KYSO_PKCS11_MODULE: config.pkcs11.module, KYSO_PKCS11_TOKEN: config.pkcs11.label, KYSO_PKCS11_PIN: config.pkcs11.pin } : {}),
    ...extra,
  };
}

/** Runs `bin/kyso.mjs args…` as an operator would (asynchronously: a server under test shares this process). */
export function kyso(args: string[], env: Record<string, string>, cwd?: string): Promise<CliRun> {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('KYSO_') && k !== 'DATABASE_URL' && k !== 'LOG_LEVEL'));
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env: { ...base, ...env }, cwd, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}
