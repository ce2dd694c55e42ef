import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { encodeCsr } from '../../src/pki/csr.js';
import { encodeName } from '../../src/pki/name.js';
import { OID } from '../../src/pki/oids.js';
import { toPem } from '../../src/pki/pem.js';
import { KeyObjectSigner } from '../../src/pki/signer.js';
import type { TestKyso } from '../support/kyso.js';

/** A fresh key pair and a PEM CSR over it (the CSR subject is ignored by kyso). */
export async function makeCsr(kind: 'ec' | 'rsa' = 'ec'): Promise<{ pem: string; privateKey: KeyObject }> {
  const { privateKey } =
    kind === 'ec' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }) : generateKeyPairSync('rsa', { modulusLength: 2048 });
  const der = await encodeCsr(encodeName([{ type: OID.commonName, value: 'ignored' }]), new KeyObjectSigner(privateKey));
  return { pem: toPem(der, 'CERTIFICATE REQUEST'), privateKey };
}

/** A valid `new` token request body for an organization. */
export function tokenRequest(organizationId: string, csr: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    kind: 'new',
    holder: 'individual',
    medium: 'token',
    organizationId,
    subject: { commonName: 'Nguyễn Thị Hương', uid: ['CCCD:001203004567'], title: 'Giáo viên' },
    csr,
    ...overrides,
  };
}

/** Submits and approves a token request; returns the issued serial and PEM. */
export async function issueToken(
  t: TestKyso,
  organizationId: string,
  token: string,
  officer: string,
): Promise<{ serial: string; pem: string; requestId: string }> {
  const { pem } = await makeCsr();
  const submitted = await t.http().post('/api/v1/certificate-requests').set('Authorization', `Bearer ${token}`).send(tokenRequest(organizationId, pem));
  if (submitted.status !== 201) throw new Error(`submit: ${submitted.status} ${JSON.stringify(submitted.body)}`);
  const approved = await t.http().post(`/api/v1/certificate-requests/${submitted.body.id}/approve`).set('Authorization', `Bearer ${officer}`);
  if (approved.status !== 200) throw new Error(`approve: ${approved.status} ${JSON.stringify(approved.body)}`);
  return { serial: approved.body.certificate.serial, pem: approved.body.certificate.pem, requestId: submitted.body.id };
}

/** Runs openssl with files written to a temp dir; returns stdout (throws on a non-zero exit). */
export function openssl(args: (string | { file: string; content: string | Buffer })[], input?: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kyso-openssl-'));
  try {
    const argv = args.map((a) => {
      if (typeof a === 'string') return a;
      const p = path.join(dir, a.file);
      writeFileSync(p, a.content);
      return p;
    });
    return execFileSync('openssl', argv, { encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe'] });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
