import type { Knex } from 'knex';
import { requireRole } from '../auth/authorize.js';
import type { Principal } from '../auth/principal.js';
import type { CertificateAuthorities } from '../ca/authorities.js';
import type { AuditQuery } from '../db/audit-repo.js';
import { listAudit } from './audit.js';
import { listCheckpoints, verifyAuditChain } from './verify.js';

/** What admins and auditors read of the audit trail (api.md "Audit"): the events, the chain's check, its checkpoints. */
export class AuditTrail {
  constructor(
    private readonly knex: Knex,
    private readonly authorities: CertificateAuthorities,
  ) {}

  /** Events newest first, with the cursor of the next page. */
  list(principal: Principal | null, query: AuditQuery) {
    requireRole(principal, 'admin', 'auditor');
    return listAudit(this.knex, query);
  }

  /** The chain and every signed checkpoint, checked in one snapshot. */
  verify(principal: Principal | null) {
    requireRole(principal, 'admin', 'auditor');
    return verifyAuditChain(this.knex, this.authorities);
  }

  /** Signed checkpoints newest first; `beforeSeq` pages back. */
  checkpoints(principal: Principal | null, query: { beforeSeq?: number; limit: number }) {
    requireRole(principal, 'admin', 'auditor');
    return listCheckpoints(this.knex, query);
  }
}
