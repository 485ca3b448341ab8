import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MAX_PASSWORD_LENGTH } from '../passwords.js';
import { loadPasswordPolicy, MIN_PASSWORD_LENGTH, parseCommonPasswords, passwordProblem } from './password-policy.js';

const policy = loadPasswordPolicy();
const COMMON = 'is one of the most common passwords; choose another';

describe('the password policy', () => {
  it('ships the 10,000 most common passwords, read from the file beside the code', () => {
    // 10,000 lines; a few differ only in case ("Password", "PASSWORD") and count once lower-cased.
    expect(policy.common.size).toBeGreaterThan(9_800);
    expect(policy.common.size).toBeLessThanOrEqual(10_000);
    for (const pw of ['123456', 'password', 'password123', 'qwertyuiop', 'iloveyou', 'trustno1', 'baseball']) expect(policy.common.has(pw)).toBe(true);
    expect(policy.common.has('correct horse battery staple')).toBe(false);
    expect(policy.common.has('')).toBe(false);
    for (const entry of policy.common) expect(entry).toBe(entry.toLowerCase());
    const licence = fs.readFileSync(new URL('./common-passwords.LICENSE', import.meta.url), 'utf8');
    expect(licence).toMatch(/^MIT License/);
  });

  it('keeps 8 and 1024 as the length limits', () => {
    expect(policy.minLength).toBe(MIN_PASSWORD_LENGTH);
    expect(MIN_PASSWORD_LENGTH).toBe(8);
    expect(policy.maxLength).toBe(MAX_PASSWORD_LENGTH);
    expect(passwordProblem(policy, 'seven77')).toBe('must be at least 8 characters');
    expect(passwordProblem(policy, '')).toBe('must be at least 8 characters');
    expect(passwordProblem(policy, 'eight ok')).toBeUndefined();
    expect(passwordProblem(policy, 'x'.repeat(MAX_PASSWORD_LENGTH) + 'y')).toBe(`must be at most ${MAX_PASSWORD_LENGTH} characters`);
    expect(passwordProblem(policy, 'xy'.repeat(MAX_PASSWORD_LENGTH / 2))).toBeUndefined();
    expect(passwordProblem(policy, 42)).toBe('must be a string');
  });

  it('refuses a common password whatever its case, and accepts a long uncommon one', () => {
    for (const pw of ['password123', 'PASSWORD123', 'PassWord123', 'qwertyuiop', 'Iloveyou', '12345678', 'baseball']) expect(passwordProblem(policy, pw)).toBe(COMMON);
    expect(passwordProblem(policy, 'correct horse battery staple')).toBeUndefined();
    expect(passwordProblem(policy, 'password123 ')).toBeUndefined();
  });

  it('reads another list when given one: blank lines skipped, entries lower-cased', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'latch-policy-'));
    try {
      const file = path.join(dir, 'list.txt');
      fs.writeFileSync(file, '\nHunter22\r\nletmein!\n\n');
      const custom = loadPasswordPolicy(file);
      expect([...custom.common].sort()).toEqual(['hunter22', 'letmein!']);
      expect(passwordProblem(custom, 'HUNTER22')).toBe(COMMON);
      expect(passwordProblem(custom, 'password123')).toBeUndefined();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    expect(parseCommonPasswords('')).toEqual(new Set());
  });
});
