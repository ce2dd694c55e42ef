import { Forbidden, Unauthenticated } from '../errors.js';
import type { Principal, Role } from './principal.js';

/** Narrows to a principal whose role is one of `roles`; 401 without one, 403 for another role. */
export function requireRole(principal: Principal | null, ...roles: Role[]): asserts principal is Principal {
  if (!principal) throw new Unauthenticated('authentication required');
  if (!roles.includes(principal.role)) {
    throw new Forbidden(`this action needs one of the roles: ${roles.join(', ')}`);
  }
}
