import { createPublicKey, randomUUID } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Knex } from 'knex';
import { addYears, type Clock } from '../clock.js';
import { recordAudit } from '../audit/audit.js';
import { countCas, insertCas, listCas, type CaRow } from '../db/ca-repo.js';
import { buildCertificate } from '../pki/certificate.js';
import {
  authorityKeyIdentifierValue,
  basicConstraintsValue,
  keyIdentifier,
  keyUsageValue,
  KeyUsageBit,
  subjectKeyIdentifierValue,
  type ExtensionSpec,
} from '../pki/extensions.js';
import { oid, sequence } from '../pki/der.js';
import { encodeName, formatName } from '../pki/name.js';
import { OID } from '../pki/oids.js';
import { toPem } from '../pki/pem.js';
import { randomSerial, type RandomSource } from '../pki/serial.js';
import { algorithmForKey, type Signer } from '../pki/signer.js';
import { readCertificate } from '../pki/x509-reader.js';
import type { KeyVault, NewServiceKey, ServiceKeyMaker, StoredKey } from '../keys/vault.js';
import { NotFound } from '../errors.js';
import { createOnce } from './create-once.js';
import { accessExtensions } from './urls.js';

/** A loaded CA: its stored row, certificate and a signer over its key (from the vault). */
export interface Authority {
  readonly row: CaRow;
  readonly name: string;
  readonly kind: CaRow['kind'];
  readonly certificateDer: Buffer;
  readonly subjectDer: Buffer;
  readonly keyId: Buffer;
  /** Signs with the CA's key; throws for an external CA (`hasKey` false), whose key kyso never held. */
  readonly signer: Signer;
  /** False for an external CA (the root above an imported issuing CA). */
  readonly hasKey: boolean;
  readonly parent: Authority | undefined;
}

const DEV_ROOT = 'dev-root';
/**
 * anyPolicy on kyso's CA certificates lets every end-entity policy through explicit policy
 * validation (`openssl verify -policy_check -explicit_policy`, NSS `vfychain -pp`, Java PKIX; RFC 5280 §6.1).
 */
const CA_POLICIES: ExtensionSpec = { oid: OID.certificatePolicies, critical: false, value: sequence(sequence(oid(OID.anyPolicy))) };
const CA_KEY_USAGE: ExtensionSpec = {
  oid: OID.keyUsage,
  critical: true,
  value: keyUsageValue([KeyUsageBit.digitalSignature, KeyUsageBit.keyCertSign, KeyUsageBit.cRLSign]),
};
const DEV_ISSUING = 'dev-issuing';

/**
 * A `certificate_authorities` row for a CA or service identity (OCSP, TSA, audit): a new key is
 * sealed by the vault under the row's name; `null` for an external CA whose key kyso never holds.
 */
export function authorityRow(
  createdAt: Date,
  spec: { id: string; name: string; kind: CaRow['kind']; parentId: string | null; der: Buffer; key: NewServiceKey | StoredKey | null },
): CaRow {
  const cert = readCertificate(spec.der);
  return {
    id: spec.id,
    name: spec.name,
    kind: spec.kind,
    parent_id: spec.parentId,
    subject_dn: formatName(cert.subject),
    serial: cert.serial,
    der: spec.der,
    subject_der: cert.subjectDer,
    key_id: keyIdentifier(cert.publicKeyInfo),
    wrapped_key: spec.key && 'seal' in spec.key ? spec.key.seal(spec.name) : spec.key,
    crl_number: 0,
    not_before: cert.notBefore,
    not_after: cert.notAfter,
    created_at: createdAt,
  };
}

/**
 * The built-in certificate authorities: created on first start (development root and issuing
 * CA), then loaded with signers over their keys from the vault.
 */
export class CertificateAuthorities {
  private byName = new Map<string, Authority>();
  private checkedAt = 0;
  /** Grows at every load, so caches built over the CAs (OCSP issuer index) know to rebuild. */
  version = 0;

  constructor(
    private readonly knex: Knex,
    private readonly clock: Clock,
    private readonly vault: KeyVault,
    private readonly random: RandomSource,
    private readonly publicUrl: string,
  ) {}

  /**
   * Creates the development root and issuing CA if the database holds no CA, and loads every CA.
   * Returns true when it created them. Two instances starting together on one PostgreSQL must not
   * both create a CA: both may make one, outside any transaction, but only the first stores it (`createOnce`).
   */
  async ensureDevelopmentCa(): Promise<boolean> {
    const { created } = await createOnce({ knex: this.knex, vault: this.vault }, 7215001, {
      find: async (db) => ((await countCas(db)) > 0 ? true : undefined),
      make: (generate) => this.createDevelopmentCa(generate),
      store: async (trx, rows) => {
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
      },
    });
    await this.load();
    return created;
  }

  private async createDevelopmentCa(generate: ServiceKeyMaker): Promise<CaRow[]> {
    const now = this.clock.now();
    const rootKey = await generate('P-384');
    const issuingKey = await generate('P-256');
    const rootSigner = rootKey.signer;
    const issuingSigner = issuingKey.signer;
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
    const notBefore = new Date(now.getTime() - 60_000);
    const rootDer = await buildCertificate(
      {
        serialNumber: randomSerial(this.random),
        issuer: rootSubject,
        subject: rootSubject,
        notBefore,
        notAfter: addYears(notBefore, 20),
        subjectPublicKeyInfo: rootSigner.publicKeyInfo,
        extensions: [
          { oid: OID.basicConstraints, critical: true, value: basicConstraintsValue(true) },
          CA_KEY_USAGE,
          { oid: OID.subjectKeyIdentifier, critical: false, value: subjectKeyIdentifierValue(rootKeyId) },
          CA_POLICIES,
        ],
      },
      rootSigner,
    );
    const issuingDer = await issueSubordinateCa(
      { name: DEV_ROOT, subjectDer: rootSubject, keyId: rootKeyId, signer: rootSigner },
      {
        subjectDer: issuingSubject,
        publicKeyInfo: issuingSigner.publicKeyInfo,
        serialNumber: randomSerial(this.random),
        notBefore,
        notAfter: addYears(notBefore, 10),
        publicUrl: this.publicUrl,
      },
    );
    const rootId = randomUUID();
    const row = (name: string, kind: CaRow['kind'], der: Buffer, key: NewServiceKey, parentId: string | null, id = randomUUID()) =>
      authorityRow(now, { id, name, kind, parentId, der, key });
    return [
      row(DEV_ROOT, 'root', rootDer, rootKey, null, rootId),
      row(DEV_ISSUING, 'issuing', issuingDer, issuingKey, rootId),
    ];
  }

  /**
   * (Re)loads every CA from the database and opens its key in the vault; the key of a service
   * identity past its notAfter only when something signs with it after all (`signerOf`).
   */
  async load(db: Knex = this.knex): Promise<void> {
    const rows = await listCas(db);
    const now = this.clock.now().getTime();
    const byId = new Map<string, Authority>();
    const byName = new Map<string, Authority>();
    for (const row of rows) {
      const authority: Authority = {
        row,
        name: row.name,
        kind: row.kind,
        certificateDer: Buffer.from(row.der),
        subjectDer: Buffer.from(row.subject_der),
        keyId: Buffer.from(row.key_id),
        signer: this.signerOf(row, now),
        hasKey: row.wrapped_key !== null,
        parent: row.parent_id ? byId.get(row.parent_id) : undefined,
      };
      byId.set(row.id, authority);
      byName.set(row.name, authority);
    }
    this.byName = byName;
    this.version++;
  }

  /**
   * The signer over a row's key. An OCSP responder, TSA or audit key past its notAfter signs
   * nothing any more (a new one took over; old time-stamps and audit checkpoints are verified
   * with certificates, not keys), so its key is opened only at a first signature, if any: a reload
   * does not unwrap or look up in the token every service key ever made. Root and issuing CAs
   * open at once (their keys keep signing CRLs and OCSP for what they issued).
   */
  private signerOf(row: CaRow, now: number): Signer {
    const stored = row.wrapped_key;
    if (!stored) return certificateSigner(row);
    const open = () => this.vault.openServiceKey(stored, row.name);
    if (row.kind === 'root' || row.kind === 'issuing' || row.not_after.getTime() > now) return open();
    let opened: Signer | undefined;
    return certificateSigner(row, (data) => (opened ??= open()).sign(data));
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

  /**
   * The CA named `name`, looking in the database once more when this process does not know the
   * name (another process's rollover or import may have added it since the last reload); 404
   * when there is none. For requests that name a CA (/pki/ca/:name, /pki/crl/:name.crl).
   */
  async find(name: string): Promise<Authority> {
    if (!this.byName.has(name)) await this.refresh(this.knex, 0);
    return this.get(name);
  }

  /**
   * The CA that issues end-entity certificates now: of the issuing CAs whose key kyso holds and
   * that are within their validity, the newest (a rollover or an imported sub-CA takes over at
   * once; the older ones keep signing CRLs and OCSP answers for what they issued).
   */
  issuing(): Authority {
    const now = this.clock.now().getTime();
    const candidates = this.all().filter((a) => a.kind === 'issuing' && a.hasKey);
    const current = candidates
      .filter((a) => a.row.not_before.getTime() <= now && now < a.row.not_after.getTime())
      .sort((a, b) => b.row.not_before.getTime() - a.row.not_before.getTime() || b.row.created_at.getTime() - a.row.created_at.getTime())[0];
    const authority = current ?? candidates[0];
    if (!authority) throw new Error('no issuing CA is configured');
    return authority;
  }

  /**
   * Reloads the CAs when another process (the CLI's rollover or import, another instance) added
   * one; checks at most every `intervalMs`, so the hot paths can call it freely. Inside a
   * transaction pass it: the embedded database has one connection, which the transaction holds.
   */
  async refresh(db: Knex = this.knex, intervalMs = 2000): Promise<void> {
    const now = this.clock.now().getTime();
    // A clock set back (a test's, an NTP step) checks at once rather than after the gap.
    if (now >= this.checkedAt && now - this.checkedAt < intervalMs) return;
    this.checkedAt = now;
    const count = await countCas(db);
    if (count !== this.byName.size) await this.load(db);
  }

  /** The chain from `authority` up to its root, `authority` first. */
  chain(authority: Authority): Authority[] {
    const chain: Authority[] = [];
    for (let a: Authority | undefined = authority; a; a = a.parent) chain.push(a);
    return chain;
  }

  /**
   * Writes the root and issuing CA certificates and `chain.pem` to `dir`. A file that already
   * holds something else (another database's CA) is never replaced: it is returned instead, so
   * that `openssl verify -CAfile chain.pem` keeps working for whoever wrote it first. Each file
   * appears whole or not at all (written aside, then linked into place, which fails if it exists).
   */
  writeCertificates(dir: string): { kept: string[] } {
    mkdirSync(dir, { recursive: true });
    const files = new Map<string, string>();
    for (const authority of this.all()) {
      if (authority.kind !== 'root' && authority.kind !== 'issuing') continue;
      files.set(`${authority.name}.pem`, toPem(authority.certificateDer, 'CERTIFICATE'));
    }
    const issuing = this.all().find((a) => a.kind === 'issuing');
    if (issuing) files.set('chain.pem', this.chain(issuing).map((a) => toPem(a.certificateDer, 'CERTIFICATE')).join(''));
    const kept: string[] = [];
    for (const [name, content] of files) {
      const target = path.join(dir, name);
      const aside = path.join(dir, `.${name}.${process.pid}.${randomUUID()}`);
      writeFileSync(aside, content);
      try {
        linkSync(aside, target);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        if (readFileSync(target, 'utf8') !== content) kept.push(target);
      } finally {
        unlinkSync(aside);
      }
    }
    return { kept };
  }
}

/**
 * The certificate of an issuing CA under `parent` (pathLen 0: it signs end entities only), with
 * the parent's CRL and CA-issuer URLs: the development issuing CA, and each one a rollover makes.
 */
export async function issueSubordinateCa(
  parent: Pick<Authority, 'name' | 'subjectDer' | 'keyId' | 'signer'>,
  spec: { subjectDer: Buffer; publicKeyInfo: Uint8Array; serialNumber: Uint8Array; notBefore: Date; notAfter: Date; publicUrl: string },
): Promise<Buffer> {
  return buildCertificate(
    {
      serialNumber: spec.serialNumber,
      issuer: parent.subjectDer,
      subject: spec.subjectDer,
      notBefore: spec.notBefore,
      notAfter: spec.notAfter,
      subjectPublicKeyInfo: spec.publicKeyInfo,
      extensions: [
        { oid: OID.basicConstraints, critical: true, value: basicConstraintsValue(true, 0) },
        CA_KEY_USAGE,
        { oid: OID.subjectKeyIdentifier, critical: false, value: subjectKeyIdentifierValue(keyIdentifier(spec.publicKeyInfo)) },
        { oid: OID.authorityKeyIdentifier, critical: false, value: authorityKeyIdentifierValue(parent.keyId) },
        CA_POLICIES,
        // The parent's responder answers for this CA (api.md "Public PKI endpoints").
        ...accessExtensions(spec.publicUrl, parent.name, { ocsp: true }),
      ],
    },
    parent.signer,
  );
}

/**
 * A signer whose public half comes from the row's certificate: signing goes to `sign` (a key
 * opened when first needed), or is refused for an external CA, whose key kyso does not hold.
 */
function certificateSigner(row: CaRow, sign?: (data: Uint8Array) => Promise<Uint8Array>): Signer {
  const publicKey = createPublicKey({ key: readCertificate(row.der).publicKeyInfo, format: 'der', type: 'spki' });
  return {
    algorithm: algorithmForKey(publicKey),
    publicKeyInfo: publicKey.export({ type: 'spki', format: 'der' }),
    sign: sign ?? (() => Promise.reject(new Error(`kyso does not hold the key of the external CA ${row.name}`))),
  };
}
