import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { oid, printableString, sequence, setOf, utf8String } from './der.js';
import { OID } from './oids.js';

/** One attribute of a distinguished name. */
export interface NameAttribute {
  readonly type: string;
  readonly value: string;
}

/** Short names used when a Name is printed (RFC 4514 plus `T`, `UID` as openssl prints them). */
const SHORT_NAMES: Record<string, string> = {
  [OID.countryName]: 'C',
  [OID.stateOrProvinceName]: 'ST',
  [OID.localityName]: 'L',
  [OID.organizationName]: 'O',
  [OID.organizationalUnitName]: 'OU',
  [OID.title]: 'T',
  [OID.commonName]: 'CN',
  [OID.userId]: 'UID',
  [OID.emailAddress]: 'emailAddress',
  '2.5.4.5': 'serialNumber',
  '2.5.4.97': 'organizationIdentifier',
  '0.9.2342.19200300.100.1.25': 'DC',
};

/**
 * DER of a Name with one RDN (one SET) per attribute, in the given order. countryName is a
 * PrintableString (RFC 5280 appendix A); everything else UTF8String so that Vietnamese
 * diacritics survive (RFC 5280 §4.1.2.6 recommends UTF8String).
 */
export function encodeName(attributes: readonly NameAttribute[]): Buffer {
  return sequence(
    ...attributes.map((a) =>
      setOf(
        sequence(oid(a.type), a.type === OID.countryName ? printableString(a.value) : utf8String(a.value)),
      ),
    ),
  );
}

/** The attributes of an encoded Name, in order (multi-valued RDNs flattened). */
export function decodeName(der: Uint8Array): NameAttribute[] {
  return nameAttributes(pkijs.RelativeDistinguishedNames.fromBER(der));
}

/** The attributes of a pkijs Name, in order. */
export function nameAttributes(name: pkijs.RelativeDistinguishedNames): NameAttribute[] {
  return name.typesAndValues.map((tv) => ({
    type: tv.type,
    value: tv.value instanceof asn1js.Any ? '' : String((tv.value as { valueBlock: { value: unknown } }).valueBlock.value),
  }));
}

/** `C=VN, ST=Hà Nội, O=…, CN=…` — short names, in encoded order, values unescaped but for `,` `+`. */
export function formatName(attributes: readonly NameAttribute[]): string {
  return attributes
    .map((a) => `${SHORT_NAMES[a.type] ?? a.type}=${a.value.replace(/([,+\\])/g, '\\$1')}`)
    .join(', ');
}

/** The first value of `type` in a Name, if any. */
export function firstValue(attributes: readonly NameAttribute[], type: string): string | undefined {
  return attributes.find((a) => a.type === type)?.value;
}
