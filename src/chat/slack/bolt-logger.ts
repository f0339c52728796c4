import { LogLevel, type Logger as BoltLogger } from '@slack/bolt';
import type { Logger } from '../../log.js';

/**
 * Bolt's and the Web API client's log lines, through deploybot's logger (one format, one redactor).
 * Never below INFO: at DEBUG the Slack SDKs print request payloads, and a form's payload can hold
 * a private key or a password.
 */
export function boltLogger(log: Logger, level: 'debug' | 'info' | 'warn' | 'error'): BoltLogger {
  const order: LogLevel[] = [LogLevel.DEBUG, LogLevel.INFO, LogLevel.WARN, LogLevel.ERROR];
  let current: LogLevel = level === 'debug' ? LogLevel.INFO : (level as LogLevel);
  let name = 'slack';
  const enabled = (at: LogLevel) => at !== LogLevel.DEBUG && order.indexOf(at) >= order.indexOf(current);
  const text = (parts: unknown[]) => parts.map((p) => (p instanceof Error ? p.message : typeof p === 'string' ? p : JSON.stringify(p))).join(' ');
  return {
    debug: () => {},
    info: (...msg: unknown[]) => enabled(LogLevel.INFO) && log.info(text(msg), { component: name }),
    warn: (...msg: unknown[]) => enabled(LogLevel.WARN) && log.warn(text(msg), { component: name }),
    error: (...msg: unknown[]) => enabled(LogLevel.ERROR) && log.error(text(msg), { component: name }),
    setLevel: (l: LogLevel) => {
      current = l === LogLevel.DEBUG ? LogLevel.INFO : l;
    },
    getLevel: () => current,
    setName: (n: string) => {
      name = n;
    },
  } as BoltLogger;
}
