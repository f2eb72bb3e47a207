/**
 * Draws the Teams app icons into `manifest/`: `color.png` (192×192, a white key on the accent
 * colour) and `outline.png` (32×32, the same key in white on transparent). Deterministic, so
 * running it again gives the same bytes: `npx tsx scripts/icons.ts`.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PNG } from 'pngjs';

/** The manifest's accentColor, #0F6CBD. */
const ACCENT = { r: 0x0f, g: 0x6c, b: 0xbd };
/** Samples per pixel side; edges get 1/SAMPLES² steps of coverage. */
const SAMPLES = 4;

/** Whether a point of the unit square lies on the key: a ring (the bow), a shaft and two teeth. */
function onKey(x: number, y: number): boolean {
  const distance = Math.hypot(x - 0.27, y - 0.5);
  const bow = distance <= 0.23 && distance >= 0.11;
  const shaft = x >= 0.47 && x <= 0.97 && y >= 0.44 && y <= 0.56;
  const tooth = (left: number, depth: number) =>
    x >= left && x <= left + 0.09 && y > 0.56 && y <= 0.56 + depth;
  return bow || shaft || tooth(0.7, 0.14) || tooth(0.86, 0.2);
}

/** Share of a pixel the key covers, when the key fills the box `inset` from each edge. */
function coverage(px: number, py: number, size: number, inset: number): number {
  let hits = 0;
  for (let sy = 0; sy < SAMPLES; sy++) {
    for (let sx = 0; sx < SAMPLES; sx++) {
      const x = (px + (sx + 0.5) / SAMPLES) / size;
      const y = (py + (sy + 0.5) / SAMPLES) / size;
      const u = (x - inset) / (1 - 2 * inset);
      const v = (y - inset) / (1 - 2 * inset);
      if (u >= 0 && u <= 1 && v >= 0 && v <= 1 && onKey(u, v)) hits += 1;
    }
  }
  return hits / (SAMPLES * SAMPLES);
}

function draw(size: number, inset: number, background: typeof ACCENT | undefined): PNG {
  const png = new PNG({ width: size, height: size });
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const i = (y * size + x) * 4;
      const key = coverage(x, y, size, inset);
      if (background) {
        // White blended over the accent colour: an opaque, full-colour icon.
        png.data[i] = Math.round(background.r + (255 - background.r) * key);
        png.data[i + 1] = Math.round(background.g + (255 - background.g) * key);
        png.data[i + 2] = Math.round(background.b + (255 - background.b) * key);
        png.data[i + 3] = 255;
      } else {
        // Outline icons are white only: edges are softened with alpha, never with grey.
        const alpha = Math.round(255 * key);
        png.data.fill(alpha === 0 ? 0 : 255, i, i + 3);
        png.data[i + 3] = alpha;
      }
    }
  }
  return png;
}

const dir = fileURLToPath(new URL('../manifest/', import.meta.url));
writeFileSync(`${dir}color.png`, PNG.sync.write(draw(192, 0.22, ACCENT)));
writeFileSync(`${dir}outline.png`, PNG.sync.write(draw(32, 0.03, undefined)));
console.log(`wrote ${dir}color.png and ${dir}outline.png`);
