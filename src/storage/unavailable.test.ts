import { describe, expect, it } from 'vitest';
import { asStoreUnavailable, StoreUnavailableError } from './unavailable.js';

function withCode(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

describe('asStoreUnavailable: which driver errors mean "unavailable for now"', () => {
  it.each([
    ['refused connection', withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED')],
    ['reset connection', withCode('read ECONNRESET', 'ECONNRESET')],
    ['pg_terminate_backend / restart (57P01 admin_shutdown)', withCode('terminating connection due to administrator command', '57P01')],
    ['server starting up (57P03 cannot_connect_now)', withCode('the database system is starting up', '57P03')],
    ['connection exception (class 08)', withCode('connection failure', '08006')],
    ['too many connections (53300)', withCode('sorry, too many clients already', '53300')],
    ['broken connection (pg)', new Error('Connection terminated unexpectedly')],
    ['connect timeout (pg)', new Error('Connection terminated due to connection timeout')],
    ['pool exhausted (pg-pool)', new Error('timeout exceeded when trying to connect')],
    ['client broken earlier (pg)', new Error('Client has encountered a connection error and is not queryable')],
    ['SQLite write lock held elsewhere', withCode('database is locked', 'SQLITE_BUSY')],
  ])('%s', (_name, error) => {
    const unavailable = asStoreUnavailable(error);
    expect(unavailable).toBeInstanceOf(StoreUnavailableError);
    expect(unavailable!.cause).toBe(error);
    expect(unavailable!.retryAfter).toBeGreaterThan(0);
  });

  it.each([
    ['a constraint', withCode('duplicate key value violates unique constraint', '23505')],
    ['bad SQL', withCode('syntax error at or near "selec"', '42601')],
    ['a SQLite constraint', withCode('UNIQUE constraint failed: items.id', 'SQLITE_CONSTRAINT_PRIMARYKEY')],
    ['a bug', new TypeError('cannot read properties of undefined')],
    ['not an error', 'ECONNREFUSED'],
  ])('not %s', (_name, error) => {
    expect(asStoreUnavailable(error)).toBeUndefined();
  });

  it('keeps an error that is already typed', () => {
    const error = new StoreUnavailableError('gone', { retryAfter: 2 });
    expect(asStoreUnavailable(error)).toBe(error);
  });
});
