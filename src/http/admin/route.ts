/**
 * One admin API route: method, path, summary, the scope it needs and zod schemas of its params, query, body and
 * response. register.ts turns the table into Fastify routes and openapi.ts into the OpenAPI document, so that
 * what is validated and what is documented cannot differ.
 */
import { z } from 'zod';
import type { AppContext } from '../context.js';
import type { AdminCaller, AdminScope } from './auth.js';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
type Schema = z.ZodType;
type Out<S> = S extends z.ZodType ? z.output<S> : undefined;

export interface RouteInput<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  caller: AdminCaller;
  ctx: AppContext;
  now: number;
}

export interface AdminRoute<P extends Schema | undefined = Schema | undefined, Q extends Schema | undefined = Schema | undefined, B extends Schema | undefined = Schema | undefined, R extends Schema | undefined = Schema | undefined> {
  method: HttpMethod;
  /** Below /admin/api, OpenAPI style: `/clients/{client_id}`. */
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  tag: string;
  scope: AdminScope;
  params?: P;
  query?: Q;
  body?: B;
  /** Whether the body may be left out (it is then parsed as `{}`). */
  bodyOptional?: boolean;
  /** The answer's schema; none for 204. */
  response?: R;
  status?: 200 | 201 | 204;
  handler(input: RouteInput<Out<P>, Out<Q>, Out<B>>): Promise<R extends z.ZodType ? z.input<R> : void>;
}

/** Keeps each route's types while the table holds them all. */
export function route<P extends Schema | undefined = undefined, Q extends Schema | undefined = undefined, B extends Schema | undefined = undefined, R extends Schema | undefined = undefined>(
  definition: AdminRoute<P, Q, B, R>,
): AdminRoute {
  return definition as unknown as AdminRoute;
}

/** RFC 9457 input strictness: unknown query parameters and body fields are refused, not ignored. */
export const MAX_LIMIT = 200;
export const DEFAULT_LIMIT = 50;

export const pageQueryShape = {
  limit: z.coerce.number().int().min(1).max(MAX_LIMIT).default(DEFAULT_LIMIT).describe(`How many items (1 to ${MAX_LIMIT})`),
  cursor: z.string().min(1).max(512).optional().describe('next_cursor of the previous page'),
};
export const searchShape = { q: z.string().max(200).optional().describe('Case-insensitive search text (empty: no search)') };

export function pageOf<T extends z.ZodType>(item: T) {
  return z.object({
    items: z.array(item),
    next_cursor: z.string().nullable().describe('Pass as ?cursor= for the next page; null on the last page'),
  });
}

export function pageQuery(query: { limit: number; cursor?: string | undefined; q?: string | undefined }) {
  const q = query.q?.trim();
  return { limit: query.limit, ...(query.cursor !== undefined ? { cursor: query.cursor } : {}), ...(q ? { q } : {}) };
}

/** Unix seconds. */
export const unixTime = z.number().int().describe('Unix time, seconds');
