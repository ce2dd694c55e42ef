import { createHash, type KeyObject } from 'node:crypto';
import { serialHex } from '../certificate.js';
import { subjectPublicKeyBits } from '../extensions.js';
import { readNameAttributes } from '../der-reader.js';
import { formatName } from '../name.js';
import { OID } from '../oids.js';
import { publicKeyOf, readAlgorithm, type AlgorithmIdentifier } from './algorithms.js';
import {
  children,
  childrenOf,
  content,
  DerError,
  expectTag,
  integerBytes,
  octets,
  raw,
  readOid,
  readTime,
  readTlv,
  smallInteger,
  type Tlv,
} from './der-reader.js';

/** What the verifier needs from a certificate, read once and cached by fingerprint. */
export interface CertificateFacts {
  readonly der: Buffer;
  /** SHA-256 of the DER, lowercase hex. */
  readonly fingerprint: string;
  readonly tbs: Buffer;
  readonly signatureAlgorithm: AlgorithmIdentifier;
  readonly signature: Buffer;
  /** Lowercase hex without leading zeros (api.md "Certificates"). */
  readonly serial: string;
  readonly serialBytes: Buffer;
  readonly issuerDer: Buffer;
  readonly subjectDer: Buffer;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly spki: Buffer;
  readonly isCa: boolean;
  readonly pathLength?: number;
  /** KeyUsage bits (RFC 5280 §4.2.1.3 numbering), when the extension is present. */
  readonly keyUsage?: ReadonlySet<number>;
  readonly subjectKeyId?: Buffer;
  readonly authorityKeyId?: Buffer;
  /** Extended key usage purposes, when the extension is present. */
  readonly extKeyUsage?: readonly string[];
  /** The public key, or undefined when node:crypto cannot use it. */
  readonly publicKey: KeyObject | undefined;
  /** Subject DN, formatted as kyso prints names. */
  readonly subjectDn: string;
  readonly issuerDn: string;
  /** UID attribute values of the subject (0.9.2342.19200300.100.1.1), in order. */
  readonly uids: readonly string[];
}

const cache = new Map<string, CertificateFacts>();
const CACHE_LIMIT = 20_000;

/** Reads a DER certificate (cached by its SHA-256, so a signer seen before costs one hash). Throws DerError. */
export function certificateFacts(der: Buffer): CertificateFacts {
  const fingerprint = createHash('sha256').update(der).digest('hex');
  const known = cache.get(fingerprint);
  if (known) return known;
  const facts = readCertificate(Buffer.from(der), fingerprint);
  if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value!);
  cache.set(fingerprint, facts);
  return facts;
}

function readCertificate(der: Buffer, fingerprint: string): CertificateFacts {
  const outer = readTlv(der);
  if (outer.end !== der.length) throw new DerError('trailing bytes after the certificate');
  const [tbsTlv, algorithm, signatureTlv] = childrenOf(outer, 0x30, 'a Certificate');
  const fields = childrenOf(tbsTlv!, 0x30, 'a TBSCertificate');
  let i = fields[0]?.tag === 0xa0 ? 1 : 0;
  const serialTlv = fields[i++];
  i++; // signature AlgorithmIdentifier inside the TBS (must equal the outer one; the signature covers it)
  const issuer = expectTag(fields[i++], 0x30, 'an issuer Name');
  const [notBefore, notAfter] = childrenOf(fields[i++]!, 0x30, 'a Validity');
  const subject = expectTag(fields[i++], 0x30, 'a subject Name');
  const spki = expectTag(fields[i++], 0x30, 'a SubjectPublicKeyInfo');
  const extensions = fields.slice(i).find((f) => f.tag === 0xa3);
  const signatureBits = content(expectTag(signatureTlv, 0x03, 'a signature BIT STRING'));
  const serialBytes = integerBytes(serialTlv);
  const subjectAttributes = readNameAttributes(der, subject);
  const facts: Omit<CertificateFacts, 'publicKey' | 'subjectDn' | 'issuerDn' | 'uids'> = {
    der,
    fingerprint,
    tbs: raw(tbsTlv!),
    signatureAlgorithm: readAlgorithm(algorithm),
    signature: signatureBits.subarray(1),
    serial: serialHex(serialBytes),
    serialBytes,
    issuerDer: raw(issuer),
    subjectDer: raw(subject),
    notBefore: readTime(notBefore),
    notAfter: readTime(notAfter),
    spki: raw(spki),
    isCa: false,
    ...(extensions ? readExtensions(extensions) : {}),
  };
  return {
    ...facts,
    publicKey: publicKeyOf(facts.spki),
    subjectDn: formatName(subjectAttributes),
    issuerDn: formatName(readNameAttributes(der, issuer)),
    uids: subjectAttributes.filter((a) => a.type === OID.userId).map((a) => a.value),
  };
}

type ExtensionFacts = Pick<
  CertificateFacts,
  'isCa' | 'pathLength' | 'keyUsage' | 'subjectKeyId' | 'authorityKeyId' | 'extKeyUsage'
>;

function readExtensions(wrapper: Tlv): Partial<ExtensionFacts> {
  const out: { -readonly [K in keyof ExtensionFacts]?: ExtensionFacts[K] } = {};
  const [list] = children(wrapper);
  for (const extension of childrenOf(list!, 0x30, 'Extensions')) {
    const parts = children(extension);
    const id = readOid(parts[0]);
    const value = readTlv(octets(expectTag(parts[parts.length - 1], 0x04, 'an extnValue')));
    switch (id) {
      case OID.basicConstraints: {
        const items = children(value);
        out.isCa = items[0]?.tag === 0x01 && content(items[0])[0] !== 0;
        const length = items.find((t) => t.tag === 0x02);
        if (length) out.pathLength = smallInteger(length);
        break;
      }
      case OID.keyUsage: {
        const bytes = content(expectTag(value, 0x03, 'a KeyUsage BIT STRING')).subarray(1);
        const bits = new Set<number>();
        bytes.forEach((byte, n) => {
          for (let b = 0; b < 8; b++) if (byte & (0x80 >> b)) bits.add(n * 8 + b);
        });
        out.keyUsage = bits;
        break;
      }
      case OID.subjectKeyIdentifier:
        out.subjectKeyId = octets(expectTag(value, 0x04, 'a SubjectKeyIdentifier'));
        break;
      case OID.authorityKeyIdentifier: {
        const keyId = children(value).find((t) => t.tag === 0x80);
        if (keyId) out.authorityKeyId = content(keyId);
        break;
      }
      case OID.extKeyUsage:
        out.extKeyUsage = children(value).map(readOid);
        break;
    }
  }
  return out;
}

/** The key identifier a SignerIdentifier may name: the SKI extension, else RFC 5280 method 1 over the key. */
export function keyIdOf(cert: CertificateFacts): Buffer {
  return cert.subjectKeyId ?? createHash('sha1').update(subjectPublicKeyBits(cert.spki)).digest();
}
