/**
 * Terminal styling for the shell: ANSI colours only when asked (the output is a TTY and NO_COLOR is
 * unset), so piped output and test transcripts are plain text.
 */
export interface Style {
  readonly color: boolean;
  bold(s: string): string;
  dim(s: string): string;
  code(s: string): string;
  ok(s: string): string;
  bad(s: string): string;
  warn(s: string): string;
}

const wrap = (open: number, close: number) => (s: string) => `\x1b[${open}m${s}\x1b[${close}m`;

export function makeStyle(color: boolean): Style {
  if (!color) {
    const id = (s: string) => s;
    return { color, bold: id, dim: id, code: id, ok: id, bad: id, warn: id };
  }
  return {
    color,
    bold: wrap(1, 22),
    dim: wrap(2, 22),
    code: wrap(36, 39),
    ok: wrap(32, 39),
    bad: wrap(31, 39),
    warn: wrap(33, 39),
  };
}

/** Colour by default when writing to a terminal, never when NO_COLOR is set (no-color.org). */
export function wantsColor(stream: object, env: Record<string, string | undefined> = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '' && env.FORCE_COLOR !== '0') return true;
  return (stream as { isTTY?: boolean }).isTTY === true;
}

/** The printable width of a string: ANSI escapes do not count. */
export function visibleLength(s: string): number {
  // eslint-disable-next-line no-control-regex
  return [...s.replace(/\x1b\[[0-9;]*m/g, '')].length;
}

export const SYMBOLS = { ok: '✓', fail: '✗', warn: '⚠', bullet: '•', arrow: '→', running: '↻', dot: '●' } as const;
