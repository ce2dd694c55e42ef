import { accessExtensions as encodeAccessExtensions, type ExtensionSpec } from '../pki/extensions.js';

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
  const { ocsp, ...urls } = caUrls(publicUrl, caName);
  return encodeAccessExtensions(options.ocsp ? { ...urls, ocsp } : urls);
}
