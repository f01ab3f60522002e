// Envelope, errors and the contract helper shared by every host and client. Pure: no Node, no DOM.
import { z } from 'zod';

export interface RpcError {
  code: ErrorCode;
  message: string;
  /** dotted path of the request field that failed validation */
  field?: string;
}

export type ErrorCode =
  | 'invalid_request'
  | 'unknown_method'
  | 'not_found'
  | 'no_project'
  | 'conflict'
  | 'bad_input'
  | 'cancelled'
  | 'unauthorized'
  | 'too_large'
  | 'internal';

export type Result<T> = { ok: true; value: T } | { ok: false; error: RpcError };

/** An error a backend method throws on purpose; hosts turn it into {ok: false, error}. */
export class HarkError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'HarkError';
  }
}

export interface MethodSpec<S extends z.ZodType, R> {
  request: S;
  doc: string;
  /** phantom: carries the response type for the compiler only */
  readonly response?: R;
}

/** Curried so the response type can be named while the schema type is inferred. */
export const method =
  <R>() =>
  <S extends z.ZodType>(request: S, doc: string): MethodSpec<S, R> => ({ request, doc });

/** Turns a zod failure into the error a user reads: the field and what is wrong with it. */
export function validationError(err: z.ZodError): RpcError {
  const issue = err.issues[0];
  const field = issue && issue.path.length > 0 ? issue.path.map(String).join('.') : undefined;
  const what = issue ? issue.message : 'invalid request';
  return {
    code: 'invalid_request',
    message: field ? `${field}: ${what}` : what,
    ...(field ? { field } : {}),
  };
}

export function toRpcError(e: unknown): RpcError {
  if (e instanceof HarkError) return { code: e.code, message: e.message, ...(e.field ? { field: e.field } : {}) };
  if (e instanceof z.ZodError) return validationError(e);
  const message = e instanceof Error ? e.message : String(e);
  return { code: 'internal', message };
}
