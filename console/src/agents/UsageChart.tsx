// The agent's cost and tokens per day, by provider: uPlot (a small canvas chart library), loaded
// only on an agent's page. The same figures are in the table beside it, for every reader.
import { useEffect, useRef } from "react";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";

export type DailySeries = { label: string; values: number[] };

const COLORS = ["#4f46e5", "#0d9488", "#d97706", "#db2777", "#2563eb", "#65a30d"];

function Chart(props: { title: string; days: number[]; series: DailySeries[]; format: (value: number) => string }) {
  const element = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const host = element.current;
    if (!host) return;
    const bars = uPlot.paths.bars?.({ size: [0.7, 40] });
    const plot = new uPlot(
      {
        width: Math.max(280, host.clientWidth),
        height: 180,
        legend: { show: true },
        // Half a day either side, so that the first and last days' bars show whole.
        scales: { x: { time: true, range: (_u, min, max) => [min - 43_200, max + 43_200] } },
        axes: [{}, { values: (_u, values) => values.map((value) => props.format(value)), size: 64 }],
        series: [
          {},
          ...props.series.map((one, i) => ({
            label: one.label,
            stroke: COLORS[i % COLORS.length],
            fill: `${COLORS[i % COLORS.length]}55`,
            paths: bars,
            points: { show: false },
            value: (_u: uPlot, value: number | null) => (value == null ? "–" : props.format(value)),
          })),
        ],
      },
      [props.days, ...props.series.map((one) => one.values)],
      host,
    );
    const resize = new ResizeObserver(() => plot.setSize({ width: Math.max(280, host.clientWidth), height: 180 }));
    resize.observe(host);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [props.days, props.series, props.format]);
  return (
    <figure className="usage-chart">
      <figcaption>{props.title}</figcaption>
      <div ref={element} role="img" aria-label={`${props.title}: the same figures are in the table below`} />
    </figure>
  );
}

const usd = (value: number) => `$${value < 1 && value > 0 ? value.toFixed(3) : value.toFixed(2)}`;
const count = (value: number) =>
  value >= 1_000_000
    ? `${(value / 1_000_000).toFixed(1)}M`
    : value >= 1000
      ? `${(value / 1000).toFixed(1)}k`
      : String(value);

export function UsageCharts(props: { days: number[]; cost: DailySeries[]; tokens: DailySeries[] }) {
  return (
    <div className="usage-charts">
      <Chart title="Cost per day (USD)" days={props.days} series={props.cost} format={usd} />
      <Chart title="Tokens per day" days={props.days} series={props.tokens} format={count} />
    </div>
  );
}
