import { expect } from 'vitest';
import type { ProjectView, ServerView } from '../../../src/core/views.js';
import { AuditEvent } from '../../../src/db/entities/index.js';
import { makeRepo, type TestRepo } from '../../support/git-repo.js';
import { removeScratchDirs } from '../../support/scratch-dirs.js';
import { allText, startSlackHarness, USERS, type SlackHarness } from './slack-harness.js';

/**
 * A running Slack adapter (see slack-harness.ts) with a real git repository, two servers and a
 * test project `shop` set up the way an admin would: by text command. Records every ack's latency.
 */
export interface AppFixture {
  h: SlackHarness;
  repo: TestRepo;
  /** Checks a 200 ack and records its latency. */
  acked<T extends { status: number; elapsedMs: number }>(what: string, res: T): T;
  /** Servers, projects and the audit log size: what "nothing changed" compares. */
  state(): Promise<{ servers: ServerView[]; projects: ProjectView[]; audit: number }>;
  /** `/deploy <text>` as `user`: the ephemeral answer's text. */
  ask(user: string, text: string): Promise<string>;
  /** Every recorded ack was well within Slack's 3 s. */
  expectFastAcks(minimum: number): void;
  close(): Promise<void>;
}

export async function startAppFixture(): Promise<AppFixture> {
  const repo = await makeRepo({
    commits: [
      { files: { 'index.html': 'one\n' }, message: 'first release', tag: 'v1.0.0' },
      { files: { 'index.html': 'two\n' }, message: 'add the login page', tag: 'v1.1.0', branch: 'feature/login' },
      { files: { 'index.html': 'three\n' }, message: 'payments', tag: 'v2.0.0', branch: 'hotfix-payments' },
    ],
  });
  const h = await startSlackHarness();
  const acks: { what: string; ms: number }[] = [];
  const acked = <T extends { status: number; elapsedMs: number }>(what: string, res: T): T => {
    acks.push({ what, ms: res.elapsedMs });
    expect(res.status, what).toBe(200);
    return res;
  };
  const ask = async (user: string, text: string): Promise<string> => {
    const { ack, answer } = await h.command(user, text);
    acked(text, ack);
    const a = await answer();
    expect(a.response_type).toBe('ephemeral');
    return allText(a);
  };
  expect(await ask(USERS.admin, 'server add web-1 root@127.0.0.1:2201')).toContain('Added server');
  expect(await ask(USERS.admin, 'server add web-2 root@127.0.0.1:2202 labels=eu')).toContain('Added server');
  expect(await ask(USERS.admin, `project add shop repo=${repo.url} path=/srv/shop servers=web-1,web-2`)).toContain('Added project');
  return {
    h,
    repo,
    acked,
    ask,
    state: () =>
      h.runtime.app.withServices(async (s) => ({
        servers: await s.servers.list(),
        projects: await s.projects.list(),
        audit: await h.runtime.app.orm.em.fork().count(AuditEvent, {}),
      })),
    expectFastAcks(minimum) {
      expect(acks.length).toBeGreaterThanOrEqual(minimum);
      const sorted = acks.map((a) => a.ms).sort((a, b) => a - b);
      console.log(`ack latency over ${acks.length} requests: median ${sorted[Math.floor(sorted.length / 2)]!.toFixed(0)} ms, max ${sorted.at(-1)!.toFixed(0)} ms`);
      for (const a of acks) expect(a.ms, a.what).toBeLessThan(3000);
    },
    async close() {
      await h.close();
      repo.cleanup();
      removeScratchDirs();
    },
  };
}
