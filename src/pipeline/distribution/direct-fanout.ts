import { uploadArtifact } from '../release/upload.js';
import { mapLimit } from '../exec/map-limit.js';
import type { FleetDelivery, FleetHost, FleetOptions, PackageDistributor } from './distributor.js';
import { relayCleanupCommand } from './relay-commands.js';
import type { Artifact } from '../release/package-artifact.js';
import type { SshConnection } from '../ssh/ssh.js';

/**
 * Direct fan-out's floor of servers at once. An upload costs the bot little CPU (one ssh2 stream
 * each); what limits it is the links. With 10 at a time, 16 servers on 10 Mbit links behind a
 * 200 Mbit bot took 38.9 s against 21.3 s at 16 and 19.6 s for 16 OpenSSH processes (issue 15):
 * the bot's uplink is shared fairly by TCP, so more streams than its uplink can carry cost nothing
 * but memory, while too few leave it idle when the servers' links are the bottleneck.
 */
export const DIRECT_PARALLEL_FLOOR = 32;

/** Removes what a crashed relay stage of this project may have left; a failure is only reported. */
export async function cleanupRelayLeftovers(fleet: readonly { name: string; conn: SshConnection }[], options: FleetOptions): Promise<void> {
  await mapLimit(fleet, 32, async (host) => {
    try {
      await host.conn.execChecked(relayCleanupCommand(options.deployPath, options.projectId), { timeoutMs: 30_000, signal: options.signal });
    } catch (err) {
      options.warn?.('could not remove relay leftovers', { host: host.name, error: err instanceof Error ? err.message : String(err) });
    }
  });
}

/**
 * Opens a direct delivery over already-prepared servers (relay uses it for the servers it cannot
 * chain). `background` is work that runs beside the uploads and is awaited at close.
 */
export function directDelivery(fleet: readonly FleetHost[], artifact: Artifact, options: FleetOptions, background: Promise<void> = Promise.resolve()): FleetDelivery {
  const byName = new Map(fleet.map((h) => [h.name, h]));
  return {
    strategy: 'direct',
    parallel: Math.max(options.maxParallel, Math.min(fleet.length, DIRECT_PARALLEL_FLOOR)),
    async deliver(name, dir, opts) {
      const host = byName.get(name);
      if (!host) throw new Error(`${name} is not part of this delivery`);
      options.onEvent?.({ type: 'source', host: name, source: { kind: 'bot' }, offset: 0 });
      const started = Date.now();
      await uploadArtifact(host.conn, artifact.path, dir, {
        signal: opts.signal,
        renameTo: opts.renameTo,
        onProgress: (bytes) => {
          opts.onProgress?.(bytes);
          const seconds = (Date.now() - started) / 1000;
          options.onEvent?.({ type: 'progress', host: name, bytes, bytesPerSec: seconds > 0 ? bytes / seconds : 0, source: { kind: 'bot' } });
        },
      });
    },
    async close() {
      await background;
    },
  };
}

/** The bot streams the artifact to every server itself, into `tar -xzf -` over its SSH connection. */
export const directFanout: PackageDistributor = {
  name: 'direct',
  async start(fleet, artifact, options) {
    // Leftovers of a crashed relay stage sit in other paths than the upload's: remove them beside
    // the uploads rather than before (no round trip added to a direct deploy).
    return directDelivery(fleet, artifact, options, cleanupRelayLeftovers(fleet, options));
  },
};
