import type { Artifact } from '../release/package-artifact.js';
import { directFanout } from './direct-fanout.js';
import type { FleetHost, FleetOptions, PackageDistributor } from './distributor.js';
import { relayDistributor } from './relay-distributor.js';

export const DISTRIBUTIONS = ['auto', 'direct', 'relay'] as const;
export type Distribution = (typeof DISTRIBUTIONS)[number];

/**
 * `auto` relays from this many servers and this artifact size on (bench/fleet.ts, README): below,
 * the relay's set-up round trips and per-hop latency cost more than the N·S/B the bot's uplink
 * would carry.
 */
export const AUTO_RELAY_MIN_SERVERS = 4;
export const AUTO_RELAY_MIN_BYTES = 4 * 1024 * 1024;

export function pickDistribution(setting: Distribution, fleet: readonly FleetHost[], artifact: Artifact): 'direct' | 'relay' {
  if (setting !== 'auto') return setting;
  const relayable = fleet.filter((h) => h.peerAddress).length;
  return relayable >= AUTO_RELAY_MIN_SERVERS && artifact.bytes >= AUTO_RELAY_MIN_BYTES ? 'relay' : 'direct';
}

/** The product's distributor: each stage's `strategy` (the project's setting) picks direct fan-out or the relay. */
export const strategyDistributor: PackageDistributor = {
  name: 'strategy',
  start(fleet, artifact, options: FleetOptions) {
    return (pickDistribution(options.strategy ?? 'auto', fleet, artifact) === 'relay' ? relayDistributor : directFanout).start(fleet, artifact, options);
  },
};
