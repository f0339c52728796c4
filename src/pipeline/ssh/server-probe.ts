import type { Redactor } from '../../redact.js';
import { connectSsh, type SshTarget } from './ssh.js';

export interface ProbeResult {
  fingerprint: string;
  /** `uname -srm` of the server, to show the admin they reached the machine they meant. */
  system: string;
  latencyMs: number;
}

/**
 * Connects (verifying a pinned host key, or reporting the key to pin), runs one harmless command
 * and disconnects. Used by `server check`.
 */
export async function probeServer(target: SshTarget, options: { redactor: Redactor; connectTimeoutMs?: number }): Promise<ProbeResult> {
  const started = Date.now();
  const conn = await connectSsh(target, { connectTimeoutMs: options.connectTimeoutMs ?? 15_000, keepaliveIntervalMs: 0, redactor: options.redactor });
  try {
    const result = await conn.exec('uname -srm', { timeoutMs: 15_000 });
    return { fingerprint: conn.fingerprint, system: result.stdout.trim() || 'unknown system', latencyMs: Date.now() - started };
  } finally {
    await conn.close();
  }
}
