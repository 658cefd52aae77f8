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
  /** chartKey() of what the canvas shows now. */
  const drawnRef = useRef<string | null>(null);
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
      drawnRef.current = chartKey(configRef.current);
    });
    return () => {
      cancelled = true;
      chartRef.current?.destroy();
      chartRef.current = null;
      drawnRef.current = null;
    };
  }, [config.type]);

  // Views re-read on every store change; most re-reads bring the same points (a sensor poll
  // that counted nobody). Redrawing a canvas is what costs an idle console its CPU, so the chart
  // is only updated when what it draws changed (options' callbacks are not compared: they are
  // rebuilt with each config and read the same data).
  useEffect(() => {
    const chart = chartRef.current;
    if (!chart) return;
    const drawn = chartKey(config);
    if (drawn === drawnRef.current) return;
    drawnRef.current = drawn;
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

/** What a chart draws: its data and its options without their callbacks. */
export function chartKey(config: ChartConfig): string {
  return JSON.stringify([config.type, config.data, config.options ?? null]);
}
