/** Chart colours; they match the CSS custom properties in styles.css. */
export const PALETTE = {
  accent: "#1f4e8c",
  accentFill: "rgba(31, 78, 140, 0.12)",
  compare: "#8a93a3",
  positive: "#2f7d4f",
  negative: "#b4452f",
  bar: "#3b6fb0",
  grid: "#e4e7ec",
} as const;
