import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * The key that wraps private keys at rest: KYSO_MASTER_KEY when set; otherwise (development)
 * `dataDir/master.key`, created with mode 0600 on first start.
 */
export function loadMasterKey(configured: Buffer | undefined, dataDir: string): { key: Buffer; source: string } {
  if (configured) return { key: configured, source: 'KYSO_MASTER_KEY' };
  const file = path.join(dataDir, 'master.key');
  if (existsSync(file)) {
    chmodSync(file, 0o600); // a copy restored with looser modes
    const key = Buffer.from(readFileSync(file, 'utf8').trim(), 'hex');
    if (key.length !== 32) throw new Error(`${file} does not hold a 32-byte hex key`);
    return { key, source: file };
  }
  mkdirSync(dataDir, { recursive: true });
  const key = randomBytes(32);
  writeFileSync(file, `${key.toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
  chmodSync(file, 0o600);
  return { key, source: `${file} (created)` };
}
