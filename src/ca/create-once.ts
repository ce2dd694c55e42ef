import type { Knex } from 'knex';
import type { KeyVault, ServiceKeyMaker } from '../keys/vault.js';

/** Thrown inside `withNewServiceKeys` so that the vault destroys the token keys of what another process made first. */
class Superseded<Found> extends Error {
  constructor(readonly found: Found) {
    super('another process stored it first');
  }
}

/**
 * Creates what only one of several processes on one database may create (the development CA, the
 * TSA's or the audit key's certificate) without holding a lock across key generation or signing
 * (style.md habit 3; an HSM's C_GenerateKeyPair takes a while, and PGlite's one connection would
 * stall every query meanwhile). It looks without a lock; when nothing is there, `make` generates
 * the keys and signs outside any transaction; a short transaction then takes the advisory lock,
 * looks again and stores what was made, or, when another process stored its own meanwhile, drops
 * ours: the vault destroys its token keys (soft keys were never stored).
 */
export async function createOnce<Made, Found>(
  deps: { knex: Knex; vault: KeyVault },
  lockKey: number,
  steps: {
    /** What is there already, read through `db` (the knex, then the locked transaction); undefined when nothing. */
    find(db: Knex): Promise<Found | undefined>;
    /** Generates the keys and builds what will be stored; no database access. */
    make(generate: ServiceKeyMaker): Promise<Made>;
    /** Inserts what `make` built, with its audit events. */
    store(trx: Knex.Transaction, made: Made): Promise<Found>;
  },
): Promise<{ value: Found; created: boolean }> {
  const { knex, vault } = deps;
  const present = await steps.find(knex);
  if (present !== undefined) return { value: present, created: false };
  try {
    return await vault.withNewServiceKeys(async (generate) => {
      const made = await steps.make(generate);
      return knex.transaction(async (trx) => {
        await trx.raw('select pg_advisory_xact_lock(?)', [lockKey]);
        const found = await steps.find(trx);
        if (found !== undefined) throw new Superseded(found);
        return { value: await steps.store(trx, made), created: true };
      });
    });
  } catch (err) {
    if (err instanceof Superseded) return { value: err.found as Found, created: false };
    throw err;
  }
}
