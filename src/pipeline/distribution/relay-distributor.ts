import { setMaxListeners } from 'node:events';
import { createReadStream } from 'node:fs';
import { PassThrough, Transform, type TransformCallback } from 'node:stream';
import ssh2 from 'ssh2';
import { OperationalError } from '../../errors.js';
import type { Artifact } from '../release/package-artifact.js';
import { cleanupRelayLeftovers, directDelivery } from './direct-fanout.js';
import type { CopySource, DeliverOptions, FleetDelivery, FleetHost, FleetOptions, PackageDistributor } from './distributor.js';
import { chooseSource, isSlowRelay, planChain, recentRate, type ChainNode, type RateSample } from './relay-chain.js';
import {
  botFeedCommand,
  CHECKSUM_MISMATCH_EXIT,
  extractCopyCommand,
  finishCommand,
  holderCommand,
  KNOWN_HOSTS_SEPARATOR,
  knownHostsLine,
  peerFetchCommand,
  relayableAddress,
  relayablePath,
  relayDir,
  relaySetupCommand,
  sizeCommand,
  truncateCommand,
} from './relay-commands.js';

const STAGE_TIMEOUT_MS = 10 * 60_000;
const SHORT_TIMEOUT_MS = 30_000;
/** Attempts per server before it fails (each one resumes where the last stopped). */
const MAX_ATTEMPTS = 10;
/** Copies that failed their checksum before the server fails. */
const MAX_BAD_COPIES = 2;
const MONITOR_EVERY_MS = 500;

class Node implements ChainNode {
  parent: Node | null = null;
  dead = false;
  demoted = false;
  badFrom = new Set<string>();
  bytes = 0;
  complete = false;
  samples: RateSample[] = [];
  /** Current attempt: its source and how to stop it (to send this server elsewhere). */
  current: { source: Node | null; abort: AbortController; since: number; firstByteAt: number | null } | null = null;
  endHolder: () => void = () => {};
  bestRate = 0;

  constructor(readonly host: FleetHost, readonly alias: string) {}

  get name(): string {
    return this.host.name;
  }

  record(bytes: number): void {
    this.bytes = bytes;
    const now = Date.now();
    this.samples.push({ at: now, bytes });
    while (this.samples.length > 2 && now - this.samples[0]!.at > 3000) this.samples.shift();
  }

  rate(now = Date.now()): number | null {
    return recentRate(this.samples, now);
  }
}

class Counter extends Transform {
  bytes: number;
  constructor(start: number, private readonly onBytes: (bytes: number) => void) {
    super();
    this.bytes = start;
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    this.onBytes(this.bytes);
    done(null, chunk);
  }
}

const sourceOf = (node: Node | null): CopySource => (node ? { kind: 'peer', name: node.name } : { kind: 'bot' });

/**
 * Relay distribution over OpenSSH: the bot streams the artifact once, to the head of a chain;
 * each server appends what it receives to a file and the next one reads that file over SSH while
 * it grows (see relay-commands.ts for what runs on servers and how the task key is restricted).
 *
 * - Integrity: each server checks the bot's SHA-256 before extracting; a bad copy is fetched
 *   again from the bot.
 * - A server that dies: those fetching from it see their ssh end (at once on a reset, within
 *   ~3 s of silence otherwise) and resume from the offset they reached, from the nearest live
 *   server up the chain, or from the bot.
 * - A slow server: when it receives at less than half what its source could give, its children
 *   go around it (it stays a leaf), so the rest of the fleet is not held to its pace.
 * - Servers that cannot take part (no internal address known, setup failed, a peer unreachable)
 *   are served by the bot directly.
 */
export const relayDistributor: PackageDistributor = {
  name: 'relay',
  async start(fleet, artifact, options) {
    await cleanupRelayLeftovers(fleet, options);
    const candidates = relayablePath(options.deployPath)
      ? fleet.filter((h) => h.peerAddress && relayableAddress(h.peerAddress.host) && h.conn.hostPublicKey)
      : [];
    const direct = directDelivery(fleet, artifact, options);
    if (candidates.length < 2) {
      options.onEvent?.({ type: 'note', host: null, message: 'relay needs two servers that can reach each other: serving every server directly' });
      return direct;
    }
    return RelayStage.open(fleet, candidates, artifact, options, direct);
  },
};

class RelayStage implements FleetDelivery {
  readonly strategy = 'relay' as const;
  readonly parallel: number;
  private readonly nodes = new Map<string, Node>();
  private monitor: NodeJS.Timeout | null = null;
  private closed = false;
  private bestRate = 0;

  private constructor(
    fleet: readonly FleetHost[],
    chain: Node[],
    private readonly artifact: Artifact,
    private readonly options: FleetOptions,
    private readonly direct: FleetDelivery,
    private readonly dir: string,
  ) {
    this.parallel = fleet.length;
    for (const n of planChain(chain)) this.nodes.set(n.name, n);
    this.monitor = setInterval(() => this.checkSlow(), MONITOR_EVERY_MS);
    this.monitor.unref();
  }

  static async open(fleet: readonly FleetHost[], candidates: readonly FleetHost[], artifact: Artifact, options: FleetOptions, direct: FleetDelivery): Promise<FleetDelivery> {
    const dir = relayDir(options.deployPath, options.taskId);
    // Every server's attempt listens to the stage's signal at once.
    setMaxListeners(0, options.signal);
    const keys = ssh2.utils.generateKeyPairSync('ed25519', { comment: `deploybot-relay-t${options.taskId}` });
    const nodes = candidates.map((h, i) => new Node(h, `deploybot-peer-${i}`));
    const knownHosts = nodes.map((n) => knownHostsLine(n.alias, n.host.conn.hostPublicKey!)).join('\n') + '\n';
    const from = [...new Set(candidates.map((h) => h.peerAddress!.host))];
    const ready: Node[] = [];
    await Promise.all(
      nodes.map(async (node) => {
        try {
          await node.host.conn.execChecked(relaySetupCommand({ dir, projectId: options.projectId, taskId: options.taskId, publicKey: keys.public, from }), {
            timeoutMs: SHORT_TIMEOUT_MS,
            signal: options.signal,
            input: `${keys.private.trim()}\n${KNOWN_HOSTS_SEPARATOR}\n${knownHosts}`,
          });
          await startHolder(node, dir);
          ready.push(node);
        } catch (err) {
          options.warn?.('relay setup failed: served directly', { host: node.name, error: err instanceof Error ? err.message : String(err) });
          options.onEvent?.({ type: 'note', host: node.name, message: 'cannot relay: served directly by the bot' });
        }
      }),
    );
    // Keep the fleet's order (setup finished in any order).
    const chain = nodes.filter((n) => ready.includes(n));
    return new RelayStage(fleet, chain, artifact, options, direct, dir);
  }

  deliver(name: string, dir: string, opts: DeliverOptions): Promise<void> {
    const node = this.nodes.get(name);
    if (!node) return this.direct.deliver(name, dir, opts);
    return this.receive(node, dir, opts).catch((err: unknown) => {
      this.lose(node);
      throw err;
    });
  }

  /** Nobody may fetch from this server any more; those who do go elsewhere now. */
  private lose(node: Node): void {
    if (node.dead) return;
    node.dead = true;
    node.endHolder();
    this.reroute(node, 'its source failed');
  }

  private reroute(from: Node, reason: string): void {
    for (const other of this.nodes.values()) {
      if (other.current?.source === from && !other.complete) {
        this.options.onEvent?.({ type: 'note', host: other.name, message: `leaving ${from.name}: ${reason}` });
        other.current.abort.abort();
      }
    }
  }

  private async receive(node: Node, extractTo: string, opts: DeliverOptions): Promise<void> {
    const total = this.artifact.bytes;
    const conn = node.host.conn;
    let badCopies = 0;
    let forceBot = false;
    // Peers that gave nothing in a row: after two, this server's own trouble is likelier (no route
    // out, a firewall): the bot serves it rather than trying every server up the chain.
    let fruitless = 0;
    for (let attempt = 1; ; attempt++) {
      if (opts.signal?.aborted || this.options.signal.aborted) throw new OperationalError('upload cancelled');
      if (attempt > MAX_ATTEMPTS) throw new OperationalError(`could not get a complete copy after ${MAX_ATTEMPTS} attempts`);
      const source = forceBot ? null : chooseSource(node);
      const offset = node.bytes;
      const abort = new AbortController();
      const stop = () => abort.abort();
      opts.signal?.addEventListener('abort', stop, { once: true });
      this.options.signal.addEventListener('abort', stop, { once: true });
      node.current = { source, abort, since: Date.now(), firstByteAt: null };
      node.samples = [{ at: Date.now(), bytes: offset }];
      this.options.onEvent?.({ type: 'source', host: node.name, source: sourceOf(source), offset });
      const report = (bytes: number) => {
        node.record(bytes);
        opts.onProgress?.(bytes);
        if (node.current && node.current.firstByteAt === null && bytes > offset) node.current.firstByteAt = Date.now();
        const rate = node.rate() ?? 0;
        // Only rates measured on a server's own file count as "what a link gives": the bot's
        // counter also counts what is still in its SSH buffers.
        if (source) this.bestRate = Math.max(this.bestRate, rate);
        this.options.onEvent?.({ type: 'progress', host: node.name, bytes, bytesPerSec: rate, source: sourceOf(source) });
      };
      let reported: Received = { size: null, extract: null };
      try {
        if (source === null) reported = await this.feedFromBot(node, extractTo, offset, abort.signal, report);
        else reported = await this.fetchFromPeer(node, extractTo, source, offset, abort.signal, report);
      } catch (err) {
        if (!conn.isOpen) throw err; // this server is gone: it fails, its children move on
        if (!abort.signal.aborted) this.options.onEvent?.({ type: 'note', host: node.name, message: `fetch from ${source ? source.name : 'the bot'} ended: ${err instanceof Error ? err.message : String(err)}` });
      } finally {
        opts.signal?.removeEventListener('abort', stop);
        this.options.signal.removeEventListener('abort', stop);
      }
      if (opts.signal?.aborted || this.options.signal.aborted) throw new OperationalError('upload cancelled');
      // The fetch ends by printing the size it reached; ask only when it could not say.
      const size = reported.size ?? Number((await conn.execChecked(sizeCommand(this.dir), { timeoutMs: SHORT_TIMEOUT_MS })).stdout.trim());
      const progressed = size > offset;
      report(size);
      if (size < total) {
        // No byte from this source: it cannot serve this server (unreachable, refused, dead).
        if (source && !progressed && !abort.signal.aborted) {
          node.badFrom.add(source.name);
          if (++fruitless >= 2) forceBot = true;
        } else if (progressed) fruitless = 0;
        continue;
      }
      // The attempt that brought the last byte extracted the whole copy; when it was stopped before
      // it could say how that went, the copy is extracted again from the file.
      const extracted = reported.extract ?? (await this.extractCopy(node, extractTo, opts.signal));
      // The checksum decides first: a tar error on an altered copy is the copy's fault, not the release's.
      const finish = await conn.exec(finishCommand(this.dir, this.artifact.sha256, extractTo, extracted.exitCode === 0 ? opts.renameTo : undefined), { timeoutMs: SHORT_TIMEOUT_MS, maxOutputBytes: 64 * 1024 });
      if (finish.exitCode === 0) {
        if (extracted.exitCode !== 0) throw new OperationalError(`extracting the release failed (exit ${extracted.exitCode ?? 'none'}): ${extracted.stderr.trim().split('\n').slice(-3).join(' | ')}`);
        node.complete = true;
        node.current = null;
        // Its copy is whole: once the holder exits, peers' readers send what is left and end.
        node.endHolder();
        return;
      }
      if (finish.exitCode !== CHECKSUM_MISMATCH_EXIT) throw new OperationalError(`checking the copy failed (exit ${finish.exitCode ?? finish.signal}): ${finish.stderr.trim().split('\n').slice(-3).join(' | ')}`);
      // An altered or truncated copy: this copy only fails; fetch it again, from the bot.
      if (++badCopies > MAX_BAD_COPIES) throw new OperationalError(`the copy failed its SHA-256 check ${badCopies} times`);
      this.options.onEvent?.({ type: 'note', host: node.name, message: `copy from ${source ? source.name : 'the bot'} failed its SHA-256 check: fetching again from the bot` });
      await conn.execChecked(truncateCommand(this.dir), { timeoutMs: SHORT_TIMEOUT_MS });
      node.bytes = 0;
      forceBot = true;
      // Those reading from this server got the same bytes: they check them too, and refetch.
    }
  }

  /** Extracts a complete copy from its file (receiving extracts as it goes; this is the fallback). */
  private async extractCopy(node: Node, extractTo: string, signal?: AbortSignal): Promise<Extracted> {
    const signals = [this.options.signal, ...(signal ? [signal] : [])];
    const r = await node.host.conn.exec(extractCopyCommand(this.dir, extractTo), { timeoutMs: STAGE_TIMEOUT_MS, signal: AbortSignal.any(signals), maxOutputBytes: 64 * 1024 });
    return { exitCode: r.exitCode, stderr: r.stderr };
  }

  /** Resolves with the size and the extraction's status the server reports at the end. */
  private async feedFromBot(node: Node, extractTo: string, offset: number, signal: AbortSignal, report: (bytes: number) => void): Promise<Received> {
    const source = createReadStream(this.artifact.path, { start: offset, highWaterMark: 256 * 1024 });
    const counter = new Counter(offset, report);
    source.once('error', (err) => counter.destroy(err));
    source.pipe(counter);
    try {
      const result = await node.host.conn.execChecked(botFeedCommand(this.dir, extractTo), { timeoutMs: STAGE_TIMEOUT_MS, input: counter, signal, maxOutputBytes: 64 * 1024 });
      return received(result);
    } finally {
      source.destroy();
    }
  }

  private async fetchFromPeer(node: Node, extractTo: string, source: Node, offset: number, signal: AbortSignal, report: (bytes: number) => void): Promise<Received> {
    const peer = source.host.peerAddress!;
    const command = peerFetchCommand(this.dir, { alias: source.alias, address: peer.host, port: peer.port, username: source.host.conn.target.username }, offset, this.artifact.bytes, extractTo);
    const result = await node.host.conn.exec(command, {
      timeoutMs: STAGE_TIMEOUT_MS,
      signal,
      maxOutputBytes: 64 * 1024,
      onLine: (stream, line) => {
        if (stream !== 'stdout') return;
        const m = /^(?:size )?(\d+)$/.exec(line.trim());
        if (m) report(Number(m[1]));
      },
    });
    if (result.exitCode !== 0) {
      const why = result.stderr.trim().split('\n').slice(-2).join(' | ');
      throw new OperationalError(`exit ${result.exitCode ?? result.signal}${why ? `: ${why}` : ''}`);
    }
    return received(result);
  }

  /** Sends the children of a server that receives far slower than its source could give around it. */
  private checkSlow(): void {
    const now = Date.now();
    for (const node of this.nodes.values()) {
      if (node.complete || node.dead || node.demoted || !node.current) continue;
      const src = node.current.source;
      const children = [...this.nodes.values()].filter((o) => o.current?.source === node && !o.complete).length;
      const srcRate = src && !src.complete ? src.rate(now) : null;
      const reference = srcRate ?? (this.bestRate > 0 ? this.bestRate : null);
      const lagBytes = (src ? src.bytes : this.artifact.bytes) - node.bytes;
      const slow = isSlowRelay({ rate: node.rate(now), reference, lagBytes, totalBytes: this.artifact.bytes, children, fraction: node.bytes / this.artifact.bytes, attachedForMs: node.current.firstByteAt === null ? 0 : now - node.current.firstByteAt });
      if (!slow) continue;
      node.demoted = true;
      this.options.onEvent?.({ type: 'note', host: node.name, message: 'receives too slowly to feed others: its followers go around it' });
      this.reroute(node, 'too slow');
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.monitor) clearInterval(this.monitor);
    for (const node of this.nodes.values()) {
      node.current?.abort.abort();
      node.endHolder();
    }
    await this.direct.close();
    const reachable = [...this.nodes.values()].filter((n) => n.host.conn.isOpen).map((n) => ({ name: n.name, conn: n.host.conn }));
    await cleanupRelayLeftovers(reachable, { ...this.options, signal: new AbortController().signal });
  }
}

interface Extracted {
  exitCode: number | null;
  stderr: string;
}

/** What a receiving command says at its end; null where it could not say it. */
interface Received {
  size: number | null;
  extract: Extracted | null;
}

/** The `extract <status>` and `size <n>` lines a receiving command ends with. */
function received(result: { stdout: string; stderr: string }): Received {
  const size = /^size (\d+)$/m.exec(result.stdout);
  const extract = /^extract (\d+)$/m.exec(result.stdout);
  return { size: size ? Number(size[1]) : null, extract: extract ? { exitCode: Number(extract[1]), stderr: result.stderr } : null };
}

/** Starts the holder and resolves once it has written its pid; its end is the node's `endHolder`. */
async function startHolder(node: Node, dir: string): Promise<void> {
  const input = new PassThrough();
  let ready!: () => void;
  const holding = new Promise<void>((resolve) => (ready = resolve));
  const done = node.host.conn
    .exec(holderCommand(dir), { timeoutMs: 24 * 3600_000, input, onLine: (_s, line) => line.trim() === 'holding' && ready() })
    .then(() => undefined, () => undefined);
  node.endHolder = () => input.end();
  await Promise.race([holding, done.then(() => Promise.reject(new OperationalError('the relay holder did not start')))]);
}
