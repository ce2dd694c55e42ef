import { randomBytes, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { secureRandom } from '../../src/pki/serial.js';
import { PIN_KDF_COST, unwrapWithPin, wrapWithPin } from '../../src/keys/pin-key.js';

const masterKey = randomBytes(32);
const pkcs8 = randomBytes(138);

describe('PIN-wrapped account keys', () => {
  it('open with the PIN and the master key', async () => {
    const id = randomUUID();
    const { wrappedKey, kdf } = await wrapWithPin(masterKey, secureRandom, id, '123456', pkcs8);
    expect(kdf).toMatchObject({ alg: 'scrypt', ...PIN_KDF_COST });
    expect((await unwrapWithPin(masterKey, id, '123456', wrappedKey, kdf))?.equals(pkcs8)).toBe(true);
  });

  it('stay shut with a wrong PIN, another master key (a database dump alone), or on another account row', async () => {
    const id = randomUUID();
    const { wrappedKey, kdf } = await wrapWithPin(masterKey, secureRandom, id, '123456', pkcs8);
    expect(await unwrapWithPin(masterKey, id, '123457', wrappedKey, kdf)).toBeUndefined();
    expect(await unwrapWithPin(randomBytes(32), id, '123456', wrappedKey, kdf)).toBeUndefined();
    expect(await unwrapWithPin(masterKey, randomUUID(), '123456', wrappedKey, kdf)).toBeUndefined();
  });

  it('salt every wrap afresh: the same key and PIN never give the same ciphertext', async () => {
    const id = randomUUID();
    const a = await wrapWithPin(masterKey, secureRandom, id, '123456', pkcs8);
    const b = await wrapWithPin(masterKey, secureRandom, id, '123456', pkcs8);
    expect(a.kdf.salt).not.toBe(b.kdf.salt);
    expect(a.wrappedKey.ciphertext).not.toBe(b.wrappedKey.ciphertext);
  });
});
