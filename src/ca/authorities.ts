import { createPrivateKey, generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Knex } from 'knex';
import type { Clock } from '../clock.js';
import { recordAudit } from '../audit/audit.js';
import { insertCas, listCas, type CaRow } from '../db/ca-repo.js';
import { buildCertificate, summarizeCertificate } from '../pki/certificate.js';
import {
  authorityKeyIdentifierValue,
  basicConstraintsValue,
  keyIdentifier,
  keyUsageValue,
  KeyUsageBit,
  subjectKeyIdentifierValue,
  type ExtensionSpec,
} from '../pki/extensions.js';
import { unwrapKey, wrapKey } from '../pki/key-wrap.js';
import { encodeName } from '../pki/name.js';
import { OID } from '../pki/oids.js';
import { toPem } from '../pki/pem.js';
import { randomSerial, type RandomSource } from '../pki/serial.js';
import { KeyObjectSigner } from '../pki/signer.js';
import { NotFound } from '../errors.js';
import { accessExtensions } from './urls.js';

/** A loaded CA: its stored row, certificate and a signer over its unwrapped key. */
export interface Authority {
  readonly row: CaRow;
  readonly name: string;
  readonly kind: CaRow['kind'];
  readonly certificateDer: Buffer;
  readonly subjectDer: Buffer;
  readonly keyId: Buffer;
  readonly signer: KeyObjectSigner;
  readonly parent: Authority | undefined;
}

const DEV_ROOT = 'dev-root';
const DEV_ISSUING = 'dev-issuing';
const YEAR_MS = 365.25 * 24 * 3600 * 1000;

/** A `certificate_authorities` row for a CA or service identity (OCSP, TSA), its key wrapped by the master key. */
export function authorityRow(
  masterKey: Buffer,
  createdAt: Date,
  spec: { id: string; name: string; kind: CaRow['kind']; parentId: string | null; der: Buffer; key: KeyObject; keyId: Buffer },
): CaRow {
  const summary = summarizeCertificate(spec.der);
  return {
    id: spec.id,
    name: spec.name,
    kind: spec.kind,
    parent_id: spec.parentId,
    subject_dn: summary.subjectDn,
    serial: summary.serial,
    der: spec.der,
    subject_der: summary.subjectDer,
    key_id: spec.keyId,
    wrapped_key: wrapKey(masterKey, spec.key.export({ type: 'pkcs8', format: 'der' }), `ca:${spec.name}`),
    crl_number: 0,
    not_before: summary.notBefore,
    not_after: summary.notAfter,
    created_at: createdAt,
  };
}

/**
 * The built-in certificate authorities: created on first start (development root and issuing
 * CA), then loaded with their keys unwrapped by the master key.
 */
export class CertificateAuthorities {
  private byName = new Map<string, Authority>();
  private readonly startHooks: Array<() => Promise<void>> = [];

  constructor(
    private readonly knex: Knex,
    private readonly clock: Clock,
    private readonly masterKey: Buffer,
    private readonly random: RandomSource,
    private readonly publicUrl: string,
  ) {}

  /**
   * Creates the development root and issuing CA if the database holds no CA, writes their
   * certificates to `certsDir`, and loads every CA. Returns true when it created them.
   */
  async ensureDevelopmentCa(certsDir: string | undefined): Promise<boolean> {
    const created = await this.knex.transaction(async (trx) => {
      // Two instances starting together on one PostgreSQL must not both create a CA.
      await trx.raw('select pg_advisory_xact_lock(7215001)');
      if ((await listCas(trx)).length > 0) return false;
      const rows = await this.createDevelopmentCa();
      await insertCas(trx, rows);
      await recordAudit(
        trx,
        this.clock,
        { principal: null, ip: null },
        rows.map((row) => ({
          action: 'ca.create',
          target: { type: 'ca', id: row.name },
          details: { subject: row.subject_dn, serial: row.serial, kind: row.kind },
        })),
      );
      return true;
    });
    await this.load();
    for (const hook of this.startHooks) await hook();
    if (certsDir) this.writeCertificates(certsDir);
    return created;
  }

  /** Registers start-up work that needs the loaded CAs (e.g. issuing OCSP responder certificates). */
  onStart(hook: () => Promise<void>): void {
    this.startHooks.push(hook);
  }

  private async createDevelopmentCa(): Promise<CaRow[]> {
    const now = this.clock.now();
    const rootKey = generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey;
    const issuingKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    const rootSigner = new KeyObjectSigner(rootKey);
    const issuingSigner = new KeyObjectSigner(issuingKey);
    const rootSubject = encodeName([
      { type: OID.countryName, value: 'VN' },
      { type: OID.organizationName, value: 'Kyso Development' },
      { type: OID.commonName, value: 'Kyso Dev Root CA' },
    ]);
    const issuingSubject = encodeName([
      { type: OID.countryName, value: 'VN' },
      { type: OID.organizationName, value: 'Kyso Development' },
      { type: OID.commonName, value: 'Kyso Dev Issuing CA' },
    ]);
    const rootKeyId = keyIdentifier(rootSigner.publicKeyInfo);
    const issuingKeyId = keyIdentifier(issuingSigner.publicKeyInfo);
    const caKeyUsage: ExtensionSpec = {
      oid: OID.keyUsage,
      critical: true,
      value: keyUsageValue([KeyUsageBit.digitalSignature, KeyUsageBit.keyCertSign, KeyUsageBit.cRLSign]),
    };
    const notBefore = new Date(now.getTime() - 60_000);
    const rootDer = await buildCertificate(
      {
        serialNumber: randomSerial(this.random),
        issuer: rootSubject,
        subject: rootSubject,
        notBefore,
        notAfter: new Date(notBefore.getTime() + 20 * YEAR_MS),
        subjectPublicKeyInfo: rootSigner.publicKeyInfo,
        extensions: [
          { oid: OID.basicConstraints, critical: true, value: basicConstraintsValue(true) },
          caKeyUsage,
          { oid: OID.subjectKeyIdentifier, critical: false, value: subjectKeyIdentifierValue(rootKeyId) },
        ],
      },
      rootSigner,
    );
    const issuingDer = await buildCertificate(
      {
        serialNumber: randomSerial(this.random),
        issuer: rootSubject,
        subject: issuingSubject,
        notBefore,
        notAfter: new Date(notBefore.getTime() + 10 * YEAR_MS),
        subjectPublicKeyInfo: issuingSigner.publicKeyInfo,
        extensions: [
          { oid: OID.basicConstraints, critical: true, value: basicConstraintsValue(true, 0) },
          caKeyUsage,
          { oid: OID.subjectKeyIdentifier, critical: false, value: subjectKeyIdentifierValue(issuingKeyId) },
          { oid: OID.authorityKeyIdentifier, critical: false, value: authorityKeyIdentifierValue(rootKeyId) },
          ...accessExtensions(this.publicUrl, DEV_ROOT, { ocsp: false }),
        ],
      },
      rootSigner,
    );
    const rootId = randomUUID();
    const row = (name: string, kind: CaRow['kind'], der: Buffer, key: KeyObject, keyId: Buffer, parentId: string | null, id = randomUUID()) =>
      authorityRow(this.masterKey, now, { id, name, kind, parentId, der, key, keyId });
    return [
      row(DEV_ROOT, 'root', rootDer, rootKey, rootKeyId, null, rootId),
      row(DEV_ISSUING, 'issuing', issuingDer, issuingKey, issuingKeyId, rootId),
    ];
  }

  /** (Re)loads every CA from the database and unwraps its key. */
  async load(): Promise<void> {
    const rows = await listCas(this.knex);
    const byId = new Map<string, Authority>();
    const byName = new Map<string, Authority>();
    for (const row of rows) {
      const key = createPrivateKey({
        key: unwrapKey(this.masterKey, row.wrapped_key, `ca:${row.name}`),
        format: 'der',
        type: 'pkcs8',
      });
      const authority: Authority = {
        row,
        name: row.name,
        kind: row.kind,
        certificateDer: Buffer.from(row.der),
        subjectDer: Buffer.from(row.subject_der),
        keyId: Buffer.from(row.key_id),
        signer: new KeyObjectSigner(key),
        parent: row.parent_id ? byId.get(row.parent_id) : undefined,
      };
      byId.set(row.id, authority);
      byName.set(row.name, authority);
    }
    this.byName = byName;
  }

  /** Every loaded CA (roots first). */
  all(): Authority[] {
    return [...this.byName.values()];
  }

  /** The CA named `name`; 404 when there is none. */
  get(name: string): Authority {
    const authority = this.byName.get(name);
    if (!authority) throw new NotFound(`no CA named ${name}`);
    return authority;
  }

  /** The CA that issues end-entity certificates. */
  issuing(): Authority {
    const authority = this.all().find((a) => a.kind === 'issuing');
    if (!authority) throw new Error('no issuing CA is configured');
    return authority;
  }

  /** The chain from `authority` up to its root, `authority` first. */
  chain(authority: Authority): Authority[] {
    const chain: Authority[] = [];
    for (let a: Authority | undefined = authority; a; a = a.parent) chain.push(a);
    return chain;
  }

  private writeCertificates(dir: string): void {
    mkdirSync(dir, { recursive: true });
    for (const authority of this.all()) {
      if (authority.kind !== 'root' && authority.kind !== 'issuing') continue;
      writeFileSync(path.join(dir, `${authority.name}.pem`), toPem(authority.certificateDer, 'CERTIFICATE'));
    }
    const issuing = this.all().find((a) => a.kind === 'issuing');
    if (issuing) {
      const bundle = this.chain(issuing).map((a) => toPem(a.certificateDer, 'CERTIFICATE'));
      writeFileSync(path.join(dir, 'chain.pem'), bundle.join(''));
    }
  }
}
