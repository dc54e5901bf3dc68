import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from './support/service.js';

interface Operation {
  summary?: string;
  responses: Record<string, { description?: string; content?: Record<string, { example?: Record<string, unknown>; schema?: { $ref?: string } }> }>;
}
type OpenApi = { paths: Record<string, Record<string, Operation>>; components: { schemas: Record<string, { properties?: Record<string, { example?: unknown }> }> } };

const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

/** The OpenAPI document describes every admin route well enough to call it without reading the code. */
describe('the OpenAPI document of the admin API', () => {
  let env: TestService;
  let doc: OpenApi;
  let adminOperations: [string, Operation][];

  beforeAll(async () => {
    env = await startTestService();
    const response = await fetch(`${env.url}/api/docs-json`);
    expect(response.status).toBe(200);
    doc = (await response.json()) as OpenApi;
    adminOperations = Object.entries(doc.paths)
      .filter(([path]) => path.startsWith('/api/admin'))
      .flatMap(([path, item]) => METHODS.filter((method) => item[method]).map((method) => [`${method.toUpperCase()} ${path}`, item[method]] as [string, Operation]));
  });
  afterAll(async () => {
    await env?.close();
  });

  it('gives every admin operation a summary and its 401 and 403 answers', () => {
    expect(adminOperations.length).toBeGreaterThan(10);
    const lacking = adminOperations.flatMap(([name, operation]) => [
      ...(operation.summary?.trim() ? [] : [`${name}: no summary`]),
      ...['401', '403'].filter((status) => !operation.responses[status]).map((status) => `${name}: no ${status}`),
    ]);
    expect(lacking).toEqual([]);
  });

  it('documents 400 and 404 wherever a path names a user, session, token or provider', () => {
    const lacking = adminOperations
      .filter(([name]) => /\{[a-zA-Z]*[iI]d\}/.test(name))
      .flatMap(([name, operation]) => ['400', '404'].filter((status) => !operation.responses[status]).map((status) => `${name}: no ${status}`));
    expect(lacking).toEqual([]);
  });

  it('shows DELETE /api/admin/users/{id} answering with the user deactivated (active false)', () => {
    const answer = doc.paths['/api/admin/users/{id}'].delete.responses['200'];
    const json = answer.content!['application/json'];
    expect(json.example).toMatchObject({ active: false, email: expect.any(String) });
    const schema = doc.components.schemas[json.schema!.$ref!.split('/').pop()!];
    expect(schema.properties!.active.example).toBe(false);
    expect(doc.paths['/api/admin/users/{id}'].delete.summary).toMatch(/deactivate/i);
  });
});
