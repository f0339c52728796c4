import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

/**
 * One configuration loader (ARCHITECTURE.md, convention 3): environment variables, optionally a
 * settings file (same variable names as keys; the environment wins), validated by one zod schema.
 * A bad value stops the bot at boot with a message that names the variable and says how to fix it.
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export type RunMode = 'shell' | 'http' | 'socket';
export type DatabaseConfig = { kind: 'sqlite'; path: string } | { kind: 'postgresql'; url: string };

export interface Config {
  mode: RunMode;
  slack: { botToken?: string; signingSecret?: string; appToken?: string; apiUrl: string };
  port: number;
  database: DatabaseConfig;
  dataDir: string;
  /** Raw value of DEPLOYBOT_SECRET_KEY, if given; otherwise a key file in the data dir is used. */
  secretKey?: string;
  admins: string[];
  sshKeyPath?: string;
  notifyChannel?: string;
  shellUser: string;
  timezone: string;
  stallTimeoutMinutes: number;
  /**
   * How long a running task's owner may go without renewing its lease before any other process
   * recovers the task (DEPLOYBOT_LEASE_SECONDS; the owner renews several times within it).
   */
  leaseMs: number;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  configFile?: string;
}

// Slack user IDs, or local user names for the shell mode (where the OS user acts).
const USER_ID = /^(?:[UW][A-Z0-9]{2,}|[a-z_][a-z0-9_.-]{0,31})$/;
const SLACK_CHANNEL_ID = /^[CGD][A-Z0-9]{2,}$/;

// Every entry: the variable, its schema, and the fix-it hint printed when it is wrong.
const optionalString = z.string().optional();

const rawSchema = z.object({
  SLACK_BOT_TOKEN: z
    .string()
    .regex(/^xoxb-/, 'must be a bot token starting with xoxb- (Slack app → OAuth & Permissions → Bot User OAuth Token)')
    .optional(),
  SLACK_SIGNING_SECRET: z
    .string()
    .regex(/^[0-9a-f]{16,}$/i, 'must be the hex Signing Secret from Slack app → Basic Information → App Credentials')
    .optional(),
  SLACK_APP_TOKEN: z
    .string()
    .regex(/^xapp-/, 'must be an app-level token starting with xapp- (Slack app → Basic Information → App-Level Tokens, scope connections:write)')
    .optional(),
  SLACK_API_URL: z
    .string()
    .url('must be a URL such as https://slack.com/api/')
    .transform((u) => (u.endsWith('/') ? u : `${u}/`))
    .default('https://slack.com/api/'),
  PORT: z.coerce
    .number({ message: 'must be a port number between 1 and 65535' })
    .int('must be a whole port number')
    .min(1, 'must be between 1 and 65535')
    .max(65535, 'must be between 1 and 65535')
    .default(3000),
  DATABASE_URL: z
    .string()
    .regex(/^(sqlite:.+|postgres(ql)?:\/\/.+)$/, 'must be sqlite:<path> (e.g. sqlite:./data/deploybot.sqlite) or postgresql://user:password@host/db')
    .optional(),
  DEPLOYBOT_DATA_DIR: z.string().default('./data'),
  DEPLOYBOT_SECRET_KEY: z
    .string()
    .min(32, 'must be at least 32 characters (e.g. the output of `openssl rand -hex 32`)')
    .optional(),
  DEPLOYBOT_ADMINS: z
    .string()
    .default('')
    .transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean))
    .refine((ids) => ids.every((id) => USER_ID.test(id)), {
      message: 'must be a comma-separated list of Slack user IDs such as U012ABCDEF (profile → ⋮ → Copy member ID), or local user names for the shell',
    }),
  DEPLOYBOT_SSH_KEY: optionalString,
  DEPLOYBOT_NOTIFY_CHANNEL: z
    .string()
    .regex(SLACK_CHANNEL_ID, 'must be a Slack channel ID such as C012ABCDEF (channel details → bottom of the About tab)')
    .optional(),
  DEPLOYBOT_SHELL_USER: optionalString,
  DEPLOYBOT_TIMEZONE: z
    .string()
    .refine(isKnownTimeZone, 'must be an IANA time zone such as Europe/Paris or UTC')
    .optional(),
  DEPLOYBOT_STALL_MINUTES: z.coerce
    .number({ message: 'must be a number of minutes' })
    .int('must be a whole number of minutes')
    .min(1, 'must be at least 1 minute')
    .default(30),
  DEPLOYBOT_LEASE_SECONDS: z.coerce
    .number({ message: 'must be a number of seconds' })
    .min(1, 'must be at least 1 second (the owner renews its lease several times within it)')
    .max(3600, 'must be at most 3600 seconds: a killed process would block its project that long')
    .default(30),
  DEPLOYBOT_LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error'], { message: 'must be one of debug, info, warn, error' }).default('info'),
});

function isKnownTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

type Env = Record<string, string | undefined>;

/** Reads the optional YAML settings file; its keys are the environment variable names. */
function readSettingsFile(env: Env, cwd: string): { values: Env; file?: string } {
  const explicit = blankToUndefined(env.DEPLOYBOT_CONFIG);
  const file = explicit ? resolve(cwd, explicit) : resolve(cwd, 'config/deploybot.yaml');
  if (!existsSync(file)) {
    if (explicit) throw new ConfigError(`DEPLOYBOT_CONFIG: ${file} does not exist. Fix: point it at a YAML settings file, or unset it.`);
    return { values: {} };
  }
  let parsed: unknown;
  try {
    parsed = parseYaml(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ConfigError(`${file} is not valid YAML (${(err as Error).message.split('\n')[0]}). Fix the file or unset DEPLOYBOT_CONFIG.`);
  }
  if (parsed == null) return { values: {}, file };
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigError(`${file} must be a mapping of VARIABLE: value pairs (see config/deploybot.example.yaml).`);
  }
  const known = new Set(Object.keys(rawSchema.shape));
  const values: Env = {};
  for (const [key, value] of Object.entries(parsed as Record<string, unknown>)) {
    if (!known.has(key)) {
      throw new ConfigError(`${file}: unknown setting ${key}. Known settings: ${[...known].join(', ')}.`);
    }
    values[key] = Array.isArray(value) ? value.join(',') : value == null ? undefined : String(value);
  }
  return { values, file };
}

function blankToUndefined(v: string | undefined): string | undefined {
  return v === undefined || v.trim() === '' ? undefined : v.trim();
}

export function loadConfig(env: Env = process.env, cwd: string = process.cwd()): Config {
  const settings = readSettingsFile(env, cwd);
  // An empty value counts as unset, in the file and in the environment alike.
  const merged: Env = {};
  for (const key of Object.keys(rawSchema.shape)) {
    merged[key] = blankToUndefined(env[key]) ?? blankToUndefined(settings.values[key]);
  }

  const result = rawSchema.safeParse(merged);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => {
      const name = String(issue.path[0] ?? 'config');
      return `  ${name} ${issue.message}`;
    });
    throw new ConfigError(`deploybot cannot start: invalid configuration\n${lines.join('\n')}`);
  }
  const raw = result.data;

  const mode = decideMode(raw);
  const dataDir = resolve(cwd, raw.DEPLOYBOT_DATA_DIR);
  const database = parseDatabaseUrl(raw.DATABASE_URL, dataDir, cwd);
  const sshKeyPath = resolveSshKey(raw.DEPLOYBOT_SSH_KEY, cwd);

  return {
    mode,
    slack: {
      botToken: raw.SLACK_BOT_TOKEN,
      signingSecret: raw.SLACK_SIGNING_SECRET,
      appToken: raw.SLACK_APP_TOKEN,
      apiUrl: raw.SLACK_API_URL,
    },
    port: raw.PORT,
    database,
    dataDir,
    secretKey: raw.DEPLOYBOT_SECRET_KEY,
    admins: raw.DEPLOYBOT_ADMINS,
    sshKeyPath,
    notifyChannel: raw.DEPLOYBOT_NOTIFY_CHANNEL,
    shellUser: raw.DEPLOYBOT_SHELL_USER ?? safeUserName(),
    timezone: raw.DEPLOYBOT_TIMEZONE ?? Intl.DateTimeFormat().resolvedOptions().timeZone ?? 'UTC',
    stallTimeoutMinutes: raw.DEPLOYBOT_STALL_MINUTES,
    leaseMs: Math.round(raw.DEPLOYBOT_LEASE_SECONDS * 1000),
    logLevel: raw.DEPLOYBOT_LOG_LEVEL,
    configFile: settings.file,
  };
}

function decideMode(raw: z.infer<typeof rawSchema>): RunMode {
  if (!raw.SLACK_BOT_TOKEN) {
    if (raw.SLACK_APP_TOKEN || raw.SLACK_SIGNING_SECRET) {
      throw new ConfigError(
        'deploybot cannot start: SLACK_APP_TOKEN or SLACK_SIGNING_SECRET is set but SLACK_BOT_TOKEN is not.\n' +
          '  Fix: set SLACK_BOT_TOKEN=xoxb-… as well, or unset both to run the local shell.',
      );
    }
    return 'shell';
  }
  if (raw.SLACK_APP_TOKEN) return 'socket';
  if (!raw.SLACK_SIGNING_SECRET) {
    throw new ConfigError(
      'deploybot cannot start: SLACK_BOT_TOKEN is set but neither SLACK_SIGNING_SECRET (HTTP mode) nor SLACK_APP_TOKEN (Socket Mode) is.\n' +
        '  Fix: set SLACK_SIGNING_SECRET from Slack app → Basic Information, or SLACK_APP_TOKEN=xapp-… for Socket Mode.',
    );
  }
  return 'http';
}

function parseDatabaseUrl(url: string | undefined, dataDir: string, cwd: string): DatabaseConfig {
  if (!url) return { kind: 'sqlite', path: join(dataDir, 'deploybot.sqlite') };
  if (url.startsWith('sqlite:')) {
    const path = url.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    return { kind: 'sqlite', path: path === ':memory:' ? path : isAbsolute(path) ? path : resolve(cwd, path) };
  }
  return { kind: 'postgresql', url };
}

function resolveSshKey(value: string | undefined, cwd: string): string | undefined {
  if (value) {
    const path = resolve(cwd, value.replace(/^~(?=\/)/, homedir()));
    if (!existsSync(path)) {
      throw new ConfigError(`deploybot cannot start: DEPLOYBOT_SSH_KEY points at ${path}, which does not exist.\n  Fix: give the path of a private key file, or unset it.`);
    }
    assertKeyReadable(path);
    return path;
  }
  const fallback = join(homedir(), '.ssh', 'id_ed25519');
  return existsSync(fallback) ? fallback : undefined;
}

/**
 * Existing is not enough: a 0600 key owned by the host user, mounted into a container that runs as
 * another uid, exists and cannot be read. Found at boot, not at the first deploy.
 */
function assertKeyReadable(path: string): void {
  try {
    closeSync(openSync(path, 'r'));
  } catch (err) {
    const uid = process.getuid?.();
    throw new ConfigError(
      `deploybot cannot start: DEPLOYBOT_SSH_KEY points at ${path}, which this process${uid === undefined ? '' : ` (uid ${uid})`} cannot read (${(err as NodeJS.ErrnoException).code ?? 'error'}).\n` +
        `  Fix: make the key readable by that user, e.g. \`chown ${uid ?? '<uid>'} ${path}\`; in Docker (the image runs as uid 10001) run the container with \`--user "$(id -u):$(id -g)"\` or mount a copy owned by uid 10001.`,
    );
  }
}

function safeUserName(): string {
  try {
    return userInfo().username;
  } catch {
    return 'shell-user';
  }
}
