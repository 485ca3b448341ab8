import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openMigratedStore, type OpenedStore } from '../open.js';
import { sharedJsonParser } from './codec.js';
import { first, prepare, prepareInsert } from './prepared.js';

describe('prepared queries', () => {
  let dir = '';
  let store: OpenedStore;
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'latch-prepared-'));
    store = await openMigratedStore({ dataDir: dir });
  });
  afterAll(async () => {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('compiles once and runs with new values each time, keeping the constants of the query', async () => {
    const db = store.kysely;
    const insert = prepareInsert(db, 'replay', ['key', 'expires_at']);
    await insert({ key: 'a', expires_at: 10 });
    await insert({ key: 'b', expires_at: 20 });
    await insert({ key: 'c', expires_at: 30 });
    const find = prepare<{ key: string }, { key: string; expires_at: number }>(db, (p) =>
      db.selectFrom('replay').selectAll().where('key', '=', p<string>('key')).where('expires_at', '>', 15),
    );
    expect(await first(find({ key: 'a' }))).toBeUndefined();
    expect(await first(find({ key: 'b' }))).toEqual({ key: 'b', expires_at: 20 });
    expect(await first(find({ key: 'c' }))).toEqual({ key: 'c', expires_at: 30 });
  });

  it('on SQLite, runs through the driver directly, and still waits for an explicit transaction to end', async () => {
    const db = store.kysely;
    const insert = prepareInsert(db, 'replay', ['key', 'expires_at']);
    const find = prepare<{ key: string }, { key: string }>(db, (p) => db.selectFrom('replay').selectAll().where('key', '=', p<string>('key')));
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const transaction = db.transaction().execute(async (trx) => {
      await trx.insertInto('replay').values({ key: 'in-trx', expires_at: 1 }).execute();
      await held;
    });
    await new Promise((resolve) => setImmediate(resolve));
    // Issued while the transaction is open: neither may run inside it, nor see its uncommitted row.
    const seen = first(find({ key: 'in-trx' }));
    const written = insert({ key: 'during-trx', expires_at: 2 });
    let settled = false;
    void Promise.all([seen, written]).then(() => (settled = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(settled).toBe(false);
    release();
    await transaction;
    expect(await seen).toEqual({ key: 'in-trx', expires_at: 1 });
    await written;
    expect(await first(find({ key: 'during-trx' }))).toEqual({ key: 'during-trx', expires_at: 2 });
  });

  it('refuses to run without a value for a parameter', async () => {
    const db = store.kysely;
    const find = prepare<{ key: string }, unknown>(db, (p) => db.selectFrom('replay').selectAll().where('key', '=', p<string>('key')));
    expect(() => find({} as { key: string })).toThrow(/no value for parameter key/);
  });
});

describe('sharedJsonParser', () => {
  it('parses each text once and shares a deep-frozen value', () => {
    const parse = sharedJsonParser<{ a: { b: number[] } }>();
    const first = parse('{"a":{"b":[1]}}');
    expect(parse('{"a":{"b":[1]}}')).toBe(first);
    expect(Object.isFrozen(first.a.b)).toBe(true);
    expect(() => first.a.b.push(2)).toThrow(TypeError);
    const changed = parse('{"a":{"b":[2]}}');
    expect(changed).not.toBe(first);
    expect(changed.a.b).toEqual([2]);
  });
});
