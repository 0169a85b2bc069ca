import type { Response } from 'supertest';

/** Asserts an RFC 7807 answer with the given status and code, and returns its body. */
export function expectProblem(res: Response, status: number, code?: string): Record<string, unknown> & { errors?: { field?: string; message: string }[] } {
  if (res.status !== status) throw new Error(`expected ${status}, got ${res.status}: ${JSON.stringify(res.body ?? res.text)}`);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  const body = (res.body && Object.keys(res.body as object).length ? res.body : JSON.parse(res.text)) as Record<string, unknown>;
  expect(body).toMatchObject({ status, type: expect.any(String), title: expect.any(String), detail: expect.any(String), instance: expect.any(String) });
  expect(body.request_id).toBe(res.headers['x-request-id']);
  if (code) {
    expect(body.code).toBe(code);
    expect(body.type).toBe(`urn:geo-visibility-engine:problem:${code}`);
  }
  return body;
}
