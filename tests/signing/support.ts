import type { TestKyso } from '../support/kyso.js';

/** Parses a supertest binary body into a Buffer. */
export const binary = (res: { on: (e: string, cb: (chunk?: Buffer) => void) => void }, cb: (err: Error | null, body: Buffer) => void) => {
  const chunks: Buffer[] = [];
  res.on('data', (chunk) => chunks.push(chunk!));
  res.on('end', () => cb(null, Buffer.concat(chunks)));
};

/** Opens a signing account through the API and returns its id and certificate serial. */
export async function openAccount(
  t: TestKyso,
  officerToken: string,
  body: { userId: string; organizationId: string; pin: string; commonName?: string; uid?: string; keyAlgorithm?: string },
): Promise<{ id: string; certificateSerial: string }> {
  const res = await t
    .http()
    .post('/api/v1/signing-accounts')
    .set('Authorization', `Bearer ${officerToken}`)
    .send({ commonName: 'Nguyễn Thị Lan', uid: `CCCD:0010990${String(Math.floor(Math.random() * 1e5)).padStart(5, '0')}`, ...body });
  if (res.status !== 201) throw new Error(`open account: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/** POSTs a JSON body as `token` and returns the response. */
export function post(t: TestKyso, token: string, path: string, body: unknown) {
  return t.http().post(path).set('Authorization', `Bearer ${token}`).send(body as object);
}
