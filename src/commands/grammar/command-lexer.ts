/**
 * Tokenizer for the `/deploy` text grammar.
 *
 * Slack sends slash-command text with "escaping" on: users, channels and links arrive wrapped as
 * `<@U123|name>`, `<#C123|name>`, `<https://…|label>`, and the characters `&`, `<`, `>` that the user
 * typed arrive as `&amp;`, `&lt;`, `&gt;`. A real `<` in Slack text therefore always opens a wrapper.
 * The shell adapter sends plain text (`slackEscaped: false`): there a `<` opens a wrapper only when it
 * looks like one, and entities are left alone.
 *
 * Rendering rules, applied to every token and to "rest of line" text:
 * - `&amp;` `&lt;` `&gt;` → `&` `<` `>` (Slack mode only);
 * - link wrappers → their label when present (Slack auto-links `host.example.com` as
 *   `<http://host.example.com|host.example.com>`: the label is what the user typed), else the URL
 *   (a bare `mailto:` is dropped);
 * - user / channel / special wrappers (`<@U…>`, `<#C…|name>`, `<!here>`) are kept verbatim, in
 *   Slack's own syntax, so option parsers can read ids out of them and presenters can re-emit them.
 *
 * Quoting: a token that starts with `"` / `'` (or `“` `‘`, as macOS smart quotes send them) — or whose
 * value right after `key=` does — groups words until the matching quote. Inside double quotes `\"`
 * and `\\` are escapes; any other backslash is kept (scripts keep their `\n`). A quote in the middle of
 * a word is an ordinary character, so `don't` needs no escaping.
 */

export class CommandSyntaxError extends Error {
  override readonly name = 'CommandSyntaxError';
  /** Usage path shown with the error (`'server add'`), or null for the general help. */
  readonly usagePath: string | null;
  readonly suggestion: string | undefined;

  constructor(message: string, usagePath: string | null, suggestion?: string) {
    super(message);
    this.usagePath = usagePath;
    this.suggestion = suggestion;
  }
}

export interface OptionPart {
  /** Lower-cased key with `-` folded to `_` (`on-failure=` → `on_failure`). */
  key: string;
  /** The key as typed, for messages. */
  typedKey: string;
  value: string;
  /** The value started with a quote (`key="…"`). */
  quoted: boolean;
  /** Typed in the local shell (no Slack escaping): user lists hold local user names there. */
  plain?: boolean;
}

export interface Token {
  /** Rendered text of the whole token (quotes removed, entities decoded, links unwrapped). */
  text: string;
  /** True when any part of the token was quoted: a quoted token is never a keyword or option. */
  quoted: boolean;
  /** Set when the token is `key=value` with a bare key. */
  option?: OptionPart;
}

const DOUBLE_QUOTES = '"\u201c\u201d\u201e';
const SINGLE_QUOTES = "'\u2018\u2019";
const ENTITIES: Record<string, string> = { '&amp;': '&', '&lt;': '<', '&gt;': '>' };
const OPTION_KEY = /^[A-Za-z_][A-Za-z0-9_-]*$/;
/** Wrapper shape recognised in plain (shell) text. */
const PLAIN_WRAPPER = /^<((?:[@#!][^<>|\s]+|[A-Za-z][A-Za-z0-9+.-]*:[^<>|\s]+)(?:\|[^<>]*)?)>/;
const SLACK_WRAPPER = /^<([^<>]+)>/;

const isSpace = (c: string): boolean => /\s/.test(c);

export class Lexer {
  private pos = 0;
  private peeked: { token: Token; end: number } | undefined;

  constructor(
    private readonly src: string,
    private readonly slackEscaped: boolean,
  ) {}

  /** Next token without consuming it. */
  peek(): Token | undefined {
    if (this.peeked === undefined) {
      const start = this.skipSpace(this.pos);
      if (start >= this.src.length) return undefined;
      const { token, end } = this.readToken(start);
      this.peeked = { token, end };
    }
    return this.peeked.token;
  }

  next(): Token | undefined {
    const token = this.peek();
    if (this.peeked !== undefined) {
      this.pos = this.peeked.end;
      this.peeked = undefined;
    }
    return token;
  }

  atEnd(): boolean {
    return this.skipSpace(this.pos) >= this.src.length;
  }

  /**
   * Everything left, as free text (for `<reason…>`): rendered but not split, so apostrophes and
   * stray quotes are fine. If the rest is exactly one quoted token, its quotes are removed.
   * Consumes the rest.
   */
  rest(): string {
    const start = this.skipSpace(this.pos);
    this.peeked = undefined;
    this.pos = this.src.length;
    if (start >= this.src.length) return '';
    try {
      const { token, end } = this.readToken(start);
      const startsQuoted = DOUBLE_QUOTES.includes(this.src[start]!) || SINGLE_QUOTES.includes(this.src[start]!);
      if (startsQuoted && this.skipSpace(end) >= this.src.length && token.option === undefined) return token.text;
    } catch {
      // An unbalanced quote in free text is just text.
    }
    return this.render(this.src.slice(start)).trim();
  }

  /** Render a stretch of source text with no quote handling. */
  render(text: string): string {
    let out = '';
    let i = 0;
    while (i < text.length) {
      const piece = this.readSpecial(text, i);
      if (piece !== undefined) {
        out += piece.text;
        i = piece.end;
      } else {
        out += text[i];
        i += 1;
      }
    }
    return out;
  }

  private skipSpace(from: number): number {
    let i = from;
    while (i < this.src.length && isSpace(this.src[i]!)) i += 1;
    return i;
  }

  /** A wrapper or an entity starting at `i`, rendered; undefined when `text[i]` is ordinary. */
  private readSpecial(text: string, i: number): { text: string; end: number } | undefined {
    const c = text[i];
    if (c === '<') {
      const m = (this.slackEscaped ? SLACK_WRAPPER : PLAIN_WRAPPER).exec(text.slice(i));
      if (m !== null) return { text: this.renderWrapper(m[1]!), end: i + m[0].length };
      return undefined;
    }
    if (c === '&' && this.slackEscaped) {
      for (const [entity, char] of Object.entries(ENTITIES)) {
        if (text.startsWith(entity, i)) return { text: char, end: i + entity.length };
      }
    }
    return undefined;
  }

  private renderWrapper(inner: string): string {
    const first = inner[0];
    if (first === '@' || first === '#' || first === '!') return `<${inner}>`;
    const bar = inner.indexOf('|');
    const url = this.decode(bar === -1 ? inner : inner.slice(0, bar));
    const label = bar === -1 ? '' : this.decode(inner.slice(bar + 1));
    if (label !== '') return label;
    return url.startsWith('mailto:') ? url.slice('mailto:'.length) : url;
  }

  private decode(text: string): string {
    return this.slackEscaped ? text.replace(/&(amp|lt|gt);/g, (e) => ENTITIES[e] ?? e) : text;
  }

  private readToken(start: number): { token: Token; end: number } {
    const src = this.src;
    let i = start;
    let text = '';
    let quoted = false;
    let plainSoFar = true; // no quote or wrapper yet: the text so far may still be an option key
    let option: { key: string; typedKey: string; valueStart: number; quoted: boolean } | undefined;

    while (i < src.length && !isSpace(src[i]!)) {
      const c = src[i]!;
      const atValueStart = option !== undefined && text.length === option.valueStart;
      const canOpenQuote = (i === start || atValueStart) && (DOUBLE_QUOTES.includes(c) || SINGLE_QUOTES.includes(c));
      if (canOpenQuote) {
        const q = this.readQuoted(i);
        text += q.text;
        i = q.end;
        quoted = true;
        plainSoFar = false;
        if (option !== undefined && atValueStart) option.quoted = true;
        continue;
      }
      const special = this.readSpecial(src, i);
      if (special !== undefined) {
        text += special.text;
        i = special.end;
        plainSoFar = false;
        continue;
      }
      if (c === '=' && option === undefined && plainSoFar && OPTION_KEY.test(text)) {
        option = { key: text.toLowerCase().replace(/-/g, '_'), typedKey: text, valueStart: text.length + 1, quoted: false };
      }
      text += c;
      i += 1;
    }

    const token: Token = { text, quoted };
    if (option !== undefined) {
      token.option = { key: option.key, typedKey: option.typedKey, value: text.slice(option.valueStart), quoted: option.quoted, ...(this.slackEscaped ? {} : { plain: true }) };
    }
    return { token, end: i };
  }

  private readQuoted(openAt: number): { text: string; end: number } {
    const src = this.src;
    const family = DOUBLE_QUOTES.includes(src[openAt]!) ? DOUBLE_QUOTES : SINGLE_QUOTES;
    const isDouble = family === DOUBLE_QUOTES;
    let i = openAt + 1;
    let text = '';
    while (i < src.length) {
      const c = src[i]!;
      if (family.includes(c)) return { text, end: i + 1 };
      if (isDouble && c === '\\' && i + 1 < src.length) {
        const n = src[i + 1]!;
        if (n === '\\' || DOUBLE_QUOTES.includes(n)) {
          text += n;
          i += 2;
          continue;
        }
      }
      const special = this.readSpecial(src, i);
      if (special !== undefined) {
        text += special.text;
        i = special.end;
        continue;
      }
      text += c;
      i += 1;
    }
    const shown = src.slice(openAt, Math.min(src.length, openAt + 20));
    throw new CommandSyntaxError(`Unterminated quote: \`${this.render(shown)}\` has no closing ${isDouble ? '"' : "'"}.`, null);
  }
}
