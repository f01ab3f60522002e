// Small hooks over the client: calls with loading/error state, and event subscriptions.
import { useCallback, useEffect, useRef, useState } from 'react';
import type { EventMap, EventName, MethodName, Req, Res } from '../../shared/api';
import { hark } from './client';

export function useEvent<E extends EventName>(event: E, listener: (payload: EventMap[E]) => void): void {
  const ref = useRef(listener);
  ref.current = listener;
  useEffect(() => hark.on(event, (p) => ref.current(p)), [event]);
}

export interface CallState<T> {
  data: T | null;
  error: string | null;
  loading: boolean;
  reload: () => void;
}

/** Calls a method when its request changes (compared as JSON) and on reload(). */
export function useCall<K extends MethodName>(name: K, req: Req<K> | null): CallState<Res<K>> {
  const [data, setData] = useState<Res<K> | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const [tick, setTick] = useState(0);
  const key = req === null ? null : JSON.stringify(req);
  useEffect(() => {
    if (key === null) return;
    let live = true;
    setLoading(true);
    hark.call(name, JSON.parse(key) as Req<K>).then(
      (v) => {
        if (!live) return;
        setData(v);
        setError(null);
        setLoading(false);
      },
      (e: unknown) => {
        if (!live) return;
        setError(e instanceof Error ? e.message : String(e));
        setLoading(false);
      },
    );
    return () => {
      live = false;
    };
  }, [name, key, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data, error, loading, reload };
}
