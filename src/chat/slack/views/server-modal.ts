import { joinPastedKey } from './pasted-key.js';
import type { types } from '@slack/bolt';
import type { ServerAddInput, ServerEditInput } from '../../../core/servers/server-schemas.js';
import type { ServerView } from '../../../core/views.js';
import { CALLBACKS } from '../ids.js';
import { encodeMetadata, type ViewMetadata } from '../metadata.js';
import { context, modal, numberInput, radioInput, textInput } from './elements.js';
import { sameNames } from './field-errors.js';
import { hasBlock, list, selected, text, type StateValues } from './view-state.js';

/**
 * The server form (add and edit). Block ids are the service's field names, so a refusal's fields
 * land on the right input. Secrets (pasted key, passphrase, password) are never pre-filled: the
 * bot does not show them back, and leaving them empty on edit keeps what is stored.
 */
export const SERVER_BLOCKS = sameNames('name', 'hostname', 'port', 'username', 'authKind', 'keyPath', 'privateKey', 'privateKeyMore', 'passphrase', 'password', 'labels');

const AUTH_CHOICES: [string, string][] = [
  ['key', 'SSH key'],
  ['password', 'Password'],
  ['agent', "SSH agent (the bot host's SSH_AUTH_SOCK)"],
];

export function serverModal(options: { server?: ServerView; metadata: ViewMetadata }): types.ModalView {
  const s = options.server;
  const editing = s !== undefined;
  const keep = editing ? ' Leave empty to keep what is stored.' : '';
  const blocks: types.KnownBlock[] = [];
  if (!editing) {
    blocks.push(textInput('name', 'Name', { placeholder: 'web-1', hint: 'A short lowercase name: letters, digits and dashes.', maxLength: 63 }));
  } else {
    blocks.push(context(`Editing server *${s.name}*. Changing the host or port forgets the pinned host key (it is pinned again at the next connection).`));
  }
  blocks.push(
    textInput('hostname', 'Host', { initial: s?.hostname, placeholder: 'web1.example.com or 10.0.0.5', maxLength: 253 }),
    numberInput('port', 'Port', { initial: s?.port ?? 22, min: 1, max: 65535 }),
    textInput('username', 'User', { initial: s?.username, placeholder: 'deploy', maxLength: 32 }),
    radioInput('authKind', 'Log in with', AUTH_CHOICES, s?.authKind ?? 'key'),
    textInput('keyPath', "Key file on the bot's host", {
      optional: true,
      initial: s?.keyPath,
      placeholder: '/etc/deploybot/keys/web.key',
      hint: "For SSH key login: a private key file the bot can read. Leave this and the pasted key empty to use the bot's default key (DEPLOYBOT_SSH_KEY).",
    }),
    textInput('privateKey', 'Private key (paste)', {
      optional: true,
      multiline: true,
      placeholder: '-----BEGIN OPENSSH PRIVATE KEY-----',
      hint: `For SSH key login, instead of a key file. Stored encrypted and never shown again.${keep}`,
    }),
    textInput('privateKeyMore', 'Private key, continued', {
      optional: true,
      multiline: true,
      hint: 'One input holds 3,000 characters: paste the rest of a longer key (RSA 4096) here, where the first box stopped.',
    }),
    textInput('passphrase', 'Key passphrase', { optional: true, hint: `Only if the key is encrypted. Stored encrypted.${keep}`, maxLength: 1024 }),
    textInput('password', 'Password', {
      optional: true,
      hint: `Only for password login. Stored encrypted; Slack shows it while you type, so type it where no one watches.${keep}`,
      maxLength: 1024,
    }),
    textInput('labels', 'Labels', { optional: true, initial: s?.labels.join(', '), placeholder: 'eu, frontend', hint: 'Comma-separated.' }),
  );
  const metadata = encodeMetadata({ ...options.metadata, ...(editing ? { name: s.name } : {}) });
  return editing
    ? modal(CALLBACKS.serverEdit, `Edit server ${s.name}`, 'Save', blocks, metadata)
    : modal(CALLBACKS.serverAdd, 'Add a server', 'Add server', blocks, metadata);
}

/** The add form's values in the service's vocabulary (validation is the service's job). */
export function readServerAdd(values: StateValues): ServerAddInput {
  const input: ServerAddInput = { name: text(values, 'name') ?? '', ...readConnection(values), ...readSecrets(values) };
  const keyPath = text(values, 'keyPath');
  if (keyPath !== undefined) input.keyPath = keyPath;
  return input;
}

/**
 * The edit form's values: every visible setting is sent (the service records only what changed);
 * an emptied key path clears it; empty secrets are left out, which keeps the stored ones.
 */
export function readServerEdit(values: StateValues): ServerEditInput {
  const input: ServerEditInput = { ...readConnection(values), ...readSecrets(values) };
  if (hasBlock(values, 'keyPath')) input.keyPath = text(values, 'keyPath') ?? null;
  return input;
}

/** The settings both forms send as they are; an empty port is left out (the service's default). */
function readConnection(values: StateValues) {
  const port = text(values, 'port');
  return {
    hostname: text(values, 'hostname') ?? '',
    username: text(values, 'username') ?? '',
    authKind: (selected(values, 'authKind') ?? 'key') as ServerAddInput['authKind'],
    labels: list(values, 'labels'),
    ...(port !== undefined ? { port } : {}),
  };
}

/** Only the secrets that were typed: an empty one is never sent (on edit it keeps the stored one). */
function readSecrets(values: StateValues): Pick<ServerAddInput, 'privateKey' | 'passphrase' | 'password'> {
  const secrets: Pick<ServerAddInput, 'privateKey' | 'passphrase' | 'password'> = {};
  const privateKey = joinPastedKey(text(values, 'privateKey'), text(values, 'privateKeyMore'));
  if (privateKey !== undefined) secrets.privateKey = privateKey;
  const passphrase = text(values, 'passphrase');
  if (passphrase !== undefined) secrets.passphrase = passphrase;
  const password = text(values, 'password');
  if (password !== undefined) secrets.password = password;
  return secrets;
}
