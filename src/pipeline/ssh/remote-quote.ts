import { UserError } from '../../errors.js';

/**
 * THE audited helper for everything that reaches a remote POSIX shell.
 *
 * SSH has no argument vector: the server hands one string to the user's login shell (`sh -c`).
 * Every value we put into that string (paths, refs, release names, env values from config) goes
 * through `shq`, so the shell sees it as one literal word whatever it contains.
 *
 * The technique is the only one that is fully literal in POSIX sh: inside single quotes nothing is
 * special, and the single quote itself is written as `'\''` (close, escaped quote, reopen). We quote
 * always, even "safe-looking" words, so reviewing a call site never depends on guessing which
 * characters a shell treats specially (that guess differs between sh, bash, zsh and busybox).
 * Consequence: `~` and globs are not expanded in quoted values; write them in the template text.
 */
export function shq(value: string): string {
  if (typeof value !== 'string') {
    throw new TypeError(`shq expects a string, got ${value === null ? 'null' : typeof value}`);
  }
  // A C string (argv, env) ends at NUL; a shell would silently truncate the value there.
  if (value.includes('\0')) {
    throw new UserError('A value sent to a remote shell contains a NUL byte, which a shell cannot represent.');
  }
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

export type RemoteValue = string | number | bigint | readonly (string | number | bigint)[];

function quoteValue(value: RemoteValue): string {
  if (Array.isArray(value)) return value.map((v) => quoteValue(v as string | number | bigint)).join(' ');
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError(`cannot put ${value} into a remote command`);
    return shq(String(value));
  }
  if (typeof value === 'bigint') return shq(value.toString());
  if (typeof value === 'string') return shq(value);
  // undefined / objects are bugs at the call site; interpolating "undefined" into a command is worse.
  throw new TypeError(`cannot put a value of type ${value === null ? 'null' : typeof value} into a remote command`);
}

/**
 * Tagged template for remote command lines: the template text is trusted shell (written by us),
 * every interpolated value is quoted as one word; an array becomes several quoted words.
 *
 *   remoteCommand`mkdir -p ${dir} && tar -xzf - -C ${dir}`
 *   remoteCommand`ls -1 ${paths}`            // paths = ['a b', 'c'] → ls -1 'a b' 'c'
 */
export function remoteCommand(strings: TemplateStringsArray, ...values: RemoteValue[]): string {
  let out = strings[0] ?? '';
  values.forEach((value, i) => {
    out += quoteValue(value) + (strings[i + 1] ?? '');
  });
  return out;
}

const ENV_NAME = /^[A-Z_][A-Z0-9_]*$/;

/**
 * `K='v' K2='v2'` for prefixing a remote command (`${envAssignments(env)} sh -c …`).
 *
 * Names are validated, not quoted: a shell only treats `NAME=` as an assignment when NAME is a
 * plain identifier, so anything else would turn the "assignment" into a command to run.
 */
export function envAssignments(env: Readonly<Record<string, string | number>>): string {
  const parts: string[] = [];
  for (const [name, value] of Object.entries(env)) {
    if (!ENV_NAME.test(name)) {
      throw new UserError(
        `Environment variable name ${JSON.stringify(name)} is not allowed: use capital letters, digits and _ (not starting with a digit).`,
      );
    }
    parts.push(`${name}=${quoteValue(value)}`);
  }
  return parts.join(' ');
}

export function isValidEnvName(name: string): boolean {
  return ENV_NAME.test(name);
}
