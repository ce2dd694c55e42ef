import { createPublicKey, generateKeyPairSync, verify } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isTokenRef, KeyVault } from '../../src/keys/vault.js';
import type { WrappedKey } from '../../src/pki/key-wrap.js';
import { secureRandom } from '../../src/pki/serial.js';
import { KeyObjectSigner, type Signer } from '../../src/pki/signer.js';
import { buildCertificate } from '../../src/pki/certificate.js';
import { encodeName } from '../../src/pki/name.js';
import { OID } from '../../src/pki/oids.js';
import { execFileSync } from 'node:child_process';
import { PKCS11 } from 'pkcs11js';
import { softHsmInstalled, softHsmToken, tokenPrivateKeyLabels } from '../support/softhsm.js';

const fixture = JSON.parse(readFileSync(new URL('./fixtures/sealed-before-vault.json', import.meta.url), 'utf8'));
const name = encodeName([{ type: OID.commonName, value: 'Nguyễn Văn A' }]);
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'kyso-vault-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

async function verifies(signer: Signer, expectedSpki?: string): Promise<boolean> {
  if (expectedSpki) expect(Buffer.from(signer.publicKeyInfo).toString('base64')).toBe(expectedSpki);
  const data = Buffer.from('kyso vault test');
  const signature = await signer.sign(data);
  const key = createPublicKey({ key: Buffer.from(signer.publicKeyInfo), format: 'der', type: 'spki' });
  return verify(signer.algorithm.hash, data, { key, dsaEncoding: 'der' }, signature);
}

describe('soft keys in the vault', () => {
  const vault = KeyVault.open({ masterKey: Buffer.from(fixture.masterKey, 'hex'), dataDir, random: secureRandom });

  it('opens the CA, file and signing-account keys that the code before the vault sealed', async () => {
    expect(await verifies(vault.openServiceKey(fixture.ca.wrapped, fixture.ca.name), fixture.ca.publicKeyInfo)).toBe(true);
    // The PKCS#12 needs a certificate beside the key; which one does not matter to openssl here.
    const anyCertificate = await buildCertificate(
      { serialNumber: Buffer.from([1]), issuer: name, subject: name, notBefore: new Date(0), notAfter: new Date(1e12), subjectPublicKeyInfo: Buffer.from(fixture.file.publicKeyInfo, 'base64'), extensions: [] },
      new KeyObjectSigner(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey),
    );
    const pkcs12 = vault.deliverFileKey(fixture.file.wrapped, fixture.file.certificateId, { certificates: [anyCertificate], password: 'a delivery password' });
    const keyPem = execFileSync('openssl', ['pkcs12', '-nocerts', '-nodes', '-passin', 'pass:a delivery password'], { input: pkcs12, encoding: 'utf8' });
    expect(createPublicKey(keyPem).export({ type: 'spki', format: 'der' }).toString('base64')).toBe(fixture.file.publicKeyInfo);
    const opened = await vault.openAccountKey(fixture.account.accountId, fixture.account.pin, fixture.account.wrappedKey, fixture.account.kdf);
    expect(opened).toBeDefined();
    expect(await verifies(opened!.signer, fixture.account.publicKeyInfo)).toBe(true);
  });

  it('refuses a key moved to another owner, a wrong PIN and another master key', async () => {
    expect(() => vault.openServiceKey(fixture.ca.wrapped, 'dev-root')).toThrow();
    expect(() => vault.deliverFileKey(fixture.file.wrapped, fixture.account.accountId, { certificates: [Buffer.from([0x30, 0])], password: 'x'.repeat(12) })).toThrow();
    expect(await vault.openAccountKey(fixture.account.accountId, '135790', fixture.account.wrappedKey, fixture.account.kdf)).toBeUndefined();
    const other = KeyVault.open({ masterKey: Buffer.alloc(32, 7), dataDir, random: secureRandom });
    expect(() => other.openServiceKey(fixture.ca.wrapped, fixture.ca.name)).toThrow();
  });

  it('seals new service keys to their owner and re-wraps account keys under a new PIN', async () => {
    const fresh = await vault.generateServiceKey('P-384');
    const stored = fresh.seal('some-ca');
    expect(isTokenRef(stored)).toBe(false);
    expect((stored as WrappedKey).ciphertext).toBeTruthy();
    const reopened = vault.openServiceKey(stored, 'some-ca');
    expect(Buffer.from(reopened.publicKeyInfo).equals(Buffer.from(fresh.signer.publicKeyInfo))).toBe(true);
    expect(await verifies(reopened)).toBe(true);

    const account = await vault.generateAccountKey('acc-1', '864213', 'ecdsa-p256');
    const opened = (await vault.openAccountKey('acc-1', '864213', account.wrappedKey, account.kdf))!;
    const rewrapped = await opened.rewrap('975312');
    expect(await vault.openAccountKey('acc-1', '864213', rewrapped.wrappedKey, rewrapped.kdf)).toBeUndefined();
    const again = (await vault.openAccountKey('acc-1', '975312', rewrapped.wrappedKey, rewrapped.kdf))!;
    expect(Buffer.from(again.signer.publicKeyInfo).equals(account.publicKeyInfo)).toBe(true);
  });

  it('refuses a token key when no token is configured', () => {
    expect(() => vault.openServiceKey({ v: 'pkcs11', token: 'hsm', id: '00' }, 'dev-issuing')).toThrow(/KYSO_PKCS11_MODULE/);
  });
});

describe.skipIf(!softHsmInstalled)('service keys in a PKCS#11 token (SoftHSM 2)', () => {
  const token = softHsmToken();
  const vault = KeyVault.open({ masterKey: Buffer.alloc(32, 1), dataDir, pkcs11: token, random: secureRandom });
  afterAll(() => vault.close());

  it('generates P-256 and P-384 keys in the token, signs there, and stores only a reference', async () => {
    for (const curve of ['P-256', 'P-384'] as const) {
      const key = await vault.generateServiceKey(curve);
      const owner = `vault-test-${curve}-${process.pid}`;
      const stored = key.seal(owner);
      expect(isTokenRef(stored)).toBe(true);
      expect(JSON.stringify(stored)).not.toMatch(/ciphertext/);
      expect(await verifies(key.signer)).toBe(true);
      const reopened = vault.openServiceKey(stored, owner);
      expect(Buffer.from(reopened.publicKeyInfo).equals(Buffer.from(key.signer.publicKeyInfo))).toBe(true);
      expect(await verifies(reopened)).toBe(true);
      expect(() => vault.openServiceKey(stored, 'someone-else')).toThrow(/labelled/);
      expect(tokenPrivateKeyLabels(token)).toContain(`kyso ca:${owner}`);
    }
  });

  it('signs on several sessions at once and reopens them when the token closed every one', async () => {
    const key = await vault.generateServiceKey('P-256');
    key.seal(`vault-sessions-${process.pid}`);
    const together = await Promise.all(Array.from({ length: 40 }, () => verifies(key.signer)));
    expect(together.every(Boolean)).toBe(true);
    // What a token removed and put back, or reset, does to an application: every session is gone
    // and the user logged out (the library is shared within the process, so this reaches the vault's).
    const pkcs11 = new PKCS11();
    pkcs11.load(token.module);
    try {
      pkcs11.C_Initialize();
    } catch (err) {
      if (!/ALREADY_INITIALIZED/.test(String(err))) throw err;
    }
    const slot = pkcs11.C_GetSlotList(true).find((s) => pkcs11.C_GetTokenInfo(s).label.trim() === token.label)!;
    pkcs11.C_CloseAllSessions(slot);
    const afterwards = await Promise.all(Array.from({ length: 8 }, () => verifies(key.signer)));
    expect(afterwards.every(Boolean)).toBe(true);
    expect(tokenPrivateKeyLabels(token)).toContain(`kyso ca:vault-sessions-${process.pid}`);
  });

  it('destroys the keys of work that failed, and keeps those of work that succeeded', async () => {
    const owner = (what: string) => `vault-${what}-${process.pid}`;
    await expect(
      vault.withNewServiceKeys(async (generate) => {
        (await generate('P-256')).seal(owner('kept'));
      }),
    ).resolves.toBeUndefined();
    await expect(
      vault.withNewServiceKeys(async (generate) => {
        (await generate('P-384')).seal(owner('rolled-back-root'));
        (await generate('P-256')).seal(owner('rolled-back-issuing'));
        throw new Error('the transaction rolled back');
      }),
    ).rejects.toThrow('the transaction rolled back');
    const labels = tokenPrivateKeyLabels(token);
    expect(labels).toContain(`kyso ca:${owner('kept')}`);
    expect(labels).not.toContain(`kyso ca:${owner('rolled-back-root')}`);
    expect(labels).not.toContain(`kyso ca:${owner('rolled-back-issuing')}`);
  });

  it('keeps the private keys sensitive and never extractable (pkcs11-tool)', async () => {
    const owner = `vault-sensitive-${process.pid}`;
    (await vault.generateServiceKey('P-256')).seal(owner);
    const listing = execFileSync(
      'pkcs11-tool',
      ['--module', token.module, '--token-label', token.label, '--login', '--pin', token.pin, '--list-objects', '--type', 'privkey', '--label', `kyso ca:${owner}`],
      { env: { ...process.env, SOFTHSM2_CONF: token.conf }, encoding: 'utf8' },
    );
    expect(listing).toMatch(/Access:.*\bsensitive\b/);
    expect(listing).toMatch(/never extractable/);
  });
});
