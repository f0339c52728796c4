import { describe, expect, it } from 'vitest';
import { copyFacts, copyLine, copyRate, copySummary, type CopyHost } from '../../src/chat/copy-facts.js';

const chain = (n: number, rate = (i: number) => 9_100_000 + i * 100_000): CopyHost[] =>
  Array.from({ length: n }, (_, i) => ({ name: `web-${i}`, source: i === 0 ? 'bot' : `web-${i - 1}`, bytesPerSec: rate(i) }));

describe('copy facts: where a copy came from, and how fast', () => {
  it('says one server as a suffix (shell) and as a line (Slack); nothing before a source is known', () => {
    expect(copyFacts({ source: 'web-1', bytesPerSec: 11_800_000 })).toBe(' · from web-1 · 11.8 MB/s');
    expect(copyFacts({ source: 'bot' })).toBe(' · from the bot');
    expect(copyFacts({})).toBe('');
    expect(copyLine({ name: 'web-3', source: 'web-2', bytesPerSec: 11_800_000 })).toBe('web-3 ← web-2 · 11.8 MB/s');
    expect(copyLine({ name: 'web-0', source: 'bot', bytesPerSec: 12_000_000 })).toBe('web-0 from the bot · 12.0 MB/s');
    expect(copyLine({ name: 'web-0' })).toBeNull();
    expect(copyRate(0)).toBe('');
    expect(copyRate(Number.POSITIVE_INFINITY)).toBe('');
  });

  it('lists a few servers one by one, in the fleet order, skipping those without a source yet', () => {
    const hosts = [...chain(3), { name: 'web-9' }];
    expect(copySummary(hosts)).toEqual(['web-0 from the bot · 9.1 MB/s', 'web-1 ← web-0 · 9.2 MB/s', 'web-2 ← web-1 · 9.3 MB/s']);
  });

  it('sums a big fleet up as its chain, the servers it reached and their rates', () => {
    expect(copySummary(chain(32, (i) => (i === 5 ? 11_900_000 : 9_100_000)))).toEqual(['bot → web-0 → web-1 → … → web-31 (32 servers, 9.1–11.9 MB/s)']);
  });

  it('tells the servers the bot served alone, a side branch, and more chains than it draws', () => {
    const hosts: CopyHost[] = [
      ...chain(10),
      // web-10 went around slow web-4: it is part of the chain's tree, not a chain of its own.
      { name: 'web-10', source: 'web-4', bytesPerSec: 5_000_000 },
      ...['a', 'b', 'c', 'd', 'e', 'f'].map((n) => ({ name: `direct-${n}`, source: 'bot', bytesPerSec: 20_000_000 })),
    ];
    expect(copySummary(hosts)).toEqual([
      'bot → web-0 → web-1 → … → web-9 (11 servers, 5.0–10.0 MB/s)',
      'from the bot directly: direct-a, direct-b, direct-c, direct-d, direct-e +1 (6 servers, 20.0 MB/s)',
    ]);
    const many = Array.from({ length: 5 }, (_, c) => [{ name: `h${c}-0`, source: 'bot' }, { name: `h${c}-1`, source: `h${c}-0` }, { name: `h${c}-2`, source: `h${c}-1` }]).flat();
    expect(copySummary(many)).toEqual(['bot → h0-0 → h0-1 → h0-2 (3 servers)', 'bot → h1-0 → h1-1 → h1-2 (3 servers)', 'bot → h2-0 → h2-1 → h2-2 (3 servers)', '… and 2 more chains (6 servers)']);
  });

  it('counts servers fed by a peer it has no line for (seen mid-way) as via peers', () => {
    const hosts: CopyHost[] = Array.from({ length: 10 }, (_, i) => ({ name: `web-${i}`, source: 'gone' }));
    expect(copySummary(hosts)).toEqual(['via peers: web-0, web-1, web-2, web-3, web-4 +5 (10 servers)']);
  });

  it('stays a few short lines for a thousand servers with the longest names', () => {
    const long = (i: number) => `${'x'.repeat(58)}-${i}`;
    const hosts: CopyHost[] = Array.from({ length: 1000 }, (_, i) => ({ name: long(i), source: i % 3 === 0 ? 'bot' : long(i - 1), bytesPerSec: 1e7 }));
    const lines = copySummary(hosts);
    expect(lines.length).toBeLessThanOrEqual(6);
    expect(lines.join('\n').length).toBeLessThan(2000);
  });
});
