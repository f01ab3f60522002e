// The one place a host turns (method name, raw request) into a validated backend call.
import { contract, type Backend, type CallContext, type MethodName } from '../../shared/api';
import { toRpcError, validationError, type Result } from '../../shared/rpc';

export function isMethodName(name: unknown): name is MethodName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(contract, name);
}

/** Validate, call, and wrap in the envelope. Never throws: every failure becomes {ok: false}. */
export async function dispatch(backend: Backend, name: unknown, raw: unknown, ctx: CallContext): Promise<Result<unknown>> {
  if (!isMethodName(name)) {
    return { ok: false, error: { code: 'unknown_method', message: `unknown method: ${String(name).slice(0, 100)}` } };
  }
  const parsed = contract[name].request.safeParse(raw ?? {});
  if (!parsed.success) return { ok: false, error: validationError(parsed.error) };
  try {
    const fn = backend[name] as (req: unknown, ctx: CallContext) => Promise<unknown>;
    const value = await fn.call(backend, parsed.data, ctx);
    return { ok: true, value: value === undefined ? null : value };
  } catch (e) {
    return { ok: false, error: toRpcError(e) };
  }
}
