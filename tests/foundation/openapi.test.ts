import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { operationId, openApiPath } from '../../src/http/route.js';
import { startTestKyso, type TestKyso } from '../support/kyso.js';

// Issue #13 item 15: `/pki/ocsp/{base}64req` was a malformed path, no operation had an
// operationId, public ones lacked `security: []`, errors had no schema, `servers` was absolute.
describe('the OpenAPI document', () => {
  let t: TestKyso;
  let doc: {
    servers: Array<{ url: string }>;
    paths: Record<string, Record<string, Record<string, unknown>>>;
    components: { schemas: Record<string, unknown> };
  };

  beforeAll(async () => {
    t = await startTestKyso();
    doc = (await t.http().get('/api/v1/openapi.json')).body;
  });
  afterAll(async () => {
    await t?.close();
  });

  it('writes Express parameters with digits in their names whole', () => {
    expect(openApiPath('/pki/ocsp/:base64req')).toBe('/pki/ocsp/{base64req}');
    expect(openApiPath('/api/v1/certificates/:serial/revoke')).toBe('/api/v1/certificates/{serial}/revoke');
    expect(operationId('get', '/pki/ocsp/:base64req')).toBe('getPkiOcspByBase64req');
    expect(Object.keys(doc.paths)).toContain('/pki/ocsp/{base64req}');
    for (const path of Object.keys(doc.paths)) expect(path, path).not.toMatch(/\}[A-Za-z0-9]|[:*][A-Za-z]/);
  });

  it('gives every operation a unique operationId, a security entry ([] when public) and a problem+json error schema', () => {
    const ids = new Set<string>();
    for (const [path, operations] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(operations)) {
        const where = `${method} ${path}`;
        expect(typeof op.operationId, where).toBe('string');
        expect(ids.has(op.operationId as string), where).toBe(false);
        ids.add(op.operationId as string);
        expect(Array.isArray(op.security), where).toBe(true);
        const problem = (op.responses as Record<string, { content?: Record<string, { schema?: { $ref?: string } }> }>).default;
        expect(problem?.content?.['application/problem+json']?.schema?.$ref, where).toBe('#/components/schemas/Problem');
      }
    }
    expect(doc.paths['/api/v1/verify']!.post!.security).toEqual([]);
    expect(doc.paths['/pki/ocsp/{base64req}']!.get!.security).toEqual([]);
    expect(doc.components.schemas.Problem).toMatchObject({ type: 'object', required: expect.arrayContaining(['type', 'title', 'status']) });
  });

  it('names a relative server, so "Try it out" works from any host', () => {
    expect(doc.servers).toEqual([{ url: '/' }]);
  });
});
