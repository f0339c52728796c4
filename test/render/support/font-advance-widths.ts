/**
 * Reads advance widths straight out of a TrueType file (head, hhea, hmtx and the format-4 cmap),
 * so the checked-in table in src/render/text-metrics.ts can be regenerated and verified against
 * the font installed on a machine. Only what that needs; not a general font parser.
 */
import { readFileSync } from 'node:fs';

export interface FontWidths {
  unitsPerEm: number;
  /** Advance width in font units for a code point, or undefined when the font has no glyph. */
  advance(codePoint: number): number | undefined;
}

export function readFontWidths(path: string): FontWidths {
  const buf = readFileSync(path);
  const numTables = buf.readUInt16BE(4);
  const tables = new Map<string, number>();
  for (let i = 0; i < numTables; i++) {
    const rec = 12 + i * 16;
    tables.set(buf.toString('latin1', rec, rec + 4), buf.readUInt32BE(rec + 8));
  }
  const table = (tag: string): number => {
    const offset = tables.get(tag);
    if (offset === undefined) throw new Error(`${path}: no ${tag} table`);
    return offset;
  };

  const unitsPerEm = buf.readUInt16BE(table('head') + 18);
  const numberOfHMetrics = buf.readUInt16BE(table('hhea') + 34);
  const hmtx = table('hmtx');
  const glyphAdvance = (glyph: number): number =>
    buf.readUInt16BE(hmtx + 4 * Math.min(glyph, numberOfHMetrics - 1));

  // Find the Windows Unicode BMP subtable (platform 3, encoding 1), which must be format 4.
  const cmap = table('cmap');
  let sub = -1;
  for (let i = 0; i < buf.readUInt16BE(cmap + 2); i++) {
    const rec = cmap + 4 + i * 8;
    if (buf.readUInt16BE(rec) === 3 && buf.readUInt16BE(rec + 2) === 1) sub = cmap + buf.readUInt32BE(rec + 4);
  }
  if (sub < 0 || buf.readUInt16BE(sub) !== 4) throw new Error(`${path}: no format-4 Unicode cmap`);
  const segCount = buf.readUInt16BE(sub + 6) / 2;
  const endCodes = sub + 14;
  const startCodes = endCodes + segCount * 2 + 2;
  const idDeltas = startCodes + segCount * 2;
  const idRangeOffsets = idDeltas + segCount * 2;

  const glyphOf = (cp: number): number => {
    for (let s = 0; s < segCount; s++) {
      if (cp > buf.readUInt16BE(endCodes + s * 2)) continue;
      const start = buf.readUInt16BE(startCodes + s * 2);
      if (cp < start) return 0;
      const delta = buf.readInt16BE(idDeltas + s * 2);
      const rangeOffset = buf.readUInt16BE(idRangeOffsets + s * 2);
      if (rangeOffset === 0) return (cp + delta) & 0xffff;
      const glyph = buf.readUInt16BE(idRangeOffsets + s * 2 + rangeOffset + (cp - start) * 2);
      return glyph === 0 ? 0 : (glyph + delta) & 0xffff;
    }
    return 0;
  };

  return {
    unitsPerEm,
    advance(codePoint) {
      if (codePoint > 0xffff) return undefined;
      const glyph = glyphOf(codePoint);
      return glyph === 0 ? undefined : glyphAdvance(glyph);
    },
  };
}
