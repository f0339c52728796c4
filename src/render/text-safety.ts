/**
 * Server names, titles and error messages come from users and remote commands: they may hold
 * markup, control characters or bidi overrides. Two steps keep them harmless in the SVG:
 * `cleanText` makes them legible single-line text, `escapeXml` makes them inert markup.
 */

// C0/C1 controls (XML 1.0 forbids most of them even when escaped), bidi embeddings/overrides/isolates
// (they can make "prod" read as "dorp"), zero-width characters, BOM, non-characters and lone surrogates.
const INVISIBLE =
  // eslint-disable-next-line no-control-regex
  /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** One line of displayable text: invisible characters dropped, any run of whitespace is one space. */
export function cleanText(raw: string): string {
  return raw.replace(INVISIBLE, '').replace(/\s+/g, ' ').trim();
}

const XML_ENTITIES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
};

// Characters XML 1.0 cannot carry at all, escaped or not: dropped as a last line of defence in case
// a caller skipped cleanText.
const XML_INVALID =
  // eslint-disable-next-line no-control-regex
  /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** Escapes text for use in XML character data and in attribute values (either quote style). */
export function escapeXml(text: string): string {
  return text.replace(XML_INVALID, '').replace(/[&<>"']/g, (ch) => XML_ENTITIES[ch] ?? ch);
}
