/**
 * The timing of the last pane a group fired, as a pane engine keeps it per group. Checkpoints hold
 * these numbers (`PaneGroupState.timing`): never renumber them.
 */

/** No pane fired yet. */
export const NONE = 0;
/** The last pane was early (before the watermark passed the end of the window). */
export const EARLY = 1;
/** The last pane was the on-time pane. */
export const ON_TIME = 2;
/** The last pane was late. */
export const LATE = 3;
