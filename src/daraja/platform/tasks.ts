// Work done after a request was acknowledged (a B2C payment, a simulated C2B payment). Bounded,
// so a flood of requests is refused with "system busy" instead of queueing without end, and
// tracked, so close() waits for it instead of cutting a commit in half.
import { BACKGROUND_TASKS_MAX } from './model.ts';

export class BackgroundTasks {
  readonly #running = new Set<Promise<void>>();
  #closed = false;

  constructor(
    private readonly log: (event: string, fields: Record<string, unknown>) => void,
    readonly max = BACKGROUND_TASKS_MAX,
  ) {}

  get size(): number {
    return this.#running.size;
  }

  hasRoom(): boolean {
    return !this.#closed && this.#running.size < this.max;
  }

  /** Runs `work` in the background; false (and nothing runs) when full or closed. */
  run(what: string, work: () => Promise<void>): boolean {
    if (!this.hasRoom()) return false;
    const task = work()
      .catch((error: Error) => this.log('daraja.task_failed', { what, error: error.message }))
      .finally(() => this.#running.delete(task));
    this.#running.add(task);
    return true;
  }

  /** Resolves once nothing runs (work started meanwhile is waited for too). */
  async idle(): Promise<void> {
    while (this.#running.size > 0) await Promise.allSettled([...this.#running]);
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.idle();
  }
}
