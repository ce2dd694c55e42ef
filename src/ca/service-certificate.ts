import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { recordAudit } from '../audit/audit.js';
import { addYears, type Clock } from '../clock.js';
import { insertCas, listCas, type CaRow } from '../db/ca-repo.js';
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
import type { KeyVault, ServiceKeyMaker } from '../keys/vault.js';
import { authorityRow, type Authority, type CertificateAuthorities } from './authorities.js';
import { createOnce } from './create-once.js';

/** What distinguishes one service identity (an OCSP responder, a TSA) from another. */
export interface ServiceCertificateSpec {
  readonly kind: 'ocsp' | 'tsa' | 'audit';
  /** The subject is the CA's with its commonName replaced by this one. */
  readonly commonName: string;
  /** keyUsage, extendedKeyUsage and the like; basicConstraints, SKI and AKI are added here. */
  readonly extensions: readonly ExtensionSpec[];
  /** Lifetime in milliseconds (short-lived responder certificates) or in calendar years. */
  readonly validityMs?: number;
  readonly validityYears?: number;
  /** The `certificate_authorities` name from the new certificate's serial (hex). */
  readonly name: (serialHex: string) => string;
}

/**
 * Issues a certificate to one of kyso's own services under `ca` with a fresh P-256 key, never
 * outliving the CA, and returns it as a `certificate_authorities` row (key sealed by the vault).
 */
export async function issueServiceCertificate(
  ca: Authority,
  spec: ServiceCertificateSpec,
  deps: { now: Date; generate: ServiceKeyMaker; random: RandomSource },
): Promise<CaRow> {
  const key = await deps.generate('P-256');
  const signer = key.signer;
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
      notAfter: new Date(Math.min(lifetimeEnd(notBefore, spec), ca.row.not_after.getTime())),
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
  return authorityRow(deps.now, {
    id: randomUUID(),
    name: spec.name(serial.toString('hex')),
    kind: spec.kind,
    parentId: ca.row.id,
    der,
    key,
  });
}

/**
 * The current identity of one service kind (the TSA, the audit key): issues its certificate when
 * the database holds none that is current for `renewBeforeMs` yet (the key made and signed outside
 * any transaction, stored under a transaction-scoped advisory lock, so instances starting together
 * store one: see `createOnce`), and reloads the CAs when the current one was made by another
 * instance since they were loaded. Returns the latest loaded one.
 */
export async function ensureServiceAuthority(
  deps: { knex: Knex; clock: Clock; authorities: CertificateAuthorities; vault: KeyVault },
  spec: {
    kind: 'tsa' | 'audit';
    lockKey: number;
    renewBeforeMs: number;
    /** The audit action recorded when a certificate is issued. */
    action: string;
    issue(now: Date, generate: ServiceKeyMaker): Promise<CaRow>;
  },
): Promise<Authority> {
  const { knex, clock, authorities, vault } = deps;
  const { value: current } = await createOnce({ knex, vault }, spec.lockKey, {
    find: async (db) => {
      const now = clock.now().getTime();
      const rows = (await listCas(db)).filter((r) => r.kind === spec.kind && r.not_after.getTime() - spec.renewBeforeMs > now);
      return rows.length > 0 ? rows : undefined;
    },
    make: (generate) => spec.issue(clock.now(), generate),
    store: async (trx, row) => {
      await insertCas(trx, [row]);
      await recordAudit(trx, clock, { principal: null, ip: null }, {
        action: spec.action,
        target: { type: 'ca', id: row.name },
        details: { subject: row.subject_dn, serial: row.serial, notAfter: row.not_after.toISOString() },
      });
      return [row];
    },
  });
  const loaded = new Set(authorities.all().map((a) => a.row.id));
  if (current.some((r) => !loaded.has(r.id))) await authorities.load();
  const authority = authorities
    .all()
    .filter((a) => a.kind === spec.kind)
    .sort((a, b) => b.row.not_after.getTime() - a.row.not_after.getTime())[0];
  if (!authority) throw new Error(`no ${spec.kind} certificate`);
  return authority;
}

/** The end of a service certificate's own lifetime (ms), before the CA's end caps it. */
function lifetimeEnd(notBefore: Date, spec: Pick<ServiceCertificateSpec, 'validityMs' | 'validityYears'>): number {
  return spec.validityYears ? addYears(notBefore, spec.validityYears).getTime() : notBefore.getTime() + (spec.validityMs ?? 0);
}
