/**
 * Work that continues after a Teams invoke has been answered (creating a pass, notifying a
 * manager). Teams waits only a few seconds for an answer, so slow Graph and connector calls run
 * here; shutdown and tests wait for it to settle.
 */
import { errorSummary, type Logger } from './logger.js';

export class Background {
  private readonly running = new Set<Promise<void>>();

  constructor(private readonly logger: Logger) {}

  /** Starts `work` without waiting for it; a failure is logged, never thrown at the caller. */
  run(name: string, work: () => Promise<void>): void {
    const task: Promise<void> = work()
      .catch((error: unknown) => {
        this.logger.error({ task: name, error: errorSummary(error) }, 'background work failed');
      })
      .finally(() => this.running.delete(task));
    this.running.add(task);
  }

  /** Resolves once nothing is running, or after `timeoutMs`; true when everything settled. */
  async idle(timeoutMs = 30_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.running.size > 0) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled([...this.running]),
        new Promise((resolve) => (timer = setTimeout(resolve, left))),
      ]);
      clearTimeout(timer);
    }
    return true;
  }
}
