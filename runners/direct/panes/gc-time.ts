/** When a window's state is garbage-collected. */
import { GLOBAL_WINDOW_MAX_TIMESTAMP } from "../../../sdk/time";

// A module-level copy: an imported binding is a property read on every use.
const GLOBAL_MAX = GLOBAL_WINDOW_MAX_TIMESTAMP;

/** When a window's state is collected: the end of the window plus the allowed lateness, at most the end of the global window (Beam's LateDataUtils). */
export function gcTime(end: number, lateness: number): number {
  const t = end - 1 + lateness;
  return t > GLOBAL_MAX ? GLOBAL_MAX : t;
}
