import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import type { Principal } from '../auth/principal.js';
import type { Clock } from '../clock.js';
import { claimIdempotencyKey, completeIdempotencyKey, findIdempotencyKey, releaseIdempotencyKey } from '../db/idempotency-repo.js';
import { BadRequest, Conflict, Refused } from '../errors.js';

/** How long a key's first answer is kept (api.md: a re-posted batch within a day is detected). */
const KEEP_MS = 24 * 3600_000;
/**
 * How long a request that took a key may run before the key is taken back: its process may have
 * died mid-run, and the client's retry must not be a 409 for a day. Far longer than any batch
 * (1,000 items) takes.
 */
const RUNNING_LEASE_MS = 15 * 60_000;
/** RFC 9110 token-ish: visible ASCII, as the IETF idempotency-key draft's examples. */
const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

/**
 * The optional `Idempotency-Key` header of the batch routes (#13 item 10): a client that re-posts
 * a batch (a timeout, a double click) gets the first answer again instead of a second set of
 * requests, accounts or imports. Keys belong to the user who sent them and live 24 hours; the same
 * key with a different request is a 422, and while the first request runs a second one is a 409
 * (for RUNNING_LEASE_MS at most: a request that never answered frees its key then).
 */
export class IdempotencyService {
  constructor(
    private readonly knex: Knex,
    private readonly clock: Clock,
  ) {}

  /**
   * Runs `run` once per (user, key): `request` is what identifies the call (route and body). With
   * no key it just runs; a failed run frees the key.
   */
  async once<T>(principal: Principal, key: string | undefined, request: string, run: () => Promise<T>): Promise<{ result: T; replayed: boolean }> {
    if (key === undefined) return { result: await run(), replayed: false };
    if (!KEY_PATTERN.test(key)) throw new BadRequest('Idempotency-Key must be 1–255 visible ASCII characters');
    const fingerprint = createHash('sha256').update(request).digest('hex');
    const now = this.clock.now();
    const expired = { answered: new Date(now.getTime() - KEEP_MS), running: new Date(now.getTime() - RUNNING_LEASE_MS) };
    if (!(await claimIdempotencyKey(this.knex, { user_id: principal.id, key, fingerprint, created_at: now }, expired))) {
      const first = await findIdempotencyKey(this.knex, principal.id, key);
      if (first && first.fingerprint !== fingerprint) {
        throw new Refused('this Idempotency-Key was used with a different request: use a new key for a new batch');
      }
      if (!first || first.response === null) throw new Conflict('a request with this Idempotency-Key is still running: wait for its answer');
      return { result: first.response as T, replayed: true };
    }
    try {
      const result = await run();
      await completeIdempotencyKey(this.knex, principal.id, key, result);
      return { result, replayed: false };
    } catch (err) {
      await releaseIdempotencyKey(this.knex, principal.id, key);
      throw err;
    }
  }
}
