/** The operator hooks that drive a pane engine from the watermark and processing time. */
import type { Operator, OperatorContext } from "../contract/operator";
import type { WindowPanes } from "./window-panes";

/** The operator hooks that hand time to a pane engine. */
export function paneTimeHooks(panes: WindowPanes, ctx: OperatorContext): Pick<Operator, "onWatermark" | "onProcessingTime" | "watermarkHold"> {
  return {
    onWatermark: (wm) => panes.onWatermark(wm),
    onProcessingTime: () => panes.onProcessingTime(ctx.processingTime()),
    watermarkHold: () => panes.hold(),
  };
}
