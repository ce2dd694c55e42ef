import path from 'node:path';
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import type { Clock } from './clock.js';
import type { Config } from './config.js';
import { AuditKey } from './audit/audit-key.js';
import { AuditSequencer } from './audit/sequencer.js';
import { AuditTrail } from './audit/trail.js';
import { AuthService } from './auth/auth-service.js';
import { CertificateAuthorities } from './ca/authorities.js';
import { CaOperations } from './ca/operations.js';
import { CertificateService } from './certificates/certificates.js';
import { ImportService } from './certificates/import.js';
import { IssuanceService } from './certificates/issuance.js';
import { CertificateRequestService } from './requests/requests.js';
import { TrustAnchorService } from './trust-anchors/trust-anchors.js';
import { createRevocation, type Revocation } from './revocation/revocation.js';
import { StatisticsService } from './stats/stats.js';
import { TimeStampAuthority } from './tsa/tsa.js';
import { SigningAccountService } from './signing/accounts.js';
import { DocumentSigningService } from './signing/documents.js';
import { SignJobService } from './signing/jobs.js';
import { ValidationDataCollector } from './signing/validation-data.js';
import { OrganizationService } from './organizations/organizations.js';
import type { KeyVault } from './keys/vault.js';
import type { RandomSource } from './pki/serial.js';
import { UserService } from './users/users.js';
import { RevocationFetcher } from './verification/revocation-fetcher.js';
import { VerificationService } from './verification/verification.js';
import { IdempotencyService } from './idempotency/idempotency.js';

/** The use cases the HTTP layer calls, wired to one database, clock and set of CAs. */
export interface Services {
  readonly config: Config;
  readonly knex: Knex;
  readonly clock: Clock;
  readonly random: RandomSource;
  readonly logger: Logger;
  readonly auth: AuthService;
  readonly organizations: OrganizationService;
  readonly users: UserService;
  readonly authorities: CertificateAuthorities;
  /** The operator's CA work: CSR for an external root, its certificate installed, rollover. */
  readonly caOperations: CaOperations;
  readonly issuance: IssuanceService;
  readonly certificates: CertificateService;
  readonly requests: CertificateRequestService;
  readonly imports: ImportService;
  readonly trustAnchors: TrustAnchorService;
  readonly revocation: Revocation;
  readonly statistics: StatisticsService;
  readonly verification: VerificationService;
  readonly tsa: TimeStampAuthority;
  readonly signingAccounts: SigningAccountService;
  readonly documentSigning: DocumentSigningService;
  readonly auditKey: AuditKey;
  readonly auditSequencer: AuditSequencer;
  readonly audit: AuditTrail;
  readonly signJobs: SignJobService;
  /** The batch routes' `Idempotency-Key`. */
  readonly idempotency: IdempotencyService;
}

/** Wires the services. */
export function createServices(deps: {
  config: Config;
  knex: Knex;
  clock: Clock;
  random: RandomSource;
  logger: Logger;
  /** The key vault: services get signers and sealed keys from it, never the master key. */
  vault: KeyVault;
}): Services {
  const { vault, ...shared } = deps;
  const { config, knex, clock, random } = shared;
  const authorities = new CertificateAuthorities(knex, clock, vault, random, config.publicUrl);
  const tsa = new TimeStampAuthority(knex, clock, authorities, vault, random, config.publicUrl, `${config.policyArc}.2.1`);
  const issuance = new IssuanceService(clock, random, authorities, config.publicUrl, vault, config.policyArc);
  const certificates = new CertificateService(knex, clock, authorities, vault);
  const signingAccounts = new SigningAccountService(knex, clock, vault, issuance, authorities);
  const revocation = createRevocation({ ...shared, vault, authorities });
  const documentSigning = new DocumentSigningService(signingAccounts, tsa, clock, new ValidationDataCollector(authorities, revocation, tsa));
  const auditKey = new AuditKey(knex, clock, authorities, vault, random, config.publicUrl);
  return {
    ...shared,
    auth: new AuthService(knex, clock, config.tokenTtlSeconds),
    organizations: new OrganizationService(knex, clock),
    users: new UserService(knex, clock),
    authorities,
    caOperations: new CaOperations(knex, clock, authorities, vault, random, config.publicUrl),
    issuance,
    certificates,
    requests: new CertificateRequestService(knex, clock, issuance, certificates),
    imports: new ImportService(knex, clock, authorities, deps.logger),
    trustAnchors: new TrustAnchorService(knex, clock),
    revocation,
    statistics: new StatisticsService(knex, clock),
    verification: new VerificationService(
      knex,
      clock,
      authorities,
      revocation.changes,
      new RevocationFetcher({ allow: config.fetchAllow, timeoutMs: config.fetchTimeoutMs }, clock, deps.logger),
    ),
    tsa,
    signingAccounts,
    documentSigning,
    signJobs: new SignJobService(knex, clock, documentSigning, path.join(config.dataDir, 'sign-jobs'), deps.logger),
    auditKey,
    auditSequencer: new AuditSequencer(knex, clock, auditKey, deps.logger),
    audit: new AuditTrail(knex, authorities),
    idempotency: new IdempotencyService(knex, clock),
  };
}
