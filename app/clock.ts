/** Injected everywhere time matters, so tests move time instead of waiting for it. */
export type Clock = () => Date;
export const systemClock: Clock = () => new Date();
