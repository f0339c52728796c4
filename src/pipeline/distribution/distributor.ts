import type { Artifact } from '../release/package-artifact.js';
import type { SshConnection } from '../ssh/ssh.js';
import { uploadArtifact } from '../release/upload.js';

/**
 * How the package reaches a server. Direct fan-out (the bot streams the artifact to every server
 * over its SSH connection) is the strategy today; a relay/peer-to-peer strategy for big fleets
 * (servers fetching from servers that already have it) can implement the same interface.
 */
export interface PackageDistributor {
  readonly name: string;
  /**
   * Extracts the artifact into `dir` (created if missing) on the server behind `conn`, then, when
   * `renameTo` is given and extraction completed, renames `dir` to it.
   */
  deliver(conn: SshConnection, artifact: Artifact, dir: string, options: { signal?: AbortSignal; onProgress?: (bytes: number) => void; renameTo?: string }): Promise<void>;
}

export const directFanout: PackageDistributor = {
  name: 'direct',
  async deliver(conn, artifact, dir, options) {
    await uploadArtifact(conn, artifact.path, dir, options);
  },
};
