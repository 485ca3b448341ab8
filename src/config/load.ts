import { readFileSync } from 'node:fs';
import { configSchema, settings, type Config } from './schema.js';

export class ConfigError extends Error {
  constructor(
    message: string,
    /** The environment variables at fault, e.g. `PORT`. */
    readonly settings: string[] = [],
  ) {
    super(message);
    this.name = 'ConfigError';
  }
}

type Key = keyof typeof settings;

/** Settings that were replaced: a start with one of them fails and names its successor, rather than ignoring it. */
const replaced: ReadonlyArray<{ env: string; key: string; by: Key; why: string }> = [
  { env: 'LATCH_LOGIN_MAX_ATTEMPTS', key: 'loginMaxAttempts', by: 'throttleMaxFailures', why: 'only failures count now, per account and address' },
  { env: 'LATCH_LOGIN_WINDOW', key: 'loginWindow', by: 'throttleWindow', why: 'the window is shared by every throttle' },
];

/**
 * Loads the configuration: defaults, then the JSON file named by LATCH_CONFIG (if any), then environment
 * variables, then `overrides`. A wrong value throws ConfigError naming the environment variable and file key.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<Record<Key, unknown>> = {}): Config {
  const raw: Record<string, unknown> = {};
  const configFile = env.LATCH_CONFIG;
  if (configFile) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(configFile, 'utf8'));
    } catch (err) {
      throw new ConfigError(`LATCH_CONFIG: cannot read ${configFile} as JSON: ${(err as Error).message}`, ['LATCH_CONFIG']);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new ConfigError(`LATCH_CONFIG: ${configFile} must hold a JSON object`, ['LATCH_CONFIG']);
    }
    Object.assign(raw, parsed);
  }
  const outdated = replaced.filter((r) => (env[r.env] !== undefined && env[r.env] !== '') || r.key in raw);
  if (outdated.length > 0) {
    const lines = outdated.map((r) => `${r.env} (config key "${r.key}") was replaced by ${settings[r.by].env} (config key "${r.by}"): ${r.why}`);
    throw new ConfigError(`Invalid configuration:\n  ${lines.join('\n  ')}`, outdated.map((r) => r.env));
  }
  for (const [key, setting] of Object.entries(settings) as [Key, (typeof settings)[Key]][]) {
    const value = env[setting.env];
    if (value !== undefined && value !== '') raw[key] = value;
  }
  for (const [key, value] of Object.entries(overrides)) {
    if (value !== undefined) raw[key] = value;
  }
  const result = configSchema.safeParse(raw);
  if (!result.success) {
    const named: string[] = [];
    const problems = result.error.issues.map((issue) => {
      const key = String(issue.path[0] ?? '');
      const setting = settings[key as Key];
      if (setting && !named.includes(setting.env)) named.push(setting.env);
      if (issue.code === 'unrecognized_keys') {
        return `config file: unknown setting(s) ${issue.keys.join(', ')}`;
      }
      const name = setting ? `${setting.env} (config key "${key}")` : key || 'config';
      return `${name}: ${issue.message}`;
    });
    throw new ConfigError(`Invalid configuration:\n  ${problems.join('\n  ')}`, named);
  }
  return result.data;
}
