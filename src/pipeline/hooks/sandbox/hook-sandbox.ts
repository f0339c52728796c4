import { chmod, lstat, mkdir, mkdtemp, readlink, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve, isAbsolute } from 'node:path';
import { runLocal, runLocalUnchecked, type LocalCommand } from '../../exec/local-exec.js';
import { bwrapArgs, SANDBOX_HOME, SANDBOX_UID, SANDBOX_WORKSPACE, type HostLayout, type TopLevelEntry } from './bwrap-args.js';

/**
 * Where the repository's own code (before_download, after_download) runs on the bot's host.
 *
 * - `bubblewrap`: a filesystem of its own (see bwrap-args.ts); the default where bwrap works.
 * - `hook-user`: the bot runs as root without a working bwrap, and DEPLOYBOT_HOOK_USER names an
 *   unprivileged user: the hook runs as that user, the data directory is made 0700 so it cannot
 *   be entered, and the workspace and HOME are that user's alone.
 * - `none`: neither. Local hooks are refused, unless an admin set DEPLOYBOT_UNSAFE_LOCAL_HOOKS=1.
 *
 * In every mode the hook gets a private temporary HOME, a workspace outside the data directory and
 * a scrubbed environment (no SSH_AUTH_SOCK, no bot variables); the network stays available.
 */
export type SandboxKind = 'bubblewrap' | 'hook-user' | 'none';

export interface SandboxStatus {
  kind: SandboxKind;
  /** One line for people: what isolates local hooks, or why nothing does. */
  summary: string;
  /** Local hooks are refused (kind `none` without DEPLOYBOT_UNSAFE_LOCAL_HOOKS=1). */
  refusesLocalHooks: boolean;
}

export interface HookSandboxOptions {
  /** The bwrap program; null: do not use bubblewrap. Default `bwrap` on PATH. */
  bwrap?: string | null;
  /** DEPLOYBOT_HOOK_USER. */
  hookUser?: string;
  /** DEPLOYBOT_UNSAFE_LOCAL_HOOKS=1. */
  allowUnsafe?: boolean;
  /** The bot's data directory: made 0700 in hook-user mode; build dirs must lie outside it. */
  dataDir?: string;
  /** Where build directories are made. Default `<tmpdir>/deploybot-builds`. */
  buildRoot?: string;
}

/** One task's build area: nothing in it is secret, and it is not inside the data directory. */
export interface BuildDirs {
  root: string;
  workspace: string;
  home: string;
  tmp: string;
  passwd: string;
  group: string;
}

export const REFUSED_MESSAGE =
  'local hooks are refused: no sandbox is available on the bot\'s host. Install bubblewrap (`apt-get install bubblewrap`; in Docker see the README), ' +
  'or run the bot as root with DEPLOYBOT_HOOK_USER=<unprivileged user>; an admin may accept the risk with DEPLOYBOT_UNSAFE_LOCAL_HOOKS=1';

const PROBE_TIMEOUT_MS = 10_000;
const TOP_LEVEL = ['/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32'];

type Resolved =
  | { kind: 'bubblewrap'; bwrap: string; layout: HostLayout }
  | { kind: 'hook-user'; user: string; uid: number; gid: number }
  | { kind: 'none'; why: string };

export class HookSandbox {
  private resolved?: Promise<Resolved>;
  private readonly buildRoot: string;

  constructor(private readonly options: HookSandboxOptions = {}) {
    this.buildRoot = resolve(options.buildRoot ?? join(tmpdir(), 'deploybot-builds'));
  }

  /** What isolates local hooks here; probed once (bwrap may be installed but blocked, e.g. by seccomp). */
  async status(): Promise<SandboxStatus> {
    const r = await this.resolve();
    if (r.kind === 'bubblewrap') return { kind: r.kind, summary: 'local hooks run in a bubblewrap sandbox (no access to the data directory, keys or HOME)', refusesLocalHooks: false };
    if (r.kind === 'hook-user') return { kind: r.kind, summary: `local hooks run as the unprivileged user ${r.user} (DEPLOYBOT_HOOK_USER)`, refusesLocalHooks: false };
    if (this.options.allowUnsafe) return { kind: 'none', summary: `local hooks run WITHOUT a sandbox (DEPLOYBOT_UNSAFE_LOCAL_HOOKS=1; ${r.why}): a repository's build can read the bot's secrets`, refusesLocalHooks: false };
    return { kind: 'none', summary: `local hooks are refused: no sandbox (${r.why}); install bubblewrap or set DEPLOYBOT_HOOK_USER, or DEPLOYBOT_UNSAFE_LOCAL_HOOKS=1 to run them unsandboxed`, refusesLocalHooks: true };
  }

  /** A fresh build area for one task, outside the data directory, owned by whoever runs the hooks. */
  async createBuildDirs(taskId: number): Promise<BuildDirs> {
    if (this.options.dataDir && isInside(resolve(this.options.dataDir), this.buildRoot)) {
      throw new Error(`the build directory ${this.buildRoot} is inside the data directory: hooks would reach the bot's secrets`);
    }
    // Traversable but not listable: in hook-user mode that user reaches only its own task's dir.
    await mkdir(this.buildRoot, { recursive: true, mode: 0o711 });
    await chmod(this.buildRoot, 0o711);
    const root = await mkdtemp(join(this.buildRoot, `task-${taskId}-`));
    const dirs: BuildDirs = { root, workspace: join(root, 'workspace'), home: join(root, 'home'), tmp: join(root, 'tmp'), passwd: join(root, 'passwd'), group: join(root, 'group') };
    for (const d of [dirs.workspace, dirs.home, dirs.tmp]) await mkdir(d, { mode: 0o700 });
    await writeFile(dirs.passwd, `deploybot:x:${SANDBOX_UID}:${SANDBOX_UID}:deploybot build:${SANDBOX_HOME}:/bin/sh\n`);
    await writeFile(dirs.group, `deploybot:x:${SANDBOX_UID}:\n`);
    return dirs;
  }

  async removeBuildDirs(dirs: BuildDirs): Promise<void> {
    await rm(dirs.root, { recursive: true, force: true });
  }

  /**
   * The exec-seam command for one hook in `dirs`. Throws (with REFUSED_MESSAGE) when local hooks are
   * refused. In hook-user mode the build area is handed to that user first (the export wrote it as the bot).
   */
  async command(dirs: BuildDirs, script: string, env: Record<string, string>): Promise<Pick<LocalCommand, 'cmd' | 'args' | 'cwd' | 'env' | 'isolatedEnv' | 'uid' | 'gid'>> {
    const r = await this.resolve();
    const base = { LANG: process.env.LANG ?? 'C.UTF-8', ...(process.env.TZ ? { TZ: process.env.TZ } : {}) };
    if (r.kind === 'bubblewrap') {
      return {
        cmd: r.bwrap,
        args: bwrapArgs(r.layout, dirs, ['/bin/sh', '-c', script]),
        cwd: dirs.workspace,
        isolatedEnv: true,
        env: { ...base, PATH: safePath(), HOME: SANDBOX_HOME, USER: 'deploybot', LOGNAME: 'deploybot', TMPDIR: '/tmp', PWD: SANDBOX_WORKSPACE, ...env },
      };
    }
    if (r.kind === 'hook-user') {
      await runLocal({ cmd: 'chown', args: ['-R', '--no-dereference', `${r.uid}:${r.gid}`, '--', dirs.root], timeoutMs: 120_000 });
      return {
        cmd: '/bin/sh',
        args: ['-c', script],
        cwd: dirs.workspace,
        isolatedEnv: true,
        uid: r.uid,
        gid: r.gid,
        env: { ...base, PATH: safePath(), HOME: dirs.home, USER: r.user, LOGNAME: r.user, TMPDIR: dirs.tmp, ...env },
      };
    }
    if (!this.options.allowUnsafe) throw new SandboxRefused();
    return { cmd: '/bin/sh', args: ['-c', script], cwd: dirs.workspace, isolatedEnv: true, env: { ...base, PATH: safePath(), HOME: dirs.home, TMPDIR: dirs.tmp, ...env } };
  }

  private resolve(): Promise<Resolved> {
    return (this.resolved ??= this.detect());
  }

  private async detect(): Promise<Resolved> {
    let why = 'bubblewrap is not used';
    if (this.options.bwrap !== null) {
      const bwrap = this.options.bwrap ?? 'bwrap';
      const layout = await hostLayout();
      const probe = await this.probeBwrap(bwrap, layout);
      if (probe === true) return { kind: 'bubblewrap', bwrap, layout };
      why = probe;
    }
    if (this.options.hookUser) {
      if (process.getuid?.() !== 0) return { kind: 'none', why: `${why}, and DEPLOYBOT_HOOK_USER needs the bot to run as root` };
      const user = this.options.hookUser;
      const ids = await Promise.all([runLocalUnchecked({ cmd: 'id', args: ['-u', '--', user], timeoutMs: 5000 }), runLocalUnchecked({ cmd: 'id', args: ['-g', '--', user], timeoutMs: 5000 })]);
      const [uid, gid] = ids.map((r) => (r.exitCode === 0 ? Number.parseInt(r.stdout.trim(), 10) : Number.NaN)) as [number, number];
      if (!Number.isInteger(uid) || !Number.isInteger(gid)) return { kind: 'none', why: `${why}, and DEPLOYBOT_HOOK_USER=${user} is not a user on this host` };
      if (uid === 0 || gid === 0) return { kind: 'none', why: `${why}, and DEPLOYBOT_HOOK_USER=${user} is root` };
      // The user must not be able to enter the data directory (database, secret.key, mirrors).
      if (this.options.dataDir) await chmod(this.options.dataDir, 0o700).catch(() => undefined);
      return { kind: 'hook-user', user, uid, gid };
    }
    return { kind: 'none', why };
  }

  /** Runs `true` inside the real sandbox command line: true, or why it did not work. */
  private async probeBwrap(bwrap: string, layout: HostLayout): Promise<true | string> {
    let dirs: BuildDirs | undefined;
    try {
      dirs = await this.createBuildDirs(0);
      const result = await runLocalUnchecked({ cmd: bwrap, args: bwrapArgs(layout, dirs, ['/bin/sh', '-c', 'exit 0']), isolatedEnv: true, env: { PATH: safePath() }, timeoutMs: PROBE_TIMEOUT_MS });
      if (result.exitCode === 0) return true;
      return `bubblewrap does not work here: ${result.stderr.trim().split('\n').pop() || `exit ${result.exitCode}`}`;
    } catch (err) {
      return /ENOENT|could not start/.test(String(err)) ? 'bubblewrap is not installed' : `bubblewrap does not work here: ${err instanceof Error ? err.message : String(err)}`;
    } finally {
      if (dirs) await this.removeBuildDirs(dirs).catch(() => undefined);
    }
  }
}

export class SandboxRefused extends Error {
  constructor() {
    super(REFUSED_MESSAGE);
  }
}

/** /bin, /lib… as links or directories, and the Node.js install when it lives outside /usr. */
async function hostLayout(): Promise<HostLayout> {
  const topLevel: TopLevelEntry[] = [];
  for (const path of TOP_LEVEL) {
    const stat = await lstat(path).catch(() => null);
    if (!stat) continue;
    if (stat.isSymbolicLink()) topLevel.push({ path, link: await readlink(path) });
    else if (stat.isDirectory()) topLevel.push({ path, dir: true });
  }
  const nodePrefix = dirname(dirname(process.execPath));
  const extraReadOnly = isInside('/usr', nodePrefix) || nodePrefix === '/' ? [] : [nodePrefix];
  return { topLevel, extraReadOnly };
}

/** A PATH with the system's directories and the one Node.js is in: nothing from the bot's own PATH. */
function safePath(): string {
  const dirs = ['/usr/local/bin', '/usr/bin', '/bin'];
  const nodeBin = dirname(process.execPath);
  return (dirs.includes(nodeBin) ? dirs : [nodeBin, ...dirs]).join(':');
}

function isInside(parent: string, child: string): boolean {
  const rel = relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

const defaults = new Map<string, HookSandbox>();

/** The sandbox a runner uses when none was wired in: bubblewrap when it works, else refusal. */
export function defaultHookSandbox(dataDir: string): HookSandbox {
  let sandbox = defaults.get(dataDir);
  if (!sandbox) defaults.set(dataDir, (sandbox = new HookSandbox({ dataDir })));
  return sandbox;
}
