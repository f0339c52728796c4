import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/orm.js';
import { startSlackApiStandIn } from '../support/slack/slack-api-stand-in.js';
import { sendSlashCommand } from '../support/slack/slack-requests.js';
import { tempDir } from '../support/temp-dir.js';

const dir = tempDir('deploybot-boot-');
afterAll(() => dir.cleanup());

function startBot(env: Record<string, string>) {
  const child = spawn(process.execPath, ['bin/deploybot.mjs'], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', DEPLOYBOT_FROM_SOURCE: '1', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, exited, stderr: () => stderr };
}

describe('the bot process', () => {
  it('starts on an empty data dir, migrates the database, and stops cleanly on SIGTERM', async () => {
    const dataDir = join(dir.path, 'data');
    const bot = startBot({ DEPLOYBOT_DATA_DIR: dataDir, DEPLOYBOT_SHELL_USER: 'ci' });
    const until = Date.now() + 60_000;
    while (!bot.stderr().includes('deploybot started') && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
    expect(bot.stderr()).toContain('deploybot started mode=shell');
    bot.child.kill('SIGTERM');
    expect(await bot.exited).toBe(0);
    expect(bot.stderr()).toContain('deploybot stopped');

    const dbFile = join(dataDir, 'deploybot.sqlite');
    expect(existsSync(dbFile)).toBe(true);
    expect(existsSync(join(dataDir, 'secret.key'))).toBe(true);
    const orm = await openDatabase({ kind: 'sqlite', path: dbFile });
    const tables = ((await orm.em.getConnection().execute("select name from sqlite_master where type='table'")) as { name: string }[]).map((r) => r.name);
    expect(tables).toEqual(expect.arrayContaining(['servers', 'projects', 'deploy_tasks', 'task_hosts', 'releases', 'audit_events']));
    await orm.close();
  });

  it('serves Slack over HTTP when credentials are set: health, signed commands, SIGTERM', async () => {
    const slack = await startSlackApiStandIn();
    const secret = 'abcdef0123456789abcdef0123456789';
    const port = 20000 + Math.floor(Math.random() * 20000);
    const bot = startBot({
      DEPLOYBOT_DATA_DIR: join(dir.path, 'slack'),
      SLACK_BOT_TOKEN: 'xoxb-1-2-boot-test',
      SLACK_SIGNING_SECRET: secret,
      SLACK_API_URL: slack.url,
      PORT: String(port),
      DEPLOYBOT_ADMINS: 'UADMIN01',
    });
    try {
      const until = Date.now() + 60_000;
      while (!bot.stderr().includes('slack adapter listening') && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
      expect(bot.stderr()).toContain('mode=http');
      const health = await fetch(`http://127.0.0.1:${port}/healthz`);
      expect(health.status).toBe(200);
      const base = `http://127.0.0.1:${port}`;
      const ok = await sendSlashCommand(base, secret, { text: 'help', user_id: 'UALICE01', channel_id: 'C0DEPLOYS', response_url: slack.responseUrl() });
      expect(ok.status).toBe(200);
      const forged = await sendSlashCommand(base, secret, { text: 'server list', user_id: 'UALICE01', channel_id: 'C0DEPLOYS', response_url: slack.responseUrl() }, { forgeSignature: true });
      expect(forged.status).toBe(401);
      await slack.waitFor((c) => JSON.stringify(c.args).includes('server add'), 10_000);
    } finally {
      bot.child.kill('SIGTERM');
      expect(await bot.exited).toBe(0);
      await slack.close();
    }
  });

  it('refuses a bad configuration at boot with a message naming the variable', async () => {
    const bot = startBot({ DEPLOYBOT_DATA_DIR: join(dir.path, 'bad'), PORT: 'eighty' });
    expect(await bot.exited).toBe(78);
    expect(bot.stderr()).toMatch(/PORT must be a port number/);
  });
});
