import { Refused } from '../errors.js';
import type { EndEntityExtensionProfile } from '../pki/end-entity.js';
import { OID } from '../pki/oids.js';

/** Who a certificate names: a person or an organization (product.md). */
export type Holder = 'individual' | 'organization';
/** Where the private key lives (product.md). */
export type Medium = 'token' | 'sim' | 'remote' | 'file';

/** An end-entity profile of the built-in CA: who it is for, its extensions and its validity. */
export interface CertificateProfile extends EndEntityExtensionProfile {
  readonly name: string;
  readonly holder: Holder;
  readonly validityYears: number;
  readonly description: string;
}

/**
 * The profiles the built-in CA issues. Policy OIDs sit under the UUID arc 2.25 (ITU-T X.667), which
 * needs no registration; a production CA replaces them with the OIDs of its certificate policy.
 * Validity follows product.md: 3 years for individuals (Decree 23/2025 caps public certificates at
 * 3 years), 5 years for organizations (Decree 68/2024, the government's specialized certificates).
 */
export const PROFILES: Readonly<Record<string, CertificateProfile>> = {
  individual: {
    name: 'individual',
    holder: 'individual',
    validityYears: 3,
    policyOid: '2.25.236629002269980522041485845041049424968',
    // clientAuth: officials log in to e-government portals with the same certificate.
    extendedKeyUsages: [OID.kpEmailProtection, OID.kpDocumentSigning, OID.kpClientAuth],
    description: 'a person: document signing, e-mail protection, client authentication; 3 years',
  },
  organization: {
    name: 'organization',
    holder: 'organization',
    validityYears: 5,
    policyOid: '2.25.226098165233664493737482942174594612640',
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
  const end = new Date(notBefore);
  end.setUTCFullYear(end.getUTCFullYear() + profile.validityYears);
  return end;
}
