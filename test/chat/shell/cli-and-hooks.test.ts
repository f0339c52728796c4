import { describe, expect, it } from 'vitest';
import { parseCliArgs } from '../../../src/chat/shell/one-shot/cli-args.js';
import { changedHooks, formatHooksFile, parseHooksFile } from '../../../src/chat/shell/hooks-file.js';
import { parseCommand } from '../../../src/commands/grammar/commands.js';

describe('one-shot arguments', () => {
  const args = (argv: string[]) => {
    const r = parseCliArgs(argv);
    if (!r.ok) throw new Error(r.error);
    return r.args;
  };

  it('takes options before and after the command, and -- ends them', () => {
    expect(args(['--json', 'server', 'list'])).toMatchObject({ json: true, command: 'server list' });
    expect(args(['server', 'list', '--json', '--as', 'bob', '-y'])).toMatchObject({ json: true, as: 'bob', yes: true, command: 'server list' });
    expect(args(['--as=bob', 'approve', '12'])).toMatchObject({ as: 'bob', command: 'approve 12' });
    expect(args(['--', 'reject', '3', '--json'])).toMatchObject({ json: false, command: 'reject 3 --json' });
    expect(parseCliArgs(['--frobnicate', 'x'])).toEqual({ ok: false, error: 'unknown option --frobnicate' });
    expect(parseCliArgs(['--as'])).toMatchObject({ ok: false });
  });

  it('quotes key=value words again when the shell removed the quotes', () => {
    const { command } = args(['project', 'edit', 'api', 'title=My "big" app', 'keep=3']);
    expect(command).toBe('project edit api title="My \\"big\\" app" keep=3');
    const parsed = parseCommand(command, { slackEscaped: false });
    expect(parsed.ok && parsed.command.kind === 'project-edit' && parsed.command.changes).toEqual({ title: 'My "big" app', keep: 3 });
    expect(args(['reject', '3', 'bad timing']).command).toBe('reject 3 bad timing');
  });
});

describe('hooks file', () => {
  const hooks = { before_download: '', after_download: 'npm ci\nnpm run build', before_deploy: '', after_deploy: '# restart\nsystemctl restart api' };

  it('round-trips the four scripts, comments included', () => {
    const text = formatHooksFile('api', hooks);
    expect(text).toContain('### hook: after_deploy ###\n# restart\nsystemctl restart api\n');
    expect(parseHooksFile(text)).toEqual({ ok: true, hooks });
  });

  it('finds what changed, and an emptied section clears a hook', () => {
    const edited = formatHooksFile('api', hooks).replace('### hook: before_deploy ###\n', '### hook: before_deploy ###\n./migrate.sh\n').replace('npm ci\nnpm run build', '');
    const parsed = parseHooksFile(edited);
    expect(parsed.ok && changedHooks(hooks, parsed.hooks)).toEqual({ before_deploy: './migrate.sh', after_download: '' });
  });

  it('refuses a file whose markers were damaged', () => {
    expect(parseHooksFile('### hook: before_deploy ###\nx\n')).toMatchObject({ ok: false, error: expect.stringContaining('before_download') });
    expect(parseHooksFile(formatHooksFile('api', hooks).replace('hook: after_deploy', 'hook: after_party'))).toMatchObject({ ok: false, error: expect.stringContaining('after_party') });
  });
});

describe('local user names in the shell grammar', () => {
  it('takes approvers as user names in the shell, and only Slack users from Slack', () => {
    const shell = parseCommand('project edit api approvers=alice,@bob', { slackEscaped: false });
    expect(shell.ok && shell.command.kind === 'project-edit' && shell.command.changes.approvers).toEqual(['alice', 'bob']);
    expect(parseCommand('project edit api approvers=alice', { slackEscaped: true })).toMatchObject({ ok: false });
  });
});
