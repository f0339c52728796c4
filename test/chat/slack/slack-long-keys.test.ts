import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createAppContext } from '../../../src/app-context.js';
import { CALLBACKS } from '../../../src/chat/slack/ids.js';
import { joinPastedKey } from '../../../src/chat/slack/views/pasted-key.js';
import { loadConfig } from '../../../src/config.js';
import { createRuntime } from '../../../src/runtime.js';
import { makeScratchDir, removeScratchDirs } from '../../support/scratch-dirs.js';
import { generateKeyPair, type TestKeyPair } from '../../support/ssh-keys.js';
import { ensureOpenSshServer, startSshd, type TestSshd } from '../../support/sshd.js';
import { allText, plainValue, radioValue, startSlackHarness, USERS, type SlackHarness } from './slack-harness.js';

/**
 * Keys longer than one Slack input (3,000 characters): an RSA-4096 key pasted in the server
 * form's two key inputs, and `server add … key=@file` in the shell, both log in to a real sshd.
 */

let h: SlackHarness;
let key: TestKeyPair;
let sshd: TestSshd;

beforeAll(async () => {
  await ensureOpenSshServer();
  key = await generateKeyPair({ type: 'rsa4096' });
  sshd = await startSshd({ authorizedKey: key.publicKey });
  h = await startSlackHarness();
}, 60_000);
afterEach(() => h.expectNoRefusals());
afterAll(async () => {
  await h?.close();
  await sshd?.stop();
  removeScratchDirs();
});

describe('an RSA-4096 key', () => {
  it('is longer than one input', () => {
    expect(key.privateKey.length).toBeGreaterThan(3000);
  });

  it('pasted in two parts (split anywhere, each trimmed by Slack) is the same key', () => {
    const original = key.privateKey.trim();
    for (const at of [3000, original.indexOf('\n', 2500), original.indexOf('\n', 2500) + 1, 1234]) {
      expect(joinPastedKey(original.slice(0, at).trim(), original.slice(at).trim())).toBe(original);
    }
    expect(joinPastedKey(original, undefined)).toBe(original);
  });

  it('is accepted by the server form in two inputs, and logs in to the server', async () => {
    const original = key.privateKey.trim();
    const res = await h.submit({
      callback_id: CALLBACKS.serverAdd,
      user_id: USERS.admin,
      private_metadata: JSON.stringify({ channel: 'C0DEPLOYS' }),
      values: {
        name: plainValue('rsa-box'),
        hostname: plainValue('127.0.0.1'),
        port: { value: { type: 'number_input', value: String(sshd.port) } },
        username: plainValue(sshd.username),
        authKind: radioValue('key'),
        keyPath: plainValue(null),
        privateKey: plainValue(original.slice(0, 3000)),
        privateKeyMore: plainValue(original.slice(3000)),
        passphrase: plainValue(null),
        password: plainValue(null),
        labels: plainValue(null),
      },
    });
    expect(res.body).toBe('');
    const { answer } = await h.command(USERS.admin, 'server check rsa-box');
    expect(allText(await answer())).toContain('*rsa-box* is reachable');
  });

  it('`server add … key=@file` reads it in the shell; Slack, which cannot read files, says so', async () => {
    const { answer } = await h.command(USERS.admin, `server add rsa-file ${sshd.username}@127.0.0.1:${sshd.port} key=@${key.privateKeyPath}`);
    expect(allText(await answer())).toContain('Keys cannot be read from files here');

    const dataDir = makeScratchDir('deploybot-shell-');
    const app = await createAppContext(loadConfig({ DEPLOYBOT_DATA_DIR: dataDir, DEPLOYBOT_ADMINS: 'root', DEPLOYBOT_LOG_LEVEL: 'error' }, dataDir));
    const runtime = createRuntime(app, { allowFileReads: true });
    try {
      const added = await runtime.executor.run('root', `server add rsa-file ${sshd.username}@127.0.0.1:${sshd.port} key=@${key.privateKeyPath}`, { slackEscaped: false });
      expect(added.kind === 'reply' && added.reply.text).toContain('Added server rsa-file');
      const shown = await app.withServices((s) => s.servers.show('rsa-file'));
      expect(shown).toMatchObject({ keyPath: null, hasOwnKey: true });
      const checked = await runtime.executor.run('root', 'server check rsa-file', { slackEscaped: false });
      expect(checked.kind === 'reply' && checked.reply.text).toContain('rsa-file is reachable');
      const missing = await runtime.executor.run('root', `server add nope root@127.0.0.1 key=@${dataDir}/none`, { slackEscaped: false });
      expect(missing.kind === 'reply' && missing.reply.text).toContain(`Cannot read ${dataDir}/none`);
    } finally {
      await runtime.stop();
      await app.close();
    }
  });
});
