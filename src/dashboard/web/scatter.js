// A scatter of the runs: any column against any other, with hover.

import { LineChart } from "./chart.js";

export class Scatter {
  constructor(canvas) {
    this.chart = new LineChart(canvas);
  }

  draw(runs, getX, getY, colorOf, nameOf) {
    const lines = [];
    for (const r of runs) {
      const x = getX(r), y = getY(r);
      if (typeof x !== "number" || typeof y !== "number") continue;
      lines.push({
        label: nameOf(r),
        color: colorOf(r),
        x: [x],
        y: [y],
        dot: true,
      });
    }
    // positive values spread over decades (learning rates) are drawn on a log axis
    const wide = (vs) =>
      vs.length > 1 && Math.min(...vs) > 0 &&
      Math.max(...vs) / Math.min(...vs) >= 1000;
    this.chart.draw({
      lines,
      bands: [],
      logX: wide(lines.map((l) => l.x[0])),
      logY: wide(lines.map((l) => l.y[0])),
      empty: "no run has both values",
    });
  }
}
