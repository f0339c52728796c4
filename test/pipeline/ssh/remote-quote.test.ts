import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UserError } from '../../../src/errors.js';
import { envAssignments, remoteCommand, shq } from '../../../src/pipeline/ssh/remote-quote.js';

/** Runs a command line through a real POSIX shell, as sshd would, and returns its stdout. */
function sh(commandLine: string, cwd?: string): string {
  return execFileSync('/bin/sh', ['-c', commandLine], { encoding: 'utf8', cwd });
}

const canary = mkdtempSync(join(tmpdir(), 'deploybot-quote-'));
const pwned = join(canary, 'pwned');
afterAll(() => rmSync(canary, { recursive: true, force: true }));

const NASTY: string[] = [
  '',
  ' ',
  'plain',
  "it's",
  "'",
  "''",
  "'\\''",
  '"double"',
  '$(touch PWNED)',
  '`touch PWNED`',
  '${HOME}',
  '$HOME',
  '$((1+1))',
  ';touch PWNED',
  '; rm -rf /',
  '&& touch PWNED',
  '| touch PWNED',
  '> PWNED',
  '< /etc/passwd',
  'a\nb',
  'line1\ntouch PWNED\n',
  '\r\n',
  '\t tab',
  'back\\slash',
  '\\',
  '*',
  '?',
  '[a-z]*',
  '~',
  '~root',
  '-rf',
  '--option=value',
  '!event',
  '#comment',
  'a=b',
  '{a,b}',
  'ünïcødé — ✓ 日本語 🚀',
  '\u202e right-to-left override',
  '\x01\x02\x1b[31mred\x7f',
  "mixed 'single' and \"double\" and `tick` and $(sub) and ${var}",
  'x'.repeat(10_000),
];

describe('shq', () => {
  it.each(NASTY.map((v) => [JSON.stringify(v).slice(0, 60), v]))('round-trips %s through /bin/sh unchanged', (_label, value) => {
    const cmd = `printf '%s' ${shq(value.replaceAll('PWNED', pwned))}`;
    expect(sh(cmd, canary)).toBe(value.replaceAll('PWNED', pwned));
    expect(existsSync(pwned)).toBe(false);
  });

  it('always quotes, so reviewing a call site never depends on guessing special characters', () => {
    expect(shq('plain')).toBe("'plain'");
    expect(shq('')).toBe("''");
    expect(shq("it's")).toBe(`'it'\\''s'`);
  });

  it('keeps a value one word, even with spaces and newlines', () => {
    const out = sh(`for w in ${shq('a b\nc')}; do echo "[$w]"; done`);
    expect(out).toBe('[a b\nc]\n');
  });

  it('refuses NUL bytes, which no shell can carry', () => {
    expect(() => shq('a\0b')).toThrow(UserError);
  });

  it('refuses non-strings (a bug at the call site)', () => {
    expect(() => shq(undefined as unknown as string)).toThrow(TypeError);
  });
});

describe('remoteCommand', () => {
  it('quotes every interpolated value and leaves the template text as shell', () => {
    const dir = "/srv/app/releases/it's $(whoami)";
    expect(remoteCommand`mkdir -p ${dir} && tar -xzf - -C ${dir}`).toBe(
      `mkdir -p '/srv/app/releases/it'\\''s $(whoami)' && tar -xzf - -C '/srv/app/releases/it'\\''s $(whoami)'`,
    );
  });

  it('turns arrays into separately quoted words', () => {
    const words = ['a b', "c'd", '$(touch PWNED)', ''];
    const out = sh(remoteCommand`for w in ${words}; do printf '[%s]' "$w"; done`, canary);
    expect(out).toBe("[a b][c'd][$(touch PWNED)][]");
    expect(existsSync(join(canary, 'PWNED'))).toBe(false);
  });

  it('quotes numbers too', () => {
    expect(remoteCommand`head -n ${5}`).toBe(`head -n '5'`);
    expect(() => remoteCommand`x ${Number.NaN}`).toThrow(TypeError);
  });

  it('refuses undefined and objects instead of interpolating "undefined"', () => {
    expect(() => remoteCommand`rm -rf ${undefined as unknown as string}`).toThrow(TypeError);
    expect(() => remoteCommand`echo ${{} as unknown as string}`).toThrow(TypeError);
  });

  it.each(NASTY.filter((v) => v.length < 200).map((v) => [JSON.stringify(v).slice(0, 60), v]))(
    'passes %s as one argument through sh -c',
    (_label, value) => {
      const v = value.replaceAll('PWNED', pwned);
      const out = sh(remoteCommand`printf '%s|' ${v} ${[v, v]}`, canary);
      expect(out).toBe(`${v}|${v}|${v}|`);
      expect(existsSync(pwned)).toBe(false);
    },
  );
});

describe('envAssignments', () => {
  it('produces K=v assignments a shell applies to the command', () => {
    const env = { RELEASE: "2026 it's $(x)", DEPLOY_REF: 'v1;rm -rf /', EMPTY: '', N: 3 };
    const line = `${envAssignments(env)} sh -c 'printf "%s|%s|%s|%s" "$RELEASE" "$DEPLOY_REF" "$EMPTY" "$N"'`;
    expect(sh(line)).toBe("2026 it's $(x)|v1;rm -rf /||3");
  });

  it.each(['lower', '1ABC', 'A-B', 'A B', 'A=B', '$(x)', '', 'PATH;rm', 'É'])('refuses the name %j', (name) => {
    expect(() => envAssignments({ [name]: 'v' })).toThrow(UserError);
  });

  it('accepts conventional names', () => {
    expect(envAssignments({ _X: 'a', A1_B: 'b' })).toBe(`_X='a' A1_B='b'`);
  });

  it('returns an empty string for no variables', () => {
    expect(envAssignments({})).toBe('');
  });
});
