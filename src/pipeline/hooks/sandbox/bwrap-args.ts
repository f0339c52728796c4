/**
 * The bubblewrap command line for one local hook: a pure function of the host's layout, so a test
 * can read exactly what the hook will see.
 *
 * What exists inside: the system's programs and libraries read-only (/usr and the top-level links
 * or directories next to it), the few files of /etc that name resolution, TLS and user lookup
 * need, a fresh /proc of its own PID namespace (the bot's /proc/<pid> does not exist), a minimal
 * /dev, an empty /tmp, and two writable directories: the build workspace and a private HOME.
 * What does not: the data directory (database, secret.key, mirrors), the bot's HOME and ~/.ssh,
 * DEPLOYBOT_SSH_KEY, the SSH agent socket, every other file of the host. The network is kept, so
 * `npm ci` still downloads.
 */
export const SANDBOX_WORKSPACE = '/workspace';
export const SANDBOX_HOME = '/home/deploybot';
/** An unprivileged uid/gid inside the user namespace (the hook is not root, even when the bot is). */
export const SANDBOX_UID = 1000;

/** How a top-level directory of the host looks: merged-/usr systems make /bin a link to usr/bin. */
export type TopLevelEntry = { path: string; link: string } | { path: string; dir: true };

export interface HostLayout {
  /** /bin, /sbin, /lib, /lib64…: links are recreated, directories bound read-only. */
  topLevel: readonly TopLevelEntry[];
  /** Directories outside /usr a hook needs (e.g. the Node.js install), bound read-only. */
  extraReadOnly: readonly string[];
}

/** /etc files a build legitimately reads; anything else in /etc (e.g. ssh host keys) stays out. */
export const ETC_ALLOWLIST = [
  '/etc/alternatives',
  '/etc/ca-certificates',
  '/etc/ssl',
  '/etc/pki',
  '/etc/resolv.conf',
  '/etc/hosts',
  '/etc/host.conf',
  '/etc/nsswitch.conf',
  '/etc/gai.conf',
  '/etc/localtime',
  '/etc/timezone',
  '/etc/mime.types',
  '/etc/ld.so.cache',
  '/etc/ld.so.conf',
  '/etc/ld.so.conf.d',
];

export interface BwrapPaths {
  /** Host directory bound at SANDBOX_WORKSPACE (writable). */
  workspace: string;
  /** Host directory bound at SANDBOX_HOME (writable, empty, private to this hook run). */
  home: string;
  /** Files with one passwd/group entry for the sandbox user (git and npm look the user up). */
  passwd: string;
  group: string;
}

export function bwrapArgs(layout: HostLayout, paths: BwrapPaths, command: readonly string[]): string[] {
  const args = [
    // The hook runs as an unprivileged user with no capabilities, in its own PID/IPC/UTS namespaces.
    '--unshare-user', '--uid', String(SANDBOX_UID), '--gid', String(SANDBOX_UID),
    '--unshare-pid', '--unshare-ipc', '--unshare-uts', '--unshare-cgroup-try',
    '--cap-drop', 'ALL',
    // Dies with the bot's exec seam (a timeout or cancel kills bwrap, and so everything inside);
    // its own session, so it cannot push keystrokes into a terminal (TIOCSTI).
    '--die-with-parent', '--new-session',
    '--hostname', 'deploybot-build',
    '--ro-bind', '/usr', '/usr',
  ];
  for (const entry of layout.topLevel) {
    if ('link' in entry) args.push('--symlink', entry.link, entry.path);
    else args.push('--ro-bind-try', entry.path, entry.path);
  }
  for (const dir of layout.extraReadOnly) args.push('--ro-bind-try', dir, dir);
  for (const file of ETC_ALLOWLIST) args.push('--ro-bind-try', file, file);
  args.push(
    '--proc', '/proc',
    '--dev', '/dev',
    '--tmpfs', '/tmp',
    '--dir', '/home',
    '--bind', paths.home, SANDBOX_HOME,
    '--bind', paths.workspace, SANDBOX_WORKSPACE,
    '--ro-bind', paths.passwd, '/etc/passwd',
    '--ro-bind', paths.group, '/etc/group',
    '--chdir', SANDBOX_WORKSPACE,
    '--',
    ...command,
  );
  return args;
}
