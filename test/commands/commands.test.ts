import { describe, expect, it } from 'vitest';
import {
  type Command,
  type CommandKind,
  type CommandOf,
  HELP_TEXT,
  parseCommand,
  parseCommandOrThrow,
  RESERVED_WORDS,
  usageFor,
} from '../../src/commands/grammar/commands.js';
import { UserError } from '../../src/errors.js';

function ok<K extends CommandKind>(text: string, kind: K): CommandOf<K> {
  const result = parseCommand(text);
  if (!result.ok) throw new Error(`expected ${kind} from ${JSON.stringify(text)}, got error: ${result.error}`);
  expect(result.command.kind).toBe(kind);
  expect(result.command.raw).toBe(text);
  return result.command as CommandOf<K>;
}

function fail(text: string): { error: string; usage: string; suggestion?: string } {
  const result = parseCommand(text);
  if (result.ok) throw new Error(`expected an error from ${JSON.stringify(text)}, got ${JSON.stringify(result.command)}`);
  expect(result.error.length).toBeGreaterThan(0);
  expect(result.usage.length).toBeGreaterThan(0);
  return result;
}

/** Drop `raw` to compare the parsed fields only. */
function fields(c: Command): Record<string, unknown> {
  const { raw: _raw, ...rest } = c;
  return rest;
}

describe('help and the deploy modal', () => {
  it('opens the deploy modal on empty text, with or without the /deploy prefix', () => {
    ok('', 'deploy-modal');
    ok('   ', 'deploy-modal');
    ok('/deploy', 'deploy-modal');
    ok('/deploy   ', 'deploy-modal');
  });

  it('prints help for help and its aliases', () => {
    for (const text of ['help', 'HELP', '?', '--help', '-h', '/deploy help']) expect(fields(ok(text, 'help'))).toEqual({ kind: 'help' });
  });

  it('takes a help topic, checked against the known ones', () => {
    expect(ok('help server add', 'help').topic).toBe('server add');
    expect(ok('help Server', 'help').topic).toBe('server');
    expect(ok('help operations', 'help').topic).toBe('operations');
    expect(ok('server help', 'help').topic).toBe('server');
    expect(ok('project help', 'help').topic).toBe('project');
    const e = fail('help sever');
    expect(e.error).toContain('No help on `sever`');
    expect(e.suggestion).toBe('help server');
    expect(e.usage).toBe(usageFor('help')); // one line, never the whole help
  });
});

describe('server commands', () => {
  it('server add with no arguments opens the modal', () => {
    ok('server add', 'server-add-modal');
  });

  it('server add with name and target', () => {
    const c = ok('server add web1 deploy@web1.example.com', 'server-add');
    expect(fields(c)).toEqual({ kind: 'server-add', name: 'web1', user: 'deploy', host: 'web1.example.com' });
  });

  it('server add with port, key, labels', () => {
    const c = ok('server add web1 deploy@10.0.0.5:2222 key=~/.ssh/id_ed25519 labels=eu,front', 'server-add');
    expect(fields(c)).toEqual({
      kind: 'server-add',
      name: 'web1',
      user: 'deploy',
      host: '10.0.0.5',
      port: 2222,
      auth: { method: 'key', keyPath: '~/.ssh/id_ed25519' },
      labels: ['eu', 'front'],
    });
  });

  it('server add with password or agent flags, in any order with options', () => {
    expect(ok('server add a root@h password', 'server-add').auth).toEqual({ method: 'password' });
    expect(ok('server add a root@h labels=x AGENT', 'server-add').auth).toEqual({ method: 'agent' });
  });

  it('server add and edit take the internal address peers use (relay distribution); an empty one forgets it', () => {
    expect(ok('server add web1 deploy@web1.example.com internal=10.0.0.5:2222', 'server-add').internal).toBe('10.0.0.5:2222');
    expect(ok('server edit web1 internal=10.1.0.5', 'server-edit').changes).toEqual({ internal: '10.1.0.5' });
    expect(ok('server edit web1 internal=', 'server-edit').changes).toEqual({ internal: null });
  });

  it('project settings take distribution=auto|direct|relay, and nothing else', () => {
    expect(ok('project edit shop distribution=relay', 'project-edit').changes).toEqual({ distribution: 'relay' });
    expect(fail('project edit shop distribution=torrent').error).toContain('auto');
  });

  it('server add with IPv6 hosts in brackets', () => {
    const c = ok('server add v6 root@[::1]:22', 'server-add');
    expect([c.host, c.port]).toEqual(['::1', 22]);
    expect(ok('server add v6 root@[2001:db8::7]', 'server-add').host).toBe('2001:db8::7');
  });

  it('server add: structural errors', () => {
    expect(fail('server add web').error).toBe('Missing <user>@<host>.');
    expect(fail('server add web web1.example.com').error).toContain('is not `<user>@<host>[:<port>]`');
    expect(fail('server add web @host').error).toContain('is not `<user>@<host>');
    expect(fail('server add web root@').error).toContain('is not `<user>@<host>');
    expect(fail('server add v6 root@::1').error).toBe('Write IPv6 addresses in brackets: `root@[::1]`.');
    expect(fail('server add web root@h:0').error).toBe('The port must be between 1 and 65535, not 0.');
    expect(fail('server add web root@h:70000').error).toContain('between 1 and 65535');
    expect(fail('server add web root@h:ssh').error).toBe('The port must be a whole number from 1 to 65535, not `ssh`.');
    expect(fail('server add web root@h key=a agent').error).toContain('Choose one way to log in');
    expect(fail('server add web root@h agent agent').error).toBe('`agent` is given twice.');
    expect(fail('server add web root@h key=a key=b').error).toBe('Option `key=` is given twice.');
    expect(fail('server add web root@h extra').error).toBe('Unexpected `extra`.');
    expect(fail('server add web root@h agnet').error).toBe('Unexpected `agnet`. Did you mean `agent`?');
    expect(fail('server add web root@h key=').error).toBe('`key=` needs a value.');
    expect(fail('server add web root@h labels=').error).toContain('`labels=` needs at least one value');
    const e = fail('server add web root@h port=22');
    expect(e.error).toContain('Unknown option `port=` for `server add`');
    expect(e.usage).toBe(usageFor('server add'));
  });

  it('refuses passwords typed in chat', () => {
    expect(fail('server add web root@h password=hunter2').error).toContain('Never type a password in a command');
    expect(fail('server edit web password=hunter2').error).toContain('Never type a password in a command');
  });

  it('server list / show / remove / check', () => {
    ok('server list', 'server-list');
    expect(ok('server show web1', 'server-show').name).toBe('web1');
    expect(ok('server remove web1', 'server-remove').name).toBe('web1');
    expect(ok('server check web1', 'server-check').name).toBe('web1');
    expect(ok('SERVER Show web1', 'server-show').name).toBe('web1');
    expect(fail('server show').error).toBe('Missing <name>.');
    expect(fail('server list all').error).toBe('Unexpected `all`.');
    expect(fail('server check a b').error).toBe('Unexpected `b`.');
    expect(fail('server show key=x').error).toBe('Missing <name> before `key=`.');
    expect(fail('server remove web host=x').error).toBe('`server remove` takes no options (got `host=`).');
  });

  it('server edit: modal without options, changes with them', () => {
    expect(ok('server edit web1', 'server-edit-modal').name).toBe('web1');
    const c = ok('server edit web1 host=[::1] user=ops port=2222 key=/k labels=', 'server-edit');
    expect(fields(c)).toEqual({
      kind: 'server-edit',
      name: 'web1',
      changes: { host: '::1', user: 'ops', port: 2222, keyPath: '/k', labels: [] },
    });
    expect(ok('server edit web1 host=2001:db8::1', 'server-edit').changes).toEqual({ host: '2001:db8::1' });
    expect(fail('server edit web1 host=a:22').error).toBe('Put the port in `port=`, not in `host=`.');
    expect(fail('server edit web1 port=x').error).toBe('`port=` must be a whole number from 1 to 65535, not `x`.');
    expect(fail('server edit web1 agent').error).toBe('Unexpected `agent`.');
    expect(fail('server edit web1 hots=a').error).toContain('Did you mean `host=`?');
  });

  it('unknown server verbs get a suggestion and the server usage', () => {
    const e = fail('server lsit');
    expect(e.error).toBe('Unknown server command `lsit`. Did you mean `/deploy server list`?');
    expect(e.suggestion).toBe('server list');
    expect(e.usage).toBe(usageFor('server list'));
    expect(fail('server ad web root@h').suggestion).toBe('server add web root@h');
    expect(fail('server frobnicate').error).toBe('Unknown server command `frobnicate`. Try one of: add, list, show, edit, remove, check.');
    expect(fail('server').error).toBe('Missing server command: add, list, show, edit, remove, check.');
  });
});

describe('project commands', () => {
  const full =
    'project add shop repo=<https://github.com/acme/shop.git> path=/srv/shop servers=web1,web2 env=prod keep=5 ' +
    'branch=release approvers=<@U01ALICE>,<@U02BOB|bob> channel=<#C0DEPLOYS|deploys> parallel=2 ' +
    'approvals=2 health="curl -fsS http://127.0.0.1:8080/up" health_timeout=45 rollout=canary:10% canary_wait=120 title="Shop (EU)" on_failure=continue';

  it('project add with no arguments opens the modal', () => {
    ok('project add', 'project-add-modal');
  });

  it('project add with every option', () => {
    expect(fields(ok(full, 'project-add'))).toEqual({
      kind: 'project-add',
      name: 'shop',
      settings: {
        repo: 'https://github.com/acme/shop.git',
        path: '/srv/shop',
        servers: ['web1', 'web2'],
        env: 'prod',
        keep: 5,
        branch: 'release',
        approvers: ['U01ALICE', 'U02BOB'],
        channel: { id: 'C0DEPLOYS', name: 'deploys' },
        parallel: 2,
        approvals: 2,
        health: 'curl -fsS http://127.0.0.1:8080/up',
        healthTimeout: 45,
        rollout: 'canary:10%',
        canaryWait: 120,
        title: 'Shop (EU)',
        onFailure: 'continue',
      },
    });
  });

  it('project add with only the required options', () => {
    const c = ok('project add api repo=git@github.com:acme/api.git path=/srv/api servers=a', 'project-add');
    expect(c.settings).toEqual({ repo: 'git@github.com:acme/api.git', path: '/srv/api', servers: ['a'] });
  });

  it('accepts on-failure= and upper-case keys and values for enums', () => {
    const c = ok('project add a repo=r path=p servers=s ENV=Test on-failure=ROLLBACK', 'project-add');
    expect([c.settings.env, c.settings.onFailure]).toEqual(['test', 'rollback']);
  });

  it('lists continue across a space after a comma', () => {
    const c = ok('project add a repo=r path=p servers=web1, web2 ,web3 approvers=<@U1>, <@U2>', 'project-add');
    expect(c.settings.servers).toEqual(['web1', 'web2', 'web3']);
    expect(c.settings.approvers).toEqual(['U1', 'U2']);
  });

  it('channel forms', () => {
    const ch = (v: string) => ok(`project edit a channel=${v}`, 'project-edit').changes.channel;
    expect(ch('<#C123ABC|deploys>')).toEqual({ id: 'C123ABC', name: 'deploys' });
    expect(ch('<#C123ABC>')).toEqual({ id: 'C123ABC' });
    expect(ch('<#C123ABC|>')).toEqual({ id: 'C123ABC' });
    expect(ch('#deploys')).toEqual({ name: 'deploys' });
    expect(ch('deploys')).toEqual({ name: 'deploys' });
    expect(ch('C0123ABCD')).toEqual({ id: 'C0123ABCD' });
    expect(fail('project edit a channel=<@U1>').error).toContain('must be a channel');
  });

  it('approver forms', () => {
    const ap = (v: string) => ok(`project edit a approvers=${v}`, 'project-edit').changes.approvers;
    expect(ap('<@U01ALICE>')).toEqual(['U01ALICE']);
    expect(ap('<@U01ALICE|alice>,<@W02ENT>')).toEqual(['U01ALICE', 'W02ENT']);
    expect(ap('U01ALICE,@U02BOB')).toEqual(['U01ALICE', 'U02BOB']);
    expect(ap('')).toEqual([]);
    expect(fail('project edit a approvers=@alice').error).toBe('`@alice` in `approvers=` is not a Slack user: mention people with @.');
    expect(fail('project add a repo=r path=p servers=s approvers=').error).toContain('needs at least one @user');
  });

  it('project add: structural errors', () => {
    expect(fail('project add shop').error).toBe('Missing `repo=`, `path=`, `servers=`.');
    expect(fail('project add shop repo=r path=p').error).toBe('Missing `servers=`.');
    expect(fail('project add repo=r').error).toBe('Missing <name> before `repo=`.');
    expect(fail('project add a repo=r path=p servers=s env=staging').error).toBe('`env=` must be one of test, prod (got `staging`).');
    expect(fail('project add a repo=r path=p servers=s keep=0').error).toBe('`keep=` must be between 1 and 100, not 0.');
    expect(fail('project add a repo=r path=p servers=s keep=-1').error).toBe('`keep=` must be between 1 and 100, not -1.');
    expect(fail('project add a repo=r path=p servers=s parallel=2.5').error).toBe('`parallel=` must be a whole number from 1 to 500, not `2.5`.');
    expect(fail('project add a repo=r path=p servers=s on_failure=retry').error).toContain('must be one of rollback, continue');
    expect(fail('project add a repo=r repo=s path=p servers=s').error).toBe('Option `repo=` is given twice.');
    expect(fail('project add a repo=r path=p servers=s extra').error).toBe('Unexpected `extra`.');
    const e = fail('project add a repo=r path=p servers=s foo=1');
    expect(e.error).toBe(
      'Unknown option `foo=` for `project add`. Options: repo= path= servers= env= keep= branch= approvers= channel= parallel= approvals= promote_from= health= health_timeout= rollout= canary_wait= title= on_failure= distribution= notify_approvers= notify_requester= offline.',
    );
    expect(e.usage).toBe(usageFor('project add'));
    expect(e.usage).toContain('/deploy project add <name> repo=<url>');
  });

  it('project list / show / remove', () => {
    ok('project list', 'project-list');
    expect(ok('project show shop', 'project-show').name).toBe('shop');
    expect(ok('project remove shop', 'project-remove').name).toBe('shop');
    expect(fail('project remove').error).toBe('Missing <name>.');
  });

  it('project edit: modal, or key=value changes', () => {
    expect(ok('project edit shop', 'project-edit-modal').name).toBe('shop');
    const c = ok('project edit shop keep=3 title="" servers=web3 branch=main', 'project-edit');
    expect(c.changes).toEqual({ keep: 3, title: '', servers: ['web3'], branch: 'main' });
    expect(ok('project edit shop on_failure=rollback', 'project-edit').changes).toEqual({ onFailure: 'rollback' });
    expect(fail('project edit shop serevrs=a').error).toContain('Did you mean `servers=`?');
  });

  it('project hooks: modal, file reference, inline script, clearing', () => {
    expect(ok('project hooks shop', 'project-hooks-modal').name).toBe('shop');
    const c = ok('project hooks shop before_deploy=@hooks/migrate.sh after_deploy="systemctl reload shop" before_download=""', 'project-hooks');
    expect(c.hooks).toEqual({
      before_deploy: { kind: 'file', path: 'hooks/migrate.sh' },
      after_deploy: { kind: 'inline', script: 'systemctl reload shop' },
      before_download: { kind: 'clear' },
    });
    // Quoted, an @ is part of the script, not a file reference.
    expect(ok('project hooks shop after_download="@echo hi"', 'project-hooks').hooks).toEqual({
      after_download: { kind: 'inline', script: '@echo hi' },
    });
    expect(ok('project hooks shop after_deploy=', 'project-hooks').hooks).toEqual({ after_deploy: { kind: 'clear' } });
    expect(fail('project hooks shop before_deploy=@').error).toContain('needs a file path');
    expect(fail('project hooks shop before_build=x').error).toContain('Unknown option `before_build=` for `project hooks`');
    expect(fail('project hooks shop before_deploi=x').error).toContain('Did you mean `before_deploy=`?');
  });

  it('unknown project verbs', () => {
    const e = fail('project lst');
    expect(e.suggestion).toBe('project list');
    expect(e.usage).toBe(usageFor('project list'));
    expect(fail('project').error).toContain('Missing project command');
  });
});

describe('deploy', () => {
  it('deploys <project> <ref>', () => {
    expect(fields(ok('shop main', 'deploy'))).toEqual({ kind: 'deploy', project: 'shop', ref: 'main' });
    expect(fields(ok('/deploy shop v1.4.2', 'deploy'))).toEqual({ kind: 'deploy', project: 'shop', ref: 'v1.4.2' });
    expect(ok('shop feature/Login-Page', 'deploy').ref).toBe('feature/Login-Page');
    expect(ok('shop 3f2a9c1', 'deploy').ref).toBe('3f2a9c1');
  });

  it('takes an admin\'s override="why" before an optional schedule', () => {
    expect(fields(ok('shop v2 override="outage hotfix"', 'deploy'))).toEqual({ kind: 'deploy', project: 'shop', ref: 'v2', override: 'outage hotfix' });
    const scheduled = ok('shop v2 override=why at 18:30', 'deploy');
    expect([scheduled.override, scheduled.at]).toEqual(['why', { kind: 'time-of-day', hour: 18, minute: 30 }]);
    expect(fail('shop v2 force=1').error).toBe('Unknown option `force=` for `deploy`. Options: override= (then `at <time>` to schedule).');
    expect(fail('shop v2 override=""').error).toBe('Say why you override: `override="why"`.');
  });

  it('deploy <project> <ref> is the explicit form, for any project name', () => {
    expect(fields(ok('deploy shop main', 'deploy'))).toEqual({ kind: 'deploy', project: 'shop', ref: 'main' });
    expect(fields(ok('deploy tasks main', 'deploy'))).toEqual({ kind: 'deploy', project: 'tasks', ref: 'main' });
    expect(fields(ok('deploy sever main', 'deploy'))).toEqual({ kind: 'deploy', project: 'sever', ref: 'main' });
    expect(fail('deploy').error).toBe('Missing <project>.');
  });

  it('schedules with at <time>', () => {
    expect(ok('shop main at 18:30', 'deploy').at).toEqual({ kind: 'time-of-day', hour: 18, minute: 30 });
    expect(ok('shop main AT 9:05 europe/paris', 'deploy').at).toEqual({ kind: 'time-of-day', hour: 9, minute: 5, tz: 'Europe/Paris' });
    expect(ok('shop main at 2026-11-24T09:00', 'deploy').at).toEqual({ kind: 'datetime', iso: '2026-11-24T09:00' });
    expect(ok('shop main at 2026-11-24 09:00 Europe/Paris', 'deploy').at).toEqual({
      kind: 'datetime',
      iso: '2026-11-24T09:00',
      tz: 'Europe/Paris',
    });
    expect(ok('deploy shop main at 2026-11-24T09:00 UTC', 'deploy').at).toEqual({ kind: 'datetime', iso: '2026-11-24T09:00', tz: 'UTC' });
  });

  it('deploy errors carry the deploy usage', () => {
    const e = fail('shop');
    expect(e.error).toBe('Which ref of `shop`? e.g. `/deploy shop main`.');
    expect(e.usage).toBe(usageFor('deploy'));
    expect(fail('shop branch=main').error).toContain('write the ref as a word');
    expect(fail('shop main now').error).toBe('Unexpected `now` after the ref. To schedule, write `at <time>`.');
    expect(fail('shop main at').error).toContain('Missing time after `at`');
    expect(fail('repo=x').error).toContain('is not a command');
  });

  it('a first word one typo from a command is refused with a suggestion, not deployed', () => {
    const e = fail('sever list');
    expect(e.error).toBe(
      'Unknown command `sever`. Did you mean `/deploy server list`? (To deploy a project named `sever`, write `/deploy deploy sever <ref>`.)',
    );
    expect(e.suggestion).toBe('server list');
    expect(e.usage).toBe(usageFor('server list'));
    expect(e.usage.split('\n')).toHaveLength(1);
    expect(fail('stauts 12').usage).toBe(usageFor('status'));
    expect(fail('server ad web root@h').usage).toBe(usageFor('server add').split('\n')[1]);
    expect(fail('stauts 12').suggestion).toBe('status 12');
    expect(fail('projcet list').suggestion).toBe('project list');
    expect(fail('rollbak shop').suggestion).toBe('rollback shop');
    // Far from every command word: a project.
    expect(ok('storefront main', 'deploy').project).toBe('storefront');
    expect(ok('api main', 'deploy').project).toBe('api');
  });

  it('a quoted first word is a project, never a command word', () => {
    expect(fields(ok('"tasks" main', 'deploy'))).toEqual({ kind: 'deploy', project: 'tasks', ref: 'main' });
  });
});

describe('task and project operations', () => {
  it('tasks [<project>]', () => {
    expect(fields(ok('tasks', 'tasks'))).toEqual({ kind: 'tasks' });
    expect(fields(ok('tasks shop', 'tasks'))).toEqual({ kind: 'tasks', project: 'shop' });
    expect(fail('tasks shop more').error).toBe('Unexpected `more`.');
  });

  it.each(['status', 'cancel', 'retry', 'approve'] as const)('%s <task> accepts 12 and #12', (verb) => {
    expect(fields(ok(`${verb} 12`, verb))).toEqual({ kind: verb, taskId: 12 });
    expect(fields(ok(`${verb} #7`, verb))).toEqual({ kind: verb, taskId: 7 });
    expect(fail(`${verb}`).error).toBe('Missing <task>.');
    const e = fail(`${verb} twelve`);
    expect(e.error).toBe('`twelve` is not a task id: write a number such as 12 or #12.');
    expect(e.usage).toBe(usageFor(verb));
    expect(fail(`${verb} #0`).error).toContain('is not a task id');
    expect(fail(`${verb} 99999999999999999999`).error).toContain('is not a task id');
    expect(fail(`${verb} 12 13`).error).toBe('Unexpected `13`.');
  });

  it('promote <task> [override="why"]: an admin promoting their own deploy says why', () => {
    expect(fields(ok('promote #12', 'promote'))).toEqual({ kind: 'promote', taskId: 12 });
    expect(fields(ok('promote 12 override="nobody else is on call"', 'promote'))).toEqual({ kind: 'promote', taskId: 12, override: 'nobody else is on call' });
    expect(fail('promote').error).toBe('Missing <task>.');
    expect(fail('promote 12 now').error).toBe('Unexpected `now`. An admin promoting their own deploy writes `promote 12 override="why"`.');
    expect(fail('promote 12 reason=x').error).toBe('Unknown option `reason=` for `promote`. Options: override=.');
    expect(fail('promote 12 override=""').error).toBe('Say why you override: `override="why"`.');
    expect(fail('promote 12 override=a override=b').error).toBe('Option `override=` is given twice.');
    expect(fail('promote 12 now').usage).toBe(usageFor('promote'));
  });

  it('reject <task> <reason…> keeps the reason as typed', () => {
    expect(fields(ok("reject #12 don't ship on a Friday", 'reject'))).toEqual({ kind: 'reject', taskId: 12, reason: "don't ship on a Friday" });
    expect(ok('reject 12 "tests are red"', 'reject').reason).toBe('tests are red');
    expect(ok('reject 12 "red" builds', 'reject').reason).toBe('"red" builds');
    expect(ok('reject 12 ask <@U01ALICE> &amp; see <https://ci.example.com/1|the build>', 'reject').reason).toBe(
      'ask <@U01ALICE> & see the build',
    );
    expect(fail('reject 12').error).toBe('Say why: `reject <task> <reason…>`.');
    expect(fail('reject').error).toBe('Missing <task>.');
  });

  it('rollback <project> [<release>]', () => {
    expect(fields(ok('rollback shop', 'rollback'))).toEqual({ kind: 'rollback', project: 'shop' });
    expect(fields(ok('rollback shop 20261123184400', 'rollback'))).toEqual({ kind: 'rollback', project: 'shop', release: '20261123184400' });
    expect(fail('rollback').error).toBe('Missing <project>.');
    expect(fail('rollback shop a b').error).toBe('Unexpected `b`.');
  });

  it('refs / unlock <project>', () => {
    expect(fields(ok('refs shop', 'refs'))).toEqual({ kind: 'refs', project: 'shop' });
    expect(fields(ok('unlock shop', 'unlock'))).toEqual({ kind: 'unlock', project: 'shop' });
    expect(fail('refs').usage).toBe(usageFor('refs'));
    expect(fail('unlock shop now').error).toBe('Unexpected `now`.');
  });

  it('lock <project> [reason…]', () => {
    expect(fields(ok('lock shop', 'lock'))).toEqual({ kind: 'lock', project: 'shop' });
    expect(fields(ok('lock shop db migration until 18:00', 'lock'))).toEqual({ kind: 'lock', project: 'shop', reason: 'db migration until 18:00' });
    expect(ok("lock shop 'freeze'", 'lock').reason).toBe('freeze');
  });
});

describe('help text and usage', () => {
  it('HELP_TEXT is grouped and lists every command', () => {
    const titles = ['Servers:', 'Projects:', 'Deploys:', 'Operations:'];
    const positions = titles.map((t) => HELP_TEXT.indexOf(t));
    expect(positions.every((p) => p >= 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    for (const word of RESERVED_WORDS.filter((w) => w !== 'deploy')) expect(HELP_TEXT).toContain(`/deploy ${word}`);
    expect(HELP_TEXT).toContain('/deploy <project> <ref> [override="why"] [at <time>]');
  });

  it('usageFor gives one command, a group, a section, or the full help', () => {
    expect(usageFor('server show')).toBe("/deploy server show <name>  —  show a server's settings");
    expect(usageFor('/deploy server show')).toBe(usageFor('server show'));
    expect(usageFor('server add').split('\n')).toHaveLength(2);
    expect(usageFor('server').split('\n')).toHaveLength(8);
    expect(usageFor('deploys')).toContain('Deploys:');
    expect(usageFor('nonsense')).toBe(HELP_TEXT);
    expect(usageFor('')).toBe(HELP_TEXT);
  });

  it('parseCommandOrThrow gives a UserError with the usage', () => {
    expect(parseCommandOrThrow('tasks').kind).toBe('tasks');
    try {
      parseCommandOrThrow('status x');
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(UserError);
      expect((err as Error).message).toBe(`\`x\` is not a task id: write a number such as 12 or #12.\n\n${usageFor('status')}`);
    }
  });
});

describe('freeze commands', () => {
  it('freeze add: one-off with from/to, or recurring with cron and for', () => {
    expect(fields(ok('freeze add shop from 2026-12-24T00:00 to 2026-12-27T00:00 reason="holidays"', 'freeze-add'))).toEqual({
      kind: 'freeze-add', scope: 'shop', reason: 'holidays', from: { kind: 'datetime', iso: '2026-12-24T00:00' }, to: { kind: 'datetime', iso: '2026-12-27T00:00' },
    });
    expect(fields(ok('freeze add all cron="0 18 * * 5" for=62h tz=Europe/Paris reason="weekend"', 'freeze-add'))).toEqual({
      kind: 'freeze-add', scope: 'all', reason: 'weekend', tz: 'Europe/Paris', cron: '0 18 * * 5', durationSeconds: 62 * 3600,
    });
    expect(ok('freeze add all cron="0 0 * * *" for=1d12h30m reason=x', 'freeze-add').durationSeconds).toBe(36 * 3600 + 1800);
    expect(fields(ok('freeze list', 'freeze-list'))).toEqual({ kind: 'freeze-list' });
    expect(fields(ok('freeze remove 3', 'freeze-remove'))).toEqual({ kind: 'freeze-remove', id: 3 });
  });

  it('freeze add refuses what it cannot read, saying how to write it', () => {
    expect(fail('freeze add shop from 2026-12-24T00:00 to 2026-12-27T00:00').error).toBe('Say why deploys are frozen: `reason="…"`.');
    expect(fail('freeze add all cron="0 18 * * 5" reason=w').error).toBe('A recurring freeze needs its length: `for=62h` (or `30m`, `2d`, `1d12h`).');
    expect(fail('freeze add all cron="0 18 * * 5" for=soon reason=w').error).toBe('`for=soon` is not a duration: write e.g. `62h`, `30m`, `2d` or `1d12h`.');
    expect(fail('freeze add all from 2026-12-24T00:00 reason=w').error).toBe('A one-off freeze needs both ends: `from <time> to <time>`.');
    expect(fail('freeze add all cron="* * * * *" for=1h from 2026-12-24T00:00 to 2026-12-25T00:00 reason=w').error).toMatch(/either one-off .* or recurring/);
    expect(fail('freeze frobnicate').error).toBe('Unknown freeze command `frobnicate`. Try one of: add, list, remove.');
  });
});
