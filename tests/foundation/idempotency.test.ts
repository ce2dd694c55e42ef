import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCsr, tokenRequest } from '../requests/support.js';
import { seedTenant, startTestKyso, type TestKyso } from '../support/kyso.js';

let t: TestKyso;
let a: Awaited<ReturnType<typeof seedTenant>>;
beforeAll(async () => {
  t = await startTestKyso();
  a = await seedTenant(t, 'idem');
});
afterAll(async () => t?.close());

describe('an Idempotency-Key whose request never answered', () => {
  it('is a 409 while the request may still run, and free again once its lease is over (its process died)', async () => {
    const knex = t.kyso.services.knex;
    const body = [tokenRequest(a.organizationId, (await makeCsr()).pem)];
    const send = () =>
      t.http().post('/api/v1/certificate-requests/batch').set('Authorization', `Bearer ${a.tokens.agency}`).set('Idempotency-Key', 'died-mid-batch').send(body);
    expect((await send()).status).toBe(207);
    // As the row stands when the process running the batch died: no answer yet.
    const died = (minutesAgo: number) =>
      knex('idempotency_keys')
        .where({ user_id: a.userIds.agency, key: 'died-mid-batch' })
        .update({ response: null, created_at: new Date(Date.now() - minutesAgo * 60_000) });
    await died(1);
    expect((await send()).status).toBe(409);
    await died(20);
    const retried = await send();
    expect(retried.status).toBe(207);
    expect(retried.headers['idempotent-replayed']).toBeUndefined();
  });
});
