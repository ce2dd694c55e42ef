import type { Knex } from 'knex';
import type { Logger } from 'pino';
import type { CertificateAuthorities } from '../ca/authorities.js';
import type { Clock } from '../clock.js';
import type { KeyVault } from '../keys/vault.js';
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
  /** Committed status changes, heard by this process (one listening connection serves every cache). */
  readonly changes: StatusChanges;
  /** Stops listening for status changes (before the database closes). */
  close(): Promise<void>;
  /** Starts listening for status changes and issues missing responder certificates (start-up, after the CAs load). */
  start(): Promise<void>;
}

/** Wires CRLs and OCSP over one status-change listener; responder certificates are issued at start-up. */
export function createRevocation(deps: {
  knex: Knex;
  clock: Clock;
  random: RandomSource;
  logger: Logger;
  vault: KeyVault;
  authorities: CertificateAuthorities;
}): Revocation {
  const { knex, clock, random, logger, vault, authorities } = deps;
  const changes = new StatusChanges(knex, logger);
  const responders = new OcspResponders(knex, clock, authorities, vault, random, logger);
  const ocsp = new OcspResponder(knex, clock, authorities, responders, changes, logger);
  return {
    crls: new CrlPublisher(knex, clock, authorities, changes),
    ocsp,
    responders,
    changes,
    close: () => {
      ocsp.stop();
      return changes.close();
    },
    start: async () => {
      await changes.start();
      await responders.ensure();
      ocsp.start();
    },
  };
}
