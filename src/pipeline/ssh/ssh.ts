import { Client, type ConnectConfig, type SFTPWrapper } from 'ssh2';
import { OperationalError } from '../../errors.js';
import { CommandError } from '../exec/command-errors.js';
import type { TextRedactor } from '../exec/output-capture.js';
import { Semaphore } from '../exec/semaphore.js';
import { classifyConnectError, connectionLostError } from './ssh-errors.js';
import { ChannelOpenError, execOnChannel, showCommand } from './ssh-exec.js';
import { HostKeyMismatchError, hostKeyCheck, publicKeyLine } from './ssh-host-key.js';
import { killTaggedCommand, newExecId, tagCommand } from './ssh-remote-kill.js';
import type { SshConnectOptions, SshExecOptions, SshExecResult, SshTarget } from './ssh-types.js';

export type { SshAuth, SshConnectOptions, SshExecOptions, SshExecResult, SshTarget } from './ssh-types.js';
export { HostKeyMismatchError, sshFingerprint, normalizeFingerprint, fingerprintsMatch } from './ssh-host-key.js';

/** OpenSSH's default `MaxSessions`: the 11th concurrent channel would be refused. */
export const DEFAULT_MAX_CHANNELS = 10;

/**
 * sshd frees a finished session only in a later pass of its main loop, after it has already
 * read our next "channel open": a channel opened right after another closed can be refused even
 * though we never exceed MaxSessions. Such refusals are retried after these pauses.
 */
const CHANNEL_OPEN_RETRY_MS = [10, 25, 50, 100, 200, 400, 800];

async function retryingChannelOpen<T>(open: () => Promise<T>, assertUsable: () => void): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    assertUsable();
    try {
      return await open();
    } catch (err) {
      const pause = CHANNEL_OPEN_RETRY_MS[attempt];
      if (!(err instanceof ChannelOpenError) || pause === undefined) throw err;
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
  }
}

/**
 * THE seam for remote commands (ARCHITECTURE.md, convention 5): one authenticated SSH connection
 * to one server, multiplexing commands and SFTP sessions over channels.
 *
 * Commands are strings for the remote login shell: build them with `remoteCommand`/`shq`
 * (remote-quote.ts), never by concatenation.
 */
export class SshConnection {
  private readonly channels: Semaphore;
  private lost: Error | null = null;
  private closed = false;
  private readonly closedPromise: Promise<void>;

  constructor(
    private readonly client: Client,
    readonly target: SshTarget,
    /** The host key the server presented, OpenSSH style (`SHA256:…`): pin it if it was not pinned. */
    readonly fingerprint: string,
    private readonly redactor: TextRedactor,
    maxChannels: number,
    /** The host key the server presented, as `type base64` (see publicKeyLine). */
    readonly hostPublicKey: string | null = null,
  ) {
    this.channels = new Semaphore(maxChannels);
    this.closedPromise = new Promise((resolve) => client.once('close', () => resolve()));
    client.on('error', (err) => {
      // After "ready", errors mean the connection is dying (reset, keepalive timeout).
      this.lost ??= connectionLostError(target, err, redactor);
    });
    client.once('close', () => {
      this.lost ??= connectionLostError(target, new Error('connection closed'), redactor);
      this.closed = true;
      this.channels.rejectWaiting(this.lost);
    });
  }

  get isOpen(): boolean {
    return !this.closed && this.lost === null;
  }

  /**
   * Runs a command, resolving with its exit status whatever it is (hooks report failures,
   * they do not throw). Rejects on timeout, cancel or a lost connection.
   */
  async exec(command: string, opts: SshExecOptions): Promise<SshExecResult> {
    this.assertUsable();
    const release = await this.channels.acquire(opts.signal);
    const execId = newExecId();
    let sweep: Promise<void> | undefined;
    try {
      const context = {
        serverName: this.target.name,
        redactor: this.redactor,
        lostError: () => this.lost,
        display: command,
        onStop: () => {
          sweep = this.killTagged(execId);
        },
      };
      return await retryingChannelOpen(() => execOnChannel(this.client, tagCommand(command, execId), opts, context), () => this.assertUsable());
    } finally {
      await sweep;
      release();
    }
  }

  /**
   * Best effort: SIGKILL everything a stopped command started (see ssh-remote-kill.ts). Runs
   * outside the channel semaphore (the stopped command still holds its slot; waiting for another
   * could deadlock when all slots hold stopped commands); a refused channel is retried.
   */
  private async killTagged(execId: string): Promise<void> {
    if (this.lost) return;
    try {
      await retryingChannelOpen(
        () =>
          execOnChannel(this.client, killTaggedCommand(execId), { timeoutMs: 10_000 }, {
            serverName: this.target.name,
            redactor: this.redactor,
            lostError: () => this.lost,
          }),
        () => this.assertUsable(),
      );
    } catch {
      // The signal already went out; a failed sweep is not worth failing louder than the timeout.
    }
  }

  /** Like `exec`, but a non-zero exit throws `CommandError` (exit code + redacted stderr tail). */
  async execChecked(command: string, opts: SshExecOptions): Promise<SshExecResult> {
    const result = await this.exec(command, opts);
    if (result.exitCode !== 0) {
      throw new CommandError({
        command: showCommand(command, opts.redactor ? { redact: (t) => opts.redactor!.redact(this.redactor.redact(t)) } : this.redactor),
        exitCode: result.exitCode,
        signal: result.signal,
        stderrTail: result.stderr,
        where: this.target.name,
      });
    }
    return result;
  }

  /** Opens an SFTP session (one channel slot, held until `fn` settles) and ends it afterwards. */
  async withSftp<T>(fn: (sftp: SFTPWrapper) => Promise<T>, signal?: AbortSignal): Promise<T> {
    this.assertUsable();
    const release = await this.channels.acquire(signal);
    try {
      const open = () =>
        new Promise<SFTPWrapper>((resolve, reject) =>
          this.client.sftp((err, s) =>
            err ? reject(new ChannelOpenError(`could not open SFTP on ${this.target.name}: ${this.redactor.redact(err.message)}`)) : resolve(s),
          ),
        );
      const sftp = await retryingChannelOpen(open, () => this.assertUsable());
      try {
        return await fn(sftp);
      } finally {
        sftp.end();
      }
    } finally {
      release();
    }
  }

  /** Closes the connection; running commands fail with a "connection lost" error. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.lost ??= new OperationalError(`the SSH connection to ${this.target.name} was closed`);
    this.client.end();
    // A dead peer may never answer the disconnect: do not hang on it.
    const timeout = new Promise<void>((resolve) => setTimeout(resolve, 2000).unref());
    await Promise.race([this.closedPromise, timeout]);
    if (!this.closed) this.client.destroy();
  }

  private assertUsable(): void {
    if (this.lost) throw this.lost;
  }
}

function authConfig(target: SshTarget): Partial<ConnectConfig> {
  const auth = target.auth;
  switch (auth.kind) {
    case 'key':
      return { privateKey: auth.privateKey, passphrase: auth.passphrase, authHandler: ['publickey'] };
    case 'password':
      // Many servers offer passwords only through keyboard-interactive (PAM); answer it too.
      return { password: auth.password, tryKeyboard: true, authHandler: ['password', 'keyboard-interactive'] };
    case 'agent': {
      const agent = auth.agentSocket ?? process.env.SSH_AUTH_SOCK;
      if (!agent) throw new OperationalError(`no ssh-agent socket for ${target.name}: SSH_AUTH_SOCK is not set`);
      return { agent, authHandler: ['agent'] };
    }
  }
}

function secretsOf(target: SshTarget): string[] {
  const auth = target.auth;
  if (auth.kind === 'key') return [auth.privateKey, auth.passphrase ?? ''];
  if (auth.kind === 'password') return [auth.password];
  return [];
}

/**
 * Connects and authenticates. Host keys: a pinned fingerprint that differs refuses the
 * connection with `HostKeyMismatchError`; no pin accepts the key and exposes it as
 * `connection.fingerprint` so the caller can pin it (trust on first use).
 */
export function connectSsh(target: SshTarget, options: SshConnectOptions): Promise<SshConnection> {
  const redactor = options.redactor.with(secretsOf(target));
  const hostKey = hostKeyCheck(target.hostKeyFingerprint);
  const client = new Client();

  return new Promise<SshConnection>((resolve, reject) => {
    let settled = false;
    const fail = (err: unknown) => {
      if (settled) return;
      settled = true;
      client.removeAllListeners('ready');
      client.destroy();
      const observed = hostKey.observed();
      if (hostKey.refused() && observed && target.hostKeyFingerprint) {
        reject(new HostKeyMismatchError(target.name, target.hostKeyFingerprint, observed));
      } else {
        reject(classifyConnectError(err, target, options.connectTimeoutMs, redactor));
      }
    };
    client.once('ready', () => {
      if (settled) return;
      settled = true;
      client.removeListener('error', fail);
      client.removeListener('close', onEarlyClose);
      // Request/response traffic (channel opens, SFTP writes) otherwise stalls on Nagle +
      // delayed ACK: an SFTP write stream ran ~25× slower without this (bench/ssh-upload-compare.ts).
      client.setNoDelay(true);
      const fingerprint = hostKey.observed();
      if (!fingerprint) {
        client.destroy();
        return reject(new OperationalError(`${target.name} did not present a host key`));
      }
      const blob = hostKey.observedKey();
      resolve(new SshConnection(client, target, fingerprint, redactor, options.maxChannels ?? DEFAULT_MAX_CHANNELS, blob ? publicKeyLine(blob) : null));
    });
    client.on('error', fail);
    const onEarlyClose = () => fail(Object.assign(new Error('connection closed during handshake'), { code: 'ECONNRESET' }));
    client.once('close', onEarlyClose);
    client.on('keyboard-interactive', (_name, _instructions, _lang, prompts, finish) => {
      finish(prompts.map(() => (target.auth.kind === 'password' ? target.auth.password : '')));
    });

    try {
      client.connect({
        host: target.host,
        port: target.port,
        username: target.username,
        readyTimeout: options.connectTimeoutMs,
        keepaliveInterval: options.keepaliveIntervalMs,
        keepaliveCountMax: 3,
        hostVerifier: hostKey.verify,
        ...authConfig(target),
      });
    } catch (err) {
      // ssh2 throws synchronously for an unparsable key or a missing/wrong passphrase.
      fail(err);
    }
  });
}
