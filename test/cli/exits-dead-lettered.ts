/**
 * A pipeline whose user function, routed to a dead-letter output with retries, calls process.exit(3)
 * at the row with value 0: the exit still stops the run (it is no bad element to set aside).
 */
import { create, definePipeline, type DeadLetter, option, writeText } from "beamline";

export default definePipeline({
  options: { output: option.string("output prefix", { default: "out/exits-dead-lettered" }) },
  build(p, { output }) {
    const { main, deadLetter } = p.apply("Input", create(Array.from({ length: 100 }, (_, v) => ({ v })))).map(
      (r: { v: number }) => {
        if (r.v === 0) process.exit(3);
        return JSON.stringify(r);
      },
      { name: "MayExit", deadLetter: true, retry: { attempts: 2, initialBackoffMs: 0 } },
    );
    main.apply("Write", writeText(output));
    deadLetter.map((d: DeadLetter) => d.message, { name: "Why" }).apply("WriteDead", writeText(`${output}-dead`));
  },
});
