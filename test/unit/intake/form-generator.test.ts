import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateDataset } from '../../../src/main/data/generator';
import { formReport } from '../../../src/main/data/form/form-check';
import { listDcase } from '../../../src/main/data/import/dcase';
import { importListing } from '../../../src/main/data/import/importer';
import { Store } from '../../../src/main/store/store';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hark-form-gen-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

async function reportAt(scale: number) {
  const out = path.join(dir, `gen-${scale}`);
  await generateDataset({ out, scale, seed: 4, machines: ['gearbox'] });
  const store = Store.create(path.join(out, 'project'));
  try {
    await importListing(store, listDcase(out));
    return formReport(store).sections[0];
  } finally {
    store.close();
  }
}

describe('the Form report on generator output', () => {
  it('follows the package size: a tiny package is short of source normals, a larger one enables B and C', async () => {
    const small = await reportAt(0.02);
    const large = await reportAt(0.1);
    const item = (r: typeof small, id: string) => r.items.find((i) => i.id === id)!;
    // DCASE 2025 counts scaled: 990 x 0.02 -> 20 source normals, target never below 3
    expect(item(small, 'source_normal')).toMatchObject({ value: 20, status: 'below_minimum' });
    expect(item(small, 'target_normal')).toMatchObject({ value: 3, status: 'minimum' });
    expect(item(large, 'source_normal')).toMatchObject({ value: 99, status: 'minimum' });
    expect(item(large, 'noise_only').value).toBeGreaterThan(item(small, 'noise_only').value);
    // the generator writes every Form metadata field
    expect(item(large, 'metadata').status).toBe('recommended');
    expect(small.routing.approaches).toEqual(['A']);
    expect(small.gaps.join(' ')).toMatch(/Source normal/);
    expect(large.routing.approaches).toEqual(['A', 'B', 'C']);
    expect(large.routing.primary).toBe('A');
    // labeled test clips count as verification evidence, 4 per domain x label at least
    expect(large.labels.normal).toBeGreaterThanOrEqual(8);
    expect(large.labels.anomaly).toBeGreaterThanOrEqual(8);
  }, 180_000);
});
