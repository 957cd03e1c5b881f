import { BeamlineError, UserCodeError } from "beamline";
import { describeValue } from "../../sdk/errors";

describe("error values", () => {
  test("numbers JSON cannot hold are printed as themselves, not as null", () => {
    expect(describeValue(NaN)).toBe("NaN");
    expect(describeValue(-Infinity)).toBe("-Infinity");
    expect(describeValue(1.5)).toBe("1.5");
    const e = new UserCodeError({ code: "BL_BAD_TIMER", value: NaN, rule: "offset takes a finite duration", fix: "pass ms" });
    expect(e).toBeInstanceOf(BeamlineError);
    expect(e.message).toContain("NaN — offset takes a finite duration");
  });
});
