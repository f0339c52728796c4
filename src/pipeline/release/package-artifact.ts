import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { PassThrough, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { runLocal } from '../exec/local-exec.js';

export interface Artifact {
  path: string;
  bytes: number;
  /** Hex SHA-256 of the .tar.gz, for the audit log and for checking uploads. */
  sha256: string;
}

/**
 * 'tar-gzip': `tar -czf` (GNU tar forks gzip: archiving and compressing run on two cores) and a
 *   second pass to hash the file.
 * 'tar-zlib': `tar -cf -` piped through node's zlib, hashing while writing.
 * bench/package-compare.ts measures both; see DEFAULT_PACKAGE_METHOD.
 */
export type PackageMethod = 'tar-gzip' | 'tar-zlib';

/**
 * Measured by bench/package-compare.ts on this repo's node_modules (148 MB, 10.7k files, 2 cores),
 * medians of 3: `tar -czf` + hash pass 5.2 s; tar | zlib level 6 4.2 s (0.80×, same size);
 * zlib level 1 1.8 s (0.34×) but 15% bigger. The archive is uploaded once per server, so the
 * default keeps level 6 (fan-out multiplies every extra megabyte); pass `level: 1` for a single
 * fast link.
 */
export const DEFAULT_PACKAGE_METHOD: PackageMethod = 'tar-zlib';

export interface PackageOptions {
  method?: PackageMethod;
  timeoutMs?: number;
  /** zlib level for 'tar-zlib' (gzip -6 is what 'tar-gzip' uses). */
  level?: number;
}

/**
 * Flags shared by both methods: members named `./…` relative to the workspace, sorted so the
 * same tree gives the same archive order, numeric owners (extraction uses --no-same-owner).
 */
function tarCreateArgs(dir: string): string[] {
  return ['--sort=name', '--numeric-owner', '-C', dir, '.'];
}

class Sha256Tap extends Transform {
  readonly hash = createHash('sha256');
  bytes = 0;
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    done(null, chunk);
  }
}

/**
 * One compressed tar of the build workspace, made once per task and uploaded to every server.
 * Written to a temp name and renamed, so a half-written artifact is never mistaken for one.
 */
export async function packageWorkspace(dir: string, outFile: string, options: PackageOptions = {}): Promise<Artifact> {
  const timeoutMs = options.timeoutMs ?? 10 * 60_000;
  await mkdir(dirname(outFile), { recursive: true });
  const partial = `${outFile}.partial`;
  try {
    const result =
      (options.method ?? DEFAULT_PACKAGE_METHOD) === 'tar-gzip'
        ? await withSystemGzip(dir, partial, timeoutMs)
        : await withZlib(dir, partial, timeoutMs, options.level ?? 6);
    await rename(partial, outFile);
    return { path: outFile, ...result };
  } catch (err) {
    await rm(partial, { force: true });
    throw err;
  }
}

async function withSystemGzip(dir: string, outFile: string, timeoutMs: number): Promise<Omit<Artifact, 'path'>> {
  await runLocal({ cmd: 'tar', args: ['-c', '-z', '-f', outFile, ...tarCreateArgs(dir)], timeoutMs });
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(outFile)) hash.update(chunk as Buffer);
  const { size } = await stat(outFile);
  return { bytes: size, sha256: hash.digest('hex') };
}

async function withZlib(dir: string, outFile: string, timeoutMs: number, level: number): Promise<Omit<Artifact, 'path'>> {
  const tarOut = new PassThrough({ highWaterMark: 1024 * 1024 });
  const tap = new Sha256Tap();
  const written = pipeline(tarOut, createGzip({ level, chunkSize: 256 * 1024 }), tap, createWriteStream(outFile));
  const [tar, write] = await Promise.allSettled([
    runLocal({ cmd: 'tar', args: ['-c', '-f', '-', ...tarCreateArgs(dir)], stdoutTo: tarOut, timeoutMs }),
    written,
  ]);
  if (tar.status === 'rejected') throw tar.reason;
  if (write.status === 'rejected') throw write.reason;
  return { bytes: tap.bytes, sha256: tap.hash.digest('hex') };
}
