// User Timing marks along the start-up path (boot → sign-in shown → signed in → Today's numbers).
// `venue-bench app` reads them from the real window to break its cold-start time down; each is
// set once per page load, so they cost nothing after start-up.

export type StartMark = "boot" | "venue-read" | "signin-shown" | "signin-submit" | "signed-in" | "today-asked" | "today-answered" | "today-data";

export function markOnce(name: StartMark): void {
  if (typeof performance === "undefined" || typeof performance.mark !== "function") return;
  if (performance.getEntriesByName(name, "mark").length === 0) performance.mark(name);
}
