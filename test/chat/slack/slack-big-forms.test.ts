import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ACTIONS, CALLBACKS } from '../../../src/chat/slack/ids.js';
import { removeScratchDirs } from '../../support/scratch-dirs.js';
import { unchangedValues } from '../../support/slack/slack-view-state.js';
import { allText, startSlackHarness, USERS, type SlackHarness } from './slack-harness.js';

/**
 * Forms past Slack's 100 options per menu, through the real Bolt endpoint: a saved selection is
 * never cut short, and the pickers load their options as the person types.
 */

let h: SlackHarness;
const N = 150;
const names = Array.from({ length: N }, (_, i) => `web-${i + 1}`);
const projectNames = Array.from({ length: 120 }, (_, i) => `site-${i + 1}`);

beforeAll(async () => {
  h = await startSlackHarness();
  const admin = h.runtime.app.actor(USERS.admin);
  await h.runtime.app.withServices(async (s) => {
    for (const [i, name] of names.entries()) await s.servers.add(admin, { name, hostname: `10.0.${Math.floor(i / 200)}.${(i % 200) + 1}`, port: 22, username: 'deploy' });
    await s.projects.add(admin, { name: 'big', repoUrl: 'https://git.example.com/big.git', deployPath: '/srv/big', servers: names });
    for (const p of projectNames) await s.projects.add(admin, { name: p, repoUrl: 'https://git.example.com/site.git', deployPath: `/srv/${p}`, servers: ['web-1'] });
  });
}, 120_000);
afterEach(() => h.expectNoRefusals());
afterAll(async () => {
  await h?.close();
  removeScratchDirs();
});

const servers = () => h.runtime.app.withServices(async (s) => (await s.projects.show('big')).servers);

describe('a 150-server project', () => {
  it('edited and saved without changes keeps all 150 servers', async () => {
    const mark = h.mark();
    await h.command(USERS.admin, 'project edit big');
    const opened = await h.openedView(mark);
    expect(JSON.stringify(opened.view)).toContain(`*Servers* (${N})`);
    const res = await h.submit({ callback_id: CALLBACKS.projectEdit, user_id: USERS.admin, private_metadata: String(opened.view.private_metadata), values: unchangedValues(opened.view) });
    expect(res.status).toBe(200);
    expect(res.body).toBe('');
    await h.next(mark, (c) => c.method === 'chat.postEphemeral' && allText(c.args).includes('Updated project'));
    expect(await servers()).toHaveLength(N);
  });

  it('adds and removes through the pickers, leaving the rest', async () => {
    const mark = h.mark();
    await h.command(USERS.admin, 'project edit big');
    const opened = await h.openedView(mark);
    const values = unchangedValues(opened.view);
    const pick = (v: string) => ({ text: { type: 'plain_text', text: v }, value: v });
    values.serversRemove = { [ACTIONS.serverOptions]: { type: 'multi_external_select', selected_options: [pick('web-7'), pick('web-150')] } };
    await h.submit({ callback_id: CALLBACKS.projectEdit, user_id: USERS.admin, private_metadata: String(opened.view.private_metadata), values });
    await h.next(mark, (c) => c.method === 'chat.postEphemeral' && allText(c.args).includes('Updated project'));
    const now = await servers();
    expect(now).toHaveLength(N - 2);
    expect(now).not.toContain('web-7');
  });

  it('loads server options as the person types: at most 100, best matches first', async () => {
    const all = await h.suggest({ action_id: ACTIONS.serverOptions, block_id: 'serversAdd', value: '', user_id: USERS.admin });
    expect((all.json as { options: unknown[] }).options).toHaveLength(100);
    const some = await h.suggest({ action_id: ACTIONS.serverOptions, block_id: 'serversAdd', value: 'web-14', user_id: USERS.admin });
    expect((some.json as { options: { value: string }[] }).options.map((o) => o.value)).toEqual(['web-14', ...Array.from({ length: 10 }, (_, i) => `web-${140 + i}`)]);
  });
});

describe('the deploy form with 121 projects', () => {
  it('offers them through an options load instead of cutting the menu at 100', async () => {
    const mark = h.mark();
    await h.command(USERS.alice, '');
    const opened = await h.openedView(mark);
    const project = (opened.view.blocks as { block_id: string; element: { type: string } }[]).find((b) => b.block_id === 'project')!;
    expect(project.element.type).toBe('external_select');
    const found = await h.suggest({ action_id: ACTIONS.deployProject, block_id: 'project', value: 'site-11', user_id: USERS.alice });
    expect((found.json as { options: { value: string }[] }).options.map((o) => o.value)).toEqual(['site-11', ...Array.from({ length: 10 }, (_, i) => `site-${110 + i}`)]);
  });
});
