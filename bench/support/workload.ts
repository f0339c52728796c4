import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';

/**
 * The workspace that gets packaged: `bytes` in total, half incompressible (random "assets" of
 * 1 MB), half compressible (word soup "sources" of 500 kB, ~3:1 with gzip -6) — a realistic mix
 * for a built web app. The manifest lists every file's size, and a few files' hashes, so each
 * server's extracted copy can be checked.
 */
export interface Manifest {
  /** Relative path → size, for every regular file. */
  sizes: Map<string, number>;
  /** Relative path → sha256 hex, for a sample (first and last of each kind). */
  hashes: Map<string, string>;
  bytes: number;
}

const RANDOM_FILE = 1_000_000;
const TEXT_FILE = 500_000;

const WORDS = (() => {
  const seeds = [
    'const', 'function', 'return', 'import', 'export', 'default', 'class', 'extends', 'await', 'async', 'deploy', 'server',
    'release', 'artifact', 'upload', 'channel', 'buffer', 'stream', 'promise', 'resolve', 'reject', 'error', 'value', 'index',
    'length', 'string', 'number', 'object', 'array', 'config', 'options', 'module', 'require', 'window', 'document', 'element',
  ];
  const words: string[] = [];
  for (let i = 0; words.length < 256; i++) words.push(`${seeds[i % seeds.length]}${i < seeds.length ? '' : i.toString(36)}`);
  return words.map((w) => Buffer.from(`${w} `));
})();

function compressibleText(size: number): Buffer {
  const out = Buffer.allocUnsafe(size + 64);
  const picks = randomBytes(size);
  let at = 0;
  for (let i = 0; at < size; i++) {
    const word = WORDS[picks[i % picks.length]!]!;
    at += word.copy(out, at);
    if (i % 12 === 11) out[at - 1] = 0x0a; // newline instead of the last space
  }
  return out.subarray(0, size);
}

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

export function makeWorkspace(dir: string, totalBytes: number): Manifest {
  const sizes = new Map<string, number>();
  const hashes = new Map<string, string>();
  const half = Math.floor(totalBytes / 2);
  const write = (rel: string, data: Buffer, sample: boolean) => {
    const full = join(dir, rel);
    mkdirSync(join(full, '..'), { recursive: true });
    writeFileSync(full, data);
    sizes.set(rel, data.length);
    if (sample) hashes.set(rel, sha256(data));
  };
  const chunks = (total: number, each: number) => {
    const list: number[] = [];
    for (let left = total; left > 0; left -= each) list.push(Math.min(each, left));
    return list;
  };
  const randomParts = chunks(half, RANDOM_FILE);
  randomParts.forEach((n, i) => write(`public/assets/blob-${String(i).padStart(4, '0')}.bin`, randomBytes(n), i === 0 || i === randomParts.length - 1));
  const textParts = chunks(totalBytes - half, TEXT_FILE);
  textParts.forEach((n, i) => write(`src/module-${String(i).padStart(4, '0')}.js`, compressibleText(n), i === 0 || i === textParts.length - 1));
  return { sizes, hashes, bytes: totalBytes };
}

function listFiles(root: string): Map<string, number> {
  const found = new Map<string, number>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile()) found.set(relative(root, full), statSync(full).size);
    }
  };
  walk(root);
  return found;
}

/** Throws unless `dir` holds exactly the manifest's files, with the right sizes and sample hashes. */
export function verifyTree(dir: string, manifest: Manifest, where: string): void {
  let found: Map<string, number>;
  try {
    found = listFiles(dir);
  } catch (err) {
    throw new Error(`${where}: nothing extracted at ${dir} (${err instanceof Error ? err.message : String(err)})`);
  }
  if (found.size !== manifest.sizes.size) throw new Error(`${where}: ${found.size} files extracted, expected ${manifest.sizes.size}`);
  for (const [rel, size] of manifest.sizes) {
    const got = found.get(rel);
    if (got !== size) throw new Error(`${where}: ${rel} is ${got ?? 'missing'} bytes, expected ${size}`);
  }
  for (const [rel, hash] of manifest.hashes) {
    if (sha256(readFileSync(join(dir, rel))) !== hash) throw new Error(`${where}: ${rel} has the wrong content (sha256 mismatch)`);
  }
}
