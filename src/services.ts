import type { Knex } from 'knex';
import type { Logger } from 'pino';
import type { Clock } from './clock.js';
import type { Config } from './config.js';
import { AuthService } from './auth/auth-service.js';
import { CertificateAuthorities } from './ca/authorities.js';
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
import { OrganizationService } from './organizations/organizations.js';
import type { RandomSource } from './pki/serial.js';
import { UserService } from './users/users.js';
import { VerificationService } from './verification/verification.js';

/** The use cases the HTTP layer calls, wired to one database, clock and set of CAs. */
export interface Services {
  readonly config: Config;
  readonly knex: Knex;
  readonly clock: Clock;
  readonly random: RandomSource;
  readonly logger: Logger;
  readonly masterKey: Buffer;
  readonly auth: AuthService;
  readonly organizations: OrganizationService;
  readonly users: UserService;
  readonly authorities: CertificateAuthorities;
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
}

/** Wires the services. */
export function createServices(deps: {
  config: Config;
  knex: Knex;
  clock: Clock;
  random: RandomSource;
  logger: Logger;
  masterKey: Buffer;
}): Services {
  const { config, knex, clock, random, masterKey } = deps;
  const authorities = new CertificateAuthorities(knex, clock, masterKey, random, config.publicUrl);
  const tsa = new TimeStampAuthority(knex, clock, authorities, masterKey, random, config.publicUrl);
  authorities.onStart(() => tsa.ensure());
  const issuance = new IssuanceService(clock, random, authorities, config.publicUrl, masterKey);
  const certificates = new CertificateService(knex, clock, authorities, masterKey, random);
  const signingAccounts = new SigningAccountService(knex, clock, random, masterKey, issuance, authorities);
  return {
    ...deps,
    auth: new AuthService(knex, clock, config.tokenTtlSeconds),
    organizations: new OrganizationService(knex, clock),
    users: new UserService(knex, clock),
    authorities,
    issuance,
    certificates,
    requests: new CertificateRequestService(knex, clock, issuance, certificates),
    imports: new ImportService(knex, clock, authorities),
    trustAnchors: new TrustAnchorService(knex, clock),
    revocation: createRevocation({ ...deps, authorities }),
    statistics: new StatisticsService(knex, clock),
    verification: new VerificationService(knex, clock, authorities),
    tsa,
    signingAccounts,
    documentSigning: new DocumentSigningService(signingAccounts, tsa, clock),
  };
}
