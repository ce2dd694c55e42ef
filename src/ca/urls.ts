import { implicitPrimitive, oid, sequence, explicit, implicitConstructed } from '../pki/der.js';
import type { ExtensionSpec } from '../pki/extensions.js';
import { OID } from '../pki/oids.js';

/** The public URLs of a CA's artifacts under the service's base URL. */
export function caUrls(publicUrl: string, caName: string): { crl: string; ocsp: string; caIssuers: string } {
  return {
    crl: `${publicUrl}/pki/crl/${caName}.crl`,
    ocsp: `${publicUrl}/pki/ocsp`,
    caIssuers: `${publicUrl}/pki/ca/${caName}.crt`,
  };
}

/**
 * CRL distribution point (RFC 5280 §4.2.1.13) and authority information access (§4.2.2.1)
 * extensions for a certificate issued by `caName`.
 */
export function accessExtensions(publicUrl: string, caName: string, options: { ocsp: boolean }): ExtensionSpec[] {
  const urls = caUrls(publicUrl, caName);
  const uri = (u: string) => implicitPrimitive(6, Buffer.from(u, 'latin1')); // GeneralName uniformResourceIdentifier
  // DistributionPoint { distributionPoint [0] { fullName [0] GeneralNames } }
  const crlDp = sequence(sequence(explicit(0, implicitConstructed(0, uri(urls.crl)))));
  const aia = sequence(
    ...(options.ocsp ? [sequence(oid(OID.adOcsp), uri(urls.ocsp))] : []),
    sequence(oid(OID.adCaIssuers), uri(urls.caIssuers)),
  );
  return [
    { oid: OID.crlDistributionPoints, critical: false, value: crlDp },
    { oid: OID.authorityInfoAccess, critical: false, value: aia },
  ];
}

