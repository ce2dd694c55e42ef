import { execFileSync } from 'node:child_process';
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodePkcs12, pkcs12Kdf } from '../../src/pki/pkcs12.js';
import { openssl } from '../requests/support.js';

/** Runs `openssl pkcs12` (no -legacy) on a PKCS#12 file; stdout and stderr together. */
function pkcs12(p12: Buffer, args: string[]): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kyso-p12-'));
  try {
    const file = path.join(dir, 'x.p12');
    writeFileSync(file, p12);
    return execFileSync('openssl', ['pkcs12', '-in', file, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** What `openssl pkcs12 -info` reports about the MAC and the bags (it writes that to stderr). */
function pkcs12Info(p12: Buffer, password: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kyso-p12-'));
  try {
    const file = path.join(dir, 'x.p12');
    writeFileSync(file, p12);
    return execFileSync('sh', ['-c', 'openssl pkcs12 -info -nokeys -nocerts -in "$1" -passin "pass:$2" 2>&1', 'sh', file, password], { encoding: 'utf8' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('encodePkcs12', () => {
  const cert = openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', { file: 'k.pem', content: '' }, '-subj', '/CN=placeholder', '-days', '1']);
  it('is opened by openssl 3 without -legacy: AES-256-CBC, PBKDF2 with HMAC-SHA-256, SHA-256 MAC', () => {
    const key = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const certDer = Buffer.from(cert.replace(/-----[^-]+-----|\s/g, ''), 'base64');
    const p12 = encodePkcs12({ privateKey: key, certificates: [certDer], password: 'correct horse', friendlyName: 'test', random: (n) => Buffer.alloc(n, 7) });
    const info = pkcs12Info(p12, 'correct horse');
    expect(info).toMatch(/MAC: sha256, Iteration 2048/);
    expect(info).toMatch(/Shrouded Keybag: PBES2, PBKDF2, AES-256-CBC, Iteration \d+, PRF hmacWithSHA256/);
    const keyPem = pkcs12(p12, ['-nocerts', '-nodes', '-passin', 'pass:correct horse']);
    expect(openssl(['pkey', '-pubout', '-in', { file: 'k.pem', content: keyPem }])).toBe(createPublicKey(key).export({ type: 'spki', format: 'pem' }));
    expect(() => pkcs12(p12, ['-info', '-nokeys', '-passin', 'pass:wrong'])).toThrow();
  });

  it('derives MAC keys per RFC 7292 B.2 (distinct per id, salt and password; prefix-stable in length)', () => {
    const salt = Buffer.from('0102030405060708', 'hex');
    const k = pkcs12Kdf('smeg', salt, 3, 1, 32);
    expect(k).toHaveLength(32);
    expect(pkcs12Kdf('smeg', salt, 3, 1, 80).subarray(0, 32)).toEqual(k);
    expect(pkcs12Kdf('smeg', salt, 1, 1, 32)).not.toEqual(k);
    expect(pkcs12Kdf('smeg', salt, 3, 2, 32)).not.toEqual(k);
    expect(pkcs12Kdf('smeG', salt, 3, 1, 32)).not.toEqual(k);
  });
});
