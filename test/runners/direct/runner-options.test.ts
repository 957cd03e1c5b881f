import { DirectRunner, OptionError } from "beamline";
import { thrownBy } from "../../helpers";

describe("the direct runner's options", () => {
  test("a batch size that is not a positive integer is refused when the runner is made, naming the flag and the field", () => {
    for (const batchSize of [0, -1, 1.5, NaN]) {
      const e = thrownBy(() => new DirectRunner({ batchSize }));
      expect(e).toBeInstanceOf(OptionError);
      expect(e).toMatchObject({ code: "BL_BAD_BATCH_SIZE", value: batchSize });
      expect((e as OptionError).fix).toMatch(/--batch-size=N \(batchSize: N\) with N >= 1/);
    }
    expect(() => new DirectRunner({ batchSize: 1 })).not.toThrow();
  });
});
