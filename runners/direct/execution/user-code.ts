/**
 * Scopes that must hold while an operator runs user code (the transform's metrics container, the
 * instance that owns the code): each is set synchronously around every call of the operator's methods,
 * and so covers user functions, which the operators call synchronously.
 */

/** Runs `f` inside a scope, synchronously, and returns what it returns. */
export type CodeScope = <R>(f: () => R) => R;

/** `target` with every method call run inside `scope`. */
export function callsWithin<T extends object>(target: T, scope: CodeScope): T {
  return new Proxy(target, {
    get(t, prop, receiver) {
      const v = Reflect.get(t, prop, receiver);
      return typeof v === "function" ? (...args: unknown[]) => scope(() => v.apply(t, args)) : v;
    },
  });
}
