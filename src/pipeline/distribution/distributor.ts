import type { Artifact } from '../release/package-artifact.js';
import type { SshConnection } from '../ssh/ssh.js';

/** Where a server got its copy from: the bot, or another server (by name). */
export type CopySource = { kind: 'bot' } | { kind: 'peer'; name: string };

/** One server of the stage, as the distributor sees it. */
export interface FleetHost {
  name: string;
  conn: SshConnection;
  /**
   * How the other servers reach this one over SSH (its internal address, or the bot's address
   * when it has none). null: it cannot serve or fetch from peers, the bot serves it directly.
   */
  peerAddress: { host: string; port: number } | null;
}

/** What the distributor reports while it works; the flow turns these into pipeline events. */
export type DeliveryEvent =
  | { type: 'source'; host: string; source: CopySource; offset: number; reason?: string }
  | { type: 'progress'; host: string; bytes: number; bytesPerSec: number; source: CopySource }
  | { type: 'note'; host: string | null; message: string };

export interface FleetOptions {
  taskId: number;
  projectId: number;
  deployPath: string;
  /** The project's `parallel`: the floor of direct fan-out's parallelism. */
  maxParallel: number;
  /** The project's `distribution` setting; a strategy-picking distributor reads it. */
  strategy?: 'auto' | 'direct' | 'relay';
  signal: AbortSignal;
  onEvent?: (event: DeliveryEvent) => void;
  /** For what is worth telling the operator but does not fail anything (cleanup trouble). */
  warn?: (message: string, fields: Record<string, unknown>) => void;
}

export interface DeliverOptions {
  signal?: AbortSignal;
  /** Cumulative bytes this server holds. */
  onProgress?: (bytes: number) => void;
  /** After a complete extraction, rename `dir` to this path (which must not exist yet). */
  renameTo?: string;
}

/** One stage's distribution over the whole fleet: started once, then each server's copy awaited. */
export interface FleetDelivery {
  /** `direct` or `relay`: what this stage actually does (after `auto` and the servers' checks). */
  readonly strategy: 'direct' | 'relay';
  /** How many servers the upload stage should run at once (relay: all of them). */
  readonly parallel: number;
  /** Extracts the artifact into `dir` on `host` (created if missing); resolves when it is there. */
  deliver(host: string, dir: string, options: DeliverOptions): Promise<void>;
  /** Ends the stage on every server: nothing stays behind (keys, processes, temp files). */
  close(): Promise<void>;
}

/**
 * How the package reaches the servers. Fleet-wide: it sees every server of the stage, so a
 * strategy can have servers feed each other (relay) or bound the bot's own uploads (direct).
 */
export interface PackageDistributor {
  readonly name: string;
  start(fleet: readonly FleetHost[], artifact: Artifact, options: FleetOptions): Promise<FleetDelivery>;
}

export { directFanout } from './direct-fanout.js';
export { relayDistributor } from './relay-distributor.js';
export { strategyDistributor } from './choose-strategy.js';
