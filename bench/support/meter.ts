import { readdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';

/**
 * Where the CPU time of one measured method went, from kernel counters (Linux):
 * - node: this process (the bot: ssh2 crypto, streams) — process.cpuUsage();
 * - children: child processes this process has reaped (the `ssh` clients; git and tar for a full task) — /proc/self/stat cutime+cstime;
 * - machine: all cores busy time — /proc/stat; what is left is sshd, tar, gzip (and anything else running).
 */
export interface CpuSample {
  wallS: number;
  nodeCpuS: number;
  childrenCpuS: number;
  machineBusyS: number;
}

const TICKS = 100; // USER_HZ on Linux

function machineBusyTicks(): number {
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = cpu;
  return user + nice + system + irq + softirq + steal;
}

function childrenTicks(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  // Fields after "(comm)": state is field 3; cutime/cstime are fields 16/17.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(rest[16 - 3]) + Number(rest[17 - 3]);
}

/** CPU of a process's reaped descendants (cutime + cstime), in seconds. */
function reapedCpuS(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(rest[16 - 3]) + Number(rest[17 - 3])) / TICKS;
  } catch {
    return 0;
  }
}

/**
 * The sshd listeners serving these config files (`sshd -D -e -f <cfg>`, not the re-exec'd
 * per-connection copies). Every session process, shell, tar and gzip a server runs is reaped,
 * in the end, into its listener's cutime/cstime: summed, that is the whole server side.
 */
export function sshdListeners(configPaths: readonly string[]): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // sshd rewrites its title: "sshd: /usr/sbin/sshd -D -e -f <cfg> [listener] 0 of 100-200 startups"
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (/\bsshd\b/.test(cmdline) && !/ -R\b/.test(cmdline) && configPaths.some((cfg) => cmdline.includes(`-f ${cfg} `) || cmdline.endsWith(`-f ${cfg}`))) {
        pids.push(Number(entry));
      }
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

export const serversCpuS = (listeners: readonly number[]) => listeners.reduce((sum, pid) => sum + reapedCpuS(pid), 0);

export function startMeter(): () => CpuSample {
  const t0 = performance.now();
  const node0 = process.cpuUsage();
  const child0 = childrenTicks();
  const busy0 = machineBusyTicks();
  return () => {
    const node = process.cpuUsage(node0);
    return {
      wallS: (performance.now() - t0) / 1000,
      nodeCpuS: (node.user + node.system) / 1e6,
      childrenCpuS: (childrenTicks() - child0) / TICKS,
      machineBusyS: (machineBusyTicks() - busy0) / TICKS,
    };
  };
}

export const load1 = () => Number(loadavg()[0]!.toFixed(2));
