import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { join } from 'node:path';
import { runLocal } from '../../src/pipeline/exec/local-exec.js';
import type { SshAuth, SshTarget } from '../../src/pipeline/ssh/ssh-types.js';
import { fingerprintOfPublicKeyFile } from './ssh-keys.js';
import { makeScratchDir, removeScratchDir } from './scratch-dirs.js';

/**
 * Real OpenSSH servers for tests (no mocks).
 *
 * Each server runs `/usr/sbin/sshd -D -e` in the foreground inside its own mount AND pid
 * namespace (`unshare --mount --propagation private --pid --fork --kill-child`):
 *
 * - mount namespace: `hostDir` (a temp dir) is bind-mounted at `deployRoot`, so several servers
 *   serve the same absolute path (`/srv/deploybot-test/app`) from different directories, exactly
 *   like several real machines. For password logins a private copy of /etc/shadow (root's hash
 *   replaced) is bind-mounted too, so the machine's real accounts are never touched.
 * - pid namespace: sshd is its pid 1, so killing it (or the unshare parent, via --kill-child)
 *   kills every session and every command it started, which a plain `kill` of a forking sshd
 *   would not (connection children call setsid()). That is what `kill()` relies on to simulate a
 *   server dying mid-upload.
 *
 * Logins are as root (tests run as root; `PermitRootLogin yes`, `StrictModes no`, `UsePAM no`).
 * Set DEPLOYBOT_SSHD_LOGLEVEL=DEBUG2 to get sshd's debug log in `logs()`.
 *
 *   const key = await generateKeyPair();                       // ssh-keys.ts
 *   const web1 = await startSshd({ authorizedKey: key.publicKey, deployRoot: '/srv/deploybot-test/app' });
 *   const conn = await connectSsh(web1.target({ kind: 'key', privateKey: key.privateKey }), …);
 *   // files written to /srv/deploybot-test/app over SSH appear in web1.hostDir
 *   afterAll(() => stopAllSshd());
 */
export interface SshdOptions {
  /** An authorized_keys line (see generateKeyPair). */
  authorizedKey?: string;
  /** Enables password authentication for root with this password. */
  password?: string;
  /** Absolute path the server's commands see; backed by `hostDir`. Default /srv/deploybot-test/app. */
  deployRoot?: string;
  /**
   * Give the server its own empty home for root (bind-mounted over $HOME in its namespace), and
   * read `~/.ssh/authorized_keys` there too: what a test writes to ~ stays on that server, never
   * on this machine's real account (relay distribution installs keys there). It also skips
   * root's shell start-up files.
   */
  privateHome?: boolean;
}

export interface TestSshd {
  readonly host: string;
  readonly port: number;
  readonly username: 'root';
  /** The directory on this machine that the server sees at `deployRoot`. */
  readonly hostDir: string;
  /** With `privateHome`: the directory the server sees as root's home. */
  readonly homeDir: string;
  readonly deployRoot: string;
  /** Current host key, `SHA256:…` as printed by ssh-keygen. */
  readonly hostKeyFingerprint: string;
  /** An SshTarget for this server (pinned to its current host key unless told otherwise). */
  target(auth: SshAuth, overrides?: Partial<SshTarget>): SshTarget;
  /** sshd's own log (stderr with -e): useful in assertion messages. */
  logs(): string;
  /** Graceful stop (SIGTERM) and temp-dir cleanup. Idempotent. */
  stop(): Promise<void>;
  /** SIGKILL the server and everything it runs, now (simulates a dying machine). Keeps files. */
  kill(): Promise<void>;
  /** Stops, generates a new host key, starts again on the same port (a "rebuilt" server). */
  restartWithNewHostKey(): Promise<string>;
  /**
   * Replaces a program for every command this server runs from now on (a bind mount inside its
   * own mount namespace, nothing changes outside it): `script` is a POSIX sh script that gets the
   * original program's arguments; the real program stays reachable as "$REAL". Fault injection
   * for tests, e.g. an `mv` that drops the SSH session right after it renamed `current`.
   */
  wrapProgram(program: string, script: string): Promise<void>;
  /**
   * Makes a program unusable for every command this server runs from now on: an empty file that is
   * not executable is bind-mounted over it in the server's own mount namespace (a machine without,
   * say, the OpenSSH client). Nothing changes outside it.
   */
  hideProgram(program: string): Promise<void>;
}

const SSHD = '/usr/sbin/sshd';
const running = new Set<ChildProcess>();

let installing: Promise<void> | undefined;

/**
 * Installs openssh-server when it is missing (only as root, once per process; `flock` keeps two
 * test workers from fighting over dpkg's lock). `apt-get update` only when the package is unknown.
 */
export function ensureOpenSshServer(): Promise<void> {
  installing ??= (async () => {
    if (existsSync(SSHD)) return;
    if (process.getuid?.() !== 0) throw new Error(`${SSHD} is missing; install openssh-server (tests need root to install it)`);
    await runLocal({
      cmd: 'flock',
      args: [
        '/tmp/deploybot-test-apt.lock',
        'sh',
        '-c',
        `test -x ${SSHD} || apt-get install -y -q openssh-server || { apt-get update -q && apt-get install -y -q openssh-server; }`,
      ],
      env: { DEBIAN_FRONTEND: 'noninteractive' },
      timeoutMs: 10 * 60_000,
    });
    if (!existsSync(SSHD)) throw new Error(`installing openssh-server did not provide ${SSHD}`);
  })();
  return installing;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Resolves once something on the port speaks SSH (sends its "SSH-2.0-" banner). */
function readBanner(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let data = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.on('data', (chunk) => {
      data += chunk.toString('latin1');
      if (data.includes('SSH-2.0-')) done(true);
    });
    socket.on('error', () => done(false));
    socket.on('close', () => done(data.includes('SSH-2.0-')));
  });
}

async function shadowWithRootPassword(password: string): Promise<string> {
  const { stdout } = await runLocal({ cmd: 'openssl', args: ['passwd', '-6', '-stdin'], input: `${password}\n`, timeoutMs: 10_000 });
  const hash = stdout.trim();
  const lines = readFileSync('/etc/shadow', 'utf8').split('\n');
  const rootIndex = lines.findIndex((l) => l.startsWith('root:'));
  const rootFields = (lines[rootIndex] ?? 'root:x:19000:0:99999:7:::').split(':');
  rootFields[1] = hash;
  if (rootIndex >= 0) lines[rootIndex] = rootFields.join(':');
  else lines.unshift(rootFields.join(':'));
  return lines.join('\n');
}

function sshdConfig(dir: string, port: number, passwordAuth: boolean, privateHome: boolean): string {
  return [
    `Port ${port}`,
    'ListenAddress 127.0.0.1',
    `HostKey ${join(dir, 'host_ed25519_key')}`,
    `PidFile ${join(dir, 'sshd.pid')}`,
    `AuthorizedKeysFile ${join(dir, 'authorized_keys')}${privateHome ? ' .ssh/authorized_keys' : ''}`,
    'StrictModes no',
    'UsePAM no',
    'PermitRootLogin yes',
    'PubkeyAuthentication yes',
    `PasswordAuthentication ${passwordAuth ? 'yes' : 'no'}`,
    'KbdInteractiveAuthentication no',
    'Subsystem sftp internal-sftp',
    'UseDNS no',
    'PrintMotd no',
    // Many parallel test connections must not be throttled as if they were a brute-force attack.
    'MaxStartups 100:30:200',
    process.env.DEPLOYBOT_SSHD_LOGLEVEL ? `LogLevel ${process.env.DEPLOYBOT_SSHD_LOGLEVEL}` : 'LogLevel INFO',
    '',
  ].join('\n');
}

/** The pid of unshare's forked child (the shell that exec'd into sshd). */
function childPidOf(pid: number): number | null {
  try {
    const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
    return children.length > 0 ? Number(children[0]) : null;
  } catch {
    return null;
  }
}

export async function startSshd(options: SshdOptions = {}): Promise<TestSshd> {
  await ensureOpenSshServer();
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 }); // sshd's privilege-separation dir

  const deployRoot = options.deployRoot ?? '/srv/deploybot-test/app';
  const dir = makeScratchDir('deploybot-sshd-');
  const hostDir = join(dir, 'host');
  mkdirSync(hostDir);
  const homeDir = join(dir, 'home');
  if (options.privateHome) mkdirSync(homeDir, { mode: 0o700 });
  writeFileSync(join(dir, 'authorized_keys'), options.authorizedKey ? `${options.authorizedKey}\n` : '', { mode: 0o600 });
  const shadowPath = join(dir, 'shadow');
  if (options.password !== undefined) writeFileSync(shadowPath, await shadowWithRootPassword(options.password), { mode: 0o640 });

  let fingerprint = await makeHostKey(dir);
  let port = 0;
  let proc: ChildProcess | null = null;
  let log = '';
  let removed = false;

  const launch = async (): Promise<void> => {
    for (let attempt = 0; ; attempt++) {
      port ||= await freePort();
      writeFileSync(join(dir, 'sshd_config'), sshdConfig(dir, port, options.password !== undefined, options.privateHome === true));
      const child = spawn(
        'unshare',
        [
          '--mount',
          '--propagation',
          'private',
          '--pid',
          '--fork',
          '--mount-proc', // /proc shows this namespace's pids (ps, pgrep, kill inside agree)
          '--kill-child=SIGKILL',
          'sh',
          '-c',
          'mkdir -p "$DEPLOY_ROOT" && mount --bind "$HOST_DIR" "$DEPLOY_ROOT" && ' +
            '{ [ -z "$SHADOW" ] || mount --bind "$SHADOW" /etc/shadow; } && ' +
            '{ [ -z "$PRIVATE_HOME" ] || mount --bind "$PRIVATE_HOME" "${HOME:-/root}"; } && exec "$SSHD" -D -e -f "$CFG"',
        ],
        {
          env: {
            PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
            DEPLOY_ROOT: deployRoot,
            HOST_DIR: hostDir,
            SHADOW: options.password !== undefined ? shadowPath : '',
            PRIVATE_HOME: options.privateHome ? homeDir : '',
            HOME: '/root',
            SSHD,
            CFG: join(dir, 'sshd_config'),
          },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      running.add(child);
      child.stdout!.on('data', (c: Buffer) => (log += c.toString()));
      child.stderr!.on('data', (c: Buffer) => (log += c.toString()));
      let exited = false;
      child.once('exit', () => {
        exited = true;
        running.delete(child);
      });

      const deadline = Date.now() + 15_000;
      while (!exited && Date.now() < deadline) {
        if (await readBanner(port)) {
          proc = child;
          return;
        }
        await new Promise((r) => setTimeout(r, 50));
      }
      child.kill('SIGKILL');
      // Another process took the port between freePort() and sshd's bind: try a new one.
      if (attempt < 3 && /Address already in use|Bind to port/i.test(log)) {
        port = 0;
        continue;
      }
      throw new Error(`sshd did not start on 127.0.0.1:${port}:\n${log}`);
    }
  };

  const signalServer = async (signal: NodeJS.Signals): Promise<void> => {
    const child = proc;
    proc = null;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    // sshd is pid 1 of its namespace: when it dies the kernel kills every session with it.
    const sshdPid = childPidOf(child.pid!);
    if (sshdPid !== null) process.kill(sshdPid, signal);
    else child.kill('SIGKILL'); // --kill-child takes sshd down with it
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };

  await launch();

  const handle: TestSshd = {
    host: '127.0.0.1',
    get port() {
      return port;
    },
    username: 'root',
    hostDir,
    homeDir,
    deployRoot,
    get hostKeyFingerprint() {
      return fingerprint;
    },
    target(auth, overrides = {}) {
      return { name: `sshd-${port}`, host: '127.0.0.1', port, username: 'root', auth, hostKeyFingerprint: fingerprint, ...overrides };
    },
    logs: () => log,
    async stop() {
      await signalServer('SIGTERM');
      if (!removed) {
        removed = true;
        removeScratchDir(dir);
      }
    },
    async kill() {
      await signalServer('SIGKILL');
    },
    async wrapProgram(program, script) {
      const sshdPid = proc ? childPidOf(proc.pid!) : null;
      if (sshdPid === null) throw new Error('sshd is not running');
      const name = program.replace(/[^A-Za-z0-9_-]/g, '_');
      const real = join(dir, `real-${name}`);
      const wrapper = join(dir, `wrap-${name}`);
      await runLocal({ cmd: 'cp', args: ['--', program, real], timeoutMs: 10_000 });
      writeFileSync(wrapper, `#!/bin/sh\nREAL=${real}\n${script}\n`, { mode: 0o755 });
      await runLocal({ cmd: 'nsenter', args: ['-t', String(sshdPid), '-m', 'mount', '--bind', wrapper, program], timeoutMs: 10_000 });
    },
    async hideProgram(program) {
      const sshdPid = proc ? childPidOf(proc.pid!) : null;
      if (sshdPid === null) throw new Error('sshd is not running');
      const empty = join(dir, `hidden-${program.replace(/[^A-Za-z0-9_-]/g, '_')}`);
      writeFileSync(empty, '', { mode: 0o644 });
      await runLocal({ cmd: 'nsenter', args: ['-t', String(sshdPid), '-m', 'mount', '--bind', empty, program], timeoutMs: 10_000 });
    },
    async restartWithNewHostKey() {
      await signalServer('SIGTERM');
      fingerprint = await makeHostKey(dir);
      await launch();
      return fingerprint;
    },
  };
  servers.add(handle);
  return handle;
}

async function makeHostKey(dir: string): Promise<string> {
  const path = join(dir, 'host_ed25519_key');
  rmSync(path, { force: true });
  rmSync(`${path}.pub`, { force: true });
  await runLocal({ cmd: 'ssh-keygen', args: ['-q', '-t', 'ed25519', '-N', '', '-C', 'deploybot-test-host', '-f', path], timeoutMs: 15_000 });
  return fingerprintOfPublicKeyFile(`${path}.pub`);
}

const servers = new Set<TestSshd>();

/** Stops every server this process started (call in afterAll). */
export async function stopAllSshd(): Promise<void> {
  await Promise.all([...servers].map((s) => s.stop()));
  servers.clear();
}

// Last resort if a test run is interrupted: no sshd may outlive the test process.
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});
