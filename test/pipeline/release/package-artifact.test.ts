import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CommandError } from '../../../src/pipeline/exec/command-errors.js';
import { runLocal } from '../../../src/pipeline/exec/local-exec.js';
import { packageWorkspace, type PackageMethod } from '../../../src/pipeline/release/package-artifact.js';
import { makeScratchDir, removeScratchDirs } from '../../support/scratch-dirs.js';

afterAll(() => removeScratchDirs());

function sampleWorkspace(): string {
  const dir = makeScratchDir('deploybot-ws-');
  mkdirSync(join(dir, 'public/assets'), { recursive: true });
  mkdirSync(join(dir, 'empty-dir'));
  writeFileSync(join(dir, 'index.html'), '<h1>hi</h1>\n');
  writeFileSync(join(dir, 'public/assets/app.js'), 'x'.repeat(100_000));
  writeFileSync(join(dir, 'ünïcødé $(x) `y`.txt'), 'name\n');
  writeFileSync(join(dir, '.env.example'), 'A=1\n');
  symlinkSync('index.html', join(dir, 'link.html'));
  return dir;
}

function listing(dir: string, prefix = ''): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => {
      const rel = `${prefix}${e.name}`;
      if (e.isDirectory()) return [`${rel}/`, ...listing(join(dir, e.name), `${rel}/`)];
      if (e.isSymbolicLink()) return [`${rel} -> ${readlinkSync(join(dir, e.name))}`];
      return [`${rel} (${readFileSync(join(dir, e.name)).length})`];
    })
    .sort();
}

describe('packageWorkspace', () => {
  it.each<PackageMethod>(['tar-zlib', 'tar-gzip'])('packs the whole tree (%s): files, dotfiles, symlinks, empty dirs', async (method) => {
    const ws = sampleWorkspace();
    const out = join(makeScratchDir(), 'nested/dir/artifact.tar.gz');
    const artifact = await packageWorkspace(ws, out, { method });

    expect(artifact.path).toBe(out);
    expect(artifact.bytes).toBe(readFileSync(out).length);
    expect(artifact.sha256).toBe(createHash('sha256').update(readFileSync(out)).digest('hex'));
    expect(existsSync(`${out}.partial`)).toBe(false);

    const extracted = makeScratchDir();
    await runLocal({ cmd: 'tar', args: ['-xzf', out, '-C', extracted], timeoutMs: 10_000 });
    expect(listing(extracted)).toEqual(listing(ws));
  });

  it('is deterministic in member order (sorted), so identical trees list identically', async () => {
    const ws = sampleWorkspace();
    const a = await packageWorkspace(ws, join(makeScratchDir(), 'a.tar.gz'));
    const { stdout } = await runLocal({ cmd: 'tar', args: ['-tzf', a.path], timeoutMs: 10_000 });
    const members = stdout.trim().split('\n');
    expect(members[0]).toBe('./');
    expect(members.slice(1)).toEqual([...members.slice(1)].sort((x, y) => (Buffer.from(x) < Buffer.from(y) ? -1 : 1)));
  });

  it('fails clearly for a missing workspace and leaves no partial file', async () => {
    const outDir = makeScratchDir();
    const err = await packageWorkspace('/nonexistent/workspace', join(outDir, 'x.tar.gz')).catch((e) => e);
    expect(err).toBeInstanceOf(CommandError);
    expect(err.message).toMatch(/nonexistent/);
    expect(readdirSync(outDir)).toEqual([]);
  });
});
