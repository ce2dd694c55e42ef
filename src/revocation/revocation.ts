import type { Knex } from 'knex';
import type { Logger } from 'pino';
import type { CertificateAuthorities } from '../ca/authorities.js';
import type { Clock } from '../clock.js';
import type { RandomSource } from '../pki/serial.js';
import { CrlPublisher } from './crls.js';
import { OcspResponder } from './ocsp.js';
import { OcspResponders } from './responders.js';
import { StatusChanges } from './status.js';

/** Revocation status publishing: CRLs per CA and the OCSP responder with its delegated responders. */
export interface Revocation {
  readonly crls: CrlPublisher;
  readonly ocsp: OcspResponder;
  readonly responders: OcspResponders;
}

/** Wires CRLs and OCSP over one status-change counter; responder certificates are issued at start-up. */
export function createRevocation(deps: {
  knex: Knex;
  clock: Clock;
  random: RandomSource;
  logger: Logger;
  masterKey: Buffer;
  authorities: CertificateAuthorities;
}): Revocation {
  const { knex, clock, random, logger, masterKey, authorities } = deps;
  const changes = new StatusChanges(knex);
  const responders = new OcspResponders(knex, clock, authorities, masterKey, random, logger);
  authorities.onStart(async () => {
    await changes.start();
    await responders.ensure();
  });
  return {
    crls: new CrlPublisher(knex, clock, authorities, changes),
    ocsp: new OcspResponder(knex, clock, authorities, responders, changes, logger),
    responders,
  };
}
