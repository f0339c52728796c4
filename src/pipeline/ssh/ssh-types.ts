import type { Readable } from 'node:stream';
import type { Redactor } from '../../redact.js';
import type { LineListener } from '../exec/output-capture.js';

export type SshAuth =
  | { kind: 'key'; privateKey: string; passphrase?: string }
  | { kind: 'password'; password: string }
  /** Uses a running ssh-agent; `agentSocket` defaults to $SSH_AUTH_SOCK. */
  | { kind: 'agent'; agentSocket?: string };

export interface SshTarget {
  /** The server's name in deploybot ("web-1"): used in every message about it. */
  name: string;
  host: string;
  port: number;
  username: string;
  auth: SshAuth;
  /**
   * The pinned host key, as OpenSSH prints it (`SHA256:<base64>`). null/undefined: not pinned
   * yet, the connection is accepted and `SshConnection.fingerprint` tells the caller what to pin.
   */
  hostKeyFingerprint?: string | null;
}

export interface SshConnectOptions {
  /** Covers TCP connect, key exchange and authentication. */
  connectTimeoutMs: number;
  /** SSH-level keepalives; a connection is declared dead after 3 unanswered ones. 0 disables. */
  keepaliveIntervalMs: number;
  /** Base redactor; the target's password/key/passphrase are added to it for this connection. */
  redactor: Redactor;
  /** At most this many channels at once (exec + sftp). Default 10, OpenSSH's MaxSessions. */
  maxChannels?: number;
}

export interface SshExecOptions {
  /** Counted from when the channel is requested, not while waiting for a free channel slot. */
  timeoutMs: number;
  /** Fed to the command's stdin, then EOF. Without it stdin is closed at once. */
  input?: Readable | Buffer | string;
  onLine?: LineListener;
  /** Applied after the connection's own redactor (e.g. a hook's extra secrets). */
  redactor?: Redactor;
  signal?: AbortSignal;
  /** Per stream, tail kept. Default 1 MiB. */
  maxOutputBytes?: number;
}

export interface SshExecResult {
  /** null when the remote process died from a signal (see `signal`). */
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}
