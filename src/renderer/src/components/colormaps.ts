// Colour maps as 256-entry RGB lookup tables, interpolated from a few anchors of the published maps.
export type ColormapName = 'viridis' | 'magma' | 'gray';

const ANCHORS: Record<ColormapName, [number, number, number][]> = {
  viridis: [
    [68, 1, 84],
    [72, 40, 120],
    [62, 74, 137],
    [49, 104, 142],
    [38, 130, 142],
    [31, 158, 137],
    [53, 183, 121],
    [109, 205, 89],
    [180, 222, 44],
    [253, 231, 37],
  ],
  magma: [
    [0, 0, 4],
    [28, 16, 68],
    [79, 18, 123],
    [129, 37, 129],
    [181, 54, 122],
    [229, 80, 100],
    [251, 135, 97],
    [254, 194, 135],
    [252, 253, 191],
  ],
  gray: [
    [0, 0, 0],
    [255, 255, 255],
  ],
};

const cache = new Map<string, Uint8ClampedArray>();

export function lut(name: ColormapName): Uint8ClampedArray {
  let t = cache.get(name);
  if (t) return t;
  const a = ANCHORS[name];
  t = new Uint8ClampedArray(256 * 3);
  for (let i = 0; i < 256; i++) {
    const x = (i / 255) * (a.length - 1);
    const k = Math.min(a.length - 2, Math.floor(x));
    const f = x - k;
    for (let c = 0; c < 3; c++) t[i * 3 + c] = a[k][c] + f * (a[k + 1][c] - a[k][c]);
  }
  cache.set(name, t);
  return t;
}

/** Anomaly heat: transparent at 0, through orange to white-hot at 1 (alpha rises with value). */
export function heatRgba(v: number): [number, number, number, number] {
  const x = Math.max(0, Math.min(1, v));
  const r = 255;
  const g = Math.round(255 * Math.max(0, (x - 0.35) / 0.65));
  const b = Math.round(255 * Math.max(0, (x - 0.8) / 0.2));
  return [r, g, b, Math.round(255 * Math.min(1, x * 1.25))];
}
