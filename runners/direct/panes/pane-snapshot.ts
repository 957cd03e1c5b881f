/**
 * Checkpoints of the grouping operators' window and pane state: live groups, by the key group of
 * their key, each key group with the operator's data of its groups' proto groups. A checkpoint
 * taken at one parallelism restores at another because each instance keeps only the key groups
 * it owns.
 */
import type { OperatorSnapshot } from "../contract/operator";
import { keyGroupOf } from "../data/key-groups";
import type { PaneGroupState } from "./pane-group-state";
import type { WindowPanes } from "./window-panes";

/** The state of one key group of a grouping operator. */
export interface PaneKeyGroupState<D> {
  readonly groups: PaneGroupState[];
  /** The operator's data of every member of `groups`, in order (see {@link snapshotPanes}). */
  readonly data: D;
}

/**
 * Snapshots a pane engine by key group. `data` gets the proto groups of a key group's members, in
 * order, and returns the operator's data of them.
 */
export function snapshotPanes<D>(panes: WindowPanes, data: (protos: readonly number[]) => D): OperatorSnapshot {
  const byKeyGroup = new Map<number, PaneGroupState[]>();
  for (const g of panes.snapshotGroups()) {
    const kg = keyGroupOf(g.key);
    let list = byKeyGroup.get(kg);
    if (!list) byKeyGroup.set(kg, (list = []));
    list.push(g);
  }
  const keyed: [number, PaneKeyGroupState<D>][] = [];
  for (const [kg, groups] of [...byKeyGroup].sort((a, b) => a[0] - b[0])) {
    keyed.push([kg, { groups, data: data(groups.flatMap((g) => g.members)) }]);
  }
  return { keyed, watermark: panes.inputWatermark };
}

/**
 * Restores a pane engine from {@link snapshotPanes}: recreates each group and hands the operator
 * the new proto groups of each key group's members, in the order `data` was taken in.
 */
export function restorePanes<D>(panes: WindowPanes, state: OperatorSnapshot, put: (protos: readonly number[], data: D) => void): void {
  if (state.watermark !== undefined) panes.restoreWatermark(state.watermark);
  for (const [, s] of state.keyed ?? []) {
    const { groups, data } = s as PaneKeyGroupState<D>;
    put(groups.flatMap((g) => panes.restoreGroup(g)), data);
  }
}
