import { describe, expect, it } from 'vitest';
import { contract, METHOD_NAMES } from '../../../src/shared/api';
import { dispatch } from '../../../src/main/hosts/dispatch';
import type { Backend } from '../../../src/shared/api';
import { HarkError } from '../../../src/shared/rpc';

// a backend whose every method echoes what it received, to test validation and envelopes alone
const echo = new Proxy({} as Backend, {
  get: (_t, name) => async (req: unknown) => {
    if (name === 'jobs.cancel') throw new HarkError('not_found', 'no job x');
    if (name === 'project.recent') throw new Error('disk on fire');
    return { echoed: req };
  },
});

describe('contract', () => {
  it('has a schema and a doc line for every method', () => {
    expect(METHOD_NAMES.length).toBeGreaterThan(5);
    for (const name of METHOD_NAMES) {
      expect(typeof contract[name].doc).toBe('string');
      expect(contract[name].request.safeParse).toBeTypeOf('function');
    }
  });

  it('names the failing field', async () => {
    const r = await dispatch(echo, 'clips.waveform', { clipId: 'seven' }, { host: 'cli' });
    expect(r).toMatchObject({ ok: false, error: { code: 'invalid_request', field: 'clipId' } });
    if (!r.ok) expect(r.error.message).toContain('clipId');
  });

  it('names nested fields with a dotted path', async () => {
    const r = await dispatch(echo, 'clips.list', { filter: { domain: 'moon' } }, { host: 'cli' });
    expect(r).toMatchObject({ ok: false, error: { field: 'filter.domain' } });
  });

  it('refuses unknown fields instead of ignoring them', async () => {
    const r = await dispatch(echo, 'project.open', { path: '/x', extra: 1 }, { host: 'cli' });
    expect(r.ok).toBe(false);
  });

  it('fills defaults before the backend sees the request', async () => {
    const r = await dispatch(echo, 'clips.list', {}, { host: 'cli' });
    expect(r).toEqual({ ok: true, value: { echoed: { filter: {}, sort: 'name', desc: false, offset: 0, limit: 200 } } });
  });

  it('refuses unknown methods, including prototype names', async () => {
    for (const name of ['nope', 'toString', '__proto__', 'constructor', 42, null]) {
      const r = await dispatch(echo, name, {}, { host: 'cli' });
      expect(r).toMatchObject({ ok: false, error: { code: 'unknown_method' } });
    }
  });

  it('turns thrown errors into envelopes with their code', async () => {
    expect(await dispatch(echo, 'jobs.cancel', { jobId: 'x' }, { host: 'cli' })).toEqual({
      ok: false,
      error: { code: 'not_found', message: 'no job x' },
    });
    expect(await dispatch(echo, 'project.recent', {}, { host: 'cli' })).toEqual({
      ok: false,
      error: { code: 'internal', message: 'disk on fire' },
    });
  });

  it('treats a missing request as an empty object', async () => {
    expect((await dispatch(echo, 'app.info', undefined, { host: 'cli' })).ok).toBe(true);
    expect((await dispatch(echo, 'project.open', undefined, { host: 'cli' })).ok).toBe(false);
  });
});
