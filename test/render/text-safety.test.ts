import { describe, expect, it } from 'vitest';
import { cleanText, escapeXml } from '../../src/render/text-safety.js';

describe('escapeXml', () => {
  it('escapes the five XML specials', () => {
    expect(escapeXml(`<script>&"'`)).toBe('&lt;script&gt;&amp;&quot;&apos;');
  });

  it('escapes an existing entity again rather than trusting it', () => {
    expect(escapeXml('&amp;')).toBe('&amp;amp;');
  });

  it('drops characters XML cannot carry, keeps astral characters whole', () => {
    expect(escapeXml('a\u0000b\u0008c\ud800d\uffffe🚀')).toBe('abcde🚀');
  });
});

describe('cleanText', () => {
  it('folds whitespace and newlines into single spaces', () => {
    expect(cleanText('  one\n\ttwo\r\n three  ')).toBe('one two three');
  });

  it('removes controls, bidi overrides and zero-width characters', () => {
    expect(cleanText('prod\u202Edorp\u200B\u0007\u0085!')).toBe('proddorp!');
  });
});
