/** The five roles of product.md. */
export const ROLES = ['admin', 'officer', 'agency', 'signer', 'auditor'] as const;
export type Role = (typeof ROLES)[number];

/** Who is calling: what passport yields and what every service decides on. */
export interface Principal {
  readonly id: string;
  readonly username: string;
  readonly role: Role;
  /** Set for `agency` and `signer` users, who see only their own organization's data. */
  readonly organizationId: string | null;
  /** After an admin's password reset: nothing but changing the password is allowed. */
  readonly mustChangePassword?: boolean;
}

/** The caller of a use case: who, and from which address (for the audit trail). */
export interface Actor {
  readonly principal: Principal | null;
  readonly ip: string | null;
}

/** True for the roles that see every organization's data. */
export function seesAllOrganizations(principal: Principal): boolean {
  return principal.role === 'admin' || principal.role === 'officer' || principal.role === 'auditor';
}
