import { addYears } from '../clock.js';
import { Refused } from '../errors.js';
import type { EndEntityExtensionProfile } from '../pki/end-entity.js';
import { OID } from '../pki/oids.js';

/** Who a certificate names: a person or an organization (product.md). */
export const HOLDERS = ['individual', 'organization'] as const;
export type Holder = (typeof HOLDERS)[number];
/** Where the private key lives (product.md). */
export const MEDIA = ['token', 'sim', 'remote', 'file'] as const;
export type Medium = (typeof MEDIA)[number];

/** An end-entity profile of the built-in CA: who it is for, its extensions and its validity. */
export interface CertificateProfile extends EndEntityExtensionProfile {
  readonly name: string;
  readonly holder: Holder;
  readonly validityYears: number;
  readonly description: string;
}

/**
 * The default policy arc (KYSO_POLICY_ARC): under IANA enterprise number 32473, reserved for
 * documentation (RFC 5612), so it needs no registration and names nobody's real policy; a
 * production CA sets the arc of its registered certificate policy. (The X.660 example arc 2.999
 * was tried: NSS cannot encode a second arc above 39 in `vfychain -o`.) Under it,
 * `.1.<n>` are the end-entity profiles and `.2.1` the time-stamp policy. Every arc stays below 2^32,
 * which GnuTLS, NSS and Botan require (the 128-bit arcs of 2.25.<UUID> broke them, issue #13 item 13).
 */
export const DEFAULT_POLICY_ARC = '1.3.6.1.4.1.32473.1';

/** The OID of a policy named relative to the default arc, moved under `arc`. */
export function underPolicyArc(policyOid: string, arc: string): string {
  return policyOid.startsWith(`${DEFAULT_POLICY_ARC}.`) ? `${arc}${policyOid.slice(DEFAULT_POLICY_ARC.length)}` : policyOid;
}

/**
 * The profiles the built-in CA issues, their policy OIDs under DEFAULT_POLICY_ARC (moved under
 * KYSO_POLICY_ARC at issuance).
 * Validity follows product.md: 3 years for individuals (Decree 23/2025 caps public certificates at
 * 3 years), 5 years for organizations (Decree 68/2024, the government's specialized certificates).
 */
export const PROFILES: Readonly<Record<string, CertificateProfile>> = {
  individual: {
    name: 'individual',
    holder: 'individual',
    validityYears: 3,
    policyOid: `${DEFAULT_POLICY_ARC}.1.1`,
    // clientAuth: officials log in to e-government portals with the same certificate.
    extendedKeyUsages: [OID.kpEmailProtection, OID.kpDocumentSigning, OID.kpClientAuth],
    description: 'a person: document signing, e-mail protection, client authentication; 3 years',
  },
  organization: {
    name: 'organization',
    holder: 'organization',
    validityYears: 5,
    policyOid: `${DEFAULT_POLICY_ARC}.1.2`,
    extendedKeyUsages: [OID.kpEmailProtection, OID.kpDocumentSigning],
    description: "an organization's seal-like certificate: document signing, e-mail protection; 5 years",
  },
};

/** The profile named `name`, or the default of `holder`; 422 for an unknown one or one for the other holder. */
export function profileFor(holder: Holder, name?: string | null): CertificateProfile {
  const profile = PROFILES[name ?? holder];
  if (!profile) throw new Refused(`unknown profile "${name}"; known: ${Object.keys(PROFILES).join(', ')}`, [{ path: 'profile', message: 'unknown profile' }]);
  if (profile.holder !== holder) {
    throw new Refused(`profile "${profile.name}" is for ${profile.holder} certificates, not ${holder}`, [{ path: 'profile', message: 'wrong holder' }]);
  }
  return profile;
}

/** notAfter for a certificate of `profile` starting at `notBefore`: the same calendar instant `validityYears` later. */
export function validityEnd(profile: CertificateProfile, notBefore: Date): Date {
  return addYears(notBefore, profile.validityYears);
}
