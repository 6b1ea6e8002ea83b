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
    this.chart.draw({
      lines,
      bands: [],
      logX: false,
      logY: false,
      empty: "no run has both values",
    });
  }
}
