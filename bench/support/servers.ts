import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { TestKeyPair } from '../../test/support/ssh-keys.js';
import { ensureOpenSshServer, startSshd, type TestSshd } from '../../test/support/sshd.js';
import { onCleanup } from './cleanup.js';

/** The absolute path every server serves (each from its own hostDir, see test/support/sshd.ts). */
export const BENCH_ROOT = '/srv/deploybot-bench/app';

/**
 * Starts `count` loopback sshd servers, a few at a time (2 cores: ssh-keygen + sshd startup).
 * `light`: each with an empty private HOME, so no session pays for root's shell start-up files.
 */
export async function startServers(count: number, key: TestKeyPair, light = false): Promise<TestSshd[]> {
  await ensureOpenSshServer();
  const servers: TestSshd[] = [];
  onCleanup('stopping sshd servers', () => Promise.all(servers.map((s) => s.stop())).then(() => undefined));
  const queue = Array.from({ length: count }, (_, i) => i);
  await Promise.all(
    Array.from({ length: Math.min(4, count) }, async () => {
      for (let i = queue.shift(); i !== undefined; i = queue.shift()) {
        servers[i] = await startSshd({ authorizedKey: key.publicKey, deployRoot: BENCH_ROOT, privateHome: light });
      }
    }),
  );
  return servers;
}

/** Empties what every server sees at BENCH_ROOT (done from this side, through each hostDir). */
export function wipeServers(servers: readonly TestSshd[]): void {
  for (const s of servers) {
    for (const name of readdirSync(s.hostDir)) rmSync(join(s.hostDir, name), { recursive: true, force: true });
  }
}
