import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { makeScratchDir, removeScratchDirs } from '../../support/scratch-dirs.js';
import { deploybotEnv, startDeploybot } from './support/deploybot-process.js';

afterAll(() => removeScratchDirs());

/** At a terminal (a pty through `script`): prompt, colours, hidden password, persisted history. */
it('prompts at a terminal, hides the password and keeps the history (without answers)', async () => {
  const home = makeScratchDir('deploybot-tty-');
  const env = deploybotEnv(join(home, 'data'), { DEPLOYBOT_SHELL_USER: 'alice' });
  delete env.NO_COLOR;
  const shell = startDeploybot([], { cwd: home, env, tty: true });
  try {
    await shell.waitFor('deploybot> ');
    const steps: [string, string][] = [
      ['server add', 'Name: '],
      ['db-1', 'Address (user@host[:port]): '],
      ['root@127.0.0.1:2222', 'Authentication: '],
      ['password', 'Password: '],
      ['s3cret-pass', 'Labels'],
      ['', 'deploybot> '],
    ];
    for (const [line, next] of steps) {
      const from = shell.stdout().length;
      shell.send(line);
      await shell.waitFor(next, { from });
    }
    const transcript = shell.stdout();
    expect(transcript).toMatch(/acting as alice \(admin\)/);
    expect(transcript).toContain('\x1b[32m✓\x1b[39m Added server \x1b[1mdb-1\x1b[22m');
    expect(transcript).toMatch(/Auth:.*password/);
    expect(transcript).not.toContain('s3cret-pass');

    const from = shell.stdout().length;
    shell.send('exit');
    await shell.exited;
    expect(shell.stdout().slice(from)).not.toContain('⚠');
    const history = join(home, 'data', 'shell_history');
    expect(readFileSync(history, 'utf8')).toBe('server add\nexit\n');
    expect(statSync(history).mode & 0o777).toBe(0o600);
  } finally {
    shell.child.kill('SIGKILL');
  }
});
