/**
 * The admin API, called with the signed-in person's bearer token (RFC 6750 §2.1). Errors come as RFC 9457
 * problem details; ApiError keeps what a form needs to point at the wrong field.
 */
import { issuerUrl } from './auth.js';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly field: string | undefined,
  ) {
    super(message);
  }
}

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

type Query = Record<string, string | number | undefined>;

export interface Api {
  get<T>(path: string, query?: Query): Promise<T>;
  send<T>(method: 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<T>;
}

/** The field a problem document names: `field`, or the first of `errors` / `invalid_params` (RFC 9457 §3 example). */
function problemField(problem: Record<string, unknown>): string | undefined {
  if (typeof problem.field === 'string') return problem.field;
  for (const key of ['errors', 'invalid_params']) {
    const list = problem[key];
    if (Array.isArray(list) && list[0] && typeof list[0] === 'object') {
      const first = list[0] as Record<string, unknown>;
      const name = first.field ?? first.name ?? first.pointer;
      if (typeof name === 'string') return name.replace(/^#?\//, '').replace(/\//g, '.');
    }
  }
  return undefined;
}

async function toError(response: Response): Promise<ApiError> {
  let problem: Record<string, unknown> = {};
  try {
    problem = (await response.json()) as Record<string, unknown>;
  } catch {
    // not JSON
  }
  // RFC 9457 with Latch's `errors` member: the first wrong field's message says more than the summary.
  const errors = Array.isArray(problem.errors) ? (problem.errors as Array<{ message?: unknown }>) : [];
  const first = typeof errors[0]?.message === 'string' ? errors[0].message : undefined;
  const detail = [first, problem.detail, problem.title, problem.error_description, problem.error].find((v) => typeof v === 'string') as string | undefined;
  return new ApiError(response.status, detail ?? `The server answered ${response.status}.`, problemField(problem));
}

export function createApi(token: string, onAuthFailure: (status: 401 | 403) => void): Api {
  const base = `${issuerUrl()}/admin/api`;
  async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { authorization: `Bearer ${token}`, accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(base + path, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}), credentials: 'omit' });
    if (response.status === 401 || response.status === 403) {
      const error = await toError(response);
      onAuthFailure(response.status);
      throw error;
    }
    if (!response.ok) throw await toError(response);
    if (response.status === 204) return undefined as T;
    const text = await response.text();
    return (text ? JSON.parse(text) : undefined) as T;
  }
  return {
    get<T>(path: string, query: Query = {}) {
      const params = new URLSearchParams();
      for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') params.set(k, String(v));
      const qs = params.toString();
      return call<T>('GET', qs ? `${path}?${qs}` : path);
    },
    send<T>(method: 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, body?: unknown) {
      return call<T>(method, path, body);
    },
  };
}

export const enc = encodeURIComponent;
