import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { verifyPassword } from '../core/passwords.js';
import { openMigratedStore } from '../storage/open.js';
import { expectCode, runLatch } from './test-helpers.js';

let dataDir: string;
let env: NodeJS.ProcessEnv;
beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'latch-cli-users-'));
  env = { LATCH_DATA_DIR: dataDir };
});
afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

const latch = (argv: string[], stdin?: string) => runLatch(argv, stdin === undefined ? { env } : { env, stdin });

async function storedUser(email: string) {
  const store = await openMigratedStore({ dataDir });
  try {
    return await store.users.findByEmail(email);
  } finally {
    await store.close();
  }
}

/** Runs with a fake terminal on stdin and types each answer once its prompt (ending in ": ") appears. */
function answerPrompts(argv: string[], answers: string[]) {
  const stdin = Object.assign(new PassThrough(), { isTTY: true });
  let answered = 0;
  return runLatch(argv, {
    env,
    stdin,
    onStderr: (all) => {
      const prompts = all.split(': ').length - 1;
      while (answered < prompts && answered < answers.length) stdin.write(`${answers[answered++]}\n`);
    },
  });
}

describe('latch users', () => {
  it('create --password-stdin, then list, show, set-password, delete', async () => {
    const created = await latch(['users', 'create', '--email', 'Ada@Example.com', '--name', 'Ada Lovelace', '--password-stdin'], 'analytical engine\n');
    expectCode(created, 0);
    expect(created.stderr).toBe('');
    expect(created.stdout).toContain('ada@example.com');
    const user = await storedUser('ada@example.com');
    expect(user?.profile.name).toBe('Ada Lovelace');
    expect(await verifyPassword(user!.passwordHash!, 'analytical engine')).toBe(true);

    const list = await latch(['users', 'list']);
    expectCode(list, 0);
    expect(list.stdout).toMatch(/SUB\s+EMAIL/);
    expect(list.stdout).toContain(user!.sub);

    const shown = await latch(['users', 'show', 'ada@example.com', '--json']);
    expect(shown.json()).toMatchObject({ sub: user!.sub, email: 'ada@example.com', name: 'Ada Lovelace' });

    const set = await latch(['users', 'set-password', user!.sub, '--password-stdin'], 'difference engine');
    expectCode(set, 0);
    expect(await verifyPassword((await storedUser('ada@example.com'))!.passwordHash!, 'difference engine')).toBe(true);

    const deleted = await latch(['users', 'delete', 'ADA@example.com']);
    expectCode(deleted, 0);
    expect(deleted.stdout).toContain('Deleted user ada@example.com');
    expect(await storedUser('ada@example.com')).toBeUndefined();
    expect((await latch(['users', 'list'])).stdout).toContain('No users yet');
  });

  it('--json prints exactly one JSON object, never the password hash', async () => {
    const created = await latch(['users', 'create', '--email', 'grace@example.com', '--password-stdin', '--json', '--email-verified'], 'cobol rules');
    expectCode(created, 0);
    const user = created.json();
    expect(user).toMatchObject({ email: 'grace@example.com', email_verified: true, has_password: true });
    expect(typeof user.sub).toBe('string');
    expect(created.stdout).not.toContain('argon2');

    const list = await latch(['users', 'list', '--json']);
    expect(list.json()).toEqual({ users: [user] });

    const set = await latch(['users', 'set-password', 'grace@example.com', '--password-stdin', '--json'], 'new password');
    expect(set.stderr).toBe('');
    expect(set.json()).toMatchObject({ sub: user.sub });

    const deleted = await latch(['users', 'delete', user.sub as string, '--json']);
    expect(deleted.json()).toEqual({ deleted: true, sub: user.sub, email: 'grace@example.com' });
  });

  it('prompts for the password without echo at a terminal', async () => {
    const result = await answerPrompts(['users', 'create', '--email', 'tty@example.com'], ['typed secret', 'typed secret']);
    expectCode(result, 0);
    expect(result.stderr).toContain('Password: ');
    expect(result.stderr).toContain('Repeat password: ');
    expect(result.stderr).not.toContain('typed secret');
    expect(await verifyPassword((await storedUser('tty@example.com'))!.passwordHash!, 'typed secret')).toBe(true);
  });

  it('refuses two different entries at the prompt', async () => {
    const result = await answerPrompts(['users', 'create', '--email', 'tty2@example.com'], ['first entry', 'second entry']);
    expectCode(result, 1);
    expect(result.stderr).toMatch(/password: the two entries differ/);
    expect(await storedUser('tty2@example.com')).toBeUndefined();
  });

  it('stops when the terminal input ends before a password is typed', async () => {
    const stdin = Object.assign(new PassThrough(), { isTTY: true });
    const result = await runLatch(['users', 'create', '--email', 'eof@example.com'], {
      env,
      stdin,
      onStderr: (all) => {
        if (all.endsWith('Password: ')) stdin.end();
      },
    });
    expectCode(result, 1);
    expect(result.stderr).toMatch(/password: no input/);
  });

  it('errors clearly when stdin is not a terminal and --password-stdin is missing', async () => {
    const result = await latch(['users', 'create', '--email', 'pipe@example.com']);
    expectCode(result, 2);
    expect(result.stderr).toMatch(/--password-stdin: stdin is not a terminal/);
    expect(result.stdout).toBe('');
  });

  it('names the field on bad input', async () => {
    const dup1 = await latch(['users', 'create', '--email', 'dup@example.com', '--password-stdin'], 'password one');
    expectCode(dup1, 0);
    const dup2 = await latch(['users', 'create', '--email', 'DUP@example.com', '--password-stdin', '--json'], 'password two');
    expectCode(dup2, 1);
    expect(dup2.stderr).toMatch(/--email: a user with email dup@example.com already exists/);
    expect(dup2.stdout).toBe('');

    const bad = await latch(['users', 'create', '--email', 'not-an-email', '--password-stdin'], 'password');
    expectCode(bad, 1);
    expect(bad.stderr).toMatch(/--email: "not-an-email" is not a valid email address/);

    const short = await latch(['users', 'create', '--email', 'short@example.com', '--password-stdin'], 'short');
    expectCode(short, 1);
    expect(short.stderr).toMatch(/password: must be at least 8 characters/);

    const common = await latch(['users', 'create', '--email', 'common@example.com', '--password-stdin'], 'Password123');
    expectCode(common, 1);
    expect(common.stderr).toMatch(/password: is one of the most common passwords; choose another/);
    const setCommon = await latch(['users', 'set-password', 'dup@example.com', '--password-stdin'], 'iloveyou');
    expectCode(setCommon, 1);
    expect(setCommon.stderr).toMatch(/password: is one of the most common passwords; choose another/);

    const missing = await latch(['users', 'create', '--password-stdin'], 'password');
    expectCode(missing, 2);
    expect(missing.stderr).toMatch(/--email is required/);

    const unknownFlag = await latch(['users', 'create', '--emial', 'x@example.com']);
    expectCode(unknownFlag, 2);
    expect(unknownFlag.stderr).toMatch(/--emial/);
  });

  it('reports unknown users and missing arguments', async () => {
    const del = await latch(['users', 'delete', 'ghost@example.com']);
    expectCode(del, 1);
    expect(del.stderr).toMatch(/user not found: ghost@example.com/);
    const noArg = await latch(['users', 'delete']);
    expectCode(noArg, 2);
    expect(noArg.stderr).toMatch(/missing <sub\|email>/);
    const set = await latch(['users', 'set-password', 'ghost@example.com', '--password-stdin'], 'long enough');
    expectCode(set, 1);
    expect(set.stderr).toMatch(/user not found/);
  });

  it('create --role (repeatable), grant-role, revoke-role, disable, enable; list shows roles and disabled', async () => {
    const created = await latch(['users', 'create', '--email', 'root@example.com', '--role', 'admin', '--role', 'support', '--password-stdin', '--json'], 'root password');
    expectCode(created, 0);
    expect(created.json()).toMatchObject({ roles: ['admin', 'support'], disabled: false });
    expect((await storedUser('root@example.com'))?.roles).toEqual(['admin', 'support']);

    const plain = await latch(['users', 'create', '--email', 'kai@example.com', '--password-stdin'], 'kai password');
    expectCode(plain, 0);
    const granted = await latch(['users', 'grant-role', 'kai@example.com', 'admin']);
    expectCode(granted, 0);
    expect(granted.stdout).toContain('Granted role admin to kai@example.com');
    expect((await latch(['users', 'grant-role', 'kai@example.com', 'admin'])).stdout).toContain('already has role admin');
    expect((await storedUser('kai@example.com'))?.roles).toEqual(['admin']);

    const disabled = await latch(['users', 'disable', 'kai@example.com', '--json']);
    expectCode(disabled, 0);
    expect(disabled.json()).toMatchObject({ email: 'kai@example.com', disabled: true });
    expect((await storedUser('kai@example.com'))?.disabledAt).toEqual(expect.any(Number));

    const list = await latch(['users', 'list']);
    expect(list.stdout).toMatch(/ROLES\s+DISABLED/);
    const kaiLine = list.stdout.split('\n').find((l) => l.includes('kai@example.com'))!;
    expect(kaiLine).toMatch(/admin\s+\d{4}-\d{2}-\d{2}T/);
    const rootLine = list.stdout.split('\n').find((l) => l.includes('root@example.com'))!;
    expect(rootLine).toMatch(/admin,support\s+no\s/);

    const enabled = await latch(['users', 'enable', 'kai@example.com']);
    expectCode(enabled, 0);
    expect(enabled.stdout).toContain('can sign in again');
    expect((await storedUser('kai@example.com'))?.disabledAt).toBeNull();

    const revoked = await latch(['users', 'revoke-role', 'kai@example.com', 'admin']);
    expectCode(revoked, 0);
    expect(revoked.stdout).toContain('Revoked role admin from kai@example.com');
    expect((await storedUser('kai@example.com'))?.roles).toEqual([]);

    const store = await openMigratedStore({ dataDir });
    try {
      const types = (await store.events.page({}, { limit: 50 })).items.map((e) => e.type);
      expect(types).toEqual(expect.arrayContaining(['user.created', 'user.role_granted', 'user.disabled', 'user.enabled', 'user.role_revoked']));
    } finally {
      await store.close();
    }
  });

  it('refuses a bad role, an unknown user and missing arguments for the role and state commands', async () => {
    const bad = await latch(['users', 'create', '--email', 'x@example.com', '--role', 'Admin', '--password-stdin'], 'long enough');
    expectCode(bad, 1);
    expect(bad.stderr).toMatch(/--role: "Admin" is not a role name/);
    expect(await storedUser('x@example.com')).toBeUndefined();
    expectCode(await latch(['users', 'create', '--email', 'y@example.com', '--password-stdin'], 'long enough'), 0);
    const badGrant = await latch(['users', 'grant-role', 'y@example.com', 'has space']);
    expectCode(badGrant, 1);
    expect(badGrant.stderr).toMatch(/role: "has space" is not a role name/);
    const ghost = await latch(['users', 'disable', 'ghost@example.com']);
    expectCode(ghost, 1);
    expect(ghost.stderr).toMatch(/user not found: ghost@example.com/);
    const missing = await latch(['users', 'grant-role', 'y@example.com']);
    expectCode(missing, 2);
    expect(missing.stderr).toMatch(/missing <role>/);
    expectCode(await latch(['users', 'enable']), 2);
  });
});
