import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireAdmin, type Actor } from '../../core/actor.js';
import { HOOK_NAMES } from '../../pipeline/stages.js';
import type { CommandOutcome, ModalKind } from '../../commands/replies/command-outcome.js';
import type { CommandOf, HookChanges } from '../../commands/grammar/command-types.js';
import { expandHome } from '../../commands/home-path.js';
import { privateKeyFileState } from '../../pipeline/ssh/private-key-check.js';
import { parseCommand, usageFor } from '../../commands/grammar/commands.js';
import { describeServer } from '../../commands/handlers/server-handlers.js';
import { errorReply, reply, type Reply } from '../../commands/replies/reply.js';
import { changedHooks, formatHooksFile, parseHooksFile } from './hooks-file.js';
import type { ShellSession } from './session.js';

/**
 * What Slack asks with a form, the shell asks with questions: `deploy` (project, then ref, offering
 * recent tags and branches), `server add` (field by field, the password hidden), and
 * `project hooks <name>` (the four scripts in $EDITOR).
 */
const refuse = (message: string, usage?: string): CommandOutcome => ({ kind: 'reply', reply: errorReply(message, usage) });

export async function askDeploy(session: ShellSession, actor: Actor): Promise<CommandOutcome> {
  const { runtime, io } = session;
  if (!io.canAsk) return refuse('Say what to deploy: `deploy <project> <ref>`.', usageFor('deploy'));
  const listed = await session.attempt('list projects', () => runtime.app.withServices((s) => s.projects.list()));
  if ('failed' in listed) return listed.failed;
  const projects = listed.value;
  if (projects.length === 0) return refuse('No projects yet. Add one first:', usageFor('project add'));
  const names = projects.map((p) => p.name);
  const only = names.length === 1 ? names[0] : undefined;
  const name = await session.question(`Project (${names.join(', ')})${only ? ` [${only}]` : ''}: `, { default: only, required: true });
  if (name === undefined) return session.cancelled('nothing was deployed');
  const project = projects.find((p) => p.name === name.toLowerCase());
  if (!project) return refuse(`No project named \`${name}\`. Projects: ${names.join(', ')}.`);

  const refs = await session.attempt('list refs', async () => {
    await runtime.git.ensureMirror(project.repoUrl);
    const [tags, branches] = await Promise.all([runtime.git.listTags(project.repoUrl), runtime.git.listBranches(project.repoUrl)]);
    return { tags: tags.slice(0, 8).map((t) => t.name), branches: branches.slice(0, 8).map((b) => b.name) };
  });
  if ('failed' in refs) return refs.failed;
  if (refs.value.tags.length) io.print(`Recent tags: ${refs.value.tags.join(', ')}`);
  if (refs.value.branches.length) io.print(`Branches: ${refs.value.branches.join(', ')}`);
  const ref = await session.question(`Ref [${project.defaultBranch}]: `, { default: project.defaultBranch, required: true });
  if (ref === undefined) return session.cancelled('nothing was deployed');
  if (/\s/.test(ref)) return refuse(`\`${ref}\` is not a ref: give one branch, tag or commit.`, usageFor('deploy'));
  return runtime.executor.execute(actor, { kind: 'deploy', project: project.name, ref, raw: `deploy ${project.name} ${ref}` });
}

export async function askServerAdd(session: ShellSession, actor: Actor): Promise<CommandOutcome> {
  const { runtime, io } = session;
  if (!io.canAsk) return refuse('Give the server as text here:', usageFor('server add'));
  if (!actor.isAdmin) return refuse('Only deploybot admins can add servers. Ask an admin (listed in DEPLOYBOT_ADMINS) to do it or to add you.');
  const name = await session.question('Name: ', { required: true });
  if (name === undefined) return session.cancelled('no server was added');
  const address = await session.question('Address (user@host[:port]): ', { required: true });
  if (address === undefined) return session.cancelled('no server was added');
  const authAnswer = await session.question('Authentication: key, password or agent [key]: ', { default: 'key' });
  if (authAnswer === undefined) return session.cancelled('no server was added');
  const auth = authAnswer.toLowerCase();
  if (!['key', 'password', 'agent'].includes(auth)) return refuse(`\`${authAnswer}\` is not a way to log in: answer key, password or agent.`);
  let keyPath = '';
  let password = '';
  if (auth === 'key') {
    const answer = await session.question('Private key file [the default key, DEPLOYBOT_SSH_KEY]: ');
    if (answer === undefined) return session.cancelled('no server was added');
    keyPath = answer;
  } else if (auth === 'password') {
    const answer = await session.question('Password: ', { hidden: true, required: true });
    if (answer === undefined) return session.cancelled('no server was added');
    password = answer;
  }
  const labels = await session.question('Labels (a,b; optional): ');
  if (labels === undefined) return session.cancelled('no server was added');

  // The answers go through the same grammar as the one-line form, so they are checked the same way.
  const text = ['server add', quoteWord(name), quoteWord(address), keyPath ? `key=${quoteWord(keyPath)}` : '', auth === 'agent' ? 'agent' : '', labels ? `labels=${labels.replace(/\s+/g, '')}` : ''].filter(Boolean).join(' ');
  const parsed = parseCommand(text, { slackEscaped: false });
  if (!parsed.ok) return refuse(parsed.error, parsed.usage);
  const command = parsed.command;
  if (command.kind !== 'server-add') return refuse('That is not a server.', usageFor('server add'));
  if (auth !== 'password') return (await serverAddWithSecrets(session, actor, command)) ?? runtime.executor.execute(actor, command);
  return addWithSecrets(session, actor, command, { password });
}

/**
 * `server add … password` and `server add … key=<encrypted key>` typed as text: the shell asks
 * for the password or the key's passphrase, hidden, instead of refusing. Undefined when nothing
 * secret is needed (the command runs as typed).
 */
export async function serverAddWithSecrets(session: ShellSession, actor: Actor, command: CommandOf<'server-add'>): Promise<CommandOutcome | undefined> {
  const { io } = session;
  const method = command.auth?.method;
  if (method !== 'password' && method !== 'key') return undefined;
  const keyPath = method === 'key' ? expandHome((command.auth as { keyPath: string }).keyPath) : '';
  if (method === 'key' && privateKeyFileState(keyPath) !== 'needs-passphrase') return undefined;
  if (!actor.isAdmin) return refuse('Only deploybot admins can add servers. Ask an admin (listed in DEPLOYBOT_ADMINS) to do it or to add you.');
  if (!io.canAsk) {
    return refuse(`${method === 'password' ? 'The password' : `The passphrase of ${keyPath}`} is asked for, hidden, and there is no terminal here: run \`server add\` in the deploybot shell (\`npm start\`).`);
  }
  if (method === 'password') {
    const password = await session.question(`Password for ${command.user}@${command.host}: `, { hidden: true, required: true });
    if (password === undefined) return session.cancelled('no server was added');
    return addWithSecrets(session, actor, command, { password });
  }
  const passphrase = await askPassphrase(session, keyPath, 'no server was added');
  return typeof passphrase === 'string' ? addWithSecrets(session, actor, command, { keyPath, passphrase }) : passphrase;
}

/** `server edit <name> key=<encrypted key>`: the passphrase is asked for, hidden, as at `server add`. */
export async function serverEditWithSecrets(session: ShellSession, actor: Actor, command: CommandOf<'server-edit'>): Promise<CommandOutcome | undefined> {
  const c = command.changes;
  if (c.keyPath === undefined) return undefined;
  const keyPath = expandHome(c.keyPath);
  if (privateKeyFileState(keyPath) !== 'needs-passphrase') return undefined;
  if (!actor.isAdmin) return refuse('Only deploybot admins can edit servers.');
  if (!session.io.canAsk) return refuse(`The passphrase of ${keyPath} is asked for, hidden, and there is no terminal here: run \`server edit\` in the deploybot shell (\`npm start\`).`);
  const passphrase = await askPassphrase(session, keyPath, 'the server was not changed');
  if (typeof passphrase !== 'string') return passphrase;
  const edited = await session.attempt('server edit', () =>
    session.runtime.app.withServices((s) => s.servers.edit(actor, command.name, { hostname: c.host, username: c.user, port: c.port, keyPath, passphrase, labels: c.labels })),
  );
  if ('failed' in edited) return edited.failed;
  const r = describeServer(edited.value);
  return { kind: 'reply', reply: { ...r, text: `Updated server ${edited.value.name}.`, blocks: [{ type: 'text', text: `:white_check_mark: Updated server *${edited.value.name}*.` }, ...r.blocks] } };
}

/** Asks until the passphrase opens the key (three tries at a terminal, one from a script). */
async function askPassphrase(session: ShellSession, keyPath: string, nothingDone: string): Promise<string | CommandOutcome> {
  for (let attempt = 1; ; attempt++) {
    const passphrase = await session.question(`Passphrase for ${keyPath}: `, { hidden: true, required: true });
    if (passphrase === undefined) return session.cancelled(nothingDone);
    if (privateKeyFileState(keyPath, passphrase) === 'ok') return passphrase;
    if (attempt >= 3 || !session.io.interactive) return refuse(`That passphrase does not open ${keyPath}: ${nothingDone}.`);
    session.io.print('That passphrase does not open the key; try again (Ctrl-C to give up).');
  }
}

/** Secrets never go through the command text (nor its audit trail): straight to the service. */
async function addWithSecrets(session: ShellSession, actor: Actor, command: CommandOf<'server-add'>, secrets: { password: string } | { keyPath: string; passphrase: string }): Promise<CommandOutcome> {
  const { runtime } = session;
  const base = { name: command.name, hostname: command.host, port: command.port ?? 22, username: command.user, labels: command.labels ?? [] };
  const input = 'password' in secrets ? { ...base, authKind: 'password' as const, password: secrets.password } : { ...base, authKind: 'key' as const, keyPath: secrets.keyPath, passphrase: secrets.passphrase };
  const added = await session.attempt('server add', () => runtime.app.withServices((s) => s.servers.add(actor, input)));
  if ('failed' in added) return added.failed;
  const r = describeServer(added.value);
  return {
    kind: 'reply',
    reply: {
      ...r,
      text: `Added server ${added.value.name}. Run server check ${added.value.name} to test it and pin its host key.`,
      blocks: [{ type: 'text', text: `:white_check_mark: Added server *${added.value.name}*. Run \`server check ${added.value.name}\` to test the connection and pin its host key.` }, ...r.blocks],
    },
  };
}

export async function editHooks(session: ShellSession, actor: Actor, name: string): Promise<CommandOutcome> {
  const { runtime, io } = session;
  const env = io.env ?? process.env;
  const editor = env.VISUAL?.trim() || env.EDITOR?.trim() || (io.interactive ? 'vi' : '');
  if (!editor) return refuse(`There is no terminal to edit the hooks of ${name} in: set them as text.`, usageFor('project hooks'));
  const found = await session.attempt('read hooks', async () => {
    requireAdmin(actor, 'change hook scripts');
    return runtime.app.withServices((s) => s.projects.show(name));
  });
  if ('failed' in found) return found.failed;
  const project = found.value;

  const dir = await mkdtemp(join(tmpdir(), 'deploybot-hooks-'));
  try {
    const file = join(dir, `${project.name}-hooks.sh`);
    await writeFile(file, formatHooksFile(project.name, project.hooks), { mode: 0o600 });
    const status = await io.suspend(() => runEditor(editor, file, io.interactive));
    if (status !== 0) return refuse(`The editor (${editor}) exited with status ${status}: the hooks of ${project.name} were not changed.`);
    const parsed = parseHooksFile(await readFile(file, 'utf8'));
    if (!parsed.ok) return refuse(`Could not read the edited file: ${parsed.error}. The hooks of ${project.name} were not changed.`);
    const changed = changedHooks(project.hooks, parsed.hooks);
    const hooks: HookChanges = {};
    for (const hook of HOOK_NAMES) {
      const script = changed[hook];
      if (script !== undefined) hooks[hook] = script.trim() === '' ? { kind: 'clear' } : { kind: 'inline', script };
    }
    if (Object.keys(hooks).length === 0) return { kind: 'reply', reply: reply(`No changes: the hooks of ${project.name} stay as they were.`) };
    return await runtime.executor.execute(actor, { kind: 'project-hooks', name: project.name, hooks, raw: `project hooks ${project.name}` });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Forms the shell does not ask for: the one-line form does the same. */
export function modalWithoutPrompts(modal: ModalKind): CommandOutcome {
  return { kind: 'reply', reply: modalReply(modal) };
}

export function modalReply(modal: ModalKind): Reply {
  return errorReply('In the shell, give the settings on the command line:', usageFor(modal.replace('-', ' ')));
}

/** $EDITOR may carry arguments (`code --wait`): run it through the shell, the file as "$1". */
function runEditor(editor: string, file: string, interactive: boolean): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', `${editor} "$1"`, 'deploybot-editor', file], { stdio: interactive ? 'inherit' : ['ignore', 'ignore', 'inherit'] });
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}

/** A word for the command grammar: quoted when it holds spaces or quotes. */
function quoteWord(value: string): string {
  return /^[^\s"'“”‘’\\]+$/.test(value) ? value : `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}
