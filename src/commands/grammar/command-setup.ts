import type { Token } from './command-lexer.js';
import type { Command, ProjectChanges, ServerAuth, ServerChanges } from './command-types.js';
import { closest, PROJECT_VERBS, SERVER_VERBS } from './command-usage.js';
import {
  channel,
  type Cursor,
  host,
  HOOK_SPECS,
  int,
  list,
  oneOf,
  type OptionSpec,
  parseTarget,
  text,
  users,
} from './command-values.js';

/** `server …` and `project …`: the setup commands. */

export function subVerb<V extends string>(cur: Cursor, group: 'server' | 'project' | 'freeze', verbs: readonly V[]): V | 'help' {
  cur.path = group;
  const token: Token | undefined = cur.next();
  if (token === undefined) cur.fail(`Missing ${group} command: ${verbs.join(', ')}.`);
  const verb = token.text.toLowerCase();
  if (token.option === undefined && !token.quoted) {
    const found = verbs.find((v) => v === verb);
    if (found !== undefined) {
      cur.path = `${group} ${found}`;
      return found;
    }
    if (verb === 'help') return 'help';
  }
  const near = token.option === undefined ? closest(verb, verbs) : undefined;
  if (near === undefined) cur.fail(`Unknown ${group} command \`${token.text}\`. Try one of: ${verbs.join(', ')}.`);
  const rest = cur.rest();
  const suggestion = `${group} ${near}${rest === '' ? '' : ` ${rest}`}`;
  return cur.fail(`Unknown ${group} command \`${token.text}\`. Did you mean \`/deploy ${suggestion}\`?`, suggestion);
}

export function parseServer(cur: Cursor, raw: string): Command {
  const verb = subVerb(cur, 'server', SERVER_VERBS);
  switch (verb) {
    case 'help':
      cur.end();
      return { kind: 'help', topic: 'server', raw };
    case 'list':
      cur.end();
      return { kind: 'server-list', raw };
    case 'show':
    case 'remove': {
      const name = cur.word('<name>');
      cur.end();
      return { kind: `server-${verb}`, name, raw };
    }
    case 'check': {
      const name = cur.word('<name>');
      if (cur.peek() === undefined) return { kind: 'server-check', name, raw };
      // `accept=SHA256:…` re-pins a changed host key: the admin types the key they verified.
      const { values } = cur.options({ accept: text });
      return { kind: 'server-check', name, ...(values.accept !== undefined ? { acceptKey: values.accept } : {}), raw };
    }
    case 'add':
      return parseServerAdd(cur, raw);
    case 'edit': {
      const name = cur.word('<name>');
      if (cur.peek() === undefined) return { kind: 'server-edit-modal', name, raw };
      const { values } = cur.options({ host, user: text, port: int(1, 65535), key: text, labels: list(true), internal: emptyClears(text, '') });
      const changes: ServerChanges = {};
      if (values.host !== undefined) changes.host = values.host;
      if (values.user !== undefined) changes.user = values.user;
      if (values.port !== undefined) changes.port = values.port;
      if (values.key !== undefined) changes.keyPath = values.key;
      if (values.labels !== undefined) changes.labels = values.labels;
      // `internal=` (empty) forgets it: peers then use the server's own address.
      if (values.internal !== undefined) changes.internal = values.internal === '' ? null : values.internal;
      return { kind: 'server-edit', name, changes, raw };
    }
  }
}

function parseServerAdd(cur: Cursor, raw: string): Command {
  if (cur.peek() === undefined) return { kind: 'server-add-modal', raw };
  const name = cur.word('<name>');
  const target = parseTarget(cur.word('<user>@<host>'), (m) => cur.fail(m));
  const { values, flags } = cur.options({ key: text, labels: list(), internal: text }, ['password', 'agent']);
  const ways: ServerAuth[] = [];
  if (values.key !== undefined) ways.push(values.key.startsWith('@') ? { method: 'key', keyFile: values.key.slice(1) } : { method: 'key', keyPath: values.key });
  if (flags.has('password')) ways.push({ method: 'password' });
  if (flags.has('agent')) ways.push({ method: 'agent' });
  if (ways.length > 1) cur.fail('Choose one way to log in: `key=<path>`, `password` or `agent`.');
  const command: Command = { kind: 'server-add', name, user: target.user, host: target.host, raw };
  if (target.port !== undefined) command.port = target.port;
  if (ways[0] !== undefined) command.auth = ways[0];
  if (values.labels !== undefined) command.labels = values.labels;
  if (values.internal !== undefined) command.internal = values.internal;
  return command;
}

const PROJECT_SPECS = {
  repo: text,
  path: text,
  servers: list(),
  env: oneOf(['test', 'prod'] as const),
  // The same limits as the project schema's, so the parser names the real maximum.
  keep: int(1, 100),
  branch: text,
  approvers: users,
  channel,
  parallel: int(1, 500),
  approvals: int(1, 10),
  promote_from: text,
  health: text,
  health_timeout: int(1, 3600),
  rollout: text,
  canary_wait: int(0, 86_400),
  title: text,
  on_failure: oneOf(['rollback', 'continue'] as const),
  distribution: oneOf(['auto', 'direct', 'relay'] as const),
  notify_approvers: oneOf(['mention', 'dm', 'none'] as const),
  notify_requester: oneOf(['mention', 'dm', 'none'] as const),
};

const emptyClears = <T>(spec: OptionSpec<T>, empty: T): OptionSpec<T> => ({
  ...spec,
  parse: (o, fail) => (o.value === '' ? empty : spec.parse(o, fail)),
});

/** `project edit` may clear the optional lists and text: `approvers=` `title=""`. */
const PROJECT_EDIT_SPECS = { ...PROJECT_SPECS, approvers: emptyClears(users, []), title: emptyClears(text, ''), promote_from: emptyClears(text, ''), health: emptyClears(text, '') };

function toChanges(values: Partial<Record<keyof typeof PROJECT_SPECS, unknown>>): ProjectChanges {
  const { on_failure: onFailure, promote_from: promoteFrom, health_timeout: healthTimeout, canary_wait: canaryWait, notify_approvers: notifyApprovers, notify_requester: notifyRequester, ...rest } = values;
  const changes = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)) as ProjectChanges;
  if (onFailure !== undefined) changes.onFailure = onFailure as ProjectChanges['onFailure'];
  if (promoteFrom !== undefined) changes.promoteFrom = promoteFrom as string;
  if (healthTimeout !== undefined) changes.healthTimeout = healthTimeout as number;
  if (canaryWait !== undefined) changes.canaryWait = canaryWait as number;
  if (notifyApprovers !== undefined) changes.notifyApprovers = notifyApprovers as ProjectChanges['notifyApprovers'];
  if (notifyRequester !== undefined) changes.notifyRequester = notifyRequester as ProjectChanges['notifyRequester'];
  return changes;
}

export function parseProject(cur: Cursor, raw: string): Command {
  const verb = subVerb(cur, 'project', PROJECT_VERBS);
  switch (verb) {
    case 'help':
      cur.end();
      return { kind: 'help', topic: 'project', raw };
    case 'list':
      cur.end();
      return { kind: 'project-list', raw };
    case 'show':
    case 'remove': {
      const name = cur.word('<name>');
      cur.end();
      return { kind: `project-${verb}`, name, raw };
    }
    case 'add': {
      if (cur.peek() === undefined) return { kind: 'project-add-modal', raw };
      const name = cur.word('<name>');
      const { values, flags } = cur.options(PROJECT_SPECS, ['offline']);
      const missing = (['repo', 'path', 'servers'] as const).filter((k) => values[k] === undefined);
      if (missing.length > 0) cur.fail(`Missing ${missing.map((k) => `\`${k}=\``).join(', ')}.`);
      const { repo, path, servers, ...optional } = toChanges(values);
      return { kind: 'project-add', name, settings: { repo: repo!, path: path!, servers: servers!, ...optional }, ...(flags.has('offline') ? { offline: true } : {}), raw };
    }
    case 'edit': {
      const name = cur.word('<name>');
      if (cur.peek() === undefined) return { kind: 'project-edit-modal', name, raw };
      const { values, flags } = cur.options(PROJECT_EDIT_SPECS, ['offline']);
      return { kind: 'project-edit', name, changes: toChanges(values), ...(flags.has('offline') ? { offline: true } : {}), raw };
    }
    case 'hooks': {
      const name = cur.word('<name>');
      if (cur.peek() === undefined) return { kind: 'project-hooks-modal', name, raw };
      const { values } = cur.options(HOOK_SPECS);
      return { kind: 'project-hooks', name, hooks: { ...values }, raw };
    }
  }
}
