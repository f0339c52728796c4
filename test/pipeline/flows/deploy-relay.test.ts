import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TaskProgress } from '../../../src/chat/task-progress.js';
import type { PipelineEvent } from '../../../src/pipeline/events.js';
import { createDeployFixture, type DeployFixture } from '../../support/deploy-fixture.js';

/**
 * A whole deploy with `distribution=relay` on 4 real sshd servers (no shaping: the code path stays
 * green in CI; the speed is measured by bench/fleet.ts).
 */
describe('deploying with relay distribution', () => {
  let fx: DeployFixture;

  beforeAll(async () => {
    fx = await createDeployFixture({
      servers: 4,
      privateHome: true,
      files: { 'blob.txt': 'x'.repeat(200_000) },
      project: { distribution: 'relay', maxParallel: 2, hooks: { before_deploy: 'test -f index.html && echo prepared' } },
    });
  }, 60_000);
  afterAll(() => fx?.close());

  it('ships one copy from the bot, the servers feed each other, every server goes live, and nothing stays behind', async () => {
    const { task, outcome } = await fx.deploy('v1');
    expect(outcome.status, outcome.error).toBe('success');
    for (let i = 0; i < 4; i++) expect(fx.liveFile(i, 'index.html')).toBe('version 1\n');

    const mine = fx.recorded.filter((e) => e.taskId === task.id);
    expect(mine.find((e) => e.type === 'distribution.started')).toMatchObject({ strategy: 'relay' });
    const sources = new Map<string, string>();
    for (const e of mine) if (e.type === 'host.source') sources.set(e.host, e.source);
    expect(Object.fromEntries(sources)).toEqual({ 'web-1': 'bot', 'web-2': 'web-1', 'web-3': 'web-2', 'web-4': 'web-3' });

    // The snapshot and the live progress know the chain and each server's throughput.
    const progress = new TaskProgress(task, ['web-1', 'web-2', 'web-3', 'web-4']);
    for (const e of mine) progress.apply(e as PipelineEvent);
    const snap = progress.snapshot(new Date());
    expect(snap.distribution).toBe('relay');
    expect(snap.hosts.map((h) => h.source)).toEqual(['bot', 'web-1', 'web-2', 'web-3']);
    for (const h of snap.hosts) expect(h.bytesPerSec).toBeGreaterThan(0);

    for (const s of fx.servers) {
      expect(readdirSync(s.hostDir).filter((n) => n.startsWith('.deploybot-relay'))).toEqual([]);
      const keys = join(s.homeDir, '.ssh/authorized_keys');
      if (existsSync(keys)) expect(readFileSync(keys, 'utf8')).not.toContain('deploybot-relay');
    }
  }, 60_000);

  it('the next deploy relays again and rollback needs no upload', async () => {
    expect((await fx.deploy('v2')).outcome.status).toBe('success');
    for (let i = 0; i < 4; i++) expect(fx.liveFile(i, 'new.txt')).toBe('added in v2\n');
    expect((await fx.rollback()).outcome.status).toBe('success');
    for (let i = 0; i < 4; i++) expect(fx.liveFile(i, 'index.html')).toBe('version 1\n');
  }, 60_000);

  it('a server without the OpenSSH client is served by the bot directly, the others still relay', async () => {
    await fx.servers[1]!.hideProgram('/usr/bin/ssh');
    const { task, outcome } = await fx.deploy('v1');
    expect(outcome.status, outcome.error).toBe('success');
    for (let i = 0; i < 4; i++) expect(fx.liveFile(i, 'index.html')).toBe('version 1\n');
    const sources = new Map<string, string>();
    for (const e of fx.recorded) if (e.taskId === task.id && e.type === 'host.source') sources.set(e.host, e.source);
    expect(sources.get('web-2')).toBe('bot');
    // The chain goes around web-2: the others get their copy from a server, never from web-2.
    expect([...sources.entries()].filter(([h, src]) => h !== 'web-2' && src !== 'bot').length).toBeGreaterThan(0);
    expect([...sources.values()]).not.toContain('web-2');
  }, 60_000);
});
