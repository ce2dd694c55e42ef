import { sign, type KeyObject } from 'node:crypto';
import { bitString, explicit, generalizedTime, implicitPrimitive, integer, NULL, octetString, oid, sequence, tlv, unsignedInteger, utcTime } from '../../src/pki/der.js';
import { children, raw, readBer } from '../../src/pki/der-reader.js';
import { issuerHashes } from '../../src/pki/ocsp.js';
import { OID } from '../../src/pki/oids.js';
import type { CertificateFacts } from '../../src/pki/verify/certificate-facts.js';

/**
 * Other PKIs' revocation data made by hand, well-formed and not, for the verifier's embedded
 * revocation path (CMS `crls`, RFC 5652 §10.2.1 and RFC 5940), which nothing signs.
 */

const ECDSA_SHA256 = sequence(oid(OID.ecdsaWithSHA256));
/** id-ri-ocsp-response (RFC 5940 §4.1). */
const OCSP_REVOCATION_INFO = '1.3.6.1.5.5.7.16.2';

/** A successful OCSPResponse around a BasicOCSPResponse's DER (RFC 6960 §4.2.1). */
const ocspResponse = (basic: Buffer): Buffer =>
  sequence(tlv(0x0a, Buffer.from([0])), explicit(0, sequence(oid(OID.ocspBasic), octetString(basic))));

/** A complete CRL of `issuer` revoking nothing, signed with its ECDSA key (RFC 5280 §5.1). */
export function signedCrl(issuer: CertificateFacts, key: KeyObject, thisUpdate: Date, nextUpdate: Date): Buffer {
  const tbs = sequence(integer(1), ECDSA_SHA256, issuer.subjectDer, utcTime(thisUpdate), utcTime(nextUpdate));
  return sequence(tbs, ECDSA_SHA256, bitString(sign('sha256', tbs, key)));
}

/** A basic OCSP response saying `cert` is good, signed by `issuer`'s ECDSA key and carrying its certificate. */
export function signedOcspResponse(cert: CertificateFacts, issuer: CertificateFacts, key: KeyObject, thisUpdate: Date, nextUpdate: Date): Buffer {
  const { nameHash, keyHash } = issuerHashes('sha1', cert.issuerDer, issuer.publicKeyInfo);
  const certId = sequence(sequence(oid(OID.sha1), NULL), octetString(nameHash), octetString(keyHash), unsignedInteger(cert.serialBytes));
  const good = implicitPrimitive(0, Buffer.alloc(0));
  const single = sequence(certId, good, generalizedTime(thisUpdate), explicit(0, generalizedTime(nextUpdate)));
  const responseData = sequence(explicit(1, issuer.subjectDer), generalizedTime(thisUpdate), sequence(single));
  return ocspResponse(sequence(responseData, ECDSA_SHA256, bitString(sign('sha256', responseData, key)), explicit(0, sequence(issuer.der))));
}

/**
 * Revocation data malformed where the verifier once answered 500: CRLs whose crlExtensions [0] is
 * empty or whose RSASSA-PSS parameters cannot be read, and OCSP responses whose certs [0] is empty
 * or that hold no ResponseData.
 */
export function malformedRevocationData(issuerName: Buffer, at: Date): { crls: Buffer[]; ocspResponses: Buffer[] } {
  const crl = (signatureAlgorithm: Buffer, ...rest: Buffer[]) =>
    sequence(sequence(integer(1), signatureAlgorithm, issuerName, utcTime(at), ...rest), signatureAlgorithm, bitString(Buffer.alloc(64)));
  const badPss = sequence(oid(OID.rsassaPss), sequence(explicit(0)));
  const responseData = sequence(explicit(1, issuerName), generalizedTime(at), sequence());
  return {
    crls: [crl(ECDSA_SHA256, explicit(0)), crl(badPss)],
    ocspResponses: [ocspResponse(sequence(responseData, ECDSA_SHA256, bitString(Buffer.alloc(64)), explicit(0))), ocspResponse(sequence())],
  };
}

/** `cms` (a DER ContentInfo of SignedData) with `data` in its `crls` field, as anyone holding the signature can put it. */
export function withRevocationData(cms: Buffer, data: { crls: readonly Buffer[]; ocspResponses: readonly Buffer[] }): Buffer {
  const [type, content] = children(readBer(cms));
  const fields = children(children(content!)[0]!).filter((field) => field.tag !== 0xa1);
  const revocationInfo = tlv(0xa1, ...data.crls, ...data.ocspResponses.map((der) => tlv(0xa1, oid(OCSP_REVOCATION_INFO), der)));
  const signerInfos = fields.pop()!;
  return sequence(raw(type!), explicit(0, sequence(...fields.map(raw), revocationInfo, raw(signerInfos))));
}
