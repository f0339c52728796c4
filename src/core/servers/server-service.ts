import { existsSync, readFileSync } from 'node:fs';
import type { EntityManager } from '@mikro-orm/core';
import { Server } from '../../db/entities/index.js';
import { UserError } from '../../errors.js';
import type { SecretBox } from '../../secrets/secret-box.js';
import { type Actor, requireAdmin } from '../actor.js';
import { audit } from '../audit.js';
import { serverAddSchema, serverEditSchema, type ServerAddInput, type ServerEditInput } from './server-schemas.js';
import { serverView, type ServerView } from '../views.js';
import { parseInput } from '../zod-errors.js';
import { peerAddressOf } from '../../pipeline/distribution/peer-address.js';

/** Everything the pipeline needs to open an SSH connection to a server. Holds decrypted secrets: never log it. */
export interface ServerConnectionDetails {
  name: string;
  host: string;
  port: number;
  username: string;
  auth: { kind: 'key'; privateKey: string; passphrase?: string } | { kind: 'password'; password: string } | { kind: 'agent'; agentSocket?: string };
  hostKeyFingerprint: string | null;
}

export interface ServerServiceDeps {
  secrets: SecretBox;
  /** DEPLOYBOT_SSH_KEY: used by servers with key auth and no key of their own. */
  defaultKeyPath?: string;
}

export class ServerService {
  constructor(
    private readonly em: EntityManager,
    private readonly deps: ServerServiceDeps,
  ) {}

  async add(actor: Actor, input: ServerAddInput): Promise<ServerView> {
    requireAdmin(actor, 'add servers');
    const data = parseInput(serverAddSchema, input, 'add the server');
    if (data.keyPath) assertReadableKeyFile(data.keyPath);
    if (await this.em.count(Server, { name: data.name })) {
      throw new UserError(`A server named ${data.name} already exists: pick another name, or change it with \`server edit ${data.name}\`.`, { name: 'a server with this name already exists' });
    }
    const server = this.em.create(Server, {
      name: data.name,
      hostname: data.hostname,
      port: data.port,
      username: data.username,
      authKind: data.authKind,
      keyPath: data.keyPath ?? null,
      privateKeyEnc: data.privateKey ? this.deps.secrets.encrypt(`${data.privateKey.trim()}\n`) : null,
      passphraseEnc: data.passphrase ? this.deps.secrets.encrypt(data.passphrase) : null,
      passwordEnc: data.password ? this.deps.secrets.encrypt(data.password) : null,
      labels: data.labels,
      internalAddress: data.internalAddress ?? null,
      createdBy: actor.id,
      createdAt: new Date(),
      updatedAt: new Date(),
    });
    audit(this.em, actor, 'server.add', `server:${data.name}`, {
      hostname: data.hostname,
      port: data.port,
      username: data.username,
      authKind: data.authKind,
      ownKey: Boolean(data.privateKey || data.keyPath),
    });
    await this.em.flush();
    return serverView(server);
  }

  async list(): Promise<ServerView[]> {
    // privateKeyEnc is lazy: loaded (still encrypted) only to tell whether the server has its own key.
    const servers = await this.em.find(Server, {}, { orderBy: { name: 'asc' }, populate: ['projects', 'privateKeyEnc'] });
    return servers.map(serverView);
  }

  async show(name: string): Promise<ServerView> {
    const server = await this.require(name);
    await this.em.populate(server, ['projects', 'privateKeyEnc']);
    return serverView(server);
  }

  /** Loads a server or explains which ones exist. */
  /** The servers sharing a project with this one, as it would reach them (relay distribution). */
  async relayPeers(name: string): Promise<{ name: string; address: string; port: number }[]> {
    const server = await this.require(name);
    await this.em.populate(server, ['projects.servers']);
    const peers = new Map<string, { name: string; address: string; port: number }>();
    for (const project of server.projects.getItems()) {
      for (const peer of project.servers.getItems()) {
        if (peer.id === server.id) continue;
        const at = peerAddressOf(peer.internalAddress, peer.hostname, peer.port);
        peers.set(peer.name, { name: peer.name, address: at.host, port: at.port });
      }
    }
    return [...peers.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  async require(name: string): Promise<Server> {
    const server = await this.em.findOne(Server, { name: String(name).trim().toLowerCase() });
    if (!server) {
      const known = (await this.em.find(Server, {}, { orderBy: { name: 'asc' }, fields: ['name'] })).map((s) => s.name);
      throw new UserError(`No server named ${name}.${known.length ? ` Known servers: ${known.join(', ')}.` : ' Add one with `server add`.'}`);
    }
    return server;
  }

  async edit(actor: Actor, name: string, input: ServerEditInput): Promise<ServerView> {
    requireAdmin(actor, 'edit servers');
    const server = await this.require(name);
    const data = parseInput(serverEditSchema, input, `edit server ${server.name}`);
    await this.em.populate(server, ['privateKeyEnc', 'passphraseEnc', 'passwordEnc', 'projects']);
    const nextAuth = data.authKind ?? server.authKind;
    const hasPassword = data.password !== undefined ? data.password !== null : Boolean(server.passwordEnc);
    if (nextAuth === 'password' && !hasPassword) {
      throw new UserError(`Cannot edit server ${server.name}: password is required for password authentication.`, { password: 'password is required for password authentication' });
    }
    if (data.keyPath) assertReadableKeyFile(data.keyPath);

    const changed: string[] = [];
    const set = <K extends keyof Server>(key: K, value: Server[K] | undefined) => {
      if (value === undefined || server[key] === value) return;
      server[key] = value;
      changed.push(String(key));
    };
    set('hostname', data.hostname);
    set('port', data.port);
    set('username', data.username);
    set('authKind', data.authKind);
    set('keyPath', data.keyPath);
    set('internalAddress', data.internalAddress);
    if (data.labels !== undefined) {
      server.labels = data.labels;
      changed.push('labels');
    }
    if (data.privateKey !== undefined) {
      server.privateKeyEnc = data.privateKey ? this.deps.secrets.encrypt(`${data.privateKey.trim()}\n`) : null;
      changed.push('privateKey');
    }
    if (data.passphrase !== undefined) {
      server.passphraseEnc = data.passphrase ? this.deps.secrets.encrypt(data.passphrase) : null;
      changed.push('passphrase');
    }
    if (data.password !== undefined) {
      server.passwordEnc = data.password ? this.deps.secrets.encrypt(data.password) : null;
      changed.push('password');
    }
    // A different machine behind the name must be pinned again, never trusted silently.
    if (changed.includes('hostname') || changed.includes('port')) server.hostKeyFingerprint = null;
    if (nextAuth !== 'password') server.passwordEnc = null;

    audit(this.em, actor, 'server.edit', `server:${server.name}`, { changed });
    await this.em.flush();
    return serverView(server);
  }

  async remove(actor: Actor, name: string): Promise<void> {
    requireAdmin(actor, 'remove servers');
    const server = await this.require(name);
    await this.em.populate(server, ['projects']);
    const users = server.projects.getItems().map((p) => p.name).sort();
    if (users.length) {
      throw new UserError(`Server ${server.name} is used by project${users.length > 1 ? 's' : ''} ${users.join(', ')}: remove it from ${users.length > 1 ? 'them' : 'it'} first (\`project edit <name> servers=…\`).`);
    }
    audit(this.em, actor, 'server.remove', `server:${server.name}`, { hostname: server.hostname });
    this.em.remove(server);
    await this.em.flush();
  }

  /**
   * Records the host key seen by a successful connection. Compared with what is pinned, in one
   * conditional update: an unpinned server is pinned (trust on first use); the same key changes
   * nothing; a different key is refused, unless an admin re-pins it by naming the key it replaces
   * (`server check <name> accept=SHA256:…`) and that is still the pinned one.
   */
  async pinHostKey(actor: Actor, name: string, fingerprint: string, options: { replacing?: string } = {}): Promise<{ changed: boolean; previous: string | null }> {
    const server = await this.require(name);
    if (options.replacing) requireAdmin(actor, 're-pin host keys');
    const expected = options.replacing ?? null;
    const won = await this.em.nativeUpdate(Server, { id: server.id, hostKeyFingerprint: expected }, { hostKeyFingerprint: fingerprint, updatedAt: new Date() });
    if (won) {
      audit(this.em, actor, expected ? 'server.host_key.repin' : 'server.host_key.pin', `server:${server.name}`, { previous: expected, fingerprint });
      await this.em.flush();
      await this.em.refresh(server);
      return { changed: true, previous: expected };
    }
    const now = (await this.em.fork().findOne(Server, { id: server.id }, { fields: ['hostKeyFingerprint'] }))?.hostKeyFingerprint ?? null;
    if (now === fingerprint) return { changed: false, previous: now };
    throw new UserError(
      `The host key of ${server.name} is pinned to ${now ?? 'nothing'}, but the server presented ${fingerprint}: nothing was changed. ` +
        `If the server was rebuilt, verify the key on the machine and, as an admin, run \`server check ${server.name} accept=${fingerprint}\`.`,
    );
  }

  /** Forgets a pinned host key so the next `server check` pins the new one (after a rebuild). */
  async forgetHostKey(actor: Actor, name: string): Promise<void> {
    requireAdmin(actor, 're-pin host keys');
    const server = await this.require(name);
    audit(this.em, actor, 'server.host_key.forget', `server:${server.name}`, { previous: server.hostKeyFingerprint ?? null });
    server.hostKeyFingerprint = null;
    await this.em.flush();
  }

  /** Decrypts what the pipeline needs to connect. The only place credentials leave the database. */
  async connectionDetails(server: Server): Promise<ServerConnectionDetails> {
    await this.em.populate(server, ['privateKeyEnc', 'passphraseEnc', 'passwordEnc']);
    const base = { name: server.name, host: server.hostname, port: server.port, username: server.username, hostKeyFingerprint: server.hostKeyFingerprint ?? null };
    if (server.authKind === 'password') {
      if (!server.passwordEnc) throw new UserError(`Server ${server.name} uses password auth but has no password: set one with \`server edit ${server.name}\`.`);
      return { ...base, auth: { kind: 'password', password: this.deps.secrets.decrypt(server.passwordEnc) } };
    }
    if (server.authKind === 'agent') {
      return { ...base, auth: { kind: 'agent', agentSocket: process.env.SSH_AUTH_SOCK } };
    }
    const passphrase = server.passphraseEnc ? this.deps.secrets.decrypt(server.passphraseEnc) : undefined;
    if (server.privateKeyEnc) {
      return { ...base, auth: { kind: 'key', privateKey: this.deps.secrets.decrypt(server.privateKeyEnc), passphrase } };
    }
    const keyPath = server.keyPath ?? this.deps.defaultKeyPath;
    if (!keyPath) {
      throw new UserError(`Server ${server.name} has no SSH key: give it one (\`server edit ${server.name} key=/path/to/key\`) or set DEPLOYBOT_SSH_KEY for all servers.`);
    }
    assertReadableKeyFile(keyPath);
    return { ...base, auth: { kind: 'key', privateKey: readFileSync(keyPath, 'utf8'), passphrase } };
  }
}

function assertReadableKeyFile(path: string): void {
  if (!existsSync(path)) {
    throw new UserError(`The key file ${path} does not exist on the bot's host: give the path of a private key the bot can read.`, { keyPath: 'no such file on the bot host' });
  }
  let head: string;
  try {
    head = readFileSync(path, 'utf8').slice(0, 100);
  } catch {
    throw new UserError(`The key file ${path} cannot be read by the bot: check its permissions.`, { keyPath: 'not readable by the bot' });
  }
  if (!/-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/.test(head)) {
    throw new UserError(`${path} is not a private key file (expected -----BEGIN … PRIVATE KEY-----). Did you give the .pub file?`, { keyPath: 'not a private key' });
  }
}
