import { describe, expect, it } from 'vitest';
import { attributesFromCsvRow, parseAttributeTail, parseDcaseName } from '../../../src/main/data/import/dcase-names';

describe('DCASE names', () => {
  it('parses the 2022-2025 pattern with attribute tails of every machine type', () => {
    expect(parseDcaseName('section_00_source_train_normal_0362_car_C2_spd_31V_mic_1.wav')).toEqual({
      section: '00',
      domain: 'source',
      split: 'train',
      label: 'normal',
      index: '0362',
      attributes: { car: 'C2', spd: '31V', mic: '1' },
    });
    expect(parseDcaseName('section_00_target_test_anomaly_0040_volt_1.5_wt_130.wav')).toMatchObject({ domain: 'target', label: 'anomaly', attributes: { volt: '1.5', wt: '130' } });
    expect(parseDcaseName('section_00_source_test_anomaly_0022_m-n_W.wav')?.attributes).toEqual({ 'm-n': 'W' });
    expect(parseDcaseName('section_01_target_test_normal_0000_noAttribute.wav')?.attributes).toEqual({});
    expect(parseDcaseName('section_02_source_test_normal_0003.wav')).toMatchObject({ section: '02', attributes: {} });
  });

  it('parses evaluation names without domain or label, and supplemental names', () => {
    expect(parseDcaseName('section_00_0199.wav')).toMatchObject({ section: '00', domain: null, label: null, split: null, index: '0199' });
    expect(parseDcaseName('section_00_noise_0007_noise_B_mic_2.wav')).toMatchObject({ split: 'supplemental', supplemental: 'noise', attributes: { noise: 'B', mic: '2' } });
    expect(parseDcaseName('normal_id_02_00000012.wav')).toMatchObject({ section: '02', label: 'normal', domain: null });
  });

  it('refuses names it cannot read instead of guessing', () => {
    expect(parseDcaseName('recording 1.wav')).toBeNull();
    expect(parseDcaseName('section_0_source_train_normal_1.wav')).toBeNull();
  });

  it('keeps an odd attribute tail whole', () => {
    expect(parseAttributeTail('pat_03_extra')).toEqual({ attributes: 'pat_03_extra' });
  });

  it('reads attributes_00.csv rows', () => {
    expect(attributesFromCsvRow({ file_name: 'x.wav', d1p: 'spd', d1v: '2', d2p: 'mic', d2v: 'B', d3p: 'noAttribute', d3v: '' })).toEqual({ spd: '2', mic: 'B' });
  });
});
