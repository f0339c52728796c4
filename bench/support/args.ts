/** Command-line flags of bench/fanout.ts. */
export const METHOD_NAMES = ['deploybot', 'deploybot_all', 'openssh', 'openssh_gcm', 'sftp_seq', 'full_task', 'switch_raw'] as const;
export type MethodName = (typeof METHOD_NAMES)[number];

export interface BenchArgs {
  hosts: number;
  /** Workspace size in MB (10^6 bytes), half random, half compressible text. */
  mb: number;
  /** Bounded parallelism for deploybot's fan-out; default: the project's default max parallel hosts. */
  parallel: number | null;
  repeat: number;
  methods: MethodName[];
  /** Write a V8 CPU profile of each timed method here. */
  cpuProf: string | null;
  /** Light servers: no shell start-up files in the sessions (for many-host switch-skew runs). */
  light: boolean;
}

const USAGE = `usage: tsx bench/fanout.ts [--hosts N] [--mb S] [--parallel P] [--repeat R] [--methods a,b,…]
  --hosts N     loopback sshd servers (default 20)
  --mb S        workspace size in MB, half random / half compressible (default 50)
  --parallel P  deploybot's max parallel hosts (default: the project default, 10)
  --repeat R    rounds; with R > 1 the medians are reported (default 1)
  --methods     subset of ${METHOD_NAMES.join(',')} (default: all)
  --cpu-prof D  write a V8 CPU profile of this process for each timed method to directory D
  --light       light servers: an empty private HOME per sshd (no ~/.bashrc cost per command), for 200-host switch-skew runs`;

function positiveInt(flag: string, value: string | undefined): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} needs a positive whole number, got ${value ?? 'nothing'}\n${USAGE}`);
  return n;
}

export function parseArgs(argv: readonly string[]): BenchArgs {
  const args: BenchArgs = { hosts: 20, mb: 50, parallel: null, repeat: 1, methods: [...METHOD_NAMES], cpuProf: null, light: false };
  for (let i = 0; i < argv.length; i++) {
    const raw = argv[i]!;
    const [flag, inline] = raw.includes('=') ? [raw.slice(0, raw.indexOf('=')), raw.slice(raw.indexOf('=') + 1)] : [raw, undefined];
    const value = () => inline ?? argv[++i];
    switch (flag) {
      case '--hosts':
        args.hosts = positiveInt(flag, value());
        break;
      case '--mb': {
        const v = value();
        const n = Number(v);
        if (!(n > 0)) throw new Error(`--mb needs a positive number, got ${v ?? 'nothing'}\n${USAGE}`);
        args.mb = n;
        break;
      }
      case '--parallel':
        args.parallel = positiveInt(flag, value());
        break;
      case '--repeat':
        args.repeat = positiveInt(flag, value());
        break;
      case '--methods': {
        const list = (value() ?? '').split(',').map((s) => s.trim()).filter(Boolean);
        const unknown = list.filter((m) => !(METHOD_NAMES as readonly string[]).includes(m));
        if (list.length === 0 || unknown.length) throw new Error(`--methods: unknown ${unknown.join(',') || '(empty)'}\n${USAGE}`);
        args.methods = list as MethodName[];
        break;
      }
      case '--cpu-prof': {
        const v = value();
        if (!v) throw new Error(`--cpu-prof needs a directory\n${USAGE}`);
        args.cpuProf = v;
        break;
      }
      case '--light':
        args.light = true;
        break;
      case '--help':
      case '-h':
        console.log(USAGE);
        process.exit(0);
      default:
        throw new Error(`unknown argument ${raw}\n${USAGE}`);
    }
  }
  return args;
}
