import type { Chart as ChartJS, ChartConfiguration } from "chart.js";
import { useEffect, useRef } from "react";

export type ChartConfig = ChartConfiguration<"bar" | "line", (number | null)[], string>;
type ChartInstance = ChartJS<"bar" | "line", (number | null)[], string>;

let chartModule: Promise<typeof import("./chartjs")> | null = null;
const loadChartJs = () => (chartModule ??= import("./chartjs"));

/**
 * A Chart.js chart on a canvas. The chart is created once per chart type and updated in place
 * when `config` changes; `label` is its text alternative, `summary` the fallback content.
 */
export function Chart({ config, label, summary, testId, tall = false }: { config: ChartConfig; label: string; summary?: string; testId?: string; tall?: boolean }) {
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const chartRef = useRef<ChartInstance | null>(null);
  const configRef = useRef(config);
  configRef.current = config;

  useEffect(() => {
    const canvas = canvasRef.current;
    let context: CanvasRenderingContext2D | null = null;
    try {
      context = canvas?.getContext("2d") ?? null;
    } catch {
      context = null;
    }
    // No 2D context (tests under happy-dom): the fallback text stands in for the chart.
    if (!canvas || !context) return;
    let cancelled = false;
    void loadChartJs().then(({ Chart: ChartCtor }) => {
      if (cancelled) return;
      chartRef.current = new ChartCtor(context, configRef.current) as ChartInstance;
    });
    return () => {
      cancelled = true;
      chartRef.current?.destroy();
      chartRef.current = null;
    };
  }, [config.type]);

  useEffect(() => {
    const chart = chartRef.current;
    if (!chart) return;
    chart.data = config.data;
    chart.options = config.options ?? {};
    chart.update("none");
  }, [config]);

  return (
    <div className={tall ? "chart chart-tall" : "chart"} data-testid={testId}>
      <canvas ref={canvasRef} role="img" aria-label={label}>
        {summary ?? label}
      </canvas>
    </div>
  );
}
