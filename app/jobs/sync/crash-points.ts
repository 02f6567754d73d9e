import type { CrashPoint } from '../../../config/constants.js';

// The points are listed in config/constants.ts: CRASH_AT is checked against them.
export {
  CRASH_POINTS,
  PAYMENT_CRASH_POINTS,
  BOOKING_CRASH_POINTS,
  CHECKOUT_CLOSE_CRASH_POINTS,
  TWIN_CRASH_POINTS,
  LISTING_CRASH_POINTS,
  type CrashPoint,
} from '../../../config/constants.js';

export type CrashHook = (point: CrashPoint) => void;

/** No-op unless a point is armed; then dies at once, like a power cut: no cleanup, no finally. */
export function crashHook(armed: CrashPoint | undefined, kill: () => void = () => process.kill(process.pid, 'SIGKILL')): CrashHook {
  return (point) => {
    if (point === armed) kill();
  };
}
