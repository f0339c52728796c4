import { HOOK_NAMES } from '../../pipeline/stages.js';
import { CommandSyntaxError, type Lexer, type OptionPart, type Token } from './command-lexer.js';
import type { ChannelRef, HookSource } from './command-types.js';
import { closest } from './command-usage.js';

/**
 * The parser's cursor over tokens (positional words, `key=value` options, bare flags) and the
 * structural value readers (numbers, lists, mentions, `user@host`). Structure only: whether a name
 * exists, or a path is sane, is for the services to say.
 */

export interface OptionSpec<T> {
  parse(opt: OptionPart, fail: (message: string) => never): T;
  /** A list: a value ending with `,` (or a next word starting with one) continues: `servers=a, b`. */
  list?: boolean;
}
export type OptionSpecs = Record<string, OptionSpec<unknown>>;
export type ParsedOptions<S extends OptionSpecs> = { [K in keyof S]?: S[K] extends OptionSpec<infer T> ? T : never };

const hasOwn = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);

export class Cursor {
  constructor(
    private readonly lexer: Lexer,
    /** Verb path of the command being parsed, for the usage shown with errors. */
    public path: string | null,
  ) {}

  fail(message: string, suggestion?: string): never {
    throw new CommandSyntaxError(message, this.path, suggestion);
  }

  private guard<T>(read: () => T): T {
    try {
      return read();
    } catch (err) {
      if (err instanceof CommandSyntaxError && err.usagePath === null && this.path !== null) this.fail(err.message);
      throw err;
    }
  }

  peek(): Token | undefined {
    return this.guard(() => this.lexer.peek());
  }

  next(): Token | undefined {
    return this.guard(() => this.lexer.next());
  }

  /** A required positional word (`<name>`, `<ref>`). */
  word(label: string): string {
    const token = this.peek();
    if (token === undefined) this.fail(`Missing ${label}.`);
    if (token.option !== undefined) this.fail(`Missing ${label} before \`${token.option.typedKey}=\`.`);
    if (token.text === '') this.fail(`${label} cannot be empty.`);
    this.next();
    return token.text;
  }

  /** An optional positional word; undefined at the end or before an option. */
  optionalWord(label: string): string | undefined {
    const token = this.peek();
    if (token === undefined || token.option !== undefined) return undefined;
    return this.word(label);
  }

  /** Free text up to the end (`<reason…>`); '' when nothing is left. */
  rest(): string {
    return this.lexer.rest();
  }

  /** Nothing may follow. */
  end(): void {
    const token = this.peek();
    if (token === undefined) return;
    if (token.option !== undefined) this.fail(`\`${this.path}\` takes no options (got \`${token.option.typedKey}=\`).`);
    this.fail(`Unexpected \`${token.text}\`.`);
  }

  /** Read the remaining tokens as options from `specs` and bare flags from `flags`. */
  options<S extends OptionSpecs>(specs: S, flags: readonly string[] = []): { values: ParsedOptions<S>; flags: Set<string> } {
    const values = Object.create(null) as ParsedOptions<S>;
    const seenFlags = new Set<string>();
    const keys = Object.keys(specs);
    const listing = [...keys.map((k) => `${k}=`), ...flags].join(' ');
    for (let token = this.next(); token !== undefined; token = this.next()) {
      const opt = token.option;
      if (opt === undefined) {
        const flag = token.quoted ? undefined : flags.find((f) => f === token.text.toLowerCase());
        if (flag === undefined) {
          const near = token.quoted ? undefined : closest(token.text, flags);
          this.fail(`Unexpected \`${token.text}\`.${near ? ` Did you mean \`${near}\`?` : ''}`);
        }
        if (seenFlags.has(flag)) this.fail(`\`${flag}\` is given twice.`);
        seenFlags.add(flag);
        continue;
      }
      if (!hasOwn(specs, opt.key)) {
        if (opt.key === 'password' || opt.key === 'passphrase') {
          // Secrets never travel in command text (history, audit, chat): they are asked for, hidden.
          this.fail(`Never type a ${opt.key} in a command. Leave it out: the deploybot shell asks for it (hidden); in Slack, open the form (run the command without arguments).`);
        }
        const near = closest(opt.key, keys);
        const hint = near ? ` Did you mean \`${near}=\`?` : '';
        this.fail(`Unknown option \`${opt.typedKey}=\` for \`${this.path}\`.${hint} Options: ${listing}.`);
      }
      if (hasOwn(values, opt.key)) this.fail(`Option \`${opt.key}=\` is given twice.`);
      const spec = specs[opt.key]!;
      let part = opt;
      for (let more = this.peek(); spec.list && more !== undefined && more.option === undefined; more = this.peek()) {
        if (!part.value.endsWith(',') && !more.text.startsWith(',')) break;
        part = { ...part, value: part.value + this.next()!.text };
      }
      (values as Record<string, unknown>)[opt.key] = spec.parse(part, (m) => this.fail(m));
    }
    return { values, flags: seenFlags };
  }
}

// ---- value readers ----------------------------------------------------------------------------

export const text: OptionSpec<string> = {
  parse: (o, fail) => (o.value === '' ? fail(`\`${o.key}=\` needs a value.`) : o.value),
};

export function int(min: number, max = Number.MAX_SAFE_INTEGER): OptionSpec<number> {
  return {
    parse: (o, fail) => parseIntIn(o.value, min, max, `\`${o.key}=\``, fail),
  };
}

export function parseIntIn(value: string, min: number, max: number, what: string, fail: (m: string) => never): number {
  // A negative number is a number out of range, not "not a whole number".
  if (!/^-?\d+$/.test(value)) fail(`${what} must be a whole number${max < Number.MAX_SAFE_INTEGER ? ` from ${min} to ${max}` : ''}, not \`${value}\`.`);
  const n = Number(value);
  if (n < min || n > max) fail(max < Number.MAX_SAFE_INTEGER ? `${what} must be between ${min} and ${max}, not ${value}.` : `${what} must be at least ${min}, not ${value}.`);
  return n;
}

export function oneOf<T extends string>(choices: readonly T[]): OptionSpec<T> {
  return {
    parse: (o, fail) => {
      const v = o.value.toLowerCase();
      const found = choices.find((c) => c === v);
      return found ?? fail(`\`${o.key}=\` must be one of ${choices.join(', ')} (got \`${o.value}\`).`);
    },
  };
}

export function splitList(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** `a,b,c`; `allowEmpty` lets `labels=` clear a list. */
export function list(allowEmpty = false): OptionSpec<string[]> {
  return {
    list: true,
    parse: (o, fail) => {
      const items = splitList(o.value);
      if (items.length === 0 && !allowEmpty) fail(`\`${o.key}=\` needs at least one value (a,b).`);
      return items;
    },
  };
}

const USER_MENTION = /^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$/;
const BARE_USER_ID = /^@?([UW][A-Z0-9]{2,})$/;
/** A local user name, as the shell's users are known (DEPLOYBOT_SHELL_USER, `as <user>`). */
const LOCAL_USER = /^@?([a-z_][a-z0-9_.-]{0,31})$/;

export function parseUserId(item: string): string | undefined {
  return (USER_MENTION.exec(item) ?? BARE_USER_ID.exec(item))?.[1];
}

/** `approvers=@alice,@bob` — after Slack escaping: `<@U1>,<@U2|bob>`; bare ids also work. */
export const users: OptionSpec<string[]> = {
  list: true,
  parse: (o, fail) => {
    const items = splitList(o.value);
    if (items.length === 0) fail(`\`${o.key}=\` needs at least one @user.`);
    // In the shell (plain text) approvers are local user names: `approvers=alice,@bob`.
    return items.map((item) => parseUserId(item) ?? (o.plain ? LOCAL_USER.exec(item)?.[1] : undefined) ?? fail(`\`${item}\` in \`${o.key}=\` is not a ${o.plain ? 'user name' : 'Slack user: mention people with @'}.`));
  },
};

const CHANNEL_MENTION = /^<#([CG][A-Z0-9]+)(?:\|([^>]*))?>$/;
const BARE_CHANNEL_ID = /^([CG][A-Z0-9]{6,})$/;
const CHANNEL_NAME = /^#?([^\s#<>|,@]+)$/;

export const channel: OptionSpec<ChannelRef> = {
  parse: (o, fail) => {
    const m = CHANNEL_MENTION.exec(o.value);
    if (m !== null) return m[2] ? { id: m[1]!, name: m[2] } : { id: m[1]! };
    const id = BARE_CHANNEL_ID.exec(o.value);
    if (id !== null) return { id: id[1]! };
    const name = CHANNEL_NAME.exec(o.value);
    if (name !== null) return { name: name[1]! };
    return fail(`\`${o.key}=\` must be a channel (#name), not \`${o.value}\`.`);
  },
};

/** `@path/file.sh` (unquoted) → file; `"script"` → inline; empty → clear the hook. */
export const hook: OptionSpec<HookSource> = {
  parse: (o, fail) => {
    if (o.value === '') return { kind: 'clear' };
    if (!o.quoted && o.value.startsWith('@')) {
      const path = o.value.slice(1);
      if (path === '') fail(`\`${o.key}=@\` needs a file path after the @.`);
      return { kind: 'file', path };
    }
    return { kind: 'inline', script: o.value };
  },
};

export const HOOK_SPECS: Record<(typeof HOOK_NAMES)[number], OptionSpec<HookSource>> = Object.fromEntries(
  HOOK_NAMES.map((name) => [name, hook]),
) as Record<(typeof HOOK_NAMES)[number], OptionSpec<HookSource>>;

/** `host=` of `server edit`: a host name or IP; IPv6 may be bracketed. The port has its own option. */
export const host: OptionSpec<string> = {
  parse: (o, fail) => {
    const bracketed = /^\[([^\]]+)\]$/.exec(o.value);
    if (bracketed !== null) return bracketed[1]!;
    if (o.value === '') fail('`host=` needs a value.');
    if ((o.value.match(/:/g) ?? []).length === 1) fail('Put the port in `port=`, not in `host=`.');
    return o.value;
  },
};

/** Task ids: `12` or `#12`. */
export function parseTaskId(word: string, fail: (m: string) => never): number {
  const m = /^#?(\d+)$/.exec(word);
  if (m === null) fail(`\`${word}\` is not a task id: write a number such as 12 or #12.`);
  const n = Number(m[1]);
  if (n < 1 || !Number.isSafeInteger(n)) fail(`\`${word}\` is not a task id: write a number such as 12 or #12.`);
  return n;
}

/** `<user>@<host>[:<port>]`, with IPv6 hosts in brackets: `root@[::1]:22`. */
export function parseTarget(word: string, fail: (m: string) => never): { user: string; host: string; port?: number } {
  const at = word.indexOf('@');
  const shape = '`<user>@<host>[:<port>]`, e.g. `deploy@web1.example.com:22` or `root@[::1]:22`';
  if (at <= 0 || at === word.length - 1) fail(`\`${word}\` is not ${shape}.`);
  const user = word.slice(0, at);
  const rest = word.slice(at + 1);
  let hostName: string;
  let portText: string | undefined;
  if (rest.startsWith('[')) {
    const m = /^\[([^\]]+)\](?::(.*))?$/.exec(rest);
    if (m === null) fail(`\`${word}\` is not ${shape}.`);
    hostName = m[1]!;
    portText = m[2];
  } else {
    const colons = (rest.match(/:/g) ?? []).length;
    if (colons > 1) fail(`Write IPv6 addresses in brackets: \`${user}@[${rest}]\`.`);
    const [h, p] = rest.split(':');
    hostName = h!;
    portText = p;
  }
  if (hostName === '' || /[@\s]/.test(hostName)) fail(`\`${word}\` is not ${shape}.`);
  if (portText === undefined) return { user, host: hostName };
  return { user, host: hostName, port: parseIntIn(portText, 1, 65535, 'The port', fail) };
}
