import { describe, expect, it } from 'vitest';
import { Semaphore } from '../../../src/pipeline/exec/semaphore.js';

describe('Semaphore', () => {
  it('never lets more than N run, and serves waiters in order', async () => {
    const sem = new Semaphore(2);
    let running = 0;
    let peak = 0;
    const order: number[] = [];
    await Promise.all(
      Array.from({ length: 7 }, (_, i) =>
        sem.run(async () => {
          order.push(i);
          running++;
          peak = Math.max(peak, running);
          await new Promise((r) => setTimeout(r, 5));
          running--;
        }),
      ),
    );
    expect(peak).toBe(2);
    expect(order).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(sem.inUse).toBe(0);
  });

  it('lets a waiter give up through an AbortSignal without losing a slot', async () => {
    const sem = new Semaphore(1);
    const release = await sem.acquire();
    const controller = new AbortController();
    const waiting = sem.acquire(controller.signal);
    controller.abort(new Error('gave up'));
    await expect(waiting).rejects.toThrow('gave up');
    release();
    release(); // a second call is harmless
    expect(sem.inUse).toBe(0);
    const again = await sem.acquire();
    expect(sem.inUse).toBe(1);
    again();
  });

  it('fails everyone waiting when told to (connection gone)', async () => {
    const sem = new Semaphore(1);
    await sem.acquire();
    const a = sem.acquire();
    const b = sem.acquire();
    sem.rejectWaiting(new Error('lost'));
    await expect(a).rejects.toThrow('lost');
    await expect(b).rejects.toThrow('lost');
  });
});
