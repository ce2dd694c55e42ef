import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** The SoftHSM 2 library Debian's `softhsm2` installs. */
export const SOFTHSM_MODULE = '/usr/lib/softhsm/libsofthsm2.so';

/** True when SoftHSM 2 and its tools are installed (CI installs `softhsm2` and `opensc`). */
export const softHsmInstalled = existsSync(SOFTHSM_MODULE);

/** A SoftHSM token for tests: the KYSO_PKCS11_* values and the SOFTHSM2_CONF it lives under. */
export interface TestToken {
  readonly module: string;
  readonly label: string;
  readonly pin: string;
  readonly conf: string;
  /** KYSO_PKCS11_MODULE, _TOKEN and _PIN for loadConfig. */
  readonly env: Record<string, string>;
}

let token: TestToken | undefined;

/**
 * One token per test process, in its own temp directory. SoftHSM reads SOFTHSM2_CONF and scans its
 * tokens at C_Initialize, once per process, so every test file this process runs shares the token;
 * each kyso instance's keys have their own CKA_IDs.
 */
export function softHsmToken(): TestToken {
  if (token) return token;
  const dir = path.join(os.tmpdir(), `kyso-softhsm-${process.pid}`);
  const conf = path.join(dir, 'softhsm2.conf');
  const label = 'kyso-test';
  const pin = '246813';
  if (!existsSync(conf)) {
    mkdirSync(path.join(dir, 'tokens'), { recursive: true });
    writeFileSync(conf, `directories.tokendir = ${path.join(dir, 'tokens')}\nobjectstore.backend = file\nlog.level = ERROR\n`);
    execFileSync('softhsm2-util', ['--init-token', '--free', '--label', label, '--pin', pin, '--so-pin', '97531246'], {
      env: { ...process.env, SOFTHSM2_CONF: conf },
      stdio: 'ignore',
    });
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  }
  process.env.SOFTHSM2_CONF = conf;
  token = {
    module: SOFTHSM_MODULE,
    label,
    pin,
    conf,
    env: { KYSO_PKCS11_MODULE: SOFTHSM_MODULE, KYSO_PKCS11_TOKEN: label, KYSO_PKCS11_PIN: pin },
  };
  return token;
}

/** `pkcs11-tool --list-objects --type privkey` (opensc): the labels of the private keys in the token. */
export function tokenPrivateKeyLabels(t: TestToken): string[] {
  const out = execFileSync(
    'pkcs11-tool',
    ['--module', t.module, '--token-label', t.label, '--login', '--pin', t.pin, '--list-objects', '--type', 'privkey'],
    { env: { ...process.env, SOFTHSM2_CONF: t.conf }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
  );
  return [...out.matchAll(/^\s*label:\s*(.+)$/gm)].map((m) => m[1]!.trim());
}
