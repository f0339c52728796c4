import { isAbsolute, posix } from 'node:path';
import { z } from 'zod';

/**
 * Field schemas shared by the services' input schemas. Each message says what is wrong and what
 * a good value looks like, because it is shown to the user as is.
 */
export const slugSchema = (what: string) =>
  z
    .string({ message: `${what} is required` })
    .trim()
    .min(1, `${what} is required`)
    .max(63, `${what} must be at most 63 characters`)
    .regex(/^[a-z0-9][a-z0-9-]*$/, `${what} must be a lowercase slug: letters a-z, digits and dashes, starting with a letter or digit (e.g. web-1)`);

export const absolutePathSchema = (what: string) =>
  z
    .string({ message: `${what} is required` })
    .trim()
    .min(1, `${what} is required`)
    .refine((p) => isAbsolute(p) && p.startsWith('/'), `${what} must be an absolute path such as /srv/myapp`)
    .refine((p) => !p.split('/').includes('..'), `${what} must not contain ..`)
    .refine((p) => !/[\0\n\r]/.test(p), `${what} must not contain control characters`)
    .refine((p) => posix.normalize(p) !== '/', `${what} must not be the root directory`)
    .transform((p) => (p.length > 1 ? p.replace(/\/+$/, '') : p));

const GIT_URL_FORMS = [
  /^https?:\/\/[^\s/]+\/\S+$/,
  /^ssh:\/\/[^\s/]+\/\S+$/,
  /^git:\/\/[^\s/]+\/\S+$/,
  /^[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:(?!\/\/)\S+$/,
  /^file:\/\/\/\S+$/,
];

export const gitUrlSchema = z
  .string({ message: 'repository URL is required' })
  .trim()
  .min(1, 'repository URL is required')
  .refine((u) => !u.startsWith('-'), 'repository URL must not start with -')
  .refine(
    (u) => GIT_URL_FORMS.some((re) => re.test(u)),
    'repository URL must be a git URL: https://host/org/repo.git, ssh://git@host/org/repo.git, git@host:org/repo.git, or file:///path/to/repo',
  );

/**
 * Git ref names as `git check-ref-format --allow-onelevel` accepts them, plus our own refusals:
 * a leading `-` (it would be read as an option) and shell metacharacters (never needed in a ref,
 * and a sign of an injection attempt).
 */
export function refNameProblem(ref: string): string | undefined {
  if (ref.length === 0) return 'a ref (tag, branch or commit) is required';
  if (ref.length > 255) return 'a ref must be at most 255 characters';
  if (ref.startsWith('-')) return `"${ref}" starts with "-", which git would read as an option`;
  if (/[\0-\x20\x7f~^:?*[\\]/.test(ref)) return `"${ref}" contains characters git does not allow in a ref (space, ~ ^ : ? * [ \\ or control characters)`;
  if (/[;&|`$<>(){}'"!]/.test(ref)) return `"${ref}" contains shell characters that are never part of a ref`;
  if (ref.includes('..')) return `"${ref}" contains "..", which git does not allow in a ref`;
  if (ref.includes('@{') || ref === '@') return `"${ref}" is not a valid ref name`;
  if (ref.startsWith('/') || ref.endsWith('/') || ref.includes('//')) return `"${ref}" has a misplaced "/"`;
  if (ref.endsWith('.')) return `"${ref}" must not end with "."`;
  for (const part of ref.split('/')) {
    if (part.startsWith('.')) return `"${ref}" has a component starting with "."`;
    if (part.endsWith('.lock')) return `"${ref}" has a component ending in ".lock"`;
  }
  return undefined;
}

export const gitRefSchema = z
  .string({ message: 'a ref (tag, branch or commit) is required' })
  .trim()
  .superRefine((ref, ctx) => {
    const problem = refNameProblem(ref);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

/**
 * A server's internal address, as its peers reach it: `host`, `host:port`, `[v6]`, `[v6]:port`
 * or a bare IPv6 address. It ends up in authorized_keys `from=` and on ssh command lines (always
 * quoted), so only address characters are accepted.
 */
export const internalAddressSchema = z
  .string()
  .trim()
  .max(260, 'internal address must be at most 260 characters')
  .refine(
    (a) => /^(?:\[[0-9A-Fa-f:.]+\](?::\d{1,5})?|[0-9A-Fa-f]*:[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*|[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?(?::\d{1,5})?)$/.test(a),
    'internal address must be a host name or IP address, optionally with :port (10.0.0.5, 10.0.0.5:2222, [fd00::5]:22)',
  );

export const hostnameSchema = z
  .string({ message: 'host is required' })
  .trim()
  .min(1, 'host is required')
  .max(253, 'host must be at most 253 characters')
  .refine(
    (h) =>
      /^(?!-)[A-Za-z0-9-]{1,63}(?:\.(?!-)[A-Za-z0-9-]{1,63})*\.?$/.test(h) || // DNS name or IPv4
      /^[0-9A-Fa-f:.]+$/.test(h) && h.includes(':'), // IPv6 literal (brackets already removed)
    'host must be a DNS name or an IP address such as 10.0.0.5',
  );

export const unixUserSchema = z
  .string({ message: 'user is required' })
  .trim()
  .regex(/^[a-z_][a-z0-9_.-]{0,31}$/, 'user must be a Unix user name such as deploy');

export const userIdSchema = z
  .string()
  .trim()
  .regex(/^(?:[UW][A-Z0-9]{2,}|[a-z_][a-z0-9_.-]{0,31})$/, 'must be a Slack user such as @alice (U012ABCDEF)');

export const channelIdSchema = z.string().trim().regex(/^[CGD][A-Z0-9]{2,}$/, 'must be a Slack channel such as #deploys (C012ABCDEF)');

export const hookScriptSchema = z.string().max(64_000, 'a hook script must be at most 64 KB').default('');
