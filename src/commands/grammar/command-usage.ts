/**
 * Usage lines and help text for `/deploy`, plus the "did you mean" helper. Plain text, one command per
 * line, so the Slack adapter can put it in a code block and the shell can print it as is.
 */

export type HelpGroup = 'servers' | 'projects' | 'deploys' | 'operations';

interface UsageEntry {
  /** Verb path the entry documents: 'server add', 'deploy', 'tasks'. */
  path: string;
  group: HelpGroup;
  usage: string;
  summary: string;
}

const P = '/deploy';

const ENTRIES: readonly UsageEntry[] = [
  { path: 'server add', group: 'servers', usage: `${P} server add`, summary: 'open the form to add a server' },
  {
    path: 'server add',
    group: 'servers',
    usage: `${P} server add <name> <user>@<host>[:<port>] [key=<path> | key=@<file> | password | agent] [labels=a,b] [internal=<addr>[:<port>]]`,
    summary: 'add a server (IPv6 in brackets: root@[::1]:22)',
  },
  { path: 'server list', group: 'servers', usage: `${P} server list`, summary: 'list servers' },
  { path: 'server show', group: 'servers', usage: `${P} server show <name>`, summary: "show a server's settings" },
  { path: 'server edit', group: 'servers', usage: `${P} server edit <name>`, summary: 'open the form to edit a server' },
  {
    path: 'server edit',
    group: 'servers',
    usage: `${P} server edit <name> [host=<host>] [user=<user>] [port=<n>] [key=<path>] [labels=a,b] [internal=<addr>[:<port>]|""]`,
    summary: 'change some settings of a server',
  },
  { path: 'server remove', group: 'servers', usage: `${P} server remove <name>`, summary: 'remove a server' },
  { path: 'server check', group: 'servers', usage: `${P} server check <name> [accept=SHA256:…]`, summary: 'test the SSH connection and pin the host key (accept= re-pins a key you verified)' },

  { path: 'project add', group: 'projects', usage: `${P} project add`, summary: 'open the form to add a project' },
  {
    path: 'project add',
    group: 'projects',
    usage:
      `${P} project add <name> repo=<url> path=<dir> servers=<a,b> [env=test|prod] [keep=<n>] [branch=<b>]` +
      ' [approvers=@a,@b] [approvals=<n>] [promote_from=<project>] [health="<command>"] [health_timeout=<seconds>] [rollout=all|canary:<n|p%>] [canary_wait=<seconds>] [channel=#c] [parallel=<n>] [title="…"] [on_failure=rollback|continue] [distribution=auto|direct|relay] [notify_approvers=dm|mention|none] [notify_requester=mention|dm|none] [offline]',
    summary: 'add a project (the repository and branch are checked; offline skips that)',
  },
  { path: 'project list', group: 'projects', usage: `${P} project list`, summary: 'list projects' },
  { path: 'project show', group: 'projects', usage: `${P} project show <name>`, summary: "show a project's settings" },
  { path: 'project edit', group: 'projects', usage: `${P} project edit <name>`, summary: 'open the form to edit a project' },
  {
    path: 'project edit',
    group: 'projects',
    usage: `${P} project edit <name> <key>=<value>…`,
    summary: 'change some settings (same keys as project add)',
  },
  { path: 'project remove', group: 'projects', usage: `${P} project remove <name>`, summary: 'remove a project' },
  { path: 'project hooks', group: 'projects', usage: `${P} project hooks <name>`, summary: 'open the form to edit hook scripts' },
  {
    path: 'project hooks',
    group: 'projects',
    usage: `${P} project hooks <name> <hook>=@path/to/file.sh | <hook>="inline script" | <hook>=""`,
    summary: 'set a hook from a file, inline, or clear it (hooks: before_download, after_download, before_deploy, after_deploy)',
  },

  { path: 'deploy', group: 'deploys', usage: `${P}`, summary: 'open the deploy form' },
  {
    path: 'deploy',
    group: 'deploys',
    usage: `${P} <project> <ref> [override="why"] [at <time>]`,
    summary: 'deploy a branch, tag or commit; time: 18:30, 2026-11-24T09:00 or 2026-11-24 09:00 Europe/Paris',
  },
  {
    path: 'deploy',
    group: 'deploys',
    usage: `${P} deploy <project> <ref> [override="why"] [at <time>]`,
    summary: 'the same, for a project whose name looks like a command',
  },
  { path: 'rollback', group: 'deploys', usage: `${P} rollback <project> [<release>|<tag>|<commit>|<task>]`, summary: 'switch back to the previous release, or to the one named' },
  { path: 'refs', group: 'deploys', usage: `${P} refs <project>`, summary: 'list branches and tags you can deploy' },
  { path: 'releases', group: 'deploys', usage: `${P} releases <project>`, summary: 'list the releases on each server with their ref: what rollback can go to' },

  { path: 'tasks', group: 'operations', usage: `${P} tasks [<project>]`, summary: 'list recent and running tasks' },
  { path: 'status', group: 'operations', usage: `${P} status <task>`, summary: 'show a task (task ids: 12 or #12)' },
  { path: 'cancel', group: 'operations', usage: `${P} cancel <task>`, summary: 'cancel a queued or running task' },
  { path: 'retry', group: 'operations', usage: `${P} retry <task>`, summary: 'run a failed task again' },
  { path: 'approve', group: 'operations', usage: `${P} approve <task>`, summary: 'approve a deploy waiting for approval' },
  { path: 'reject', group: 'operations', usage: `${P} reject <task> <reason…>`, summary: 'reject a deploy waiting for approval' },
  { path: 'promote', group: 'operations', usage: `${P} promote <task> [override="why"]`, summary: 'let a prod deploy whose canary is healthy go on to the rest (override=: an admin promoting their own deploy)' },
  { path: 'lock', group: 'operations', usage: `${P} lock <project> [<reason…>]`, summary: 'stop deploys of a project' },
  { path: 'unlock', group: 'operations', usage: `${P} unlock <project>`, summary: 'allow deploys again' },
  { path: 'freeze add', group: 'operations', usage: `${P} freeze add <project|all> from <time> to <time> reason="…" [tz=<zone>]`, summary: 'a one-off freeze window: deploys wait until it ends' },
  { path: 'freeze add', group: 'operations', usage: `${P} freeze add <project|all> cron="0 18 * * 5" for=62h reason="…" [tz=<zone>]`, summary: 'a recurring freeze window (cron, then how long)' },
  { path: 'freeze list', group: 'operations', usage: `${P} freeze list [<project>]`, summary: 'freeze windows, in force now or to come' },
  { path: 'freeze remove', group: 'operations', usage: `${P} freeze remove <id>`, summary: 'remove a freeze window' },
  { path: 'help', group: 'operations', usage: `${P} help [<topic>]`, summary: 'this help, or help on one command (help server add)' },
];

const GROUP_TITLES: Record<HelpGroup, string> = {
  servers: 'Servers',
  projects: 'Projects',
  deploys: 'Deploys',
  operations: 'Operations',
};

/** Verbs that start a command; any other first word is a project name (`/deploy <project> <ref>`). */
export const RESERVED_WORDS: readonly string[] = [
  'help', 'server', 'project', 'deploy', 'tasks', 'status', 'cancel', 'retry',
  'rollback', 'refs', 'releases', 'lock', 'unlock', 'approve', 'reject', 'promote', 'freeze',
];
export const FREEZE_VERBS = ['add', 'list', 'remove'] as const;
export const SERVER_VERBS = ['add', 'list', 'show', 'edit', 'remove', 'check'] as const;
export const PROJECT_VERBS = ['add', 'list', 'show', 'edit', 'remove', 'hooks'] as const;

const line = (e: UsageEntry): string => `${e.usage}  —  ${e.summary}`;

function section(group: HelpGroup): string {
  return [`${GROUP_TITLES[group]}:`, ...ENTRIES.filter((e) => e.group === group).map((e) => `  ${line(e)}`)].join('\n');
}

export const HELP_TEXT: string = [
  'Usage: /deploy <command>. Quote values with spaces ("…"); task ids are 12 or #12.',
  '',
  (['servers', 'projects', 'deploys', 'operations'] as const).map(section).join('\n\n'),
].join('\n');

function normalizePath(verbPath: string): string {
  return verbPath.trim().toLowerCase().replace(/^\/deploy\b/, '').trim().replace(/\s+/g, ' ');
}

function entriesFor(verbPath: string): UsageEntry[] | string | undefined {
  const path = normalizePath(verbPath);
  if (path === '') return undefined;
  if (path in GROUP_TITLES) return section(path as HelpGroup);
  const exact = ENTRIES.filter((e) => e.path === path);
  if (exact.length > 0) return exact;
  const prefixed = ENTRIES.filter((e) => e.path.startsWith(`${path} `));
  return prefixed.length > 0 ? prefixed : undefined;
}

/** True when `usageFor(topic)` has something more specific than the general help. */
export function isHelpTopic(topic: string): boolean {
  return entriesFor(topic) !== undefined;
}

/** Known help topics, for "did you mean" on `help <topic>`. */
export function helpTopics(): string[] {
  return [...new Set([...Object.keys(GROUP_TITLES), ...ENTRIES.map((e) => e.path), 'server', 'project', 'freeze'])];
}

/**
 * Usage lines for a verb path: `'server add'` (that command), `'server'` (all server commands),
 * `'operations'` (a help section). Anything unknown, or empty, gives the full HELP_TEXT.
 */
export function usageFor(verbPath: string): string {
  const found = entriesFor(verbPath);
  if (found === undefined) return HELP_TEXT;
  if (typeof found === 'string') return found;
  return found.map(line).join('\n');
}

/** The one line shown under a refusal that has no command of its own: never the whole help. */
export const GENERAL_USAGE = `${P} <command> …  —  \`help\` lists every command, \`help <command>\` explains one`;

/**
 * One usage line for a suggested command line (`server list`, `status 12`): the entry of its verb
 * path, the text form rather than the form-opening one; a group word alone gets its verbs.
 * A typo's answer must fit on a screen with the suggestion still in view.
 */
export function usageLineFor(commandLine: string): string {
  const words = normalizePath(commandLine).split(' ');
  for (const n of [2, 1]) {
    const path = words.slice(0, n).join(' ');
    const exact = ENTRIES.filter((e) => e.path === path);
    if (exact.length > 0) return line(exact[exact.length - 1]!);
  }
  const group = words[0] === 'server' ? SERVER_VERBS : words[0] === 'project' ? PROJECT_VERBS : undefined;
  if (group) return `${P} ${words[0]} ${group.join('|')} …  —  \`help ${words[0]}\` explains each`;
  return GENERAL_USAGE;
}

/** Optimal-string-alignment distance (Levenshtein plus adjacent transpositions). */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i < rows; i += 1) {
    for (let j = 1; j < cols; j += 1) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

/** The closest candidate within a typo's reach (1 edit for short words, 2 for longer), if any. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  const w = word.toLowerCase();
  let best: { c: string; d: number } | undefined;
  for (const c of candidates) {
    if (c === w) continue;
    const d = editDistance(w, c);
    const reach = Math.min(w.length, c.length) <= 5 ? 1 : 2;
    if (d <= reach && (best === undefined || d < best.d)) best = { c, d };
  }
  return best?.c;
}
