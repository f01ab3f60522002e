// What every machine family provides to the synthesiser.
import type { Rng } from '../rng';

/** Operating condition of one clip. */
export interface Condition {
  /** shaft speed relative to the unit's nominal speed (about 0.8..1.2 over the speed levels) */
  speed: number;
  /** load in 0..1 over the load levels */
  load: number;
}

export interface AnomalyDraw {
  kind: string;
  /** 0 = no change, 0.5 = moderate, 1 and above = severe */
  intensity: number;
}

export interface RenderContext {
  /** output buffer, written from zero: the family adds its machine sound at its own scale */
  out: Float32Array;
  sr: number;
  cond: Condition;
  anomaly: AnomalyDraw | null;
  /** this clip's randomness (small natural variation from clip to clip) */
  rng: Rng;
}

export interface AnomalyKindInfo {
  kind: string;
  /** what a listener hears, in one line */
  description: string;
}

export interface MachineFamily<U> {
  type: string;
  description: string;
  anomalies: readonly AnomalyKindInfo[];
  /** draws one unit (a section): its own base frequencies and geometry */
  unit(rng: Rng): U;
  render(ctx: RenderContext, unit: U): void;
}

/** a helper so each family file can type its unit and still sit in one registry */
export function family<U>(f: MachineFamily<U>): MachineFamily<unknown> {
  return f as MachineFamily<unknown>;
}

/** 10^(dB/20) */
export const db = (x: number): number => Math.pow(10, x / 20);

/** multiplicative per-clip spread: exp(N(0, sigma)) */
export const spread = (rng: Rng, sigma: number): number => Math.exp(sigma * rng.normal());
