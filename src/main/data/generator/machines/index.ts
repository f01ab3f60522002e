// The machine families the generator knows, in the order the CLI lists them.
import { bearing } from './bearing';
import { compressor } from './compressor';
import { fan } from './fan';
import { gearbox } from './gearbox';
import type { MachineFamily } from './model';
import { motor } from './motor';
import { pump } from './pump';
import { valve } from './valve';

export const FAMILIES: readonly MachineFamily<unknown>[] = [fan, bearing, valve, pump, motor, compressor, gearbox];

export const MACHINE_TYPES: readonly string[] = FAMILIES.map((f) => f.type);

export function familyOf(type: string): MachineFamily<unknown> {
  const f = FAMILIES.find((x) => x.type === type);
  if (!f) throw new Error(`unknown machine type '${type}'; known: ${MACHINE_TYPES.join(', ')}`);
  return f;
}

/** anomaly kinds of a machine type */
export function anomalyKinds(type: string): string[] {
  return familyOf(type).anomalies.map((a) => a.kind);
}
