import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { Redactor, redactValue } from '../../src/redact.js';

/** Secrets that JSON escaping or encoding would hide from a redactor that looks at the output only. */
const QUOTED = 'pa"ss\'word-1';
const BACKSLASHED = 'C:\\keys\\s3cret';
const MULTILINE = 'first-line-of-secret\nsecond-line-of-secret';
const PASSWORD = 'hunter2 & <friends>/ok?';

function logged(redactor: Redactor, fn: (log: ReturnType<typeof createLogger>) => void): string {
  const lines: string[] = [];
  fn(createLogger({ level: 'debug', redactor, write: (l) => lines.push(l) }));
  return lines.join('\n');
}

/** Every form each secret could take in a log line. */
function forms(secret: string): string[] {
  return [secret, JSON.stringify(secret).slice(1, -1), JSON.stringify(JSON.stringify(secret)).slice(1, -1), encodeURIComponent(secret), Buffer.from(secret).toString('base64')];
}

describe('redaction runs on values before they are serialised', () => {
  const redactor = new Redactor([QUOTED, BACKSLASHED, MULTILINE, PASSWORD]);

  it('masks secrets with quotes, backslashes and newlines in messages, fields, nested objects and errors', () => {
    const out = logged(redactor, (log) => {
      log.info(`connecting with ${QUOTED}`, { password: QUOTED, nested: { list: [BACKSLASHED, { deep: MULTILINE }] } });
      log.error('failed', { err: new Error(`auth failed for "${BACKSLASHED}" and ${MULTILINE}`), path: BACKSLASHED });
      log.child({ key: MULTILINE }).warn('child binding');
      // Text that is already JSON (a request body): serialising it again would escape twice.
      log.debug('request', { body: JSON.stringify({ password: QUOTED, path: BACKSLASHED }) });
    });
    for (const secret of [QUOTED, BACKSLASHED, MULTILINE]) for (const form of forms(secret)) expect(out, `a form of ${JSON.stringify(secret)}`).not.toContain(form);
    // Only the first line of a multi-line secret shorter than the per-line threshold would ever remain: none here.
    expect(out).not.toContain('first-line-of-secret');
    expect(out).toContain('[redacted]');
    expect(out.split('\n')).toHaveLength(4); // one line per entry: newlines in secrets never split a log line
  });

  it('masks the base64 and URL-encoded forms of a password', () => {
    const b64 = Buffer.from(PASSWORD).toString('base64');
    const url = `https://deploy:${encodeURIComponent(PASSWORD)}@git.example.com/repo.git`;
    const out = logged(redactor, (log) => log.info(`header Authorization: Basic ${b64}`, { url, form: encodeURIComponent(PASSWORD).replace(/%20/g, '+'), raw: b64.replace(/=+$/, '') }));
    for (const form of [b64, b64.replace(/=+$/, ''), encodeURIComponent(PASSWORD), PASSWORD]) expect(out).not.toContain(form);
    expect(out).toContain('git.example.com/repo.git');
  });

  it('redactValue copies deeply and leaves the original alone', () => {
    const original = { a: QUOTED, b: [PASSWORD], c: 3 };
    expect(redactValue(original, redactor)).toEqual({ a: '[redacted]', b: ['[redacted]'], c: 3 });
    expect(original.a).toBe(QUOTED);
    const circular: Record<string, unknown> = { s: BACKSLASHED };
    circular.self = circular;
    expect(redactValue(circular, redactor)).toEqual({ s: '[redacted]', self: '[circular]' });
  });
});
