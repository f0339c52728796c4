/**
 * Teardown that runs once, whether the bench finishes, throws, or is interrupted (SIGINT/SIGTERM).
 * Steps run last-registered first. test/support's own exit hooks (SIGKILL of every sshd it
 * started, removal of its scratch dirs) remain the last resort after process.exit.
 */
type Step = { what: string; run: () => Promise<void> | void };
const steps: Step[] = [];
let running: Promise<void> | null = null;

export function onCleanup(what: string, run: () => Promise<void> | void): void {
  steps.push({ what, run });
}

export function cleanupAll(): Promise<void> {
  running ??= (async () => {
    for (const step of steps.reverse()) {
      try {
        await step.run();
      } catch (err) {
        console.error(`cleanup: ${step.what} failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    steps.length = 0;
  })();
  return running;
}

export function cleanupOnSignals(): void {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      console.error(`\n${signal}: stopping the servers and removing temp dirs…`);
      const hardStop = setTimeout(() => process.exit(130), 15_000);
      void cleanupAll().finally(() => {
        clearTimeout(hardStop);
        process.exit(130);
      });
    });
  }
}
