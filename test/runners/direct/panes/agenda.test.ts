import { Agenda } from "../../../../runners/direct/panes/agenda";
import { rng } from "../../../helpers";

describe("Agenda", () => {
  it("hands out the groups due before each limit, earliest time first, each once, against a sorted reference", () => {
    const random = rng(11);
    const agenda = new Agenda();
    let model: { time: number; group: number; order: number }[] = [];
    let order = 0;
    for (let round = 0; round < 200; round++) {
      // Runs of one time (groups of one window arrive together), then scattered times.
      const time = Math.floor(random() * 50);
      const run = 1 + Math.floor(random() * 4);
      for (let k = 0; k < run; k++) {
        const group = Math.floor(random() * 1000);
        agenda.add(time, group);
        model.push({ time, group, order: order++ });
      }
      if (random() < 0.3) {
        const limit = Math.floor(random() * 50);
        const due = model.filter((d) => d.time < limit).sort((a, b) => a.time - b.time || a.order - b.order);
        model = model.filter((d) => d.time >= limit);
        expect(agenda.takeBefore(limit)).toEqual(due.map((d) => d.group));
      }
    }
    expect(agenda.takeBefore(Infinity)).toEqual(model.sort((a, b) => a.time - b.time || a.order - b.order).map((d) => d.group));
    expect(agenda.takeBefore(Infinity)).toEqual([]);
  });

  it("adds to a time again after it was taken", () => {
    const agenda = new Agenda();
    agenda.add(5, 1);
    expect(agenda.takeBefore(6)).toEqual([1]);
    agenda.add(5, 2);
    agenda.add(5, 3);
    expect(agenda.takeBefore(5)).toEqual([]);
    expect(agenda.takeBefore(6)).toEqual([2, 3]);
  });
});
