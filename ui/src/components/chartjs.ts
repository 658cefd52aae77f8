// Chart.js, registered with only what the console draws: bar and line charts on category and
// linear axes. Loaded on first use (a separate chunk), so the PIN screen does not wait for it.
// Chart.js injects no <style> elements; it sets canvas.style from JS, which `style-src 'self'` allows.
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Filler,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
} from "chart.js";

Chart.register(BarController, BarElement, LineController, LineElement, PointElement, CategoryScale, LinearScale, Tooltip, Legend, Filler);
Chart.defaults.font.family = 'system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "DejaVu Sans", sans-serif';
Chart.defaults.font.size = 12;
Chart.defaults.color = "#4a5365";
Chart.defaults.borderColor = "#e4e7ec";
Chart.defaults.animation = false;
Chart.defaults.maintainAspectRatio = false;
Chart.defaults.responsive = true;

export { Chart };
