import { Redactor, redactValue } from './redact.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(bindings: Record<string, unknown>): Logger;
}

/**
 * A small line logger on stderr (stdout belongs to the shell mode's conversation). The message and
 * every field value are redacted *before* they are serialised (JSON escaping would hide a secret
 * with a quote, backslash or newline from the redactor), and the finished line once more.
 */
export function createLogger(options: { level?: LogLevel; redactor?: Redactor; write?: (line: string) => void; bindings?: Record<string, unknown> } = {}): Logger {
  const level = options.level ?? 'info';
  const redactor = options.redactor ?? new Redactor();
  const write = options.write ?? ((line: string) => process.stderr.write(`${line}\n`));
  const bindings = options.bindings ?? {};

  const log = (at: LogLevel, msg: string, fields: Record<string, unknown> = {}) => {
    if (ORDER[at] < ORDER[level]) return;
    const all = { ...bindings, ...fields };
    const rest = Object.entries(all)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${k}=${formatValue(v instanceof Error ? v : redactValue(v, redactor), redactor)}`)
      .join(' ');
    write(redactor.redact(`${new Date().toISOString()} ${at.toUpperCase().padEnd(5)} ${redactor.redact(msg)}${rest ? ` ${rest}` : ''}`));
  };

  return {
    debug: (m, f) => log('debug', m, f),
    info: (m, f) => log('info', m, f),
    warn: (m, f) => log('warn', m, f),
    error: (m, f) => log('error', m, f),
    child: (more) => createLogger({ level, redactor, write, bindings: { ...bindings, ...more } }),
  };
}

function formatValue(v: unknown, redactor: Redactor): string {
  if (v instanceof Error) return JSON.stringify(redactor.redact(v.stack ?? v.message));
  if (typeof v === 'string') return /^[\w.:/@#-]*$/.test(v) ? v : JSON.stringify(v);
  return JSON.stringify(v);
}

/** A logger that drops everything: for tests that assert on other output. */
export const silentLogger: Logger = createLogger({ write: () => {} });
