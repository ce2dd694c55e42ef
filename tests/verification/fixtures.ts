import { execFileSync } from 'node:child_process';
import { createHash, createPublicKey, generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import type { Authority } from '../../src/ca/authorities.js';
import { buildCertificate } from '../../src/pki/certificate.js';
import { certificateFacts } from '../../src/pki/verify/certificate-facts.js';
import { authorityKeyIdentifierValue, basicConstraintsValue, extKeyUsageValue, keyUsageValue, KeyUsageBit } from '../../src/pki/extensions.js';
import { encodeName } from '../../src/pki/name.js';
import { OID } from '../../src/pki/oids.js';
import { toPem } from '../../src/pki/pem.js';
import { randomSerial } from '../../src/pki/serial.js';
import type { TestKyso } from '../support/kyso.js';
import type { Scratch } from '../support/scratch.js';

/** Runs openssl with `args`, returning stdout. */
export const openssl = (...args: string[]): Buffer => execFileSync('openssl', args, { stdio: ['ignore', 'pipe', 'pipe'] });

/** A signer: its key, its certificate and the certificates above it, as files openssl reads. */
export interface TestSigner {
  readonly keyFile: string;
  readonly certDer: Buffer;
  readonly certFile: string;
  /** The chain above the signer (PEM bundle), for `-certfile`. */
  readonly chainFile?: string;
  readonly serial: string;
}

/** Key pairs for the algorithms kyso verifies. */
export function keyPair(kind: 'p256' | 'p384' | 'rsa'): KeyObject {
  if (kind === 'rsa') return generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  return generateKeyPairSync('ec', { namedCurve: kind === 'p256' ? 'P-256' : 'P-384' }).privateKey;
}

/**
 * A signer certificate issued directly by kyso's issuing CA (bypassing the request flow, so
 * validity periods and names can be anything), written to `tmp` for openssl.
 */
export async function kysoSigner(
  t: TestKyso,
  tmp: Scratch,
  name: string,
  options: {
    kind?: 'p256' | 'p384' | 'rsa';
    notBefore?: Date;
    notAfter?: Date;
    uids?: string[];
    keyUsage?: number[];
    extKeyUsage?: string[];
  } = {},
): Promise<TestSigner> {
  const authorities = t.kyso.services.authorities;
  const issuing = authorities.issuing();
  const key = keyPair(options.kind ?? 'p256');
  const spki = createPublicKey(key).export({ type: 'spki', format: 'der' });
  const notBefore = options.notBefore ?? new Date(Date.now() - 3600_000);
  const certDer = await buildCertificate(
    {
      serialNumber: randomSerial(),
      issuer: issuing.subjectDer,
      subject: encodeName([
        { type: OID.countryName, value: 'VN' },
        { type: OID.organizationName, value: 'Trường THPT Chu Văn An' },
        { type: OID.commonName, value: name },
        ...(options.uids ?? ['CCCD:001099012345']).map((value) => ({ type: OID.userId, value })),
      ]),
      notBefore,
      notAfter: options.notAfter ?? new Date(notBefore.getTime() + 365 * 86400_000),
      subjectPublicKeyInfo: spki,
      extensions: [
        { oid: OID.basicConstraints, critical: true, value: basicConstraintsValue(false) },
        {
          oid: OID.keyUsage,
          critical: true,
          value: keyUsageValue(options.keyUsage ?? [KeyUsageBit.digitalSignature, KeyUsageBit.nonRepudiation]),
        },
        { oid: OID.authorityKeyIdentifier, critical: false, value: authorityKeyIdentifierValue(issuing.keyId) },
        ...(options.extKeyUsage ? [{ oid: OID.extKeyUsage, critical: false, value: extKeyUsageValue(options.extKeyUsage) }] : []),
      ],
    },
    issuing.signer,
  );
  const slug = name.replace(/[^A-Za-z0-9]+/g, '-');
  return {
    keyFile: tmp.write(`${slug}.key`, key.export({ type: 'pkcs8', format: 'pem' }) as string),
    certDer,
    certFile: tmp.write(`${slug}.pem`, toPem(certDer, 'CERTIFICATE')),
    chainFile: tmp.write(
      `${slug}-chain.pem`,
      authorities.chain(issuing).map((a: Authority) => toPem(a.certificateDer, 'CERTIFICATE')).join(''),
    ),
    serial: certificateFacts(certDer).serial,
  };
}

/**
 * A CA hierarchy of another PKI made with openssl (root → intermediate → signer), the kind an
 * admin registers as trust anchors.
 */
export function externalPki(tmp: Scratch, prefix: string): { root: Buffer; intermediate: Buffer; signer: TestSigner } {
  const f = (n: string) => tmp.file(`${prefix}-${n}`);
  const ext = tmp.write(
    `${prefix}-ext.cnf`,
    [
      '[ca]',
      'basicConstraints=critical,CA:TRUE',
      'keyUsage=critical,keyCertSign,cRLSign',
      'subjectKeyIdentifier=hash',
      'authorityKeyIdentifier=keyid',
      '[leaf]',
      'basicConstraints=critical,CA:FALSE',
      'keyUsage=critical,digitalSignature,nonRepudiation',
      'authorityKeyIdentifier=keyid',
      '',
    ].join('\n'),
  );
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  openssl('req', '-x509', ...ec, '-keyout', f('root.key'), '-out', f('root.pem'), '-days', '3650', '-subj', `/C=VN/O=${prefix}/CN=${prefix} Root CA`, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
  openssl('req', '-new', ...ec, '-keyout', f('int.key'), '-out', f('int.csr'), '-subj', `/C=VN/O=${prefix}/CN=${prefix} Intermediate CA`);
  openssl('x509', '-req', '-in', f('int.csr'), '-CA', f('root.pem'), '-CAkey', f('root.key'), '-CAcreateserial', '-out', f('int.pem'), '-days', '1825', '-extfile', ext, '-extensions', 'ca');
  openssl('req', '-new', ...ec, '-keyout', f('leaf.key'), '-out', f('leaf.csr'), '-subj', `/C=VN/CN=${prefix} Signer/UID=CCCD:079200001234`);
  openssl('x509', '-req', '-in', f('leaf.csr'), '-CA', f('int.pem'), '-CAkey', f('int.key'), '-CAcreateserial', '-out', f('leaf.pem'), '-days', '365', '-extfile', ext, '-extensions', 'leaf');
  writeFileSync(f('chain.pem'), Buffer.concat([readFileSync(f('int.pem')), readFileSync(f('root.pem'))]));
  const der = (pem: string) => openssl('x509', '-in', pem, '-outform', 'DER');
  const leafDer = der(f('leaf.pem'));
  return {
    root: der(f('root.pem')),
    intermediate: der(f('int.pem')),
    signer: {
      keyFile: f('leaf.key'),
      certDer: leafDer,
      certFile: f('leaf.pem'),
      chainFile: f('chain.pem'),
      serial: certificateFacts(leafDer).serial,
    },
  };
}

/** `openssl cms -sign` over `document` (DER output), detached unless `-nodetach` is among `extra`. */
export function opensslSign(tmp: Scratch, signer: TestSigner, document: Buffer, extra: string[] = []): Buffer {
  const id = randomUUID();
  const input = tmp.write(`${id}.in`, document);
  const out = tmp.file(`${id}.p7s`);
  openssl('cms', '-sign', '-binary', '-in', input, '-signer', signer.certFile, '-inkey', signer.keyFile, ...(signer.chainFile ? ['-certfile', signer.chainFile] : []), '-outform', 'DER', '-out', out, ...extra);
  return tmp.read(`${id}.p7s`);
}

/** Adds a trust anchor row directly (the trust-anchor endpoint belongs to the certificate lifecycle). */
export async function insertTrustAnchor(t: TestKyso, name: string, der: Buffer): Promise<void> {
  const s = certificateFacts(der);
  const columns = await t.kyso.services.knex('trust_anchors').columnInfo();
  await t.kyso.services.knex('trust_anchors').insert({
    id: randomUUID(),
    name,
    subject_dn: s.subjectDn,
    subject_der: s.subjectDer,
    der,
    fingerprint: s.fingerprint,
    ...('serial' in columns ? { serial: s.serial } : {}),
    not_before: s.notBefore,
    not_after: s.notAfter,
    created_at: new Date(),
  });
}

/**
 * Records a certificate in kyso's `certificates` table with the given status, as issuance would,
 * so that verification finds kyso's status record for it.
 */
export async function recordCertificate(
  t: TestKyso,
  organizationId: string,
  der: Buffer,
  status: { status: 'active' | 'revoked' | 'suspended'; revokedAt?: Date; reason?: string; suspendedAt?: Date } = { status: 'active' },
): Promise<void> {
  const s = certificateFacts(der);
  const columns = await t.kyso.services.knex('certificates').columnInfo();
  const optional: Record<string, unknown> = {
    subject: JSON.stringify({ commonName: 'x', uid: [] }),
  };
  await t.kyso.services.knex('certificates').insert({
    id: randomUUID(),
    serial: s.serial,
    issuer_dn: s.issuerDn,
    issuer_name_hash: createHash('sha256').update(s.issuerDer).digest('hex'),
    fingerprint: s.fingerprint,
    der,
    subject_dn: s.subjectDn,
    uids: [],
    holder: 'individual',
    medium: 'remote',
    organization_id: organizationId,
    sector: 'education',
    province: 'Hà Nội',
    not_before: s.notBefore,
    not_after: s.notAfter,
    status: status.status,
    revoked_at: status.revokedAt ?? null,
    revocation_reason: status.reason ?? null,
    suspended_at: status.suspendedAt ?? null,
    source: 'issued',
    created_at: new Date(),
    ...Object.fromEntries(Object.entries(optional).filter(([k]) => k in columns)),
  });
}

/** Posts a JSON verification request with base64 values. */
export function verifyJson(t: TestKyso, parts: { document?: Buffer; signature?: Buffer }) {
  return t
    .http()
    .post('/api/v1/verify')
    .send({
      ...(parts.document ? { document: parts.document.toString('base64') } : {}),
      ...(parts.signature ? { signature: parts.signature.toString('base64') } : {}),
    });
}

/** Deterministic corruptions of `input` (random bytes, truncation, lying lengths), so a failure can be replayed. */
export function* mutations(input: Buffer, count: number): Generator<Buffer> {
  let seed = 0x2545f491;
  const next = () => ((seed = (seed * 1103515245 + 12345) >>> 0), seed);
  for (let i = 0; i < count; i++) {
    const copy = Buffer.from(input);
    switch (i % 3) {
      case 0:
        for (let n = 0; n < 1 + (next() % 4); n++) copy[next() % copy.length] = next() & 0xff;
        yield copy;
        break;
      case 1:
        yield copy.subarray(0, next() % copy.length);
        break;
      default:
        copy[next() % copy.length] = [0x80, 0x84, 0xff, 0x00][next() % 4]!;
        yield copy;
    }
  }
}
