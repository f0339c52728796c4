import { describe, expect, it } from 'vitest';
import { parseXml, textContent } from './support/mini-xml.js';

// The SVG tests lean on this parser, so it must reject what a real parser rejects.
describe('parseXml', () => {
  it('parses elements, attributes, entities and self-closing tags', () => {
    const root = parseXml('<?xml version="1.0"?><a x="1 &amp; 2"><b/><c>&lt;hi&gt; &#65;&#x42;<d>!</d></c></a>');
    expect(root.attrs.x).toBe('1 & 2');
    expect(root.children.map((c) => c.name)).toEqual(['b', 'c']);
    expect(textContent(root.children[1]!)).toBe('<hi> AB!');
  });

  it.each([
    ['unbalanced', '<a><b></a>'],
    ['unclosed', '<a><b>'],
    ['raw <', '<a>1 < 2</a>'],
    ['raw &', '<a>fish & chips</a>'],
    ['unknown entity', '<a>&nbsp;</a>'],
    ['raw < in attribute', '<a x="<"/>'],
    ['unquoted attribute', '<a x=1/>'],
    ['duplicate attribute', '<a x="1" x="2"/>'],
    ['two roots', '<a/><b/>'],
    ['control character', '<a>\u0007</a>'],
    ['text outside root', 'hi<a/>'],
  ])('rejects %s', (_, xml) => {
    expect(() => parseXml(xml)).toThrow();
  });
});
