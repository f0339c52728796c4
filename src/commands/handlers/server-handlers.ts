import { requireAdmin, type Actor } from '../../core/actor.js';
import type { CoreServices } from '../../core/services.js';
import type { ServerView } from '../../core/views.js';
import { UserError } from '../../errors.js';
import type { ProbeResult } from '../../pipeline/ssh/server-probe.js';
import { privateKeyFileState } from '../../pipeline/ssh/private-key-check.js';
import { HostKeyMismatchError, normalizeFingerprint } from '../../pipeline/ssh/ssh.js';
import type { CommandDeps } from '../command-deps.js';
import type { CommandOutcome } from '../replies/command-outcome.js';
import type { CommandOf } from '../grammar/command-types.js';
import { expandHome } from '../home-path.js';
import { reply, withData, type Reply } from '../replies/reply.js';

const ok = (r: Reply): CommandOutcome => ({ kind: 'reply', reply: r });

export function describeServer(s: ServerView): Reply {
  const auth = s.authKind === 'key' ? (s.hasOwnKey ? `key ${s.keyPath ?? '(stored, encrypted)'}` : 'default key (DEPLOYBOT_SSH_KEY)') : s.authKind;
  return withData(reply(`Server ${s.name}: ${s.username}@${s.hostname}:${s.port}`, { type: 'heading', text: `Server ${s.name}` }, {
    type: 'fields',
    fields: [
      ['Address', `\`${s.username}@${s.hostname}:${s.port}\``],
      ['Auth', auth],
      ['Internal address', s.internalAddress ? `\`${s.internalAddress}\`` : '— (peers use the address above)'],
      ['Host key', s.hostKeyFingerprint ? `\`${s.hostKeyFingerprint}\`` : 'not pinned yet (pinned at the first connection, or with `server check`)'],
      ['Labels', s.labels.length ? s.labels.join(', ') : '—'],
      ['Projects', s.projects.length ? s.projects.join(', ') : '—'],
      ['Added by', s.createdBy],
    ],
  }), { server: s });
}

export async function handleServerCommand(
  command: Extract<CommandOf<'server-add' | 'server-list' | 'server-show' | 'server-edit' | 'server-remove' | 'server-check'>, object>,
  actor: Actor,
  services: CoreServices,
  deps: CommandDeps,
): Promise<CommandOutcome> {
  switch (command.kind) {
    case 'server-add': {
      if (command.auth?.method === 'password') {
        throw new UserError('Passwords are never typed in chat: use `/deploy server add` with no arguments to open the form, which keeps the password out of the channel history. (The shell asks for it, hidden.)');
      }
      // `key=@file`: the key itself is read now (any length: an RSA-4096 key is past a form input's
      // 3,000 characters) and stored encrypted, like a key pasted in the form.
      let privateKey: string | undefined;
      if (command.auth?.method === 'key' && 'keyPath' in command.auth) assertNoPassphraseNeeded(expandHome(command.auth.keyPath));
      if (command.auth?.method === 'key' && 'keyFile' in command.auth) {
        const file = expandHome(command.auth.keyFile);
        if (!deps.readFile) throw new UserError('Keys cannot be read from files here: use `key=<path>` (a file on the bot\'s host), or the form (`/deploy server add`).');
        privateKey = await deps.readFile(file).catch(() => {
          throw new UserError(`Cannot read ${file}: give the path of a readable private key file.`);
        });
      }
      const added = await services.servers.add(actor, {
        name: command.name,
        hostname: command.host,
        port: command.port ?? 22,
        username: command.user,
        authKind: command.auth?.method ?? 'key',
        keyPath: command.auth?.method === 'key' && 'keyPath' in command.auth ? expandHome(command.auth.keyPath) : undefined,
        ...(privateKey !== undefined ? { privateKey } : {}),
        labels: command.labels ?? [],
        ...(command.internal !== undefined ? { internalAddress: command.internal } : {}),
      });
      const r = describeServer(added);
      return ok({ ...r, text: `Added server ${added.name} (${added.username}@${added.hostname}:${added.port}). Run \`server check ${added.name}\` to test it and pin its host key.` , blocks: [{ type: 'text', text: `:white_check_mark: Added server *${added.name}*. Run \`/deploy server check ${added.name}\` to test the connection and pin its host key.` }, ...r.blocks] });
    }
    case 'server-list': {
      const servers = await services.servers.list();
      if (servers.length === 0) return ok(withData(reply('No servers yet. Add one with `server add <name> <user>@<host>[:<port>]`.'), { servers: [] }));
      return ok(
        withData(reply(
          `${servers.length} server${servers.length > 1 ? 's' : ''}: ${servers.map((s) => s.name).join(', ')}`,
          { type: 'heading', text: `Servers (${servers.length})` },
          { type: 'list', items: servers.map((s) => `*${s.name}* \`${s.username}@${s.hostname}:${s.port}\` · ${s.authKind}${s.hostKeyFingerprint ? ' · key pinned' : ' · key not pinned'}${s.projects.length ? ` · ${s.projects.join(', ')}` : ''}${s.labels.length ? ` · [${s.labels.join(', ')}]` : ''}`) },
        ), { servers }),
      );
    }
    case 'server-show':
      return ok(describeServer(await services.servers.show(command.name)));
    case 'server-edit': {
      const c = command.changes;
      if (c.keyPath !== undefined) assertNoPassphraseNeeded(expandHome(c.keyPath));
      const edited = await services.servers.edit(actor, command.name, { hostname: c.host, username: c.user, port: c.port, keyPath: c.keyPath === undefined ? undefined : expandHome(c.keyPath), labels: c.labels, internalAddress: c.internal });
      const r = describeServer(edited);
      return ok({ ...r, text: `Updated server ${edited.name}.`, blocks: [{ type: 'text', text: `:white_check_mark: Updated server *${edited.name}*.` }, ...r.blocks] });
    }
    case 'server-remove':
      await services.servers.remove(actor, command.name);
      return ok(withData(reply(`Removed server ${command.name}.`, { type: 'text', text: `:wastebasket: Removed server *${command.name}*.` }), { removed: command.name }));
    case 'server-check':
      return checkServer(command.name, command.acceptKey, actor, services, deps);
  }
}

/**
 * An encrypted key added without its passphrase would only fail at the first connection. The shell
 * asks for the passphrase before it gets here; Slack's text form cannot carry one.
 */
function assertNoPassphraseNeeded(keyPath: string): void {
  if (privateKeyFileState(keyPath) !== 'needs-passphrase') return;
  throw new UserError(
    `The key ${keyPath} is protected by a passphrase, which is never typed in a command: give it in the form (\`/deploy server add\` or \`/deploy server edit <name>\` with no other arguments), or run the command in the deploybot shell, which asks for it hidden.`,
    { keyPath: 'this key needs its passphrase' },
  );
}

/**
 * Connects, shows the host key, and pins it when it was not pinned yet. A changed key is only
 * re-pinned by an admin who types the new fingerprint (accept=…), verified out of band, and only
 * if it is exactly the key the server presents now.
 */
async function checkServer(name: string, acceptKey: string | undefined, actor: Actor, services: CoreServices, deps: CommandDeps): Promise<CommandOutcome> {
  const server = await services.servers.require(name);
  const target = await services.servers.connectionDetails(server);
  const peers = await services.servers.relayPeers(server.name);
  let probe: ProbeResult;
  let repinned: string | null = null;
  try {
    probe = await deps.probe(target, { peers });
  } catch (err) {
    if (!(err instanceof HostKeyMismatchError)) throw err;
    if (!acceptKey) {
      throw new UserError(
        `The host key of ${server.name} changed: pinned ${err.expected}, the server now presents ${err.observed}. ` +
          `Deploys to ${server.name} are refused. If the server was rebuilt, verify the new key on the machine (\`ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub\`) and, as an admin, run \`server check ${server.name} accept=${err.observed}\`.`,
      );
    }
    requireAdmin(actor, 're-pin host keys');
    if (normalizeFingerprint(acceptKey) !== err.observed) {
      throw new UserError(`${server.name} presents ${err.observed}, not ${acceptKey}: nothing was changed. Check the key on the machine again.`);
    }
    repinned = err.expected;
    probe = await deps.probe({ ...target, hostKeyFingerprint: err.observed }, { peers });
  }
  // The service compares again, in one conditional update: a key pinned meanwhile is never overwritten.
  const pinned = await services.servers.pinHostKey(actor, server.name, probe.fingerprint, repinned ? { replacing: repinned } : {});
  const keyLine = repinned
    ? `Host key re-pinned: \`${probe.fingerprint}\` (was \`${repinned}\`)`
    : pinned.changed
      ? `Host key pinned: \`${probe.fingerprint}\``
      : `Host key matches the pinned one: \`${probe.fingerprint}\``;
  const relay = relayLine(probe);
  return ok(
    withData(reply(
      `${server.name} is reachable (${probe.system}, ${probe.latencyMs} ms). ${keyLine.replace(/`/g, '')}${relay ? `. ${relay.replace(/[`*]/g, '')}` : ''}`,
      { type: 'text', text: `:white_check_mark: *${server.name}* is reachable as \`${target.username}@${target.host}:${target.port}\` (${probe.latencyMs} ms): ${probe.system}` },
      { type: 'text', text: keyLine },
      ...(relay ? [{ type: 'text' as const, text: relay }] : []),
    ), { server: server.name, reachable: true, latencyMs: probe.latencyMs, system: probe.system, hostKeyFingerprint: probe.fingerprint, pinned: pinned.changed, repinnedFrom: repinned, relay: relay ?? null }),
  );
}

/** Whether the server can relay: its tools, then which peers it reaches (names are config, not user text). */
function relayLine(probe: ProbeResult): string | null {
  const r = probe.relay;
  if (!r) return null;
  if (r.missing.length) return `Cannot relay (served directly by the bot): missing ${r.missing.join(', ')}`;
  if (r.unreachable.length) return `Can relay, but cannot reach ${r.unreachable.join(', ')} over SSH: set their \`internal=\` address, or they are served directly`;
  return r.reachable.length ? `Can relay: has ssh and GNU tail, reaches ${r.reachable.join(', ')}` : 'Can relay: has ssh and GNU tail (no peers in its projects yet)';
}
