/** pg returns int8 as a string (it may exceed 2^53): one exact conversion, refusing what a number cannot hold. */
export function int8(value: number | string): number {
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isSafeInteger(n)) throw new Error(`int8 out of safe range: ${value}`);
  return n;
}
