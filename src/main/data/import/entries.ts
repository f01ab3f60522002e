// What an importer source yields: one entry per audio file, with everything known about it.
import type { Attributes, Domain, Label, Role, Split } from '../../../shared/domain';

export interface ImportEntry {
  path: string; // absolute
  machineType: string;
  section: string;
  domain: Domain | null;
  split: Split;
  label: Label | null;
  role: Role;
  attributes: Attributes;
  sourcePackage: string;
}

export interface ImportProblem {
  path: string;
  level: 'error' | 'warning';
  message: string;
}

export interface ImportListing {
  entries: ImportEntry[];
  problems: ImportProblem[];
}

export const AUDIO_EXT = /\.(wav|flac)$/i;

export function roleFor(split: Split, domain: Domain | null, label: Label | null): Role {
  if (split === 'train') return domain === 'target' ? 'target_normal' : 'source_normal';
  if (split === 'supplemental') return 'noise_only';
  return label === null ? 'test' : 'test';
}
