/**
 * SVG → PNG with resvg (Rust, no browser, no native build step). Drawn at 2x so text stays crisp
 * on HiDPI laptops and when Slack's viewer zooms; very tall images (hundreds of servers) step down
 * so the PNG stays within what Slack previews and what a Node process renders quickly.
 */
import { Resvg, type ResvgRenderOptions } from '@resvg/resvg-js';

export interface PngOptions {
  /** Pixel density; default 2, lowered automatically for very large images. */
  scale?: number;
  /** Extra font files (e.g. a CJK font baked into the Docker image); system fonts are always loaded. */
  fontFiles?: string[];
}

/** Largest output we draw at full scale: ~32 MP (e.g. 3088 × 10000 px). */
const MAX_PIXELS = 32_000_000;

export function svgToPng(svg: string, options: PngOptions = {}): Buffer {
  const size = /<svg[^>]*\swidth="([\d.]+)"[^>]*\sheight="([\d.]+)"/.exec(svg);
  const width = Number(size?.[1] ?? 0);
  const height = Number(size?.[2] ?? 0);
  const scale = pngScale(width, height, options.scale ?? 2);
  return new Resvg(svg, resvgOptions(scale, options.fontFiles)).render().asPng();
}

/** resvg settings: system fonts with DejaVu Sans as the default and as "sans-serif". */
export function resvgOptions(scale: number, fontFiles?: string[]): ResvgRenderOptions {
  return {
    fitTo: { mode: 'zoom', value: scale },
    background: '#ffffff',
    font: {
      loadSystemFonts: true,
      defaultFontFamily: 'DejaVu Sans',
      sansSerifFamily: 'DejaVu Sans',
      ...(fontFiles ? { fontFiles } : {}),
    },
  };
}

/** The requested scale, reduced (never below 1) when the image would exceed MAX_PIXELS. */
export function pngScale(width: number, height: number, requested: number): number {
  const area = width * height;
  if (area <= 0) return requested;
  const fitting = Math.sqrt(MAX_PIXELS / area);
  return Math.max(1, Math.min(requested, Math.floor(fitting * 100) / 100));
}
