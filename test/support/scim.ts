import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import { runCli } from '../../src/admin/admin-cli.js';

export const SCIM_JSON = 'application/scim+json';

export interface ScimAnswer {
  status: number;
  headers: Headers;
  body: Record<string, unknown> & { Resources?: Record<string, unknown>[] };
  text: string;
}

/** A SCIM client as a directory is one: a bearer token, `application/scim+json` both ways. */
export function scimClient(baseUrl: string, token: string) {
  return async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ScimAnswer> => {
    const response = await fetch(`${baseUrl}/scim/v2${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, accept: SCIM_JSON, ...(body !== undefined ? { 'content-type': SCIM_JSON } : {}), ...headers },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await response.text();
    let parsed: ScimAnswer['body'] = {};
    try {
      parsed = text ? JSON.parse(text) : {};
    } catch {
      // Left empty: the test asserts on `text`.
    }
    return { status: response.status, headers: response.headers, body: parsed, text };
  };
}

/** An admin API token for `email`, from the CLI as an operator makes one. */
export async function adminToken(databaseUrl: string, email: string): Promise<string> {
  const out: string[] = [];
  expect(await runCli(['tokens', 'create', '--email', email], { DATABASE_URL: databaseUrl }, { out: (line) => out.push(line), err: () => {} })).toBe(0);
  return out[0];
}

/** A SCIM token for `providerId` through the admin API. */
export async function createScimToken(baseUrl: string, admin: string, providerId: string, name: string): Promise<{ id: string; token: string }> {
  const response = await fetch(`${baseUrl}/api/admin/scim-tokens`, {
    method: 'POST',
    headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
    body: JSON.stringify({ providerId, name }),
  });
  expect(response.status).toBe(201);
  return (await response.json()) as { id: string; token: string };
}

interface ReplayStep {
  note: string;
  request: { method: string; path: string; body?: unknown; rawBody?: string };
  expect: { status: number; body?: Record<string, unknown>; totalResults?: number };
  /** Names a value of the answer (a dotted path into its body) for later steps' `{{name}}`. */
  save?: Record<string, string>;
}

export interface ScimFixture {
  description: string;
  source: string;
  steps: ReplayStep[];
}

export function loadFixture(name: string): ScimFixture {
  return JSON.parse(readFileSync(new URL(`../fixtures/scim/${name}`, import.meta.url), 'utf8')) as ScimFixture;
}

/**
 * Sends a fixture's requests in order, as the directory would, checking each answer's status and
 * the fields the fixture names; `{{name}}` in a path or body is a value saved from an earlier answer.
 */
export async function replay(client: ReturnType<typeof scimClient>, fixture: ScimFixture, saved: Record<string, string> = {}): Promise<Record<string, string>> {
  for (const step of fixture.steps) {
    const fill = (text: string) => text.replace(/\{\{(\w+)\}\}/g, (_, name: string) => {
      if (!(name in saved)) throw new Error(`step "${step.note}" uses {{${name}}}, which no earlier step saved`);
      return saved[name];
    });
    const path = fill(step.request.path);
    const body = step.request.rawBody !== undefined ? fill(step.request.rawBody) : step.request.body === undefined ? undefined : JSON.parse(fill(JSON.stringify(step.request.body)));
    const answer = await client(step.request.method, path, body);
    expect({ step: step.note, status: answer.status }, answer.text).toEqual({ step: step.note, status: step.expect.status });
    if (answer.status !== 204) expect(answer.headers.get('content-type'), step.note).toMatch(/^application\/scim\+json/);
    if (step.expect.body) expect(answer.body, step.note).toMatchObject(JSON.parse(fill(JSON.stringify(step.expect.body))));
    for (const [name, path] of Object.entries(step.save ?? {})) saved[name] = String(path.split('.').reduce<unknown>((value, key) => (value as Record<string, unknown>)?.[key], answer.body));
  }
  return saved;
}
