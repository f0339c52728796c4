import type { Redactor } from '../../redact.js';
import { relayProbeCommand } from '../distribution/relay-commands.js';
import { connectSsh, type SshTarget } from './ssh.js';

/** A server that shares a project with the probed one, as the probed one would reach it. */
export interface RelayPeer {
  name: string;
  address: string;
  port: number;
}

/** Whether the server can take part in relay distribution (fetch from and serve its peers). */
export interface RelayCheck {
  /** Tools it lacks (`ssh`, GNU `tail`, …): with any, it is served directly by the bot. */
  missing: string[];
  reachable: string[];
  unreachable: string[];
}

export interface ProbeResult {
  fingerprint: string;
  /** `uname -srm` of the server, to show the admin they reached the machine they meant. */
  system: string;
  latencyMs: number;
  relay?: RelayCheck;
}

/**
 * Connects (verifying a pinned host key, or reporting the key to pin), runs one harmless command
 * and disconnects. Used by `server check`.
 */
export async function probeServer(target: SshTarget, options: { redactor: Redactor; connectTimeoutMs?: number; peers?: readonly RelayPeer[] }): Promise<ProbeResult> {
  const started = Date.now();
  const conn = await connectSsh(target, { connectTimeoutMs: options.connectTimeoutMs ?? 15_000, keepaliveIntervalMs: 0, redactor: options.redactor });
  try {
    const result = await conn.exec('uname -srm', { timeoutMs: 15_000 });
    const latencyMs = Date.now() - started;
    const peers = options.peers ?? [];
    const relayOut = (await conn.exec(relayProbeCommand(peers), { timeoutMs: 15_000 + peers.length * 4000 })).stdout;
    const named = (addr = '', port = '') => peers.filter((p) => p.address === addr && String(p.port) === port).map((p) => p.name);
    const relay: RelayCheck = { missing: [], reachable: [], unreachable: [] };
    for (const line of relayOut.split('\n')) {
      const [word, ...rest] = line.trim().split(' ');
      if (word === 'missing') relay.missing.push(rest.join(' '));
      else if (word === 'reach-ok') relay.reachable.push(...named(rest[0], rest[1]));
      else if (word === 'reach-fail') relay.unreachable.push(...named(rest[0], rest[1]));
    }
    return { fingerprint: conn.fingerprint, system: result.stdout.trim() || 'unknown system', latencyMs, relay };
  } finally {
    await conn.close();
  }
}
