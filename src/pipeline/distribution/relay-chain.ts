/**
 * The relay's topology and its decisions, as pure functions over plain state (tested without SSH).
 *
 * A pipelined chain (Kascade's shape): bot → s1 → s2 → … → sN. Each server appends what it
 * receives to its copy and serves that copy to the next while it still grows, so every link
 * carries one copy at once and the bot's uplink carries one copy whatever N is. Measured against
 * a binary tree in bench/fleet.ts: a tree's inner servers upload two copies, halving their
 * children's rate (2 × S/B), while the chain's cost over S/B is only its per-hop latency.
 */
export interface ChainNode {
  name: string;
  /** The server before this one in the planned chain; null: the bot feeds it. */
  parent: ChainNode | null;
  /** The bot lost it (connection gone) or its copy failed for good: nobody fetches from it. */
  dead: boolean;
  /** Too slow to feed others: it stays a leaf, fed by its source, and its children go around it. */
  demoted: boolean;
  /** Sources that failed this server without progress (unreachable from here, refused): skipped. */
  badFrom: Set<string>;
}

/** The nearest usable server up the chain, or null for the bot. */
export function chooseSource<T extends ChainNode>(node: T): T | null {
  for (let p = node.parent; p; p = p.parent) {
    if (!p.dead && !p.demoted && !node.badFrom.has(p.name)) return p as T;
  }
  return null;
}

/** A chain in the fleet's order: each server's parent is the one before it. */
export function planChain<T extends ChainNode>(nodes: T[]): T[] {
  nodes.forEach((n, i) => (n.parent = i === 0 ? null : nodes[i - 1]!));
  return nodes;
}

export interface RateSample {
  at: number;
  bytes: number;
}

/** Bytes per second over the last `windowMs` of samples (null until the window is covered). */
export function recentRate(samples: readonly RateSample[], now: number, windowMs = 1500): number | null {
  if (samples.length < 2) return null;
  const last = samples[samples.length - 1]!;
  let first = samples[0]!;
  for (const s of samples) if (now - s.at <= windowMs) { first = s; break; }
  const span = last.at - first.at;
  if (span < windowMs * 0.6) return null;
  return ((last.bytes - first.bytes) * 1000) / span;
}

export interface SlowCheck {
  /** This server's receive rate. */
  rate: number | null;
  /** What its source could give it: the source's own receive rate, or the best rate seen when the source has it all. */
  reference: number | null;
  /** How far behind its source it is, in bytes (the source's copy minus its own). */
  lagBytes: number;
  totalBytes: number;
  /** Servers currently fetching from this one. */
  children: number;
  fraction: number;
  attachedForMs: number;
}

/**
 * A server is the bottleneck of its children when it falls behind its source (its lag grows past a
 * fifth of the artifact, or 4 MB) while receiving at less than half what its source could give.
 * Its children's rates match its own but they keep right behind it, so they are never mistaken
 * for slow ones; a server still in its first seconds (SSH handshake, TCP slow start on a busy
 * machine) is not judged yet.
 */
export function isSlowRelay(c: SlowCheck, ratio = 0.5): boolean {
  if (c.children === 0 || c.rate === null || c.reference === null || c.attachedForMs < 2500) return false;
  if (c.fraction > 0.85) return false; // nearly there: moving its children now costs more than it saves
  if (c.lagBytes < Math.max(4 * 1024 * 1024, c.totalBytes / 5)) return false;
  return c.rate < c.reference * ratio;
}
