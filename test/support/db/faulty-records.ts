import type { Orm } from '../../../src/db/orm.js';
import { RunRecords } from '../../../src/store/run-records.js';
import type { RunRecordsFactory } from '../../../src/pipeline/flows/task-runner.js';

type WriteName = 'writeHost' | 'setCommit' | 'touch' | 'addRelease' | 'markCurrent' | 'forgetReleases' | 'pinHostKey' | 'finish';

/**
 * A store fault, as the disk would give it: which writes fail, from when and until when. `failing`
 * is asked before every write with the write's name and arguments, and the write throws the
 * error SQLite gives for a full disk while it says yes.
 */
export interface StoreFault {
  failing(write: WriteName, args: unknown[]): boolean;
}

export interface FaultLog {
  /** Every write attempted, in order, with whether the fault refused it. */
  attempts: { write: WriteName; failed: boolean }[];
}

export const diskFull = (): Error => Object.assign(new Error('SQLITE_FULL: database or disk is full'), { code: 'SQLITE_FULL', errno: 13 });

/** Real RunRecords (real SQLite, real fence) behind a fault that refuses chosen writes. */
export function faultyRecords(fault: StoreFault, log: FaultLog = { attempts: [] }): { factory: RunRecordsFactory; log: FaultLog } {
  const factory: RunRecordsFactory = (orm: Orm, taskId: number, owner: string, leaseMs: number) => {
    const real = new RunRecords(orm, taskId, owner, leaseMs);
    const writes: WriteName[] = ['writeHost', 'setCommit', 'touch', 'addRelease', 'markCurrent', 'forgetReleases', 'pinHostKey', 'finish'];
    for (const name of writes) {
      const original = (real[name] as (...args: unknown[]) => Promise<void>).bind(real);
      (real as unknown as Record<string, unknown>)[name] = async (...args: unknown[]) => {
        const failed = fault.failing(name, args);
        log.attempts.push({ write: name, failed });
        if (failed) throw diskFull();
        return original(...args);
      };
    }
    return real;
  };
  return { factory, log };
}
