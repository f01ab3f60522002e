// DCASE file names and attribute tails: what a name says about a clip. Pure.
import type { Attributes, Domain, Label, Split } from '../../../shared/domain';

export interface DcaseName {
  section: string;
  domain: Domain | null;
  split: Split | null;
  label: Label | null;
  index: string;
  attributes: Attributes;
  /** what kind of supplemental material the name says it is, when it says */
  supplemental?: 'noise' | 'clean';
}

// section_00_source_train_normal_0001_<attrs>.wav (2022-2025), tail optional (2021)
const FULL = /^section_(\d{2})_(source|target)_(train|test)_(normal|anomaly)_(\d+)(?:_(.+))?$/;
// evaluation sets and plant data: section_00_0000.wav, no domain, no label
const EVAL = /^section_(\d{2})_(\d+)(?:_(.+))?$/;
// supplemental, as the generator writes it: section_00_noise_0001_<attrs>, section_00_clean_0001_<attrs>
const SUPP = /^section_(\d{2})_(?:supplemental_)?(noise|clean)(?:_only)?_(\d+)(?:_(.+))?$/;
// DCASE 2020 / MIMII style: normal_id_00_00000000.wav, anomaly_id_02_00000012.wav
const ID2020 = /^(normal|anomaly|abnormal)_id_(\d{2})_(\d+)$/;

/** Parses an attribute tail such as `car_C2_spd_34V_mic_1` or `m-n_W` into key/value pairs. */
export function parseAttributeTail(tail: string | undefined): Attributes {
  if (!tail || tail === 'noAttribute') return {};
  const parts = tail.split('_');
  const out: Attributes = {};
  if (parts.length % 2 !== 0) {
    out.attributes = tail; // not in pairs: keep it whole rather than guess
    return out;
  }
  for (let i = 0; i < parts.length; i += 2) out[parts[i]] = parts[i + 1];
  return out;
}

export function parseDcaseName(fileName: string): DcaseName | null {
  const stem = fileName.replace(/\.(wav|flac)$/i, '');
  let m = FULL.exec(stem);
  if (m) {
    return { section: m[1], domain: m[2] as Domain, split: m[3] as Split, label: m[4] as Label, index: m[5], attributes: parseAttributeTail(m[6]) };
  }
  m = SUPP.exec(stem);
  if (m) {
    return { section: m[1], domain: null, split: 'supplemental', label: null, index: m[3], attributes: parseAttributeTail(m[4]), supplemental: m[2] as 'noise' | 'clean' };
  }
  m = EVAL.exec(stem);
  if (m) return { section: m[1], domain: null, split: null, label: null, index: m[2], attributes: parseAttributeTail(m[3]) };
  m = ID2020.exec(stem);
  if (m) return { section: m[2], domain: null, split: null, label: m[1] === 'normal' ? 'normal' : 'anomaly', index: m[3], attributes: {} };
  return null;
}

/** attributes_00.csv rows: file_name,d1p,d1v,d2p,d2v,... -> per file name (relative path as written) */
export function attributesFromCsvRow(row: Record<string, string>): Attributes {
  const out: Attributes = {};
  for (let i = 1; i < 64; i++) {
    const k = row[`d${i}p`];
    if (k === undefined) break;
    const v = row[`d${i}v`];
    if (k !== '' && k !== 'noAttribute' && v !== undefined && v !== '') out[k] = v;
  }
  return out;
}
