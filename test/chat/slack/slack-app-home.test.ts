import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { homeView } from '../../../src/chat/slack/views/home-view.js';
import { sendSignedRequest } from '../../support/slack/slack-requests.js';
import { SECRET, startSlackHarness, USERS, type SlackHarness } from './slack-harness.js';

describe('the App Home tab', () => {
  let h: SlackHarness;
  beforeAll(async () => {
    h = await startSlackHarness();
  });
  afterAll(() => h?.close());
  afterEach(() => h.expectNoRefusals());

  it('is drawn when a person opens it, from a correctly signed event', async () => {
    const admin = h.runtime.app.actor(USERS.admin);
    await h.runtime.app.withServices(async (s) => {
      await s.servers.add(admin, { name: 'web-1', hostname: '10.0.0.5', username: 'deploy', authKind: 'agent' });
      await s.projects.add(admin, { name: 'shop', repoUrl: 'https://example.com/shop.git', deployPath: '/srv/shop', servers: ['web-1'] });
      await s.tasks.requestDeploy(admin, { project: 'shop', ref: 'v9.9.9', scheduledAt: new Date(Date.now() + 3_600_000) });
    });
    const mark = h.mark();
    const body = JSON.stringify({
      token: 'legacy',
      team_id: 'T0TEST',
      api_app_id: 'A0TEST',
      type: 'event_callback',
      event_id: 'Ev0HOME',
      event_time: Math.floor(Date.now() / 1000),
      event: { type: 'app_home_opened', user: USERS.alice, channel: 'D0HOME', tab: 'home', event_ts: `${Date.now() / 1000}` },
    });
    const res = await sendSignedRequest(h.baseUrl, SECRET, body, 'application/json', { path: '/slack/events' });
    expect(res.status).toBe(200);
    const published = await h.next(mark, (c) => c.method === 'views.publish');
    expect(published.args.user_id).toBe(USERS.alice);
    const text = JSON.stringify(published.args.view);
    expect(text).toContain('*shop*');
    expect(text).toContain('`v9.9.9` · scheduled');
    expect(text).toContain('*web-1*: _nothing deployed_');

    const forged = await sendSignedRequest(h.baseUrl, SECRET, body, 'application/json', { path: '/slack/events', forgeSignature: true });
    expect(forged.status).toBe(401);
  });

  it('shows the ref each live release and rollback target was deployed from', () => {
    const release = '20261202024636-4-96c36d0';
    const rollback = { id: 5, kind: 'rollback', status: 'success', releaseId: release, requestedBy: 'UBOB0001', createdAt: new Date(0), finishedAt: new Date(0), startedAt: new Date(0) } as never;
    const view = homeView([{ project: { name: 'shop', title: 'shop', environment: 'test', lock: null } as never, live: [{ server: 'web-1', release, commit: '96c36d0'.padEnd(40, '0') }], recent: [rollback], refs: new Map([[release, 'v1.0.0']]) }], 'UTC');
    const text = JSON.stringify(view);
    expect(text).toContain(`*web-1*: \`${release} (v1.0.0)\` (96c36d0)`);
    expect(text).toContain(`rollback to \`${release} (v1.0.0)\``);
  });

  it('stays within Slack\'s 100 blocks for many projects', () => {
    const many = Array.from({ length: 60 }, (_, i) => ({
      project: { name: `p-${i}`, title: `p-${i}`, environment: 'test', lock: null } as never,
      live: [{ server: 'web-1', release: null, commit: null }],
      recent: [],
    }));
    const view = homeView(many, 'UTC');
    expect(view.blocks.length).toBeLessThanOrEqual(100);
    expect(JSON.stringify(view.blocks.at(-1))).toMatch(/more projects/);
  });
});
