import { Resvg } from '@resvg/resvg-js';
import { describe, expect, it } from 'vitest';
import { layoutFlow } from '../../src/render/layout/flow-layout.js';
import { pngScale, resvgOptions } from '../../src/render/flow-png.js';
import { renderFlowPng, renderFlowSvg } from '../../src/render/index.js';
import { fiftyServers, oneServerSuccess } from './support/fixtures.js';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function ihdr(png: Buffer): { width: number; height: number } {
  expect(png.subarray(0, 8)).toEqual(PNG_SIGNATURE);
  expect(png.toString('latin1', 12, 16)).toBe('IHDR');
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

describe('renderFlowPng', () => {
  it('renders a PNG at twice the layout size', () => {
    const snapshot = oneServerSuccess();
    const scene = layoutFlow(snapshot);
    expect(ihdr(renderFlowPng(snapshot))).toEqual({ width: scene.width * 2, height: scene.height * 2 });
    expect(ihdr(renderFlowPng(snapshot, { scale: 1 }))).toEqual({ width: scene.width, height: scene.height });
  });

  it('a 50-server image is taller and heavier than a 1-server one, and stays a sane size', () => {
    const one = renderFlowPng(oneServerSuccess());
    const fifty = renderFlowPng(fiftyServers());
    expect(ihdr(fifty).width).toBe(ihdr(one).width);
    expect(ihdr(fifty).height).toBeGreaterThan(ihdr(one).height * 2);
    expect(fifty.length).toBeGreaterThan(one.length);
    expect(fifty.length).toBeLessThan(1_000_000);
  });

  it('draws text: fonts are found (an SVG without fonts renders blank labels)', () => {
    const svg = renderFlowSvg(oneServerSuccess());
    const image = new Resvg(svg, resvgOptions(1)).render();
    const pixels = image.pixels; // a getter that copies: read it once
    // Count dark pixels where the title is: it is the only thing drawn there.
    let dark = 0;
    for (let y = 20; y < 45; y++) {
      for (let x = 24; x < 400; x++) {
        const i = (y * image.width + x) * 4;
        if (pixels[i]! < 100 && pixels[i + 1]! < 100 && pixels[i + 2]! < 100) dark++;
      }
    }
    expect(dark).toBeGreaterThan(500);
  });

  it('steps the scale down for huge images, never below 1', () => {
    expect(pngScale(1544, 1000, 2)).toBe(2);
    const scale = pngScale(1544, 8000, 2);
    expect(scale).toBeLessThan(2);
    expect(1544 * scale * 8000 * scale).toBeLessThanOrEqual(32_000_000);
    expect(pngScale(1544, 100_000, 2)).toBe(1);
  });
});
