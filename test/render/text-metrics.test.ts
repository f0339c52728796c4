import { existsSync } from 'node:fs';
import { Resvg } from '@resvg/resvg-js';
import { describe, expect, it } from 'vitest';
import { resvgOptions } from '../../src/render/flow-png.js';
import { escapeXml } from '../../src/render/text-safety.js';
import { ASCII_FIRST, EXTRA_CHARS, FONT_FAMILY, LATIN1_FIRST, WIDTH_TABLES, fitText, textWidth } from '../../src/render/text-metrics.js';
import { readFontWidths } from './support/font-advance-widths.js';

const FONT_DIR = '/usr/share/fonts/truetype/dejavu';

describe('width table', () => {
  it.each([
    ['regular', 'DejaVuSans.ttf'],
    ['bold', 'DejaVuSans-Bold.ttf'],
  ] as const)('%s matches the installed %s', (weight, file) => {
    const path = `${FONT_DIR}/${file}`;
    if (!existsSync(path)) return; // nothing to compare against on this machine
    const font = readFontWidths(path);
    const permille = (ch: number) => Math.ceil(((font.advance(ch) ?? 0) * 1000) / font.unitsPerEm);
    const table = WIDTH_TABLES[weight];
    expect(table.ascii).toEqual(table.ascii.map((_, i) => permille(ASCII_FIRST + i)));
    expect(table.latin1).toEqual(table.latin1.map((_, i) => permille(LATIN1_FIRST + i)));
    expect(table.extra).toEqual([...EXTRA_CHARS].map((ch) => permille(ch.codePointAt(0)!)));
  });
});

describe('textWidth', () => {
  it.each([
    ['web-01.prod.eu-west-1', 13, true],
    ['hook exited 1: npm ci: ENOSPC', 12, false],
    ['✗ before deploy: WWWWW iiiii', 11, false],
  ])('estimates "%s" at %ipx within 3%% of what resvg draws', (text, size, bold) => {
    const svg =
      `<svg xmlns="http://www.w3.org/2000/svg" width="1000" height="50"><text x="0" y="30" font-family="${escapeXml(FONT_FAMILY)}" ` +
      `font-size="${size}"${bold ? ' font-weight="bold"' : ''}>${escapeXml(text)}</text></svg>`;
    const bbox = new Resvg(svg, resvgOptions(1)).getBBox();
    expect(bbox).toBeDefined();
    // The ink box is a little narrower than the advance widths (side bearings).
    expect(Math.abs(textWidth(text, size, bold) - bbox!.width)).toBeLessThan(textWidth(text, size, bold) * 0.03 + 2);
  });

  it('counts unknown characters (CJK, emoji) as a full em, so estimates err wide', () => {
    expect(textWidth('数据', 10)).toBe(20);
    expect(textWidth('🚀', 10)).toBe(10);
  });
});

describe('fitText', () => {
  it('keeps text that fits', () => {
    expect(fitText('web-01', 100, 12)).toBe('web-01');
  });

  it('cuts at a code point boundary and ends with an ellipsis within the width', () => {
    const cut = fitText('web-01.prod.eu-west-1.example.com', 100, 12, true);
    expect(cut.endsWith('…')).toBe(true);
    expect(textWidth(cut, 12, true)).toBeLessThanOrEqual(100);
    expect(fitText('🚀🚀🚀🚀🚀🚀', 40, 10)).toBe('🚀🚀🚀…');
  });

  it('trims a trailing space before the ellipsis', () => {
    expect(fitText('abc defghijklmnop', textWidth('abc d…', 12) - 0.1, 12)).toBe('abc…');
  });
});
