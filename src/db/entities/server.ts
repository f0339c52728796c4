import { Collection, EntitySchema, type OptionalProps } from '@mikro-orm/core';
import type { Project } from './project.js';

export type ServerAuthKind = 'key' | 'password' | 'agent';

/** A machine we deploy to. Credentials are stored encrypted (see SecretBox) and never listed. */
export class Server {
  /** Properties with defaults: optional when creating. */
  declare [OptionalProps]?: 'port' | 'authKind' | 'labels' | 'createdAt' | 'updatedAt';
  id!: number;
  name!: string;
  hostname!: string;
  port: number = 22;
  username!: string;
  authKind: ServerAuthKind = 'key';
  /** Path of a private key file on the bot's host (text form `key=<path>`). */
  keyPath?: string | null;
  /** Encrypted private key pasted into the modal; takes precedence over keyPath. */
  privateKeyEnc?: string | null;
  passphraseEnc?: string | null;
  passwordEnc?: string | null;
  /** Pinned host key, `SHA256:<base64>`, recorded by the first successful connection. */
  hostKeyFingerprint?: string | null;
  /** How the other servers reach this one (`host` or `host:port`), when it differs from `hostname`. */
  internalAddress?: string | null;
  labels: string[] = [];
  projects = new Collection<Project>(this);
  createdBy!: string;
  createdAt: Date = new Date();
  updatedAt: Date = new Date();
}

export const ServerSchema = new EntitySchema<Server>({
  class: Server,
  tableName: 'servers',
  properties: {
    id: { type: 'integer', primary: true, autoincrement: true },
    name: { type: 'string', length: 63, unique: true },
    hostname: { type: 'string', length: 255 },
    port: { type: 'integer', default: 22 },
    username: { type: 'string', length: 64 },
    authKind: { type: 'string', length: 16, default: 'key' },
    keyPath: { type: 'text', nullable: true },
    privateKeyEnc: { type: 'text', nullable: true, lazy: true },
    passphraseEnc: { type: 'text', nullable: true, lazy: true },
    passwordEnc: { type: 'text', nullable: true, lazy: true },
    hostKeyFingerprint: { type: 'string', length: 128, nullable: true },
    internalAddress: { type: 'text', nullable: true },
    labels: { type: 'json' },
    projects: { kind: 'm:n', entity: 'Project', mappedBy: 'servers' },
    createdBy: { type: 'string', length: 64 },
    createdAt: { type: 'datetime', onCreate: () => new Date() },
    updatedAt: { type: 'datetime', onCreate: () => new Date(), onUpdate: () => new Date() },
  },
});
