import { randomUUID, type KeyObject } from 'node:crypto';
import type { Knex } from 'knex';
import { recordAudit } from '../audit/audit.js';
import type { Actor } from '../auth/principal.js';
import { addYears, type Clock } from '../clock.js';
import { insertCas, type CaRow } from '../db/ca-repo.js';
import { deleteCaKeyRequest, findCaKeyRequests, insertCaKeyRequest } from '../db/ca-requests-repo.js';
import { listTrustAnchors } from '../db/trust-anchors-repo.js';
import { checkAnchorKey } from '../certificates/key-policy.js';
import { Conflict, Refused } from '../errors.js';
import type { KeyVault } from '../keys/vault.js';
import { encodeCsr } from '../pki/csr.js';
import { decodeName, encodeName, firstValue, formatName } from '../pki/name.js';
import { OID } from '../pki/oids.js';
import { derFromPemOrDer, parsePemBlocks } from '../pki/pem.js';
import { randomSerial, type RandomSource } from '../pki/serial.js';
import { readCertificate, verifyCertificateSignature, type ReadCertificate } from '../pki/x509-reader.js';
import { slug } from '../shared/slug.js';
import { authorityRow, issueSubordinateCa, type Authority, type CertificateAuthorities } from './authorities.js';

/** A URL-safe CA name (it appears in /pki/ca/:name and /pki/crl/:name.crl). */
const CA_NAME = /^[a-z0-9][a-z0-9-]{1,62}$/;

/**
 * The operator's CA work (`kyso ca …`): a new issuing CA key and its CSR for an external root, the
 * certificate that root signed installed after checking it, and a rollover to a new issuing CA
 * under kyso's own root. Each adds a CA; the older ones keep answering CRL and OCSP for what they
 * issued, and `issuing()` moves to the newest at once.
 */
export class CaOperations {
  constructor(
    private readonly knex: Knex,
    private readonly clock: Clock,
    private readonly authorities: CertificateAuthorities,
    private readonly vault: KeyVault,
    private readonly random: RandomSource,
    private readonly publicUrl: string,
  ) {}

  /**
   * Generates the key of a new issuing CA (in the PKCS#11 token when one is configured), keeps it
   * sealed under `name` until its certificate comes back, and returns the PKCS#10 request (DER).
   */
  async exportCsr(actor: Actor, input: { name: string; commonName: string; organization: string; country: string }): Promise<Buffer> {
    await this.assertFreeName(input.name);
    if (!/^[A-Z]{2}$/.test(input.country)) throw new Refused('the country must be two capital letters (ISO 3166), e.g. VN');
    const subjectDer = encodeName([
      { type: OID.countryName, value: input.country },
      { type: OID.organizationName, value: input.organization },
      { type: OID.commonName, value: input.commonName },
    ]);
    return this.vault.withNewServiceKeys(async (generate) => {
      const key = await generate('P-256');
      const csr = await encodeCsr(subjectDer, key.signer);
      await conflictIfNameTaken([input.name], () =>
        this.knex.transaction(async (trx) => {
          await insertCaKeyRequest(trx, {
            name: input.name,
            subject_der: subjectDer,
            public_key_info: Buffer.from(key.signer.publicKeyInfo),
            wrapped_key: key.seal(input.name),
            csr,
            created_at: this.clock.now(),
          });
          await recordAudit(trx, this.clock, actor, { action: 'ca.csr-export', target: { type: 'ca', id: input.name }, details: { commonName: input.commonName } });
        }),
      );
      return csr;
    });
  }

  /**
   * Installs the certificate an external CA signed for a key from `exportCsr`: it must be a CA
   * certificate for exactly that key, valid now, and chain (through the other certificates in
   * the file, if any) to a configured trust anchor. The anchor and intermediates become CAs
   * without a key; the new CA issues from now on and publishes the whole chain.
   */
  async importCertificate(actor: Actor, file: Buffer): Promise<Authority> {
    const certificates = readCertificates(file);
    const requests = await findCaKeyRequests(this.knex);
    const match = certificates
      .map((cert) => ({ cert, request: requests.find((r) => Buffer.from(r.public_key_info).equals(cert.publicKeyInfo)) }))
      .find((m) => m.request);
    if (!match) throw new Refused('no certificate in the file is for a key made by `kyso ca export-csr` (or it was installed already)');
    const { cert, request } = match as { cert: ReadCertificate; request: NonNullable<(typeof match)['request']> };
    if (!cert.isCa) throw new Refused('the certificate is not a CA certificate (basicConstraints cA is not set)');
    const now = this.clock.now();
    if (cert.notBefore > now || cert.notAfter <= now) throw new Refused(`the certificate is valid from ${cert.notBefore.toISOString()} to ${cert.notAfter.toISOString()}, not now`);
    const path = await this.chainToAnchor(cert, certificates.filter((c) => c !== cert));
    const rows: CaRow[] = [];
    const existing = this.authorities.all();
    let parentId: string | null = null;
    // From the anchor down: each CA above the new one is recorded once, without a key.
    for (const [i, above] of [...path].reverse().entries()) {
      const known = existing.find((a) => a.certificateDer.equals(above.der));
      if (known) {
        parentId = known.row.id;
        continue;
      }
      const id = randomUUID();
      const name = externalName(above, [...existing.map((a) => a.name), ...rows.map((r) => r.name)]);
      rows.push(authorityRow(now, { id, name, kind: i === 0 ? 'root' : 'issuing', parentId, der: above.der, key: null }));
      parentId = id;
    }
    rows.push(authorityRow(now, { id: randomUUID(), name: request.name, kind: 'issuing', parentId, der: cert.der, key: request.wrapped_key }));
    await conflictIfNameTaken(
      rows.map((r) => r.name),
      () =>
        this.knex.transaction(async (trx) => {
          await insertCas(trx, rows);
          await deleteCaKeyRequest(trx, request.name);
          await recordAudit(
            trx,
            this.clock,
            actor,
            rows.map((row) => ({
              action: row.wrapped_key ? 'ca.certificate-import' : 'ca.external-add',
              target: { type: 'ca', id: row.name },
              details: { subject: row.subject_dn, serial: row.serial, issuer: formatName(readCertificate(row.der).issuer) },
            })),
          );
        }),
    );
    await this.authorities.load();
    return this.authorities.get(request.name);
  }

  /**
   * Rollover: a new issuing CA key and certificate under the same root as the current issuing
   * CA, which issues from now on. The old CA keeps signing CRLs and OCSP answers for its
   * certificates until the last of them expires.
   */
  async rollover(actor: Actor, input: { name?: string } = {}): Promise<Authority> {
    const current = this.authorities.issuing();
    const parent = current.parent;
    if (!parent || !parent.hasKey) {
      throw new Conflict(
        `the issuing CA ${current.name} is under the external CA ${parent?.name ?? '(none)'}: make a new key with \`kyso ca export-csr\` and install the certificate its root signs with \`kyso ca import-certificate\``,
      );
    }
    const generation = this.authorities.all().filter((a) => a.kind === 'issuing' && a.parent === parent).length + 1;
    const base = current.name.replace(/-g\d+$/, '');
    const name = input.name ?? `${base}-g${generation}`;
    await this.assertFreeName(name);
    const attributes = decodeName(current.subjectDer);
    const commonName = (firstValue(attributes, OID.commonName) ?? current.name).replace(/ G\d+$/, '');
    const subjectDer = encodeName(attributes.map((a) => (a.type === OID.commonName ? { ...a, value: `${commonName} G${generation}` } : a)));
    await this.vault.withNewServiceKeys(async (generate) => {
      const key = await generate('P-256');
      const now = this.clock.now();
      // A minute back for clock skew, but after the current CA's start: `issuing()` takes the newest.
      const notBefore = new Date(Math.max(now.getTime() - 60_000, current.row.not_before.getTime() + 1000));
      const der = await issueSubordinateCa(parent, {
        subjectDer,
        publicKeyInfo: key.signer.publicKeyInfo,
        serialNumber: randomSerial(this.random),
        publicUrl: this.publicUrl,
        notBefore,
        notAfter: new Date(Math.min(addYears(notBefore, 10).getTime(), parent.row.not_after.getTime())),
      });
      const row = authorityRow(now, { id: randomUUID(), name, kind: 'issuing', parentId: parent.row.id, der, key });
      await conflictIfNameTaken([name], () =>
        this.knex.transaction(async (trx) => {
          await insertCas(trx, [row]);
          await recordAudit(trx, this.clock, actor, {
            action: 'ca.rollover',
            target: { type: 'ca', id: name },
            details: { subject: row.subject_dn, serial: row.serial, previous: current.name, notAfter: row.not_after.toISOString() },
          });
        }),
      );
    });
    await this.authorities.load();
    return this.authorities.get(name);
  }

  /** The certificates from `cert`'s issuer up to a trust anchor (the anchor last); 422 when there is no such chain. */
  private async chainToAnchor(cert: ReadCertificate, others: ReadCertificate[]): Promise<ReadCertificate[]> {
    const anchors = (await listTrustAnchors(this.knex)).map((a) => readCertificate(a.der));
    const path: ReadCertificate[] = [];
    let current = cert;
    for (let depth = 0; depth < 5; depth++) {
      const signedBy = async (candidates: ReadCertificate[]) => {
        for (const c of candidates) {
          if (!c.subjectDer.equals(current.issuerDer)) continue;
          let key: KeyObject;
          try {
            key = checkAnchorKey(c.publicKeyInfo);
          } catch {
            continue; // a key Node cannot parse (#13), or one outside the key policy, signs nothing here
          }
          if (await verifyCertificateSignature(current, key)) return c;
        }
        return undefined;
      };
      const anchor = await signedBy(anchors);
      if (anchor) return [...path, anchor];
      const next = await signedBy(others.filter((o) => o.isCa && !path.includes(o)));
      if (!next) break;
      path.push(next);
      current = next;
    }
    throw new Refused('the certificate does not chain to a configured trust anchor: add the external root with POST /api/v1/trust-anchors first');
  }

  private async assertFreeName(name: string): Promise<void> {
    if (!CA_NAME.test(name)) throw new Refused('a CA name is 2–63 lowercase letters, digits and hyphens');
    const pending = await findCaKeyRequests(this.knex);
    if (this.authorities.all().some((a) => a.name === name) || pending.some((r) => r.name === name)) throw new Conflict(`a CA named ${name} exists already`);
  }
}

/** `external-<common name>` as a slug, made unique among `taken`. */
function externalName(cert: ReadCertificate, taken: string[]): string {
  const base = `external-${slug(firstValue(cert.subject, OID.commonName) ?? 'ca')}`.slice(0, 56);
  let name = base;
  for (let n = 2; taken.includes(name); n++) name = `${base}-${n}`;
  return name;
}

/**
 * Runs `insert` (a transaction adding CAs or a pending key named `names`), turning a unique
 * violation into a 409: another operator's CA of the same name committed after `assertFreeName` looked.
 */
async function conflictIfNameTaken<T>(names: string[], insert: () => Promise<T>): Promise<T> {
  try {
    return await insert();
  } catch (err) {
    if ((err as { code?: string }).code === '23505') throw new Conflict(`a CA named ${names.join(' or ')} exists already`, undefined, { cause: err });
    throw err;
  }
}

/** Every certificate in a PEM file (several blocks) or a DER file. */
function readCertificates(file: Buffer): ReadCertificate[] {
  const text = file.toString('latin1');
  const blocks = text.includes('-----BEGIN') ? parsePemBlocks(text).filter((b) => b.label === 'CERTIFICATE').map((b) => b.der) : [derFromPemOrDer(file, ['CERTIFICATE'])];
  const ders = blocks.filter((d): d is Buffer => Boolean(d));
  if (ders.length === 0) throw new Refused('the file holds no certificate (PEM or DER)');
  try {
    return ders.map((d) => readCertificate(d));
  } catch (err) {
    throw new Refused(`the file holds something that is not an X.509 certificate: ${(err as Error).message}`);
  }
}

