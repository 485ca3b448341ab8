import { InvalidRequest } from './errors.js';

/** Request parameters of one protocol request, each present at most once. */
export type Params = ReadonlyMap<string, string>;

/** Parameters that may legitimately repeat (RFC 8707 §2: `resource`). */
const repeatable = new Set(['resource']);

export interface ParsedParams {
  params: Params;
  /** Repeatable parameters, all values. */
  multi: ReadonlyMap<string, string[]>;
  /** Names sent more than once where that is not allowed. */
  duplicates: string[];
}

/**
 * RFC 6749 §3.1: "Parameters sent without a value MUST be treated as if they were omitted from the
 * request. ... Request and response parameters MUST NOT be included more than once."
 * Duplicates are reported, not thrown, so that /authorize can decide whether the error may be redirected.
 */
export function collectParams(entries: Iterable<[string, string]>): ParsedParams {
  const params = new Map<string, string>();
  const multi = new Map<string, string[]>();
  const duplicates: string[] = [];
  for (const [name, value] of entries) {
    if (value === '') continue;
    if (repeatable.has(name)) {
      const list = multi.get(name);
      if (list) list.push(value);
      else multi.set(name, [value]);
      if (!params.has(name)) params.set(name, value);
      continue;
    }
    if (params.has(name)) {
      if (!duplicates.includes(name)) duplicates.push(name);
      continue;
    }
    params.set(name, value);
  }
  return { params, multi, duplicates };
}

/** Like collectParams, but throws invalid_request on a duplicate. */
export function parseParams(entries: Iterable<[string, string]>): ParsedParams {
  const parsed = collectParams(entries);
  rejectDuplicates(parsed);
  return parsed;
}

export function rejectDuplicates(parsed: ParsedParams, redirectable = false): void {
  if (parsed.duplicates.length > 0) {
    throw new InvalidRequest(`parameter(s) included more than once: ${parsed.duplicates.join(', ')}`, { redirectable });
  }
}

/**
 * The parameters among `names` that are present, and no others: a handler sees only those it declares.
 * RFC 6749 §3.1: "The authorization server MUST ignore unrecognized request parameters."
 */
export function onlyParams(params: Params, names: readonly string[]): Params {
  const picked = new Map<string, string>();
  for (const name of names) {
    const value = params.get(name);
    if (value !== undefined) picked.set(name, value);
  }
  return picked;
}

export function required(params: Params, name: string): string {
  const value = params.get(name);
  if (value === undefined) throw new InvalidRequest(`missing required parameter: ${name}`);
  return value;
}

/** Splits a space-delimited list (scope, response_type, prompt), dropping empty entries. */
export function spaceList(value: string | undefined): string[] {
  if (!value) return [];
  return value.split(' ').filter(Boolean);
}
