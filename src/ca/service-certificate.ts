import { generateKeyPairSync, randomUUID } from 'node:crypto';
import type { CaRow } from '../db/ca-repo.js';
import { buildCertificate } from '../pki/certificate.js';
import {
  authorityKeyIdentifierValue,
  basicConstraintsValue,
  keyIdentifier,
  subjectKeyIdentifierValue,
  type ExtensionSpec,
} from '../pki/extensions.js';
import { decodeName, encodeName } from '../pki/name.js';
import { OID } from '../pki/oids.js';
import { randomSerial, type RandomSource } from '../pki/serial.js';
import { KeyObjectSigner } from '../pki/signer.js';
import { authorityRow, type Authority } from './authorities.js';

/** What distinguishes one service identity (an OCSP responder, a TSA) from another. */
export interface ServiceCertificateSpec {
  readonly kind: 'ocsp' | 'tsa';
  /** The subject is the CA's with its commonName replaced by this one. */
  readonly commonName: string;
  /** keyUsage, extendedKeyUsage and the like; basicConstraints, SKI and AKI are added here. */
  readonly extensions: readonly ExtensionSpec[];
  readonly validityMs: number;
  /** The `certificate_authorities` name from the new certificate's serial (hex). */
  readonly name: (serialHex: string) => string;
}

/**
 * Issues a certificate to one of kyso's own services under `ca` with a fresh P-256 key, never
 * outliving the CA, and returns it as a `certificate_authorities` row (key wrapped by the master key).
 */
export async function issueServiceCertificate(
  ca: Authority,
  spec: ServiceCertificateSpec,
  deps: { now: Date; masterKey: Buffer; random: RandomSource },
): Promise<CaRow> {
  const key = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
  const signer = new KeyObjectSigner(key);
  const keyId = keyIdentifier(signer.publicKeyInfo);
  const subject = encodeName(decodeName(ca.subjectDer).map((a) => (a.type === OID.commonName ? { ...a, value: spec.commonName } : a)));
  const serial = randomSerial(deps.random);
  const notBefore = new Date(deps.now.getTime() - 60_000);
  const der = await buildCertificate(
    {
      serialNumber: serial,
      issuer: ca.subjectDer,
      subject,
      notBefore,
      notAfter: new Date(Math.min(notBefore.getTime() + spec.validityMs, ca.row.not_after.getTime())),
      subjectPublicKeyInfo: signer.publicKeyInfo,
      extensions: [
        { oid: OID.basicConstraints, critical: true, value: basicConstraintsValue(false) },
        ...spec.extensions,
        { oid: OID.subjectKeyIdentifier, critical: false, value: subjectKeyIdentifierValue(keyId) },
        { oid: OID.authorityKeyIdentifier, critical: false, value: authorityKeyIdentifierValue(ca.keyId) },
      ],
    },
    ca.signer,
  );
  return authorityRow(deps.masterKey, deps.now, {
    id: randomUUID(),
    name: spec.name(serial.toString('hex')),
    kind: spec.kind,
    parentId: ca.row.id,
    der,
    key,
    keyId,
  });
}
