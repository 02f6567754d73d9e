/** Bounds on a JSON body from the open internet, checked before it is walked or stored. */
// PostgreSQL's jsonb refuses NUL and lone surrogates: such a body could never be stored.
// eslint-disable-next-line no-control-regex
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Xendit's callbacks and Xero's webhooks are a few levels deep; anything far deeper or wider is from neither. */
export const BODY_MAX_DEPTH = 32;
export const BODY_MAX_NODES = 5000;

/**
 * Why the parsed body cannot be stored, or null. Walked with an explicit stack so a body nested
 * thousands of levels cannot overflow ours (nor PostgreSQL's when jsonb parses it), and stopped at
 * the first node past the bounds, so the walk costs at most BODY_MAX_NODES steps. PostgreSQL text
 * and jsonb cannot hold NUL or a lone surrogate either.
 */
export function unstorableReason(body: unknown): string | null {
  const stack: { value: unknown; depth: number }[] = [{ value: body, depth: 0 }];
  let nodes = 0;
  while (stack.length) {
    const { value, depth } = stack.pop()!;
    if (++nodes > BODY_MAX_NODES) return `body has more than ${BODY_MAX_NODES} values`;
    if (typeof value === 'string') {
      if (UNSTORABLE.test(value)) return 'body contains NUL or unpaired surrogate characters';
    } else if (value && typeof value === 'object') {
      if (depth >= BODY_MAX_DEPTH) return `body nested deeper than ${BODY_MAX_DEPTH} levels`;
      if (Array.isArray(value)) for (const v of value) stack.push({ value: v, depth: depth + 1 });
      else
        for (const [k, v] of Object.entries(value)) {
          if (UNSTORABLE.test(k)) return 'body contains NUL or unpaired surrogate characters';
          stack.push({ value: v, depth: depth + 1 });
        }
    }
  }
  return null;
}
