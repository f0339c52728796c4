/**
 * Where each server's copy of the package came from and how fast it arrived, in words: one
 * formatter for every adapter (shell lines, the Slack task message), so both say the same thing.
 * Plain text: the caller escapes it for its medium (Slack: inside a code block).
 *
 *     web-3 ← web-2 · 11.8 MB/s          one server fed by a peer
 *     web-0 from the bot · 12.0 MB/s     one server served directly
 *     bot → web-0 → web-1 → … → web-31 (32 servers, 9.1–11.9 MB/s)    a big fleet's chain
 */

/** What a presenter knows of one server's copy (a HostProgress has these fields). */
export interface CopyHost {
  name: string;
  /** `bot` or the name of the server it fetched from. */
  source?: string;
  bytesPerSec?: number;
}

export const BOT_SOURCE = 'bot';

/** `11.8 MB/s`, or '' when no rate is known yet. */
export function copyRate(bytesPerSec: number | undefined): string {
  return bytesPerSec && bytesPerSec > 0 && Number.isFinite(bytesPerSec) ? `${(bytesPerSec / 1e6).toFixed(1)} MB/s` : '';
}

/** ` · from web-1 · 11.8 MB/s`: the suffix of a line that already names the server (the shell's). */
export function copyFacts(host: Omit<CopyHost, 'name'> | undefined): string {
  if (!host?.source) return '';
  const rate = copyRate(host.bytesPerSec);
  return ` · from ${host.source === BOT_SOURCE ? 'the bot' : host.source}${rate ? ` · ${rate}` : ''}`;
}

/** `web-3 ← web-2 · 11.8 MB/s` / `web-0 from the bot · 12.0 MB/s`; null before a source is known. */
export function copyLine(host: CopyHost): string | null {
  if (!host.source) return null;
  const rate = copyRate(host.bytesPerSec);
  const from = host.source === BOT_SOURCE ? 'from the bot' : `← ${host.source}`;
  return `${host.name} ${from}${rate ? ` · ${rate}` : ''}`;
}

/** `9.1–11.9 MB/s` over the hosts with a rate ('' when none has one). */
function rateRange(hosts: readonly CopyHost[]): string {
  const rates = hosts.map((h) => h.bytesPerSec ?? 0).filter((r) => r > 0 && Number.isFinite(r));
  if (!rates.length) return '';
  const [lo, hi] = [copyRate(Math.min(...rates)), copyRate(Math.max(...rates))];
  return lo === hi ? lo : `${lo.replace(' MB/s', '')}–${hi}`;
}

const plural = (n: number) => `${n} server${n === 1 ? '' : 's'}`;

/** Names, at most `max` of them, then `+n`. */
function someNames(names: readonly string[], max: number): string {
  return names.length <= max ? names.join(', ') : `${names.slice(0, max).join(', ')} +${names.length - max}`;
}

export interface CopySummaryOptions {
  /** Up to this many servers with a known source, one copyLine each; beyond, the summary. */
  detailLimit?: number;
  /** Chains drawn in full before "… and n more chains". */
  maxChains?: number;
}

/**
 * The lines that tell a fleet's copies. Few servers: one copyLine each. Many: each chain the
 * bot fed (its longest path, the servers it reached in all, their rates), then those the bot
 * served alone. A server fed by a peer whose own source is unknown (seen mid-way) counts under
 * "via peers". The number of lines is bounded whatever the fleet's size; each name is as the
 * caller gave it (config slugs: short).
 */
export function copySummary(hosts: readonly CopyHost[], options: CopySummaryOptions = {}): string[] {
  const known = hosts.filter((h) => h.source);
  if (known.length <= (options.detailLimit ?? 8)) return known.map((h) => copyLine(h)!);
  const children = new Map<string, CopyHost[]>();
  for (const h of known) if (h.source !== BOT_SOURCE) children.set(h.source!, [...(children.get(h.source!) ?? []), h]);
  // Sizes and depths of each subtree (a source loop cannot happen, but a shown name is never revisited).
  const seen = new Set<string>();
  const subtree = (h: CopyHost): CopyHost[] => {
    if (seen.has(h.name)) return [];
    seen.add(h.name);
    return [h, ...(children.get(h.name) ?? []).flatMap(subtree)];
  };
  const longestPath = (h: CopyHost, visiting = new Set<string>()): string[] => {
    visiting.add(h.name);
    let best: string[] = [];
    for (const c of children.get(h.name) ?? []) {
      if (visiting.has(c.name)) continue;
      const p = longestPath(c, visiting);
      if (p.length > best.length) best = p;
    }
    return [h.name, ...best];
  };
  const roots = known.filter((h) => h.source === BOT_SOURCE);
  const chains = roots.filter((r) => children.has(r.name));
  const alone = roots.filter((r) => !children.has(r.name));
  const lines: string[] = [];
  const maxChains = options.maxChains ?? 3;
  let hidden = 0;
  for (const [i, root] of chains.entries()) {
    const members = subtree(root);
    if (i >= maxChains) {
      hidden += members.length;
      continue;
    }
    const path = longestPath(root);
    const drawn = path.length <= 4 ? path : [path[0]!, path[1]!, '…', path.at(-1)!];
    const range = rateRange(members);
    lines.push(`bot → ${drawn.join(' → ')} (${plural(members.length)}${range ? `, ${range}` : ''})`);
  }
  if (chains.length > maxChains) lines.push(`… and ${chains.length - maxChains} more chain${chains.length - maxChains === 1 ? '' : 's'} (${plural(hidden)})`);
  for (const h of alone) seen.add(h.name);
  if (alone.length) {
    const range = rateRange(alone);
    lines.push(`from the bot directly: ${someNames(alone.map((h) => h.name), 5)} (${plural(alone.length)}${range ? `, ${range}` : ''})`);
  }
  const elsewhere = known.filter((h) => !seen.has(h.name));
  if (elsewhere.length) lines.push(`via peers: ${someNames(elsewhere.map((h) => h.name), 5)} (${plural(elsewhere.length)})`);
  return lines;
}
