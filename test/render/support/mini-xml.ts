/**
 * A deliberately small, strict XML parser for tests: enough of XML 1.0 to prove the renderer's SVG
 * is well-formed (balanced tags, quoted attributes, no stray '<' or '&', only known entities, no
 * characters XML forbids) and to query the result. Throws on anything it does not understand.
 */
export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  /** Decoded character data directly inside this element (not its descendants). */
  text: string;
}

const NAME = /^[A-Za-z_][\w.:-]*/;
const ENTITY = /^&(amp|lt|gt|quot|apos|#\d+|#x[\da-fA-F]+);/;
// eslint-disable-next-line no-control-regex
const FORBIDDEN_CHAR = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/;

function decode(raw: string, where: string): string {
  if (FORBIDDEN_CHAR.test(raw)) throw new Error(`character not allowed in XML ${where}`);
  let out = '';
  for (let i = 0; i < raw.length; ) {
    const ch = raw[i]!;
    if (ch === '<') throw new Error(`raw '<' in ${where}`);
    if (ch !== '&') {
      out += ch;
      i++;
      continue;
    }
    const match = ENTITY.exec(raw.slice(i));
    if (!match) throw new Error(`bad entity in ${where}: ${raw.slice(i, i + 12)}`);
    const body = match[1]!;
    const named: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
    out += named[body] ?? String.fromCodePoint(body.startsWith('#x') ? parseInt(body.slice(2), 16) : parseInt(body.slice(1), 10));
    i += match[0].length;
  }
  return out;
}

export function parseXml(source: string): XmlElement {
  let pos = 0;
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;

  const skipSpace = () => {
    while (pos < source.length && /\s/.test(source[pos]!)) pos++;
  };

  while (pos < source.length) {
    if (source.startsWith('<?', pos) || source.startsWith('<!--', pos)) {
      const end = source.indexOf(source.startsWith('<?', pos) ? '?>' : '-->', pos);
      if (end < 0) throw new Error('unterminated declaration or comment');
      pos = end + (source.startsWith('<?', pos) ? 2 : 3);
      continue;
    }
    if (source.startsWith('</', pos)) {
      pos += 2;
      const name = NAME.exec(source.slice(pos))?.[0];
      if (!name) throw new Error(`bad closing tag at ${pos}`);
      pos += name.length;
      skipSpace();
      if (source[pos] !== '>') throw new Error(`bad closing tag </${name} at ${pos}`);
      pos++;
      const open = stack.pop();
      if (open?.name !== name) throw new Error(`</${name}> closes <${open?.name ?? 'nothing'}>`);
      continue;
    }
    if (source[pos] === '<') {
      pos++;
      const name = NAME.exec(source.slice(pos))?.[0];
      if (!name) throw new Error(`bad tag at ${pos}`);
      pos += name.length;
      const element: XmlElement = { name, attrs: {}, children: [], text: '' };
      for (;;) {
        const before = pos;
        skipSpace();
        if (source.startsWith('/>', pos) || source[pos] === '>') break;
        if (pos === before) throw new Error(`missing space before attribute in <${name}> at ${pos}`);
        const attr = NAME.exec(source.slice(pos))?.[0];
        if (!attr) throw new Error(`bad attribute in <${name}> at ${pos}`);
        pos += attr.length;
        const quote = source[pos + 1];
        if (source[pos] !== '=' || (quote !== '"' && quote !== "'")) throw new Error(`unquoted attribute ${attr} in <${name}>`);
        const end = source.indexOf(quote, pos + 2);
        if (end < 0) throw new Error(`unterminated attribute ${attr}`);
        if (attr in element.attrs) throw new Error(`duplicate attribute ${attr} in <${name}>`);
        element.attrs[attr] = decode(source.slice(pos + 2, end), `attribute ${attr}`);
        pos = end + 1;
      }
      const parent = stack[stack.length - 1];
      if (parent) parent.children.push(element);
      else if (root) throw new Error('more than one root element');
      else root = element;
      if (source.startsWith('/>', pos)) {
        pos += 2;
      } else {
        pos++;
        stack.push(element);
      }
      continue;
    }
    const next = source.indexOf('<', pos);
    const raw = source.slice(pos, next < 0 ? source.length : next);
    const parent = stack[stack.length - 1];
    if (parent) parent.text += decode(raw, `<${parent.name}> text`);
    else if (raw.trim() !== '') throw new Error('text outside the root element');
    pos += raw.length;
  }
  if (stack.length > 0) throw new Error(`unclosed <${stack[stack.length - 1]!.name}>`);
  if (!root) throw new Error('no root element');
  return root;
}

/** All elements named `name` in document order, `root` included. */
export function findAll(root: XmlElement, name: string): XmlElement[] {
  const found: XmlElement[] = [];
  const visit = (element: XmlElement) => {
    if (element.name === name) found.push(element);
    element.children.forEach(visit);
  };
  visit(root);
  return found;
}

/** The text of an element and all its descendants, concatenated. */
export function textContent(element: XmlElement): string {
  return element.text + element.children.map(textContent).join('');
}
