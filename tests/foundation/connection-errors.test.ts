import { describe, expect, it } from 'vitest';
import { isConnectionError } from '../../src/db/connection-errors.js';

/** A pg error as the driver makes it: a message and a SQLSTATE or socket code. */
const pgError = (message: string, code?: string) => Object.assign(new Error(message), code ? { code } : {});

describe('isConnectionError (a 503 to retry later, not a 500)', () => {
  it.each([
    ['a refused connection', pgError('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED')],
    ['a reset connection', pgError('read ECONNRESET', 'ECONNRESET')],
    ['a server that went away', pgError('Connection terminated unexpectedly')],
    ['an administrator shutdown', pgError('terminating connection due to administrator command', '57P01')],
    ['a server starting up', pgError('the database system is starting up', '57P03')],
    ['max_connections reached', pgError('sorry, too many clients already', '53300')],
    ['a connection exception', pgError('connection failure', '08006')],
    ['the cause of a wrapping error', new Error('statement failed', { cause: pgError('read ECONNRESET', 'ECONNRESET') })],
  ])('%s', (_name, err) => {
    expect(isConnectionError(err)).toBe(true);
  });

  it.each([
    ['a unique violation', pgError('duplicate key value violates unique constraint', '23505')],
    ['a syntax error', pgError('syntax error at or near "selec"', '42601')],
    ['a serialization failure', pgError('could not serialize access', '40001')],
    ['out of memory', pgError('out of memory', '53200')],
    ['not an error', undefined],
  ])('not %s', (_name, err) => {
    expect(isConnectionError(err)).toBe(false);
  });
});
