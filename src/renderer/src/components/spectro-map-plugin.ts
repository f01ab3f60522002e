// A wavesurfer plugin that draws the engine's spectrogram and approach A's patch anomaly map inside
// the waveform's wrapper. Both canvases span 100 % of the wrapper's width, as the regions plugin places
// its elements, so zoom and scroll keep spectrogram, map and waveform aligned without extra code.
import BasePlugin, { type BasePluginEvents } from 'wavesurfer.js/dist/base-plugin.js';
import type { ClipAnomaly, Spectrogram } from '../../../shared/api';
import { heatRgba, lut, type ColormapName } from './colormaps';

export interface SpectroMapOptions {
  spectrogram: Spectrogram;
  anomaly: ClipAnomaly | null;
  height?: number;
  colormap?: ColormapName;
  opacity?: number;
  /** 'mean' or a layer index present in anomaly.perLayer */
  layer?: 'mean' | number;
  showMap?: boolean;
}

const kaldiMel = (hz: number) => 1127 * Math.log(1 + hz / 700);
const htkMel = (hz: number) => 2595 * Math.log10(1 + hz / 700);
const htkHz = (m: number) => 700 * (10 ** (m / 2595) - 1);
// Slaney (librosa default): linear below 1 kHz, logarithmic above
const slaneyMel = (hz: number) => (hz < 1000 ? (3 * hz) / 200 : 15 + Math.log(hz / 1000) / (Math.log(6.4) / 27));
const slaneyHz = (m: number) => (m < 15 ? (200 * m) / 3 : 1000 * Math.exp((Math.log(6.4) / 27) * (m - 15)));
const DISPLAY = { fmin: 20, fmax: 8000 };

/** Display-bin position (0..bins) of a frequency on the AST fbank's kaldi mel axis. */
function displayPos(hz: number, bins: number): number {
  const lo = kaldiMel(DISPLAY.fmin);
  const hi = kaldiMel(DISPLAY.fmax);
  return ((kaldiMel(Math.min(DISPLAY.fmax, Math.max(DISPLAY.fmin, hz))) - lo) / (hi - lo)) * bins;
}

/** Display bins [b0, b1) covered by map row f, converting through Hz when the encoder has its own mel axis. */
export function rowBins(g: ClipAnomaly['geometry'], f: number, bins: number): [number, number] {
  const a = g.melAxis;
  if (!a || a.scale === 'kaldi') {
    const scale = bins / g.melBins;
    return [Math.max(0, Math.floor(f * g.melStep * scale)), Math.min(bins, Math.ceil((f * g.melStep + g.melSpan) * scale))];
  }
  const toMel = a.scale === 'slaney' ? slaneyMel : htkMel;
  const toHz = a.scale === 'slaney' ? slaneyHz : htkHz;
  const lo = toMel(a.fminHz);
  const hi = toMel(a.fmaxHz);
  const edgeHz = (k: number) => toHz(lo + ((hi - lo) * k) / g.melBins);
  const b0 = displayPos(edgeHz(f * g.melStep), bins);
  const b1 = displayPos(edgeHz(f * g.melStep + g.melSpan), bins);
  return [Math.max(0, Math.floor(b0)), Math.min(bins, Math.ceil(b1))];
}

/** The map painted on the spectrogram's own frames x bins raster: overlapping patches averaged. */
export function rasteriseMap(anomaly: ClipAnomaly, values: Float32Array, frames: number, bins: number, frameShiftS: number): Float32Array {
  const g = anomaly.geometry;
  const sum = new Float32Array(frames * bins);
  const cnt = new Uint16Array(frames * bins);
  for (let f = 0; f < g.freq; f++) {
    const [b0, b1] = rowBins(g, f, bins);
    for (let t = 0; t < g.time; t++) {
      const v = values[f * g.time + t];
      const fr0 = Math.max(0, Math.round((t * g.timeStepS) / frameShiftS));
      const fr1 = Math.min(frames, Math.round((t * g.timeStepS + g.timeSpanS) / frameShiftS));
      for (let fr = fr0; fr < fr1; fr++) {
        const row = fr * bins;
        for (let b = b0; b < b1; b++) {
          sum[row + b] += v;
          cnt[row + b]++;
        }
      }
    }
  }
  for (let i = 0; i < sum.length; i++) sum[i] = cnt[i] ? sum[i] / cnt[i] : NaN;
  return sum;
}

export class SpectroMapPlugin extends BasePlugin<BasePluginEvents, SpectroMapOptions> {
  private container: HTMLDivElement | null = null;
  private specCanvas: HTMLCanvasElement | null = null;
  private mapCanvas: HTMLCanvasElement | null = null;

  static create(options: SpectroMapOptions): SpectroMapPlugin {
    return new SpectroMapPlugin(options);
  }

  protected override onInit(): void {
    const ws = this.wavesurfer!;
    const wrapper = ws.getWrapper();
    const div = document.createElement('div');
    div.className = 'spectro-map';
    div.setAttribute('part', 'spectro-map');
    div.style.cssText = `position: relative; width: 100%; height: ${this.options.height ?? 256}px; margin-top: 4px;`;
    const spec = document.createElement('canvas');
    spec.className = 'spectro-canvas';
    spec.dataset.testid = 'spectrogram';
    const map = document.createElement('canvas');
    map.className = 'map-canvas';
    map.dataset.testid = 'anomaly-map';
    for (const c of [spec, map]) c.style.cssText = 'position: absolute; left: 0; top: 0; width: 100%; height: 100%; image-rendering: pixelated;';
    div.append(spec, map);
    wrapper.appendChild(div);
    this.container = div;
    this.specCanvas = spec;
    this.mapCanvas = map;
    this.drawSpectrogram();
    this.drawMap();
  }

  update(opts: Partial<SpectroMapOptions>): void {
    const specChanged = opts.spectrogram !== undefined && opts.spectrogram !== this.options.spectrogram;
    const cmapChanged = opts.colormap !== undefined && opts.colormap !== this.options.colormap;
    this.options = { ...this.options, ...opts };
    if (specChanged || cmapChanged) this.drawSpectrogram();
    this.drawMap();
  }

  private drawSpectrogram(): void {
    const c = this.specCanvas;
    if (!c) return;
    const s = this.options.spectrogram;
    c.width = Math.max(1, s.frames);
    c.height = s.bins;
    const ctx = c.getContext('2d')!;
    const img = ctx.createImageData(c.width, c.height);
    const table = lut(this.options.colormap ?? 'viridis');
    const span = s.max - s.min || 1;
    for (let f = 0; f < s.frames; f++) {
      for (let b = 0; b < s.bins; b++) {
        const v = (s.data[f * s.bins + b] - s.min) / span;
        const k = Math.max(0, Math.min(255, Math.round(v * 255)));
        const y = s.bins - 1 - b; // low frequencies at the bottom
        const o = (y * c.width + f) * 4;
        img.data[o] = table[k * 3];
        img.data[o + 1] = table[k * 3 + 1];
        img.data[o + 2] = table[k * 3 + 2];
        img.data[o + 3] = 255;
      }
    }
    ctx.putImageData(img, 0, 0);
  }

  private drawMap(): void {
    const c = this.mapCanvas;
    if (!c) return;
    const { anomaly, spectrogram: s } = this.options;
    c.style.opacity = String(this.options.opacity ?? 0.6);
    c.style.display = this.options.showMap === false || !anomaly ? 'none' : 'block';
    if (!anomaly) return;
    const layer = this.options.layer ?? 'mean';
    const values = layer === 'mean' ? anomaly.values : (anomaly.perLayer[layer] ?? anomaly.values);
    // colour scale from this map's 70th percentile to its maximum: the typical patches stay clear and
    // only the most anomalous ones light up, however loud the clip is overall
    const sorted = Float32Array.from(values).sort();
    const lo = sorted[Math.floor(0.7 * (sorted.length - 1))] ?? 0;
    const hi = sorted[sorted.length - 1] ?? 1;
    const raster = rasteriseMap(anomaly, values, s.frames, s.bins, s.frameShiftS);
    c.width = Math.max(1, s.frames);
    c.height = s.bins;
    const ctx = c.getContext('2d')!;
    const img = ctx.createImageData(c.width, c.height);
    const span = hi - lo || 1;
    for (let f = 0; f < s.frames; f++) {
      for (let b = 0; b < s.bins; b++) {
        const v = raster[f * s.bins + b];
        if (Number.isNaN(v)) continue;
        if (v <= lo) continue;
        const [r, g, bl, a] = heatRgba((v - lo) / span);
        const o = ((s.bins - 1 - b) * c.width + f) * 4;
        img.data[o] = r;
        img.data[o + 1] = g;
        img.data[o + 2] = bl;
        img.data[o + 3] = a;
      }
    }
    ctx.putImageData(img, 0, 0);
  }

  override destroy(): void {
    this.container?.remove();
    this.container = null;
    super.destroy();
  }
}
