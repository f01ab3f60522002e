// Model manifests: validation, sha256 checks, user-supplied models, licence switch, DSP encoder.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { logmelStats } from '../../src/main/audio/logmel';
import { listEncoders, loadEncoder, loadModelRegistry, readManifest } from '../../src/main/encoders';
import { tmpDir, tone } from '../helpers/tmp';

const REPO = path.resolve(import.meta.dirname, '..', '..');
const MODELS = path.join(REPO, 'models');
const FIXTURES = path.join(REPO, 'test', 'fixtures', 'encoders');

function shipped(): any {
  return JSON.parse(fs.readFileSync(path.join(MODELS, 'manifest.json'), 'utf8'));
}

/** A models folder in tmp holding `manifest` and copies of the shipped model files. */
function modelsCopy(manifest: any, copyFiles = true): string {
  const dir = tmpDir();
  if (copyFiles) for (const f of fs.readdirSync(MODELS)) if (f.endsWith('.onnx')) fs.copyFileSync(path.join(MODELS, f), path.join(dir, f));
  fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(manifest));
  return dir;
}

function index(m: any, id: string): number {
  return m.encoders.findIndex((e: any) => e.id === id);
}

describe('shipped manifest', () => {
  it('validates and lists every encoder with its licence state', async () => {
    const m = await readManifest(path.join(MODELS, 'manifest.json'));
    expect(m.encoders.map((e) => e.id)).toEqual(['logmel_stats', 'fbank_patch', 'oww_speech', 'ast', 'beats']);
    const list = await listEncoders({ modelsDir: MODELS });
    const byId = Object.fromEntries(list.map((s) => [s.id, s]));
    expect(byId.oww_speech.licenceRestricted).toBe(true);
    expect(byId.fbank_patch.licenceRestricted).toBe(false);
    expect(byId.ast.installed).toBe(false);
    expect(byId.ast.install).toMatch(/export-ast-onnx\.py/);
    expect(byId.beats.installed).toBe(false);
    expect(byId.fbank_patch.grid).toEqual({ freq: 12, time: 101 });
    expect(byId.oww_speech.grid).toEqual({ freq: 4, time: 240 });
  });

  it('records the true size and sha256 of each shipped file', async () => {
    const reg = await loadModelRegistry({ modelsDir: MODELS });
    for (const r of reg.list()) {
      for (const f of r.files) {
        expect(fs.statSync(f.path).size).toBe(f.bytes);
        const { createHash } = await import('node:crypto');
        expect(createHash('sha256').update(fs.readFileSync(f.path)).digest('hex')).toBe(f.sha256);
      }
    }
  });
});

describe('manifest validation names the file and the field', () => {
  it('rejects a missing block', async () => {
    const m = shipped();
    const i = index(m, 'fbank_patch');
    delete m.encoders[i].patches.grid;
    const dir = modelsCopy(m, false);
    await expect(loadModelRegistry({ modelsDir: dir })).rejects.toThrow(
      new RegExp(`model manifest .*manifest\\.json: encoders\\[${i}\\] \\(fbank_patch\\)\\.patches\\.grid`),
    );
  });

  it('rejects patch outputs that do not cover the layers', async () => {
    const m = shipped();
    delete m.encoders[index(m, 'oww_speech')].patches.outputs['13'];
    await expect(loadModelRegistry({ modelsDir: modelsCopy(m, false) })).rejects.toThrow(/\(oww_speech\)\.patches\.outputs: must map exactly the layers \[11, 12, 13, 14\]/);
  });

  it('rejects a bad sha256, a default layer outside the layers and a wrong format', async () => {
    const m = shipped();
    m.encoders[index(m, 'fbank_patch')].files[0].sha256 = 'XYZ';
    await expect(loadModelRegistry({ modelsDir: modelsCopy(m, false) })).rejects.toThrow(/files\.0\.sha256: must be 64 lowercase hex digits/);
    const m2 = shipped();
    m2.encoders[index(m2, 'fbank_patch')].default_layers = [7];
    await expect(loadModelRegistry({ modelsDir: modelsCopy(m2, false) })).rejects.toThrow(/default_layers: layer 7 is not in layers/);
    const m3 = { ...shipped(), format: 'hark-models/0' };
    await expect(loadModelRegistry({ modelsDir: modelsCopy(m3, false) })).rejects.toThrow(/format/);
  });

  it('rejects duplicate ids, invalid JSON and a missing manifest', async () => {
    const m = shipped();
    m.encoders.push({ ...m.encoders[index(m, 'fbank_patch')] });
    await expect(loadModelRegistry({ modelsDir: modelsCopy(m, false) })).rejects.toThrow(/encoder id 'fbank_patch' appears twice/);
    const dir = tmpDir();
    fs.writeFileSync(path.join(dir, 'manifest.json'), '{ "format": ');
    await expect(loadModelRegistry({ modelsDir: dir })).rejects.toThrow(/manifest\.json: not valid JSON/);
    await expect(loadModelRegistry({ modelsDir: tmpDir() })).rejects.toThrow(/manifest\.json: cannot read it \(ENOENT\)/);
  });
});

describe('model files are checked before a session is made', () => {
  it('names the file on a sha256 mismatch', async () => {
    const dir = modelsCopy(shipped());
    const file = path.join(dir, 'fbank_patch.onnx');
    const buf = fs.readFileSync(file);
    buf[buf.length - 5] ^= 0xff; // same size, different content
    fs.writeFileSync(file, buf);
    await expect(loadEncoder('fbank_patch', { modelsDir: dir })).rejects.toThrow(
      new RegExp(`model file ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} of encoder 'fbank_patch' has sha256 [0-9a-f]{64}, the manifest .* says 4c5ce16c`),
    );
  });

  it('names the file when it is truncated or missing', async () => {
    const dir = modelsCopy(shipped());
    const file = path.join(dir, 'oww_speech_embedding.onnx');
    fs.truncateSync(file, 1000);
    await expect(loadEncoder('oww_speech', { modelsDir: dir })).rejects.toThrow(/oww_speech_embedding\.onnx of encoder 'oww_speech' has 1000 bytes.*truncated or was replaced; regenerate it with tools\/make_oww_layers_onnx\.py/);
    fs.rmSync(file);
    await expect(loadEncoder('oww_speech', { modelsDir: dir })).rejects.toThrow(/oww_speech_embedding\.onnx of encoder 'oww_speech' is missing/);
  });

  it('says how to install a template model', async () => {
    await expect(loadEncoder('ast', { modelsDir: MODELS })).rejects.toThrow(/encoder 'ast' is not installed.*python3 tools\/export-ast-onnx\.py --out/);
    await expect(loadEncoder('nope', { modelsDir: MODELS })).rejects.toThrow(/unknown encoder 'nope'; known encoders: logmel_stats, fbank_patch/);
  });
});

describe('user-supplied models', () => {
  it('loads a model outside models/ through its own manifest', async () => {
    const enc = await loadEncoder('tiny_ast', { modelsDir: MODELS, userManifests: [path.join(FIXTURES, 'manifest.json')] });
    expect(enc.layers).toEqual([0, 1, 2, 3]);
    expect(enc.fingerprint).toMatch(/^tiny_ast@test-1#[0-9a-f]{16}$/);
    await enc.dispose();
  });

  it('fills in a shipped install template of the same id, with an absolute path', async () => {
    const dir = tmpDir();
    const fixture = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'manifest.json'), 'utf8'));
    const e = fixture.encoders.find((x: any) => x.id === 'tiny_ast');
    e.id = 'ast';
    e.files[0].path = path.join(FIXTURES, e.files[0].path);
    fs.writeFileSync(path.join(dir, 'user.json'), JSON.stringify({ format: 'hark-models/1', encoders: [e] }));
    const reg = await loadModelRegistry({ modelsDir: MODELS, userManifests: [path.join(dir, 'user.json')] });
    expect(reg.resolve('ast').installed).toBe(true);
    expect(reg.resolve('ast').source).toBe('user');
    const enc = await loadEncoder('ast', { registry: reg });
    expect((await enc.encodePatches(tone(10), [0])).data[0].length).toBe(1212 * 32);
    await enc.dispose();
  });

  it('refuses a user model that shadows an installed shipped one', async () => {
    const dir = tmpDir();
    const fixture = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'manifest.json'), 'utf8'));
    const e = fixture.encoders[0];
    e.id = 'fbank_patch';
    e.files[0].path = path.join(FIXTURES, e.files[0].path);
    fs.writeFileSync(path.join(dir, 'user.json'), JSON.stringify({ format: 'hark-models/1', encoders: [e] }));
    await expect(loadModelRegistry({ modelsDir: MODELS, userManifests: [path.join(dir, 'user.json')] })).rejects.toThrow(
      /encoder id 'fbank_patch' is defined twice: in .*models\/manifest\.json and in .*user\.json/,
    );
  });

  it('checks the graph against its entry', async () => {
    const dir = tmpDir();
    const fixture = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'manifest.json'), 'utf8'));
    const e = fixture.encoders.find((x: any) => x.id === 'tiny_beats');
    e.files[0].path = path.join(FIXTURES, e.files[0].path);
    e.patches.outputs['2'] = 'hidden_states_9';
    fs.writeFileSync(path.join(dir, 'user.json'), JSON.stringify({ format: 'hark-models/1', encoders: [e] }));
    await expect(loadEncoder('tiny_beats', { modelsDir: MODELS, userManifests: [path.join(dir, 'user.json')] })).rejects.toThrow(
      /tiny_beats\.onnx of encoder 'tiny_beats': has no output 'hidden_states_9'/,
    );
    e.patches.outputs['2'] = 'hidden_states_2';
    e.input.frames = 1000;
    fs.writeFileSync(path.join(dir, 'user.json'), JSON.stringify({ format: 'hark-models/1', encoders: [e] }));
    await expect(loadEncoder('tiny_beats', { modelsDir: MODELS, userManifests: [path.join(dir, 'user.json')] })).rejects.toThrow(
      /input 'fbank' has shape \[1, 998, 128\], the manifest implies \[1, 1000, 128\]/,
    );
  });
});

describe('licence switch', () => {
  it('refuses restricted models only when the project switched them off', async () => {
    await expect(loadEncoder('oww_speech', { modelsDir: MODELS, allowLicenceRestricted: false })).rejects.toThrow(
      /encoder 'oww_speech' has a restricted licence .*CC BY-NC-SA.* this project does not allow restricted models/,
    );
    const ok = await loadEncoder('fbank_patch', { modelsDir: MODELS, allowLicenceRestricted: false });
    await ok.dispose();
    const oww = await loadEncoder('oww_speech', { modelsDir: MODELS });
    expect(oww.licenceRestricted).toBe(true);
    await oww.dispose();
  });
});

describe('logmel_stats (DSP) behind the same interface', () => {
  it('embeds as logmelStats, 256 values, and has no patches or layers', async () => {
    const enc = await loadEncoder('logmel_stats', { modelsDir: MODELS });
    expect(enc.kind).toBe('embedding');
    expect(enc.dim).toBe(256);
    expect(enc.embeddingDim()).toBe(256);
    const wave = tone(10, 16_000, 330, 3);
    const e = await enc.embed(wave);
    expect(e).toEqual(logmelStats(wave));
    expect(e.length).toBe(256);
    await expect(enc.embed(wave, 3)).rejects.toThrow(/encoder 'logmel_stats' has no layers \(asked for layer 3\)/);
    await expect(enc.encodePatches(wave)).rejects.toThrow(/gives no patch tokens/);
    const bad = wave.slice();
    bad[77] = Number.NaN;
    await expect(enc.embed(bad)).rejects.toThrow(/encoder 'logmel_stats': waveform sample 77 is NaN/);
    await enc.dispose();
    await expect(enc.embed(wave)).rejects.toThrow(/disposed/);
  });
});
