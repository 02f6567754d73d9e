/** pg returns int8 as a string, PGlite as a number: one exact conversion for both. */
export function int8(value: number | string): number {
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isSafeInteger(n)) throw new Error(`int8 out of safe range: ${value}`);
  return n;
}
