import { posix } from 'node:path';
import { remoteCommand, shq } from '../ssh/remote-quote.js';

/**
 * The remote commands of relay distribution, as pure functions (ARCHITECTURE.md, convention 11).
 *
 * On each server the stage keeps one directory, `<deployPath>/.deploybot-relay-<task>/`:
 *
 *   artifact     the .tar.gz as received so far (appended to; read by peers while it grows)
 *   holder.pid   pid of the "holder", a process that lives while this server is still receiving
 *   serve        the forced command peers run: streams `artifact` from an offset until complete
 *   key          the task's private key, to fetch from peers (mode 0600)
 *   known_hosts  peers' host keys as the bot pinned them (no trust on first use between servers)
 *
 * and one line in `~/.ssh/authorized_keys`: the task's public key, restricted to the peers'
 * addresses (`from=`), with every forwarding off (`restrict`) and `command=` forcing `serve`, so the
 * key can do nothing but read this artifact. The line's comment names the project and the task,
 * so the next deploy of the project (or crash recovery) removes leftovers of a task that crashed.
 */
export const RELAY_DIR_PREFIX = '.deploybot-relay-';

/** What a server needs to relay: setup refuses without one, and `server check` asks for the same. */
const RELAY_TOOLS = 'ssh tail head tee tar stat sha256sum mkfifo awk';
/**
 * True when the tool `$t` can be run: bash's `command -v` also names a file on PATH that is not
 * executable, so the path it gives is tested with -x (none of RELAY_TOOLS is a shell builtin).
 */
const TOOL_RUNS = '[ -x "$(command -v "$t" 2>/dev/null)" ]';

export const relayDir = (deployPath: string, taskId: number) => posix.join(deployPath, `${RELAY_DIR_PREFIX}${taskId}`);

/** The marker every authorized_keys line of a project's relay keys carries. */
export const relayKeyMarker = (projectId: number) => `deploybot-relay-p${projectId}-`;
export const relayKeyComment = (projectId: number, taskId: number) => `${relayKeyMarker(projectId)}t${taskId}`;

/** A path that can sit inside a double-quoted `command="…"` option and a single-quoted script. */
export function relayablePath(path: string): boolean {
  return /^\/[A-Za-z0-9._/@+-]*$/.test(path);
}

/** An address that can sit in `from=` and on an ssh command line: IPv4, IPv6 or a DNS name. */
export function relayableAddress(address: string): boolean {
  return /^[A-Za-z0-9.:-]{1,253}$/.test(address) && !address.startsWith('-');
}

/**
 * Removes what relay distribution may have left for this project: its authorized_keys lines and
 * its stage directories (the files, the key). Run before every deploy of the project and by crash
 * recovery; harmless when there is nothing. The edit keeps the file's inode and mode, under flock
 * when available (another project's task may edit the same file at the same time).
 */
export function relayCleanupCommand(deployPath: string, projectId: number): string {
  const marker = relayKeyMarker(projectId);
  return (
    'f="$HOME/.ssh/authorized_keys"; ' +
    // Read-only unless a line of ours is there (the file may not even be writable by this user).
    remoteCommand`if [ -f "$f" ] && grep -q -F -e ${marker} "$f"; then ` +
    'exec 9>>"$f"; if command -v flock >/dev/null 2>&1; then flock 9; fi; ' +
    remoteCommand`grep -v -F -e ${marker} "$f" > "$f.deploybot-tmp"; ` +
    // grep exits 1 when it prints nothing: that is still a good result (every line was ours).
    'if [ $? -le 1 ]; then cat "$f.deploybot-tmp" > "$f"; fi; rm -f "$f.deploybot-tmp"; ' +
    'exec 9>&-; fi; ' +
    remoteCommand`for d in ${deployPath}/${RELAY_DIR_PREFIX}*; do [ -e "$d" ] && rm -rf -- "$d"; done; true`
  );
}

/** The forced command's script: only a decimal offset is accepted from the peer. */
export function serveScript(dir: string): string {
  if (!relayablePath(dir)) throw new TypeError('relay directory path is not relayable');
  return [
    '#!/bin/sh',
    '# deploybot relay: streams this stage\'s artifact from an offset; nothing else (forced command).',
    'off=$SSH_ORIGINAL_COMMAND',
    'case $off in ""|*[!0-9]*) echo "deploybot relay: expected a byte offset" >&2; exit 2;; esac',
    `d=${shq(dir)}`,
    'i=0; while [ ! -s "$d/holder.pid" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i+1)); done',
    '[ -s "$d/holder.pid" ] || { echo "deploybot relay: not receiving" >&2; exit 3; }',
    // GNU tail: follows the file while it grows (inotify, no polling delay) and ends once the
    // holder has exited, after sending what the file holds by then.
    'exec tail -c +$((off+1)) -s 0.2 --pid="$(cat "$d/holder.pid")" -f "$d/artifact"',
    '',
  ].join('\n');
}

export const KNOWN_HOSTS_SEPARATOR = '--deploybot-known-hosts--';

export interface RelaySetup {
  dir: string;
  projectId: number;
  taskId: number;
  /** OpenSSH public key line of the task's key (`ssh-ed25519 AAAA…`). */
  publicKey: string;
  /** Peers' addresses as this server sees them, for `from=`. */
  from: readonly string[];
}

/** The authorized_keys line: the task key may run `serve` from the peers' addresses, nothing more. */
export function relayAuthorizedKey(setup: RelaySetup): string {
  if (!relayablePath(setup.dir)) throw new TypeError('relay directory path is not relayable');
  for (const a of setup.from) if (!relayableAddress(a)) throw new TypeError(`address ${JSON.stringify(a)} cannot be used in from=`);
  if (!/^ssh-ed25519 [A-Za-z0-9+/=]+$/.test(setup.publicKey.split(' ').slice(0, 2).join(' '))) throw new TypeError('unexpected relay public key');
  const key = setup.publicKey.split(' ').slice(0, 2).join(' ');
  return `restrict,from="${setup.from.join(',')}",command="/bin/sh ${setup.dir}/serve" ${key} ${relayKeyComment(setup.projectId, setup.taskId)}`;
}

/**
 * Prepares a server for the stage: its directory, the empty artifact, the serve script, the
 * private key and known_hosts (both on stdin, split at a line KNOWN_HOSTS_SEPARATOR), and the
 * authorized_keys line. Prints `relay-ready` when done.
 */
export function relaySetupCommand(setup: RelaySetup): string {
  const d = setup.dir;
  return (
    // A server without the tools is left out of the chain (the bot serves it) before anything changes.
    `for t in ${RELAY_TOOLS}; do ${TOOL_RUNS} || { echo "deploybot relay: missing $t" >&2; exit 3; }; done; ` +
    'tail --version 2>/dev/null | head -n 1 | grep -q GNU || { echo "deploybot relay: needs GNU tail" >&2; exit 3; }; ' +
    // `tee -p` (GNU coreutils 8.24+) keeps the copy going when the extraction stops (receiveScript).
    'echo | tee -p >/dev/null 2>&1 || { echo "deploybot relay: needs GNU tee (-p)" >&2; exit 3; }; ' +
    remoteCommand`umask 077 && rm -rf -- ${d} && mkdir -p -- ${d} && cd -- ${d} && : > artifact && ` +
    remoteCommand`printf '%s' ${serveScript(d)} > serve && ` +
    ': > known_hosts && ' +
    `awk 'BEGIN { o = "key" } $0 == "${KNOWN_HOSTS_SEPARATOR}" { o = "known_hosts"; next } { print > o }' && ` +
    'chmod 600 key && ' +
    'mkdir -p "$HOME/.ssh" && chmod 700 "$HOME/.ssh" && touch "$HOME/.ssh/authorized_keys" && ' +
    'exec 9>>"$HOME/.ssh/authorized_keys" && { command -v flock >/dev/null 2>&1 && flock 9 || true; } && ' +
    remoteCommand`printf '%s\n' ${relayAuthorizedKey(setup)} >> "$HOME/.ssh/authorized_keys" && exec 9>&- && echo relay-ready`
  );
}

/** The holder: lives while its stdin (from the bot) is open; peers' `serve` follows it. */
export function holderCommand(dir: string): string {
  return remoteCommand`cd -- ${dir} && echo $$ > holder.pid && echo holding && exec cat > /dev/null`;
}

export interface PeerSource {
  /** How known_hosts names this peer (HostKeyAlias). */
  alias: string;
  address: string;
  port: number;
  username: string;
}

/** known_hosts line for a peer, under an alias so the address seen by peers does not matter. */
export function knownHostsLine(alias: string, publicKeyLine: string): string {
  if (!/^[A-Za-z0-9._-]+$/.test(alias)) throw new TypeError('bad host key alias');
  if (!/^[a-z0-9@.-]+ [A-Za-z0-9+/=]+$/.test(publicKeyLine)) throw new TypeError('bad host public key');
  return `${alias} ${publicKeyLine}`;
}

/** How often a receiving server reports its size (the bot's progress, throughput and slow-host check). */
export const PROGRESS_EVERY_S = 0.25;

/**
 * One stream feeds both the copy and the extraction: the new bytes (on `feed`'s stdout, or the
 * command's stdin when `feed` is null) are appended to `artifact`, which peers read while it grows,
 * and through the same `tee` extracted into `extractTo` (the release's `.partial` directory, never
 * served). Extracting during the transfer saves a whole gunzip per server on the critical path;
 * taking the bytes from the stream, not from a second reader following the file, saves a read per
 * server and that follower's wake-ups.
 *
 * tar always sees exactly what `artifact` will hold: first what it holds already (`cat artifact`:
 * nothing on a first attempt, the prefix on a resume), then the new bytes. So a resumed copy is
 * extracted whole, once, by this attempt's tar (an earlier attempt's tar went with its command),
 * and the SHA-256 of `artifact` (finishCommand) vouches for what tar extracted too.
 *
 * `tee -p`: when tar gives up (an altered copy), tee keeps appending to `artifact`, so the copy is
 * still received whole, checked, and those reading from this server are not cut off. tar reads a
 * fifo (not a pipe) so that the shell sees both statuses: the feed's (`$rc`) and tar's, printed as
 * `extract <status>`.
 */
function receiveScript(extractTo: string, feed: string | null): { prepare: string; receive: string; extractStatus: string } {
  return {
    prepare: remoteCommand`rm -rf -- ${extractTo} && mkdir -p -- ${extractTo} && rm -f extract.fifo && mkfifo extract.fifo`,
    receive:
      remoteCommand`tar --no-same-owner -xzf - -C ${extractTo} < extract.fifo & x=$!; ` +
      `{ cat artifact; ${feed === null ? '' : `${feed} | `}tee -p -a artifact; } > extract.fifo; rc=$?; `,
    extractStatus: 'wait $x; echo "extract $?"; rm -f extract.fifo; ',
  };
}

/**
 * Fetches the artifact's bytes from `offset` to `total` from a peer into `artifact` and the
 * extraction (receiveScript), printing the file's size every PROGRESS_EVERY_S, then `extract <n>`
 * and `size <n>`. The peer is authenticated by the host key the bot pinned (known_hosts,
 * StrictHostKeyChecking), a dead one is noticed within ~3 s (ServerAlive), and no user or system
 * ssh config applies (-F /dev/null).
 */
export function peerFetchCommand(dir: string, peer: PeerSource, offset: number, total: number, extractTo: string): string {
  if (!relayableAddress(peer.address)) throw new TypeError('peer address is not relayable');
  const ssh = [
    'ssh', '-F', '/dev/null', '-i', 'key', '-o', 'IdentitiesOnly=yes', '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=yes',
    '-o', 'UserKnownHostsFile=known_hosts', '-o', 'GlobalKnownHostsFile=/dev/null', '-o', `HostKeyAlias=${peer.alias}`,
    // AES-GCM first: with AES-NI it costs a server several times less CPU than chacha20 per byte
    // relayed; every OpenSSH since 6.5 has all three.
    '-o', 'Ciphers=aes128-gcm@openssh.com,aes256-gcm@openssh.com,chacha20-poly1305@openssh.com',
    '-o', 'ConnectTimeout=5', '-o', 'ServerAliveInterval=1', '-o', 'ServerAliveCountMax=3', '-o', 'LogLevel=ERROR',
    '-p', String(peer.port), '-l', peer.username, '--', peer.address, String(offset),
  ];
  // head, not ssh, ends the fetch: once it has the last byte, ssh is stopped, so a server never
  // waits for its source to finish (a chain would otherwise add each hop's finishing time).
  const r = receiveScript(extractTo, remoteCommand`head -c ${String(total - offset)} < fetch.fifo`);
  return (
    remoteCommand`cd -- ${dir} && ` + r.prepare + ' && rm -f fetch.fifo && mkfifo fetch.fifo && { ' +
    remoteCommand`${ssh} > fetch.fifo & s=$!; ( while :; do stat -c %s artifact; sleep ${String(PROGRESS_EVERY_S)}; done ) & l=$!; ` +
    r.receive +
    'kill $s $l 2>/dev/null; wait $s; rc=$?; rm -f fetch.fifo; ' +
    r.extractStatus +
    remoteCommand`n=$(stat -c %s artifact); echo "size $n"; [ "$n" -ge ${String(total)} ] && exit 0; exit $rc; }`
  );
}

/** Appends the bot's stream (stdin) to the artifact and the extraction; prints `extract <n>` and `size <n>`. */
export function botFeedCommand(dir: string, extractTo: string): string {
  const r = receiveScript(extractTo, null);
  return remoteCommand`cd -- ${dir} && ` + r.prepare + ' && { ' + r.receive + r.extractStatus + 'echo "size $(stat -c %s artifact)"; exit $rc; }';
}

/**
 * Extracts the copy as it is: for a complete copy whose receiving command could not say how its
 * extraction went (it was stopped right as the last bytes arrived).
 */
export function extractCopyCommand(dir: string, extractTo: string): string {
  return remoteCommand`cd -- ${dir} && rm -rf -- ${extractTo} && mkdir -p -- ${extractTo} && tar --no-same-owner -xzf artifact -C ${extractTo}`;
}

/** Size of what a server has received so far. */
export function sizeCommand(dir: string): string {
  return remoteCommand`stat -c %s -- ${dir}/artifact`;
}

/** Starts again from nothing (a copy that failed its checksum). */
export function truncateCommand(dir: string): string {
  return remoteCommand`: > ${dir}/artifact`;
}

/** Exit status of finishCommand when the checksum does not match. */
export const CHECKSUM_MISMATCH_EXIT = 86;

/**
 * Checks the SHA-256 computed by the bot, and only then renames the extracted release into
 * place: an altered or truncated copy never takes the release's name.
 */
export function finishCommand(dir: string, sha256: string, extractTo: string, renameTo?: string): string {
  if (!/^[0-9a-f]{64}$/.test(sha256)) throw new TypeError('sha256 must be 64 hex digits');
  const rename = renameTo ? remoteCommand` && test ! -e ${renameTo} && mv -T -- ${extractTo} ${renameTo}` : '';
  return (
    remoteCommand`cd -- ${dir} && if ! printf '%s  artifact\n' ${sha256} | sha256sum -c --status; then echo 'checksum mismatch' >&2; exit ${String(CHECKSUM_MISMATCH_EXIT)}; fi` +
    rename
  );
}

/** What `server check` runs to tell whether a server can relay: the tools, then each peer's port. */
export function relayProbeCommand(peers: readonly { address: string; port: number }[]): string {
  const tools = `for t in ${RELAY_TOOLS}; do ${TOOL_RUNS} || echo "missing $t"; done; ` +
    'tail --version 2>/dev/null | head -n 1 | grep -q GNU || echo "missing GNU tail"; ' +
    'echo | tee -p >/dev/null 2>&1 || echo "missing GNU tee -p"; ';
  const reach = peers
    .filter((p) => relayableAddress(p.address))
    .map(
      (p) =>
        remoteCommand`out=$(ssh -F /dev/null -o BatchMode=yes -o ConnectTimeout=3 -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null ` +
        remoteCommand`-o PubkeyAuthentication=no -o PasswordAuthentication=no -o KbdInteractiveAuthentication=no -p ${String(p.port)} -l deploybot-probe -- ${p.address} true 2>&1); ` +
        remoteCommand`case $out in *"ermission denied"*|*"o more authentication"*) echo reach-ok ${p.address} ${String(p.port)};; *) echo reach-fail ${p.address} ${String(p.port)};; esac; `,
    )
    .join('');
  return tools + (peers.length && reach ? 'command -v ssh >/dev/null 2>&1 && { ' + reach + '}; ' : '') + 'true';
}
