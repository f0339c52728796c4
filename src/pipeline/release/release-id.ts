/**
 * Release directory names: `<UTC yyyymmddHHMMSS>-<task id>-<short sha>`, e.g.
 * `20261123185300-12-3f2a9c1`. They sort by age as plain strings (cleanup relies on that), two
 * tasks never collide (the task id), and a person reading `ls releases/` sees what each one is.
 */
export const RELEASE_ID_PATTERN = /^\d{14}-\d+-[0-9a-f]{7,40}$/;

export function newReleaseId(taskId: number, commit: string, at: Date = new Date()): string {
  const stamp = at.toISOString().replace(/[-:T]/g, '').slice(0, 14);
  return `${stamp}-${taskId}-${commit.slice(0, 7)}`;
}

export function isReleaseId(name: string): boolean {
  return RELEASE_ID_PATTERN.test(name);
}
