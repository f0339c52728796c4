import { homedir } from 'node:os';

/**
 * `~/.ssh/deploybot` → `/root/.ssh/deploybot`: key paths name files on the bot's host, and `~`
 * there means what it means in DEPLOYBOT_SSH_KEY (the bot's home). Other paths are left as typed.
 */
export function expandHome(path: string, home: string = homedir()): string {
  return path === '~' ? home : path.startsWith('~/') ? `${home.replace(/\/+$/, '')}${path.slice(1)}` : path;
}
