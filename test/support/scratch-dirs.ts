import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Temp dirs for the real-component harnesses (sshd, git repos) that clean themselves up: every
 * dir made here is removed by `removeScratchDirs()` (call it in afterAll) and, as a last resort,
 * when the test process exits.
 */
const made = new Set<string>();

export function makeScratchDir(prefix = 'deploybot-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.add(dir);
  return dir;
}

export function removeScratchDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  made.delete(dir);
}

export function removeScratchDirs(): void {
  for (const dir of [...made]) removeScratchDir(dir);
}

process.once('exit', removeScratchDirs);
