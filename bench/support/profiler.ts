import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';

/**
 * `--cpu-prof DIR`: a V8 CPU profile of this process for each timed method only (not the setup,
 * the checks or the clean-up), written as DIR/<method>-<round>.cpuprofile (open in Chrome
 * DevTools or speedscope). Only deploybot's own work runs in this process; OpenSSH clients and
 * servers are other processes (see the CPU breakdown instead).
 */
export class MethodProfiler {
  private session: Session | null = null;

  constructor(private readonly dir: string | null) {}

  async start(): Promise<void> {
    if (!this.dir) return;
    this.session ??= new Session();
    this.session.connect();
    await this.session.post('Profiler.enable');
    await this.session.post('Profiler.setSamplingInterval', { interval: 500 });
    await this.session.post('Profiler.start');
  }

  async stop(name: string): Promise<void> {
    if (!this.dir || !this.session) return;
    const { profile } = await this.session.post('Profiler.stop');
    this.session.disconnect();
    mkdirSync(this.dir, { recursive: true });
    writeFileSync(join(this.dir, `${name}.cpuprofile`), JSON.stringify(profile));
  }
}
