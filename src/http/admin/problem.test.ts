import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { AdminInputError, AdminNotFoundError } from '../../admin/errors.js';
import { BearerError } from '../../resource-server/bearer-error.js';
import { InvalidCursorError, StorageConflictError } from '../../storage/types.js';
import { StoreUnavailableError } from '../../storage/unavailable.js';
import { fieldPath, toProblem, zodFieldErrors } from './problem.js';

describe('fieldPath and zodFieldErrors', () => {
  it('writes paths the way a caller does: redirect_uris[1], address.country', () => {
    expect(fieldPath(['redirect_uris', 1])).toBe('redirect_uris[1]');
    expect(fieldPath(['address', 'country'])).toBe('address.country');
    expect(fieldPath([])).toBe('');
  });

  it('names each unknown key and each wrong value', () => {
    const schema = z.strictObject({ uris: z.array(z.string()), limit: z.number() });
    const result = schema.safeParse({ uris: ['a', 1], extra: true, other: 1 });
    expect(result.success).toBe(false);
    expect(zodFieldErrors(result.error!).map((e) => e.field).sort()).toEqual(['extra', 'limit', 'other', 'uris[1]']);
  });
});

describe('toProblem', () => {
  it('AdminInputError: 400 naming the field, with the list index when the message quotes the value', () => {
    const err = new AdminInputError('redirect_uris', '"http://b.example/cb" must use https');
    const { error, internal } = toProblem(err, { redirect_uris: ['https://a.example/cb', 'http://b.example/cb'] });
    expect(internal).toBe(false);
    expect(error.problem).toMatchObject({ status: 400, title: 'Invalid input', errors: [{ field: 'redirect_uris[1]', message: '"http://b.example/cb" must use https' }] });
    expect(toProblem(err, {}).error.problem.errors).toEqual([{ field: 'redirect_uris', message: '"http://b.example/cb" must use https' }]);
  });

  it('a cursor the list did not give out: 400 naming cursor', () => {
    expect(toProblem(new InvalidCursorError()).error.problem).toMatchObject({ status: 400, errors: [{ field: 'cursor' }] });
  });

  it('not found 404, conflict 409', () => {
    expect(toProblem(new AdminNotFoundError('client', 'x')).error.problem).toMatchObject({ status: 404, detail: 'client not found: x' });
    expect(toProblem(new StorageConflictError('taken')).error.problem).toMatchObject({ status: 409, title: 'Conflict' });
  });

  it('bearer errors keep their status and WWW-Authenticate', () => {
    const { error } = toProblem(new BearerError('insufficient_scope', 'needs admin:write', { realm: 'r', scope: 'admin:write' }));
    expect(error.problem.status).toBe(403);
    expect(error.headers['WWW-Authenticate']).toBe('Bearer realm="r", error="insufficient_scope", error_description="needs admin:write", scope="admin:write"');
  });

  it('the store unavailable: 503 with Retry-After, also when the driver says so in its own words', () => {
    const { error } = toProblem(new StoreUnavailableError('down', { retryAfter: 7 }));
    expect(error.problem.status).toBe(503);
    expect(error.headers['Retry-After']).toBe('7');
    const busy = Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' });
    expect(toProblem(busy).error.headers['Retry-After']).toBe('1');
  });

  it('anything else: a generic 500, flagged internal, its message not sent', () => {
    const { error, internal } = toProblem(new Error('secret detail'));
    expect(internal).toBe(true);
    expect(error.problem.status).toBe(500);
    expect(JSON.stringify(error.problem)).not.toContain('secret detail');
  });
});
