import { randomBytes } from 'node:crypto';
import { encodeExtension } from '../src/pki/extensions.js';
import { explicit, octetString, sequence } from '../src/pki/der.js';
import { OID } from '../src/pki/oids.js';

export { NULL, octetString, oid, sequence, unsignedInteger } from '../src/pki/der.js';

/** The requestExtensions of an OCSPRequest with a fresh 16-byte nonce (so every answer is signed anew). */
export function randomBytesDer(): Buffer {
  return explicit(2, sequence(encodeExtension({ oid: OID.ocspNonce, critical: false, value: octetString(randomBytes(16)) })));
}
