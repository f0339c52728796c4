/**
 * Text width estimates for DejaVu Sans, so the layout can truncate server names and errors before
 * they reach the SVG: an SVG has no text measurement of its own, and measuring through resvg would
 * make the layout impure and slow. The table holds the real advance widths (in 1/1000 em, rounded
 * up) of DejaVu Sans and DejaVu Sans Bold; test/render/text-metrics.test.ts re-reads them from the
 * installed fonts so the table cannot silently drift. Characters outside the table (CJK, emoji,
 * rarer symbols) count as a full em, which is wider than almost any glyph: estimates err on the
 * side of truncating a little early, never of overlapping.
 */

/** Font stack used everywhere: DejaVu ships with Debian and installs in any Docker image. */
export const FONT_FAMILY = "'DejaVu Sans', sans-serif";

/** Code points with known widths: printable ASCII, Latin-1, and the symbols the renderer draws. */
export const ASCII_FIRST = 32;
export const LATIN1_FIRST = 160;
export const EXTRA_CHARS = '…·→✓✗▶○●■—–×↷⚠';

// prettier-ignore
const REGULAR_ASCII = [318,401,460,838,637,951,780,275,391,391,500,838,318,361,318,337,637,637,637,637,637,637,637,637,637,637,337,337,838,838,838,531,1000,685,687,699,771,632,576,775,752,295,295,656,558,863,749,788,604,788,695,635,611,732,685,989,686,611,686,391,337,391,838,500,500,613,635,550,635,616,353,635,634,278,278,580,278,975,634,612,635,635,412,521,393,634,592,818,592,592,525,637,337,637,838];
// prettier-ignore
const REGULAR_LATIN1 = [318,401,637,637,637,637,337,500,500,1000,472,612,838,361,1000,500,500,838,401,401,500,637,637,318,500,401,472,612,970,970,970,531,685,685,685,685,685,685,975,699,632,632,632,632,295,295,295,295,775,749,788,788,788,788,788,838,788,732,732,732,732,611,605,630,613,613,613,613,613,613,982,550,616,616,616,616,278,278,278,278,612,634,612,612,612,612,612,838,612,634,634,634,634,592,635,592];
// prettier-ignore
const BOLD_ASCII = [349,457,521,838,696,1002,873,307,458,458,523,838,380,416,380,366,696,696,696,696,696,696,696,696,696,696,400,400,838,838,838,581,1000,774,763,734,831,684,684,821,837,373,373,775,638,996,837,851,733,851,771,721,683,813,774,1104,771,725,726,458,366,458,838,500,500,675,716,593,716,679,436,716,712,343,343,666,343,1042,712,688,716,716,494,596,479,712,652,924,646,652,583,712,366,712,838];
// prettier-ignore
const BOLD_LATIN1 = [349,457,696,696,637,696,366,500,500,1000,564,646,838,416,1000,500,500,838,438,438,500,736,637,380,500,438,564,646,1036,1036,1036,581,774,774,774,774,774,774,1085,734,684,684,684,684,373,373,373,373,838,837,851,851,851,851,851,838,851,813,813,813,813,725,738,720,675,675,675,675,675,675,1048,593,679,679,679,679,343,343,343,343,688,712,688,688,688,688,688,838,688,712,712,712,712,652,716,652];
// Same order as EXTRA_CHARS; identical in both weights except the middle dot.
const REGULAR_EXTRA = [1000, 318, 838, 838, 838, 770, 873, 873, 945, 1000, 500, 838, 838, 897];
const BOLD_EXTRA = [1000, 380, 838, 838, 838, 770, 873, 873, 945, 1000, 500, 838, 838, 897];

export interface WidthTable {
  ascii: readonly number[];
  latin1: readonly number[];
  extra: readonly number[];
}
export const WIDTH_TABLES: Readonly<Record<'regular' | 'bold', WidthTable>> = {
  regular: { ascii: REGULAR_ASCII, latin1: REGULAR_LATIN1, extra: REGULAR_EXTRA },
  bold: { ascii: BOLD_ASCII, latin1: BOLD_LATIN1, extra: BOLD_EXTRA },
};

const UNKNOWN_WIDTH = 1000;
const ELLIPSIS = '…';

function charWidth(table: WidthTable, ch: string): number {
  const cp = ch.codePointAt(0) ?? 0;
  if (cp >= ASCII_FIRST && cp < ASCII_FIRST + table.ascii.length) return table.ascii[cp - ASCII_FIRST] ?? UNKNOWN_WIDTH;
  if (cp >= LATIN1_FIRST && cp < LATIN1_FIRST + table.latin1.length) {
    return table.latin1[cp - LATIN1_FIRST] ?? UNKNOWN_WIDTH;
  }
  const extra = EXTRA_CHARS.indexOf(ch);
  return extra >= 0 ? (table.extra[extra] ?? UNKNOWN_WIDTH) : UNKNOWN_WIDTH;
}

/** Estimated rendered width in px of `text` at `size` px. */
export function textWidth(text: string, size: number, bold = false): number {
  const table = bold ? WIDTH_TABLES.bold : WIDTH_TABLES.regular;
  let milli = 0;
  for (const ch of text) milli += charWidth(table, ch);
  return (milli * size) / 1000;
}

/**
 * `text` unchanged when it fits in `maxWidth` px, else cut at a code point boundary and ended with
 * an ellipsis so the reader can tell something is missing.
 */
export function fitText(text: string, maxWidth: number, size: number, bold = false): string {
  if (textWidth(text, size, bold) <= maxWidth) return text;
  const table = bold ? WIDTH_TABLES.bold : WIDTH_TABLES.regular;
  const budget = (maxWidth * 1000) / size - charWidth(table, ELLIPSIS);
  let used = 0;
  let cut = '';
  for (const ch of text) {
    used += charWidth(table, ch);
    if (used > budget) break;
    cut += ch;
  }
  return cut.trimEnd() + ELLIPSIS;
}
