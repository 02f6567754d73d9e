/**
 * Where record-payment may die between its effects. Tests (and the demo) can make the worker kill
 * itself with SIGKILL at one of them (CRASH_AT) to prove a restart still records exactly once.
 */
export const CRASH_POINTS = ['after-claim', 'after-xendit-refetch', 'after-xero-accepted', 'after-store'] as const;
export type CrashPoint = (typeof CRASH_POINTS)[number];

export type CrashHook = (point: CrashPoint) => void;

/** No-op unless a point is armed; then dies at once, like a power cut: no cleanup, no finally. */
export function crashHook(armed: CrashPoint | undefined, kill: () => void = () => process.kill(process.pid, 'SIGKILL')): CrashHook {
  return (point) => {
    if (point === armed) kill();
  };
}
