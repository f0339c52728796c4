import { readFileSync, existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAppContext, type AppContext } from '../../src/app-context.js';
import { parseCommandOrThrow } from '../../src/commands/grammar/commands.js';
import { loadConfig } from '../../src/config.js';
import { AuditEvent } from '../../src/db/entities/index.js';
import { maskUrlCredentials } from '../../src/pipeline/git/git-url.js';
import { createRuntime, type Runtime } from '../../src/runtime.js';
import { startGitHttpServer, type GitHttpServer } from '../support/git-http-server.js';
import { makeRepo, type TestRepo } from '../support/git-repo.js';
import { makeScratchDir } from '../support/scratch-dirs.js';
import { generateKeyPair } from '../support/ssh-keys.js';
import { ensureOpenSshServer, startSshd, type TestSshd } from '../support/sshd.js';

const ADMIN = 'UADMIN01';
const USER = 'deploy';
// Characters that need URL-encoding, so the encoded and the decoded form both must stay hidden.
const TOKEN = 'ghp_S3cr3t/T0ken+x=y';
const ENCODED = encodeURIComponent(TOKEN);

/** Every form a credential can take on its way into a file or a message. */
const FORMS = [TOKEN, ENCODED, Buffer.from(`${USER}:${TOKEN}`).toString('base64')];

describe('credentials in repository URLs', () => {
  let repo: TestRepo;
  let http: GitHttpServer;
  let sshd: TestSshd;
  let dataDir: string;
  let app: AppContext;
  let runtime: Runtime;
  const logs: string[] = [];
  let authUrl: string;

  const run = async (text: string) => runtime.executor.execute(app.actor(ADMIN), parseCommandOrThrow(text));
  const open = async () => {
    const key = await generateKeyPair();
    const config = loadConfig({ DEPLOYBOT_DATA_DIR: dataDir, DEPLOYBOT_SSH_KEY: key.privateKeyPath, DEPLOYBOT_ADMINS: ADMIN, DEPLOYBOT_LOG_LEVEL: 'debug' }, dataDir);
    app = await createAppContext(config, { logWrite: (l) => logs.push(l) });
    runtime = createRuntime(app, { hookTimeoutMs: 60_000 });
    return key;
  };

  beforeAll(async () => {
    await ensureOpenSshServer();
    repo = await makeRepo({ commits: [{ files: { 'index.html': 'v1\n' }, message: 'first', tag: 'v1' }] });
    http = await startGitHttpServer(repo.dir, USER, TOKEN);
    authUrl = http.url.replace('http://', `http://${USER}:${ENCODED}@`);
    dataDir = makeScratchDir('deploybot-creds-');
    const key = await open();
    sshd = await startSshd({ authorizedKey: key.publicKey, deployRoot: '/srv/deploybot-test/app' });
    await run(`server add web-1 ${sshd.username}@${sshd.host}:${sshd.port}`);
  });
  afterAll(async () => {
    await runtime?.stop();
    await app?.close();
    await sshd?.stop();
    await http?.close();
    repo?.cleanup();
  });

  it('masks user:token and lone tokens, keeps ssh user names', () => {
    expect(maskUrlCredentials('https://user:tok@github.com/a/b.git')).toBe('https://user:***@github.com/a/b.git');
    expect(maskUrlCredentials('https://ghp_abc@github.com/a/b.git')).toBe('https://***@github.com/a/b.git');
    expect(maskUrlCredentials('ssh://git@github.com/a/b.git')).toBe('ssh://git@github.com/a/b.git');
    expect(maskUrlCredentials('git@github.com:a/b.git')).toBe('git@github.com:a/b.git');
  });

  it('adds, shows, lists and deploys with the token, never showing it', async () => {
    const added = await run(`project add app repo=${authUrl} path=/srv/deploybot-test/app servers=web-1`);
    expect(JSON.stringify(added)).not.toMatch(/"isError":true/);
    for (const text of ['project show app', 'project list']) {
      const out = JSON.stringify(await run(text));
      if (text === 'project show app') expect(out).toContain(`http://${USER}:***@127.0.0.1:${http.port}/`);
      for (const form of FORMS) expect(out, `${text} shows a credential`).not.toContain(form);
    }
    const deploy = await run('deploy app v1');
    if (deploy.kind !== 'task') throw new Error(JSON.stringify(deploy));
    const done = await runtime.events.waitForFinish(deploy.task.id);
    expect(done.status).toBe('success');
    expect(http.authorized).toBeGreaterThan(0);
    // Editing the branch checks the repository with the stored token (the shown URL is masked).
    const edited = JSON.stringify(await run('project edit app branch=main'));
    expect(edited).not.toMatch(/"isError":true/);
    for (const form of FORMS) expect(edited).not.toContain(form);
  });

  it('a wrong token fails with a message that shows no credential', async () => {
    // The repository is asked before the edit is saved: a wrong token is refused at once, unshown.
    const refused = JSON.stringify(await run(`project edit app repo=${authUrl.replace(ENCODED, 'wrong-token-123')}`));
    expect(refused).toMatch(/"isError":true/);
    expect(refused).not.toContain('wrong-token-123');
    // Saved anyway (`offline`), it fails where the repository is next used.
    await run(`project edit app repo=${authUrl.replace(ENCODED, 'wrong-token-123')} offline`);
    // Leave the edit form untouched: the masked URL keeps what is stored.
    expect(JSON.stringify(await run(`project edit app repo=${http.url.replace('http://', `http://${USER}:***@`)} keep=4 offline`))).not.toMatch(/"isError":true/);
    const refs = JSON.stringify(await run('refs app'));
    expect(refs).toMatch(/git (clone|fetch) failed|Authentication failed|401/i);
    expect(refs).not.toContain('wrong-token-123');
    await run(`project edit app repo=${authUrl}`);
    expect(JSON.stringify(await run('refs app'))).toContain('v1');
  });

  it('leaves no credential in the logs, the audit rows or the database file', async () => {
    expect(logs.length).toBeGreaterThan(0);
    for (const form of [...FORMS, 'wrong-token-123']) expect(logs.join('\n'), `logs hold ${form}`).not.toContain(form);
    const audit = await app.orm.em.fork().find(AuditEvent, {});
    expect(audit.length).toBeGreaterThan(0);
    for (const form of FORMS) expect(JSON.stringify(audit), 'audit rows').not.toContain(form);
    await runtime.stop();
    await app.close();
    for (const file of ['deploybot.sqlite', 'deploybot.sqlite-wal']) {
      const path = `${dataDir}/${file}`;
      if (!existsSync(path)) continue;
      const bytes = readFileSync(path).toString('latin1');
      for (const form of [...FORMS, 'wrong-token-123']) expect(bytes, `${file} holds ${form}`).not.toContain(form);
    }
    await open();
  });

  it('encrypts credentials an older version stored in clear, at the next start', async () => {
    const knex = (app.orm.em.getConnection() as unknown as { execute(sql: string, params?: unknown[]): Promise<unknown> });
    await knex.execute('update projects set repo_url = ?, repo_url_enc = null where name = ?', [authUrl, 'app']);
    await runtime.stop();
    await app.close();
    await open();
    const out = JSON.stringify(await run('project show app'));
    for (const form of FORMS) expect(out).not.toContain(form);
    expect(JSON.stringify(await run('refs app'))).toContain('v1');
    expect(logs.join('\n')).toContain('encrypted the credentials in repository URLs');
  });
});
