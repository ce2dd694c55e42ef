import type { StoredSubject } from '../db/certificates-repo.js';
import { Refused } from '../errors.js';
import type { NameAttribute } from '../pki/name.js';
import { OID } from '../pki/oids.js';
import type { Holder } from './profiles.js';

/** A certificate subject as a request gives it (api.md): `uid` is one identifier or several. */
export interface SubjectInput {
  commonName: string;
  uid: string | string[];
  title?: string;
  organizationalUnit?: string;
  locality?: string;
  email?: string;
}

/** A validated subject: trimmed, NFC-normalized, `uid` always a list (what requests and certificates store). */
export type Subject = StoredSubject;

/** The organization fields that enter a subject (O, ST). */
export interface SubjectOrganization {
  readonly name: string;
  readonly province: string;
}

/**
 * Identifier shapes of product.md. HC: Vietnamese passports are one letter and 7 digits; foreign
 * ones vary, so 1–2 letters and 6–8 digits. MST: 10 digits, a branch adds `-NNN` (MST:0100686209-199).
 */
const UID_SHAPES: Record<string, { re: RegExp; says: string; person: boolean }> = {
  CCCD: { re: /^\d{12}$/, says: '12 digits (citizen identity card)', person: true },
  CMND: { re: /^(\d{9}|\d{12})$/, says: '9 or 12 digits (old identity card)', person: true },
  HC: { re: /^[A-Z]{1,2}\d{6,8}$/, says: '1–2 letters then 6–8 digits (passport)', person: true },
  MST: { re: /^\d{10}(-\d{3})?$/, says: '10 digits, or 10-3 for a branch (tax code)', person: false },
  MNS: { re: /^\d{7}$/, says: '7 digits (budget-unit code)', person: false },
};

/**
 * X.509 upper bounds (RFC 5280 appendix A: ub-common-name, ub-title, ub-organization-name,
 * ub-organizational-unit-name 64; ub-locality-name, ub-state-name 128).
 */
const UPPER_BOUNDS = { commonName: 64, title: 64, organizationalUnit: 64, locality: 128, organization: 64, province: 128 } as const;
const EMAIL = /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;
const MAX_UIDS = 5;

type Problem = { path: string; message: string };

/**
 * Validates a subject against the Vietnamese conventions of product.md: identifier prefixes and
 * shapes, a person's certificate carries a personal identifier (CCCD/CMND/HC), an organization's
 * only MST/MNS, X.509 length bounds. Every problem is listed in one 422.
 */
export function validateSubject(holder: Holder, input: SubjectInput): Subject {
  const problems: Problem[] = [];
  const text = (value: string | undefined, path: string, max: number): string | undefined => {
    if (value === undefined) return undefined;
    const s = value.normalize('NFC').trim();
    if (s === '') return undefined;
    if ([...s].length > max) problems.push({ path, message: `at most ${max} characters (X.509 upper bound)` });
    // eslint-disable-next-line no-control-regex
    if (/[\u0000-\u001f\u007f]/.test(s)) problems.push({ path, message: 'control characters are not allowed' });
    return s;
  };
  const commonName = text(input.commonName, 'subject.commonName', UPPER_BOUNDS.commonName);
  if (!commonName) problems.push({ path: 'subject.commonName', message: 'required' });
  const title = text(input.title, 'subject.title', UPPER_BOUNDS.title);
  const organizationalUnit = text(input.organizationalUnit, 'subject.organizationalUnit', UPPER_BOUNDS.organizationalUnit);
  const locality = text(input.locality, 'subject.locality', UPPER_BOUNDS.locality);
  const email = input.email?.trim() || undefined;
  if (email && (email.length > 254 || !EMAIL.test(email))) problems.push({ path: 'subject.email', message: 'not an e-mail address (ASCII, user@domain)' });

  const uids = (Array.isArray(input.uid) ? input.uid : [input.uid]).map((u) => u.trim());
  if (uids.length === 0 || uids.every((u) => u === '')) problems.push({ path: 'subject.uid', message: 'at least one identifier is required' });
  if (uids.length > MAX_UIDS) problems.push({ path: 'subject.uid', message: `at most ${MAX_UIDS} identifiers` });
  const seen = new Set<string>();
  let personal = 0;
  uids.forEach((uid, i) => {
    const path = Array.isArray(input.uid) ? `subject.uid.${i}` : 'subject.uid';
    const match = /^([A-Z]+):(.*)$/.exec(uid);
    const shape = match ? UID_SHAPES[match[1]!] : undefined;
    if (!match || !shape) {
      problems.push({ path, message: `"${uid}" needs a prefix: ${Object.keys(UID_SHAPES).map((p) => `${p}:`).join(', ')}` });
      return;
    }
    if (!shape.re.test(match[2]!)) problems.push({ path, message: `${match[1]}: must be ${shape.says}` });
    if (seen.has(uid)) problems.push({ path, message: `${uid} is listed twice` });
    seen.add(uid);
    if (shape.person) {
      personal++;
      if (holder === 'organization') problems.push({ path, message: `an organization certificate carries MST:/MNS:, not ${match[1]}:` });
    }
  });
  if (holder === 'individual' && personal === 0 && problems.length === 0) {
    problems.push({ path: 'subject.uid', message: "a person's certificate needs a CCCD:, CMND: or HC: identifier" });
  }
  if (holder === 'organization' && seen.size === 0 && problems.length === 0) {
    problems.push({ path: 'subject.uid', message: "an organization's certificate needs an MST: or MNS: identifier" });
  }
  if (problems.length) throw new Refused(`invalid subject: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`, problems);
  return {
    commonName: commonName!,
    uid: uids,
    ...(title ? { title } : {}),
    ...(organizationalUnit ? { organizationalUnit } : {}),
    ...(locality ? { locality } : {}),
    ...(email ? { email } : {}),
  };
}

/**
 * The subject DN of product.md, in encoded order: C=VN, ST=<province>, L, O=<organization>, OU, T,
 * CN, then each UID. 422 when the organization's name or province exceeds its X.509 bound.
 */
export function subjectAttributes(subject: Subject, organization: SubjectOrganization): NameAttribute[] {
  const problems: Problem[] = [];
  if ([...organization.name].length > UPPER_BOUNDS.organization) {
    problems.push({ path: 'organizationId', message: `the organization's name exceeds ${UPPER_BOUNDS.organization} characters (ub-organization-name)` });
  }
  if ([...organization.province].length > UPPER_BOUNDS.province) {
    problems.push({ path: 'organizationId', message: `the organization's province exceeds ${UPPER_BOUNDS.province} characters (ub-state-name)` });
  }
  if (problems.length) throw new Refused(problems.map((p) => p.message).join('; '), problems);
  const attributes: NameAttribute[] = [
    { type: OID.countryName, value: 'VN' },
    { type: OID.stateOrProvinceName, value: organization.province.normalize('NFC') },
  ];
  if (subject.locality) attributes.push({ type: OID.localityName, value: subject.locality });
  attributes.push({ type: OID.organizationName, value: organization.name.normalize('NFC') });
  if (subject.organizationalUnit) attributes.push({ type: OID.organizationalUnitName, value: subject.organizationalUnit });
  if (subject.title) attributes.push({ type: OID.title, value: subject.title });
  attributes.push({ type: OID.commonName, value: subject.commonName });
  for (const uid of subject.uid) attributes.push({ type: OID.userId, value: uid });
  return attributes;
}
