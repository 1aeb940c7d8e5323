import { describe, expect, it } from "vitest";
import { lrChart } from "./lr-chart";

describe("lrChart", () => {
  const points = [1e-5, 1e-4, 1e-3, 1e-2, 1e-1].map((lr, i) => ({
    lr,
    loss: 0,
    smoothed: [2, 1.5, 1.2, 0.8, 1.6][i]!,
  }));

  it("puts the lowest loss on the bottom row and the first point in the first column", () => {
    const lines = lrChart(points, {}, 5, 4).split("\n");
    expect(lines).toHaveLength(4 + 2);
    expect(lines[0]).toBe("    2.00 |•    "); // highest smoothed loss, top row, LR 1e-5
    expect(lines[3]).toBe("   0.800 |   • "); // lowest, bottom row, LR 1e-2 (4th of 5 columns)
  });

  it("marks suggestions on the axis with distinct letters", () => {
    const out = lrChart(points, { valley: 1e-3, steep: 1e-5, slide: 1e-1 }, 5, 4);
    expect(out).toContain("+S-V-L");
    expect(out).toContain("V=valley 1.00e-3");
    expect(out).toContain("L=slide 1.00e-1");
  });
});
