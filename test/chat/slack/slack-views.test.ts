import { describe, expect, it } from 'vitest';
import { LogLevel } from '@slack/bolt';
import { boltLogger } from '../../../src/chat/slack/bolt-logger.js';
import { decodeMetadata, encodeMetadata } from '../../../src/chat/slack/metadata.js';
import { changedHooks } from '../../../src/chat/slack/submissions/task-submissions.js';
import { deployModal, readDeployForm } from '../../../src/chat/slack/views/deploy-modal.js';
import { fieldErrors } from '../../../src/chat/slack/views/field-errors.js';
import { hooksModal, readHooksForm } from '../../../src/chat/slack/views/hooks-modal.js';
import { projectModal, readProjectAdd, readProjectEdit } from '../../../src/chat/slack/views/project-modal.js';
import { rejectModal } from '../../../src/chat/slack/views/reject-modal.js';
import { readServerAdd, readServerEdit, serverModal } from '../../../src/chat/slack/views/server-modal.js';
import type { ProjectView, ServerView } from '../../../src/core/views.js';
import { createLogger } from '../../../src/log.js';

/** The pure modal builders and readers. */

type AnyBlock = { type: string; block_id?: string; element?: Record<string, unknown>; elements?: unknown[]; text?: { text: string } };
const blocksOf = (view: { blocks: unknown[] }) => view.blocks as AnyBlock[];
const inputIds = (view: { blocks: unknown[] }) => blocksOf(view).filter((b) => b.type === 'input').map((b) => b.block_id);
const element = (view: { blocks: unknown[] }, id: string) => blocksOf(view).find((b) => b.block_id === id)?.element ?? {};
const v = (value: string | null) => ({ value: { type: 'plain_text_input', value } });

const server: ServerView = {
  name: 'web-1', hostname: 'web1.example.com', port: 2222, username: 'deploy', authKind: 'key', keyPath: '/keys/web', hasOwnKey: true,
  hostKeyFingerprint: null, internalAddress: null, labels: ['eu', 'blue'], projects: [], createdBy: 'UADMIN01', createdAt: new Date(0),
};
const project: ProjectView = {
  name: 'shop', title: 'Shop', repoUrl: 'git@github.com:acme/shop.git', environment: 'prod', deployPath: '/srv/shop', servers: ['web-1', 'web-2'],
  defaultBranch: 'main', keepReleases: 5, approvers: ['UBOB0001'], notifyChannel: 'C0RESULTS', maxParallel: 10, requiredApprovals: 1, promoteFrom: null, healthCheck: 'curl -fsS http://127.0.0.1:8080/up', healthTimeout: 45, rollout: 'canary:1', canaryWait: 60, onFailure: 'rollback', distribution: 'auto', notifyApprovers: 'dm', notifyRequester: 'mention',
  hooks: { before_download: '', after_download: 'npm ci', before_deploy: 'x'.repeat(3001), after_deploy: 'systemctl reload shop' },
  lock: null, createdBy: 'UADMIN01', createdAt: new Date(0),
};

describe('metadata', () => {
  it('round-trips and ignores what is not ours', () => {
    expect(decodeMetadata(encodeMetadata({ channel: 'C1', name: 'web-1', taskId: 4 }))).toEqual({ channel: 'C1', name: 'web-1', taskId: 4 });
    expect(decodeMetadata('')).toEqual({});
    expect(decodeMetadata('not json')).toEqual({});
    expect(decodeMetadata('{"taskId":"4; drop"}')).toEqual({});
  });
});

describe('field errors', () => {
  const blocks = { name: 'name', servers: 'servers', ref: 'version.shop' };
  it('maps service fields (and zod paths) to block ids', () => {
    expect(fieldErrors('x', { 'servers.1': 'unknown: web-9', ref: 'no such tag' }, blocks, 'name')).toEqual({ servers: 'unknown: web-9', 'version.shop': 'no such tag' });
  });
  it('puts what no block can show on the fallback block', () => {
    expect(fieldErrors(':warning: Only deploybot admins can add servers.', {}, blocks, 'name')).toEqual({ name: 'Only deploybot admins can add servers.' });
    expect(fieldErrors('x', { servers: 'a', input: 'b' }, blocks, 'name')).toEqual({ servers: 'a', name: 'b' });
    expect(fieldErrors('x'.repeat(900), undefined, blocks, 'name').name!.length).toBe(500);
  });
});

describe('server form', () => {
  it('add: every field, the channel in metadata', () => {
    const view = serverModal({ metadata: { channel: 'C1' } });
    expect(view).toMatchObject({ type: 'modal', callback_id: 'server_add', private_metadata: '{"channel":"C1"}' });
    expect(inputIds(view)).toEqual(['name', 'hostname', 'port', 'username', 'authKind', 'keyPath', 'privateKey', 'privateKeyMore', 'passphrase', 'password', 'labels']);
    expect(element(view, 'privateKey')).toMatchObject({ type: 'plain_text_input', multiline: true });
    expect(element(view, 'port')).toMatchObject({ type: 'number_input', initial_value: '22', min_value: '1', max_value: '65535' });
    expect((element(view, 'authKind').options as { value: string }[]).map((o) => o.value)).toEqual(['key', 'password', 'agent']);
    expect(view.title.text.length).toBeLessThanOrEqual(24);
  });

  it('edit: pre-filled, except the secrets; the name in metadata', () => {
    const view = serverModal({ server, metadata: { channel: 'C1' } });
    expect(view.callback_id).toBe('server_edit');
    expect(decodeMetadata(view.private_metadata)).toEqual({ channel: 'C1', name: 'web-1' });
    expect(inputIds(view)).not.toContain('name');
    expect([element(view, 'hostname').initial_value, element(view, 'port').initial_value, element(view, 'labels').initial_value, element(view, 'keyPath').initial_value]).toEqual(['web1.example.com', '2222', 'eu, blue', '/keys/web']);
    for (const secret of ['privateKey', 'privateKeyMore', 'passphrase', 'password']) expect(element(view, secret).initial_value).toBeUndefined();
  });

  it('reads the forms in the service vocabulary', () => {
    const values = { name: v(' web-3 '), hostname: v('10.0.0.3'), port: v('2203'), username: v('deploy'), authKind: { value: { type: 'radio_buttons', selected_option: { value: 'password' } } }, keyPath: v(null), privateKey: v(null), passphrase: v(''), password: v('pw'), labels: v('eu, blue  green') };
    expect(readServerAdd(values)).toEqual({ name: 'web-3', hostname: '10.0.0.3', port: '2203', username: 'deploy', authKind: 'password', password: 'pw', labels: ['eu', 'blue', 'green'] });
    expect(readServerEdit(values)).toEqual({ hostname: '10.0.0.3', port: '2203', username: 'deploy', authKind: 'password', keyPath: null, password: 'pw', labels: ['eu', 'blue', 'green'] });
  });
});

describe('project form', () => {
  it('add: servers from the list (a menu up to 100, options loaded as you type beyond), defaults', () => {
    const servers = Array.from({ length: 120 }, (_, i) => `web-${i}`);
    const view = projectModal({ servers, metadata: {} });
    expect(view.callback_id).toBe('project_add');
    expect(inputIds(view)).toEqual(['name', 'repoUrl', 'deployPath', 'servers', 'environment', 'approvers', 'notifyChannel', 'defaultBranch', 'keepReleases', 'maxParallel', 'requiredApprovals', 'promoteFrom', 'healthCheck', 'healthTimeout', 'rollout', 'canaryWait', 'onFailure']);
    // 120 servers do not fit one menu: an external select, never a menu cut at 100.
    expect(element(view, 'servers')).toMatchObject({ type: 'multi_external_select', action_id: 'server_options' });
    expect((element(projectModal({ servers: servers.slice(0, 80), metadata: {} }), 'servers').options as unknown[]).length).toBe(80);
    expect(element(view, 'notifyChannel')).toMatchObject({ type: 'conversations_select', filter: { include: ['public', 'private'] } });
    expect(element(view, 'approvers').type).toBe('multi_users_select');
    expect((element(view, 'environment').initial_option as { value: string }).value).toBe('test');
  });

  it('edit: pre-filled', () => {
    const view = projectModal({ project, servers: ['web-1', 'web-2', 'web-3'], metadata: {} });
    expect(element(view, 'servers').initial_options).toEqual([expect.objectContaining({ value: 'web-1' }), expect.objectContaining({ value: 'web-2' })]);
    expect(element(view, 'approvers').initial_users).toEqual(['UBOB0001']);
    expect(element(view, 'notifyChannel').initial_conversation).toBe('C0RESULTS');
    expect((element(view, 'environment').initial_option as { value: string }).value).toBe('prod');
    expect(element(view, 'healthCheck').initial_value).toBe('curl -fsS http://127.0.0.1:8080/up');
    expect(element(view, 'healthTimeout').initial_value).toBe('45');
  });

  it('reads the health check; an emptied one clears it', () => {
    const base = { repoUrl: v('https://x/y.git'), deployPath: v('/srv/blog'), servers: { value: { type: 'multi_static_select', selected_options: [{ value: 'web-1' }] } } };
    expect(readProjectEdit({ ...base, healthCheck: v('curl -fsS http://127.0.0.1/up'), healthTimeout: v('12') })).toMatchObject({ healthCheck: 'curl -fsS http://127.0.0.1/up', healthTimeout: '12' });
    expect(readProjectEdit({ ...base, healthCheck: v(null), healthTimeout: v(null) })).toMatchObject({ healthCheck: '' });
  });

  it('reads the form; an emptied channel clears it', () => {
    const values = {
      name: v('blog'), repoUrl: v('https://x/y.git'), deployPath: v('/srv/blog'),
      servers: { value: { type: 'multi_static_select', selected_options: [{ value: 'web-1' }] } },
      environment: { value: { type: 'radio_buttons', selected_option: { value: 'prod' } } },
      approvers: { value: { type: 'multi_users_select', selected_users: ['UBOB0001'] } },
      notifyChannel: { value: { type: 'conversations_select', selected_conversation: null } },
      defaultBranch: v('main'), keepReleases: v('4'), maxParallel: v(null), onFailure: { value: { type: 'radio_buttons', selected_option: { value: 'continue' } } },
    };
    expect(readProjectAdd(values)).toEqual({ name: 'blog', repoUrl: 'https://x/y.git', deployPath: '/srv/blog', servers: ['web-1'], environment: 'prod', approvers: ['UBOB0001'], notifyChannel: null, defaultBranch: 'main', keepReleases: '4', promoteFrom: null, healthCheck: '', onFailure: 'continue' });
    expect(readProjectEdit(values)).not.toHaveProperty('name');
  });
});

describe('hooks form', () => {
  it('pre-fills each hook; a script longer than a Slack input is described, not offered', () => {
    const view = hooksModal({ project, metadata: {} });
    expect(inputIds(view)).toEqual(['before_download', 'after_download', 'after_deploy']);
    expect(element(view, 'after_download').initial_value).toBe('npm ci');
    expect(JSON.stringify(view.blocks)).toContain('*before_deploy* is 3001 characters long');
    expect(decodeMetadata(view.private_metadata).name).toBe('shop');
  });

  it('reads scripts as typed: empty clears, CRLF becomes LF, absent inputs stay unchanged', () => {
    expect(readHooksForm({ before_download: v(null), after_download: v('npm ci\r\nnpm run build\r\n'), after_deploy: v('  ') })).toEqual({
      before_download: { kind: 'clear' },
      after_download: { kind: 'inline', script: 'npm ci\nnpm run build\n' },
      after_deploy: { kind: 'clear' },
    });
  });
});

describe('deploy form', () => {
  const projects = [project, { ...project, name: 'blog', title: 'blog' }];

  it('starts with a project select that dispatches, and a version picker that loads options', () => {
    const view = deployModal({ projects, isAdmin: false, actorId: 'UALICE01', metadata: { channel: 'C1' } });
    expect(inputIds(view)).toEqual(['project', 'version', 'schedule']);
    expect(blocksOf(view)[0]).toMatchObject({ dispatch_action: true, element: { type: 'static_select', action_id: 'deploy_project' } });
    expect(element(view, 'version')).toMatchObject({ type: 'external_select', action_id: 'deploy_version', min_query_length: 0 });
    expect(element(view, 'schedule').type).toBe('datetimepicker');
  });

  it('for an admin, offers the hook scripts under project-specific block ids', () => {
    const view = deployModal({ projects, selected: project, isAdmin: true, actorId: 'UADMIN01', metadata: {} });
    expect(inputIds(view)).toEqual(['project', 'version.shop', 'schedule', 'hook.shop.before_download', 'hook.shop.after_download', 'hook.shop.after_deploy']);
    expect((element(view, 'project').initial_option as { value: string }).value).toBe('shop');
    expect(view.submit?.text).toBe('Request deploy');
    expect(JSON.stringify(view.blocks)).toContain('needs approval by <@UBOB0001>');
  });

  it('for the project\'s approvers, shows the hooks read-only', () => {
    const view = deployModal({ projects, selected: project, isAdmin: false, actorId: 'UBOB0001', metadata: {} });
    expect(inputIds(view)).toEqual(['project', 'version.shop', 'schedule']);
    expect(JSON.stringify(view.blocks)).toContain('systemctl reload shop');
  });

  it('for anyone else who may deploy, names the hooks but never shows the scripts', () => {
    const view = deployModal({ projects, selected: { ...project, hooks: { ...project.hooks, after_download: 'npm ci --registry https://npm.internal.example' } }, isAdmin: false, actorId: 'UALICE01', metadata: {} });
    expect(inputIds(view)).toEqual(['project', 'version.shop', 'schedule']);
    const json = JSON.stringify(view.blocks);
    expect(json).toContain('`after_download`, `before_deploy`, `after_deploy`');
    expect(json).toContain("Only admins and the project's approvers can read them");
    for (const script of ['npm.internal.example', 'systemctl reload shop', 'xxxxxxxx']) expect(json).not.toContain(script);
  });

  it('reads the form', () => {
    const values = {
      project: { deploy_project: { type: 'static_select', selected_option: { value: 'shop' } } },
      'version.shop': { deploy_version: { type: 'external_select', selected_option: { value: 'v2' } } },
      schedule: { value: { type: 'datetimepicker', selected_date_time: 1_900_000_000 } },
      'hook.shop.after_deploy': v('echo hi'),
    };
    expect(readDeployForm(values)).toEqual({ project: 'shop', versionProject: 'shop', versionBlock: 'version.shop', ref: 'v2', scheduledAt: new Date(1_900_000_000_000), hooks: { after_deploy: 'echo hi' } });
    expect(changedHooks({ after_deploy: 'systemctl reload shop\n', after_download: 'npm ci && npm test' }, project.hooks)).toEqual({ after_download: 'npm ci && npm test' });
    expect(changedHooks({ after_deploy: ' systemctl reload shop ' }, project.hooks)).toBeUndefined();
  });
});

describe('reject form', () => {
  it('asks for a reason and remembers the task', () => {
    const view = rejectModal({ taskId: 12, project: 'shop', ref: 'v2', requestedBy: 'UALICE01', metadata: { channel: 'C1' } });
    expect(view).toMatchObject({ callback_id: 'task_reject_reason', title: { text: 'Reject deploy #12' } });
    expect(inputIds(view)).toEqual(['reason']);
    expect(blocksOf(view)[1]!).not.toHaveProperty('optional');
    expect(decodeMetadata(view.private_metadata)).toEqual({ channel: 'C1', taskId: 12 });
  });
});

describe('bolt logger', () => {
  it('never writes debug lines (the SDKs print payloads there), even at debug level', () => {
    const lines: string[] = [];
    const log = boltLogger(createLogger({ level: 'debug', write: (l) => lines.push(l) }), 'debug');
    log.setLevel(LogLevel.DEBUG);
    log.debug('payload', { password: 'x' });
    log.info('connected');
    log.error(new Error('boom'));
    expect(lines.map((l) => l.replace(/^\S+ /, ''))).toEqual(['INFO  connected component=slack', 'ERROR boom component=slack']);
  });
});
