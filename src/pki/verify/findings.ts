/** Main indications of ETSI EN 319 102-1 §5.1.3 (Table 4). */
export type Indication = 'TOTAL_PASSED' | 'TOTAL_FAILED' | 'INDETERMINATE';

/** The sub-indications of ETSI EN 319 102-1 Table 5 that kyso reports. */
export type SubIndication =
  // TOTAL_FAILED
  | 'FORMAT_FAILURE'
  | 'HASH_FAILURE'
  | 'SIG_CRYPTO_FAILURE'
  | 'REVOKED'
  | 'EXPIRED'
  | 'NOT_YET_VALID'
  // INDETERMINATE
  | 'SIGNED_DATA_NOT_FOUND'
  | 'NO_SIGNING_CERTIFICATE_FOUND'
  | 'NO_CERTIFICATE_CHAIN_FOUND'
  | 'CHAIN_CONSTRAINTS_FAILURE'
  | 'CRYPTO_CONSTRAINTS_FAILURE'
  | 'REVOKED_NO_POE'
  | 'OUT_OF_BOUNDS_NO_POE'
  | 'SIG_CONSTRAINTS_FAILURE'
  | 'TRY_LATER';

/** One reason a signature is not TOTAL_PASSED, with the words a person reads. */
export interface Finding {
  readonly indication: Exclude<Indication, 'TOTAL_PASSED'>;
  readonly subIndication: SubIndication;
  readonly message: string;
}

/** A TOTAL_FAILED finding. */
export const failed = (subIndication: SubIndication, message: string): Finding => ({
  indication: 'TOTAL_FAILED',
  subIndication,
  message,
});

/** An INDETERMINATE finding. */
export const indeterminate = (subIndication: SubIndication, message: string): Finding => ({
  indication: 'INDETERMINATE',
  subIndication,
  message,
});

const RANK: Record<Indication, number> = { TOTAL_PASSED: 0, INDETERMINATE: 1, TOTAL_FAILED: 2 };

/** The worst of several indications (TOTAL_FAILED over INDETERMINATE over TOTAL_PASSED); the first one wins a tie. */
export function worst<T extends { indication: Indication }>(items: readonly T[]): T | undefined {
  let found: T | undefined;
  for (const item of items) if (!found || RANK[item.indication] > RANK[found.indication]) found = item;
  return found;
}
