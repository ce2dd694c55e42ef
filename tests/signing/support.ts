import type { TestKyso } from '../support/kyso.js';

/** Parses a supertest binary body into a Buffer. */
export const binary = (res: { on: (e: string, cb: (chunk?: Buffer) => void) => void }, cb: (err: Error | null, body: Buffer) => void) => {
  const chunks: Buffer[] = [];
  res.on('data', (chunk) => chunks.push(chunk!));
  res.on('end', () => cb(null, Buffer.concat(chunks)));
};

/** The PIN the officer sets when opening an account in tests; the holder replaces it (mustChangePin). */
export const FIRST_PIN = '480264';

/**
 * Opens a signing account through the API and returns its id and certificate serial. With
 * `holderToken` the holder then changes the officer's first PIN to `body.pin`, as a new account
 * must before it signs; without it the account keeps `body.pin` as its first PIN.
 */
export async function openAccount(
  t: TestKyso,
  officerToken: string,
  body: {
    userId?: string;
    organizationId: string;
    pin: string;
    commonName?: string;
    uid?: string | string[];
    keyAlgorithm?: string;
    holder?: string;
    delegateUserIds?: string[];
  },
  holderToken?: string,
): Promise<{ id: string; certificateSerial: string }> {
  const res = await t
    .http()
    .post('/api/v1/signing-accounts')
    .set('Authorization', `Bearer ${officerToken}`)
    .send({ commonName: 'Nguyễn Thị Lan', uid: `CCCD:0010990${String(Math.floor(Math.random() * 1e5)).padStart(5, '0')}`, ...body, ...(holderToken ? { pin: FIRST_PIN } : {}) });
  if (res.status !== 201) throw new Error(`open account: ${res.status} ${JSON.stringify(res.body)}`);
  if (holderToken) {
    const changed = await post(t, holderToken, `/api/v1/signing-accounts/${res.body.id}/pin`, { pin: FIRST_PIN, newPin: body.pin });
    if (changed.status !== 204) throw new Error(`first PIN change: ${changed.status} ${JSON.stringify(changed.body)}`);
  }
  return res.body;
}

/** POSTs a JSON body as `token` and returns the response. */
export function post(t: TestKyso, token: string, path: string, body: unknown) {
  return t.http().post(path).set('Authorization', `Bearer ${token}`).send(body as object);
}
