// The request form's live checks: the same shapes and limits the API applies (src/certificates/subject.ts),
// so a clerk sees the problem beside the field before sending.
import { t } from './i18n';

const UID_SHAPES: Record<string, { re: RegExp; person: boolean }> = {
  CCCD: { re: /^\d{12}$/, person: true },
  CMND: { re: /^(\d{9}|\d{12})$/, person: true },
  HC: { re: /^[A-Z]{1,2}\d{6,8}$/, person: true },
  MST: { re: /^\d{10}(-\d{3})?$/, person: false },
  MNS: { re: /^\d{7}$/, person: false },
};

/** Splits the identifier field (commas, semicolons or new lines). */
export const splitUids = (text: string): string[] =>
  text
    .split(/[,;\n]/)
    .map((s) => s.trim())
    .filter(Boolean);

/** The first problem with the identifiers, or undefined. */
export function checkUids(text: string, holder: 'individual' | 'organization'): string | undefined {
  const uids = splitUids(text);
  if (uids.length === 0) return t('check.required');
  let personal = 0;
  for (const uid of uids) {
    const m = /^([A-Z]+):(.*)$/.exec(uid);
    const shape = m ? UID_SHAPES[m[1]!] : undefined;
    if (!m || !shape) return t('check.uidPrefix', { uid });
    if (!shape.re.test(m[2]!)) return t(`check.${m[1] as 'CCCD' | 'CMND' | 'HC' | 'MST' | 'MNS'}`, { uid });
    if (shape.person) personal++;
  }
  if (holder === 'individual' && personal === 0) return t('check.personalUid');
  if (holder === 'organization' && personal > 0) return t('check.orgUid');
  return undefined;
}

/** A text field's length limit (X.509 upper bounds: 64 for names, titles, units; 128 for localities). */
export function checkLength(text: string, max: number, required = false): string | undefined {
  if (required && text.trim() === '') return t('check.required');
  return [...text.trim()].length > max ? t('check.maxLength', { n: max }) : undefined;
}

const EMAIL = /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;

/** An optional e-mail address. */
export const checkEmail = (text: string): string | undefined => (text.trim() && !EMAIL.test(text.trim()) ? t('check.email') : undefined);

/** A SIM's phone number: 84 and 9 digits. */
export const checkMsisdn = (text: string): string | undefined => (!/^84\d{9}$/.test(text.trim()) ? t('check.msisdn') : undefined);

/** A pasted CSR looks like PEM (the server checks the signature and the key). */
export const checkCsr = (text: string): string | undefined =>
  text.trim() === '' ? t('check.required') : !/-----BEGIN (NEW )?CERTIFICATE REQUEST-----[\s\S]+-----END (NEW )?CERTIFICATE REQUEST-----/.test(text) ? t('check.csr') : undefined;

/** A pasted certificate looks like PEM (the server parses it). */
export const checkCertificatePem = (text: string): string | undefined =>
  text.trim() === '' ? t('check.required') : !/-----BEGIN CERTIFICATE-----[\s\S]+-----END CERTIFICATE-----/.test(text) ? t('check.certificatePem') : undefined;

/** A username as the API accepts it: 3–64 letters, digits and . _ @ -. */
export const checkUsername = (text: string): string | undefined => (text === '' ? t('check.required') : !/^[A-Za-z0-9._@-]{3,64}$/.test(text) ? t('check.username') : undefined);

/** A PIN as the API accepts it: 6–8 digits, not one digit repeated, not a run. */
export function checkPin(pin: string): string | undefined {
  if (!/^\d{6,8}$/.test(pin)) return t('check.pin');
  const d = [...pin].map(Number);
  const step = d[1]! - d[0]!;
  if ((step === 0 || step === 1 || step === -1) && d.every((x, i) => i === 0 || x - d[i - 1]! === step)) return t('check.pinWeak');
  return undefined;
}
