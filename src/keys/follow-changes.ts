import type { KeyChanges } from '../storage/key-changes.js';
import type { KeyRing } from './types.js';

export interface FollowOptions {
  /** A reload now and then anyway, should a change notice be lost. */
  safetyIntervalMs: number;
  onError(error: unknown): void;
}

/**
 * Reloads the key ring whenever the store says the keys changed (so a rotation is in the JWKS of every
 * running instance within about a second), and every `safetyIntervalMs`. Reloads never overlap: notices
 * that arrive during one are folded into a single reload after it, which reads the latest state.
 */
export function followKeyChanges(ring: Pick<KeyRing, 'reload'>, changes: KeyChanges, options: FollowOptions): () => void {
  let running: Promise<void> | undefined;
  let again = false;
  let stopped = false;

  const reload = (): void => {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    running = ring
      .reload()
      .catch((error: unknown) => options.onError(error))
      .finally(() => {
        running = undefined;
        if (again) {
          again = false;
          reload();
        }
      });
  };

  const unsubscribe = changes.subscribe(reload);
  const timer = setInterval(reload, options.safetyIntervalMs);
  timer.unref();
  return () => {
    stopped = true;
    clearInterval(timer);
    unsubscribe();
  };
}
