import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { tempDir } from '../support/temp-dir.js';

const dirs: { cleanup(): void }[] = [];
afterEach(() => dirs.splice(0).forEach((d) => d.cleanup()));
function cwd(): string {
  const d = tempDir('deploybot-config-');
  dirs.push(d);
  return d.path;
}

function expectConfigError(env: Record<string, string>, ...fragments: string[]) {
  let error: unknown;
  try {
    loadConfig(env, cwd());
  } catch (err) {
    error = err;
  }
  expect(error).toBeInstanceOf(ConfigError);
  for (const f of fragments) expect((error as Error).message).toContain(f);
}

describe('loadConfig', () => {
  it('defaults to the shell mode with SQLite in ./data when nothing is set', () => {
    const dir = cwd();
    const config = loadConfig({}, dir);
    expect(config.mode).toBe('shell');
    expect(config.port).toBe(3000);
    expect(config.dataDir).toBe(join(dir, 'data'));
    expect(config.database).toEqual({ kind: 'sqlite', path: join(dir, 'data', 'deploybot.sqlite') });
    expect(config.slack.apiUrl).toBe('https://slack.com/api/');
    expect(config.admins).toEqual([]);
    expect(config.stallTimeoutMinutes).toBe(30);
  });

  it('picks HTTP mode with a signing secret and Socket Mode with an app token', () => {
    const http = loadConfig({ SLACK_BOT_TOKEN: 'xoxb-1-2-abc', SLACK_SIGNING_SECRET: 'abcdef0123456789abcdef' }, cwd());
    expect(http.mode).toBe('http');
    const socket = loadConfig({ SLACK_BOT_TOKEN: 'xoxb-1-2-abc', SLACK_APP_TOKEN: 'xapp-1-A1-abc' }, cwd());
    expect(socket.mode).toBe('socket');
  });

  it('treats an empty value as unset', () => {
    const config = loadConfig({ SLACK_BOT_TOKEN: '', PORT: ' ', DEPLOYBOT_ADMINS: '' }, cwd());
    expect(config.mode).toBe('shell');
    expect(config.port).toBe(3000);
  });

  it('parses lists, URLs and database URLs', () => {
    const dir = cwd();
    const config = loadConfig(
      { DEPLOYBOT_ADMINS: 'U012ABC, W0456DEF', SLACK_API_URL: 'http://127.0.0.1:9999/api', DATABASE_URL: 'sqlite:db/x.sqlite', PORT: '8080' },
      dir,
    );
    expect(config.admins).toEqual(['U012ABC', 'W0456DEF']);
    expect(config.slack.apiUrl).toBe('http://127.0.0.1:9999/api/');
    expect(config.database).toEqual({ kind: 'sqlite', path: join(dir, 'db/x.sqlite') });
    expect(config.port).toBe(8080);
  });

  it('names the variable and the fix for each bad value', () => {
    expectConfigError({ PORT: 'eighty' }, 'PORT', 'port number');
    expectConfigError({ PORT: '70000' }, 'PORT', 'between 1 and 65535');
    expectConfigError({ SLACK_BOT_TOKEN: 'xoxp-user-token', SLACK_SIGNING_SECRET: 'abcdef0123456789' }, 'SLACK_BOT_TOKEN', 'xoxb-');
    expectConfigError({ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL', 'sqlite:');
    expectConfigError({ DEPLOYBOT_ADMINS: 'Alice Smith' }, 'DEPLOYBOT_ADMINS', 'Slack user IDs');
    expectConfigError({ DEPLOYBOT_NOTIFY_CHANNEL: '#deploys' }, 'DEPLOYBOT_NOTIFY_CHANNEL', 'channel ID');
    expectConfigError({ DEPLOYBOT_SECRET_KEY: 'short' }, 'DEPLOYBOT_SECRET_KEY', '32 characters');
    expectConfigError({ DEPLOYBOT_SSH_KEY: '/nonexistent/key' }, 'DEPLOYBOT_SSH_KEY', 'does not exist');
    expectConfigError({ DEPLOYBOT_TIMEZONE: 'Mars/Olympus' }, 'DEPLOYBOT_TIMEZONE', 'IANA');
  });

  it('refuses half-configured Slack with a fix-it message', () => {
    expectConfigError({ SLACK_BOT_TOKEN: 'xoxb-1-2-abc' }, 'SLACK_SIGNING_SECRET', 'SLACK_APP_TOKEN');
    expectConfigError({ SLACK_SIGNING_SECRET: 'abcdef0123456789abcdef' }, 'SLACK_BOT_TOKEN');
  });

  it('reads a YAML settings file, with the environment taking precedence', () => {
    const dir = cwd();
    const file = join(dir, 'settings.yaml');
    writeFileSync(file, 'PORT: 4000\nDEPLOYBOT_ADMINS: [U0AAA, U0BBB]\nDEPLOYBOT_STALL_MINUTES: 45\n');
    const config = loadConfig({ DEPLOYBOT_CONFIG: file, DEPLOYBOT_STALL_MINUTES: '10' }, dir);
    expect(config.port).toBe(4000);
    expect(config.admins).toEqual(['U0AAA', 'U0BBB']);
    expect(config.stallTimeoutMinutes).toBe(10);
    expect(config.configFile).toBe(file);
  });

  it('refuses a settings file with unknown keys or that does not exist', () => {
    const dir = cwd();
    const file = join(dir, 'settings.yaml');
    writeFileSync(file, 'PROT: 4000\n');
    expect(() => loadConfig({ DEPLOYBOT_CONFIG: file }, dir)).toThrow(/unknown setting PROT/);
    expect(() => loadConfig({ DEPLOYBOT_CONFIG: join(dir, 'missing.yaml') }, dir)).toThrow(/does not exist/);
  });

  it('never echoes a secret value in its errors', () => {
    try {
      loadConfig({ SLACK_BOT_TOKEN: 'xoxp-secret-user-token-123', SLACK_SIGNING_SECRET: 'abcdef0123456789' }, cwd());
      expect.unreachable();
    } catch (err) {
      expect((err as Error).message).not.toContain('secret-user-token');
    }
  });
});
