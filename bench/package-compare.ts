/**
 * Which way of packaging the workspace is faster: `tar -czf` (+ hashing pass) or `tar -cf -`
 * through node's zlib (hashing on the fly)? Both run in this process, alternately, 3 rounds.
 *
 *   npx tsx bench/package-compare.ts [dir]     (default: ./node_modules, a realistic tree)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { packageWorkspace, type PackageMethod } from '../src/pipeline/release/package-artifact.js';

const dir = resolve(process.argv[2] ?? 'node_modules');
const out = mkdtempSync(join(tmpdir(), 'deploybot-bench-pkg-'));
const variants: Array<{ label: string; method: PackageMethod; level?: number }> = [
  { label: 'tar -czf (gzip -6) + hash pass', method: 'tar-gzip' },
  { label: 'tar | node zlib level 6', method: 'tar-zlib', level: 6 },
  { label: 'tar | node zlib level 1', method: 'tar-zlib', level: 1 },
];
const times = new Map<string, number[]>();
const sizes = new Map<string, number>();

try {
  for (let round = 0; round < 3; round++) {
    for (const v of variants) {
      const started = performance.now();
      const artifact = await packageWorkspace(dir, join(out, `${v.method}-${v.level ?? 6}.tar.gz`), { method: v.method, level: v.level });
      const ms = performance.now() - started;
      times.set(v.label, [...(times.get(v.label) ?? []), ms]);
      sizes.set(v.label, artifact.bytes);
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const baseline = median(times.get(variants[0]!.label)!);
  console.log(`packaging ${dir}`);
  for (const v of variants) {
    const m = median(times.get(v.label)!);
    console.log(
      `${v.label.padEnd(34)} median ${m.toFixed(0).padStart(6)} ms  ratio ${(m / baseline).toFixed(2)}  size ${(sizes.get(v.label)! / 1e6).toFixed(1)} MB`,
    );
  }
} finally {
  rmSync(out, { recursive: true, force: true });
}
