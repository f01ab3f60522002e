// Every approach Hark offers, by id. Adding one is a folder under approaches/ and one line here.
import type { Approach, ApproachId } from './types';
import { approachA } from './a';
import { approachB } from './b';
import { approachC } from './c';

/**
 * An approach with its Config and State hidden: callers obtain a config from parseConfig and a
 * state from fit / deserialise and hand them back unchanged (Approach's methods are bivariant).
 */
export type AnyApproach = Approach<unknown, unknown>;

export const APPROACHES: Record<ApproachId, AnyApproach> = {
  A: approachA,
  B: approachB,
  C: approachC,
};

/** The registered approaches in id order. */
export function listApproaches(): AnyApproach[] {
  return (Object.keys(APPROACHES) as ApproachId[]).sort().map((id) => APPROACHES[id]);
}

/** The approach with this id; throws naming the id and the registered ones otherwise. */
export function getApproach(id: string): AnyApproach {
  const a = Object.prototype.hasOwnProperty.call(APPROACHES, id) ? APPROACHES[id as ApproachId] : undefined;
  if (!a) throw new Error(`unknown approach '${id}' (registered: ${Object.keys(APPROACHES).sort().join(', ') || 'none'})`);
  return a;
}
