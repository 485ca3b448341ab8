/**
 * RFC 9457 problem details for the admin API: every refusal is `application/problem+json` with type, title,
 * status, detail and, for bad input, `errors` naming each wrong field (`redirect_uris[1]`, `limit`, `cursor`).
 * Bad input is never a 500; an unknown error is a generic 500 whose detail is logged, never sent.
 */
import type { FastifyError, FastifyReply } from 'fastify';
import { z } from 'zod';
import { AdminInputError, AdminNotFoundError } from '../../admin/errors.js';
import { isBearerError } from '../../resource-server/bearer-error.js';
import { InvalidCursorError, StorageConflictError } from '../../storage/types.js';
import { asStoreUnavailable } from '../../storage/unavailable.js';
import { noStore } from '../responses.js';

export const PROBLEM_TYPE = 'application/problem+json';

export interface FieldError {
  field: string;
  message: string;
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: FieldError[];
}

/** The document of a problem, for the OpenAPI document's error responses. */
export const problemSchema = z
  .object({
    type: z.string().describe('A URI naming the kind of problem (RFC 9457 §3.1.1)'),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    errors: z.array(z.object({ field: z.string(), message: z.string() })).optional().describe('Each wrong field of the request'),
  });

const base = 'urn:latch:problem:';

/** A refusal with its problem document and headers (WWW-Authenticate, Retry-After). */
export class ProblemError extends Error {
  constructor(
    readonly problem: Problem,
    readonly headers: Record<string, string> = {},
  ) {
    super(problem.detail);
    this.name = 'ProblemError';
  }
}

export function invalidInput(errors: FieldError[], detail = 'the request has invalid fields'): ProblemError {
  return new ProblemError({ type: `${base}invalid-input`, title: 'Invalid input', status: 400, detail, errors });
}

/** `redirect_uris[1]`, `scope_descriptions.read`, `limit`: where an issue is, the way a caller writes it. */
export function fieldPath(path: readonly PropertyKey[], prefix = ''): string {
  let out = prefix;
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out;
}

/** Each zod issue as the fields it names (an unknown key names itself). */
export function zodFieldErrors(error: z.ZodError, prefix = ''): FieldError[] {
  const out: FieldError[] = [];
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) out.push({ field: fieldPath([...issue.path, key], prefix), message: 'is not a known field' });
    } else {
      out.push({ field: fieldPath(issue.path, prefix) || 'body', message: issue.message });
    }
  }
  return out;
}

/**
 * An admin service names the field (`redirect_uris`); when that field of the body is a list and the message
 * quotes one of its values, the index is named too (`redirect_uris[1]`).
 */
function locateField(err: AdminInputError, body: unknown): string {
  if (typeof body !== 'object' || body === null) return err.field;
  const value = (body as Record<string, unknown>)[err.field];
  if (!Array.isArray(value)) return err.field;
  const index = value.findIndex((v) => typeof v === 'string' && err.reason.includes(`"${v.trim()}"`));
  return index < 0 ? err.field : `${err.field}[${index}]`;
}

function fromFastify(err: FastifyError): ProblemError | undefined {
  const status = err.statusCode ?? 500;
  if (status < 400 || status >= 500) return undefined;
  if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    return new ProblemError({ type: `${base}unsupported-media-type`, title: 'Unsupported media type', status: 415, detail: 'send the body as application/json' });
  }
  if (status === 413) return new ProblemError({ type: `${base}too-large`, title: 'Body too large', status: 413, detail: 'the request body is too large' });
  return invalidInput([{ field: 'body', message: err.message }], `malformed request: ${err.message}`);
}

/** Whatever went wrong, as a problem. `body` is the request body, to name the list item at fault. */
export function toProblem(err: unknown, body?: unknown): { error: ProblemError; internal: boolean } {
  if (err instanceof ProblemError) return { error: err, internal: false };
  if (err instanceof z.ZodError) return { error: invalidInput(zodFieldErrors(err)), internal: false };
  if (err instanceof AdminInputError) {
    return { error: invalidInput([{ field: locateField(err, body), message: err.reason }], err.message), internal: false };
  }
  if (err instanceof InvalidCursorError) {
    return { error: invalidInput([{ field: 'cursor', message: 'is not a cursor this list gave out; start again without it' }]), internal: false };
  }
  if (err instanceof AdminNotFoundError) {
    return { error: new ProblemError({ type: `${base}not-found`, title: 'Not found', status: 404, detail: err.message }), internal: false };
  }
  if (err instanceof StorageConflictError) {
    return { error: new ProblemError({ type: `${base}conflict`, title: 'Conflict', status: 409, detail: err.message }), internal: false };
  }
  if (isBearerError(err)) {
    const title = err.code === 'insufficient_scope' ? 'Insufficient scope' : err.code === 'invalid_request' ? 'Invalid request' : 'Unauthorized';
    return {
      error: new ProblemError({ type: `${base}${err.code ?? 'unauthorized'}`.replace(/_/g, '-'), title, status: err.status, detail: err.description }, err.headers),
      internal: false,
    };
  }
  const unavailable = asStoreUnavailable(err);
  if (unavailable) {
    return {
      error: new ProblemError(
        { type: `${base}unavailable`, title: 'Service unavailable', status: 503, detail: 'the database is unavailable right now; try again after Retry-After seconds' },
        { 'Retry-After': String(unavailable.retryAfter) },
      ),
      internal: false,
    };
  }
  const fastify = err instanceof Error && typeof (err as FastifyError).code === 'string' ? fromFastify(err as FastifyError) : undefined;
  if (fastify) return { error: fastify, internal: false };
  return {
    error: new ProblemError({ type: 'about:blank', title: 'Internal Server Error', status: 500, detail: 'the server could not complete the request' }),
    internal: true,
  };
}

export function sendProblem(reply: FastifyReply, error: ProblemError): FastifyReply {
  for (const [name, value] of Object.entries(error.headers)) reply.header(name, value);
  return noStore(reply).code(error.problem.status).type(`${PROBLEM_TYPE}; charset=utf-8`).send(JSON.stringify(error.problem));
}
