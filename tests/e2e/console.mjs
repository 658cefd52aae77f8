// End-to-end tests of the real Venue Console window, driven through tauri-driver while
// `venue sim` serves the vendors. tests/e2e/run.sh sets up the display, the simulators, the demo
// data dir and the driver, then runs this file.
//
// Environment:
//   E2E_APP          absolute path of the app binary (required)
//   E2E_DRIVER_URL   tauri-driver base URL (default http://127.0.0.1:4444)
//   E2E_CONTROL_URL  the simulators' control URL (default http://127.0.0.1:8790)
//   E2E_ARTIFACTS    where screenshots go (default tests/e2e/artifacts next to this file)
//   E2E_VENUE_NAME   venue name the header must show (default "Harbour Hotel & Bar")

import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Driver, TestFailure, runSuite, sleep } from "./webdriver.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const app = process.env.E2E_APP ?? "";
const venueName = process.env.E2E_VENUE_NAME || "Harbour Hotel & Bar";
const control = (process.env.E2E_CONTROL_URL || "http://127.0.0.1:8790").replace(/\/$/, "");
const driver = new Driver(process.env.E2E_DRIVER_URL || "http://127.0.0.1:4444", process.env.E2E_ARTIFACTS || join(here, "artifacts"));
const log = (message) => console.log(`e2e: ${message}`);

async function sim(method, path) {
  const response = await fetch(`${control}${path}`, { method, signal: AbortSignal.timeout(10_000) });
  if (!response.ok) throw new TestFailure(`simulator control ${method} ${path}: HTTP ${response.status} ${await response.text()}`);
  return response.status === 204 ? null : response.json();
}

/** Fails fast when the window shows an error banner instead of what a step waits for. */
async function noErrorBanner() {
  const code = await driver.text("[data-testid=error-code]");
  if (code) throw new TestFailure(`the window shows the error ${code}: ${await driver.text("[data-testid=error-message]")}`);
}

const number = (text) => (text === null ? NaN : Number(text.replace(/[^\d-]/g, "")));

async function signIn(pin) {
  await driver.type("[data-testid=signin-pin]", pin);
  await driver.click("[data-testid=signin-submit]");
}

async function open(screen) {
  await driver.click(`[data-testid=nav-${screen}]`);
}

const tests = [];
const test = (name, body) => tests.push({ name, body });

test("sign in: a wrong PIN is refused, the front desk's PIN opens Today", async () => {
  await driver.waitFor("[data-testid=signin-pin]", { timeout: 60_000 });
  await driver.until("the sign-in screen does not name the venue", async () => (await driver.text("[data-testid=venue-name]"))?.includes(venueName));
  await sleep(500); // let the first frame paint before the screenshot
  await driver.screenshot("01-sign-in.png");
  await signIn("9999");
  const error = await driver.until("no sign-in error for a wrong PIN", () => driver.text("[data-testid=signin-error]"));
  log(`wrong PIN: ${error}`);
  await signIn("1111");
  await driver.until("Today did not show the occupancy", async () => {
    await noErrorBanner();
    return driver.find("[data-testid=occupancy-now]");
  });
  const header = await driver.text("[data-testid=venue-name]");
  if (!header?.includes(venueName)) throw new TestFailure(`header shows ${JSON.stringify(header)}, expected ${venueName}`);
  if (await driver.find("[data-testid=nav-settings]")) throw new TestFailure("front-desk staff can see Settings");
});

test("today: occupancy changes live when people walk through a door", async () => {
  await sim("POST", "/doors/traffic/stop");
  // Wait for a settled number (the sensors poll every few seconds).
  const settled = await driver.until("occupancy never showed a number", async () => {
    const first = number(await driver.text("[data-testid=occupancy-now]"));
    await sleep(6_000);
    const second = number(await driver.text("[data-testid=occupancy-now]"));
    return Number.isFinite(second) && first === second ? { value: second } : null;
  }, { timeout: 60_000 });
  const before = settled.value;
  const capacity = number(await driver.text("[data-testid=capacity]"));
  log(`occupancy ${before} of ${capacity}`);
  await sim("POST", "/doors/front-door/walk?entries=7");
  const after = await driver.until(`occupancy did not rise from ${before} by 7`, async () => {
    const now = number(await driver.text("[data-testid=occupancy-now]"));
    return now === before + 7 ? now : null;
  }, { timeout: 45_000 });
  log(`occupancy rose live to ${after}`);
  for (const id of ["sales-today", "transactions-today", "arrivals-today", "departures-today", "in-house", "alerts-list", "connector-health", "sync-status"]) {
    if ((await driver.find(`[data-testid=${id}]`)) === null) throw new TestFailure(`Today has no [data-testid=${id}]`);
  }
  await driver.screenshot("02-today.png");
});

let guest = "";
test("reservations: search a guest and open the reservation", async () => {
  await open("reservations");
  await driver.waitFor("[data-testid=guest-search]");
  // Take a real in-house guest from the list, then find them by surname.
  const row = await driver.until("no in-house stay listed", async () => {
    await noErrorBanner();
    await driver.click("[data-testid=stays-in_house]");
    return driver.text("[data-testid=stay-guest]");
  });
  guest = row;
  const surname = guest.split(/\s+/).at(-1);
  await driver.type("[data-testid=guest-search]", surname);
  await driver.until(`no search result for ${surname}`, () => driver.find("[data-testid=search-result]"));
  await driver.screenshot("03-search.png");
  await driver.click("[data-testid=search-result]");
  const shown = await driver.until("the reservation did not open", () => driver.text("[data-testid=detail-guest]"));
  // Search ignores accents (staff type "Rodriguez" for "Rodríguez"), so the first hit may be
  // another guest of the same surname written without them.
  const fold = (text) => text.normalize("NFD").replace(/\p{M}/gu, "").toLowerCase();
  if (!fold(shown).includes(fold(surname))) throw new TestFailure(`the detail shows ${JSON.stringify(shown)}, searched ${surname}`);
  log(`opened the reservation of ${shown}`);
});

test("reservations: post a charge and see it sent to the PMS", async () => {
  await driver.type("[data-testid=charge-item]", "Minibar e2e");
  await driver.type("[data-testid=charge-amount]", "4.50");
  await driver.click("[data-testid=charge-submit]");
  const state = await driver.until("the charge never showed as sent", async () => {
    await noErrorBanner();
    const ids = await driver.findAll("[data-testid^=charge-row-]");
    for (const id of ids) {
      const text = await driver.call("GET", driver.s(`/element/${id}/text`));
      if (text.includes("Minibar e2e") && /sent/i.test(text)) return text;
    }
    return null;
  });
  log(`charge: ${state.replace(/\s+/g, " ")}`);
  await driver.screenshot("04-reservation.png");
});

test("connections: a connector goes OPEN when its vendor keeps failing", async () => {
  await open("connections");
  const breaker = "[data-testid=breaker-demo-square]";
  const initial = await driver.until("the Square connector is not shown", () => driver.text(breaker));
  log(`demo-square breaker: ${initial}`);
  await sim("POST", "/pos/fail?status=503");
  try {
    const opened = await driver.until("the breaker did not open", async () => {
      const state = await driver.text(breaker);
      if (/open/i.test(state ?? "") && !/half/i.test(state)) return state;
      await driver.click("[data-testid=fetch-now-demo-square]");
      await sleep(2_000);
      return null;
    }, { timeout: 120_000, every: 500 });
    log(`demo-square breaker: ${opened}`);
    await driver.screenshot("05-connections.png");
  } finally {
    await sim("POST", "/pos/recover");
  }
});

test("screens: sales and sensors render for staff; settings for an admin", async () => {
  await open("sales");
  await driver.until("sales did not load", async () => {
    await noErrorBanner();
    return driver.find("[data-testid=sales-totals]");
  });
  await driver.screenshot("06-sales.png");
  await open("sensors");
  await driver.until("sensors did not load", async () => {
    await noErrorBanner();
    return driver.find("[data-testid=sensor-row]");
  });
  await driver.screenshot("07-sensors.png");
  await driver.click("[data-testid=lock]");
  await signIn("3333");
  await open("settings");
  await driver.until("settings did not load", async () => {
    await noErrorBanner();
    return driver.find("[data-testid=settings-venue]");
  });
  await driver.screenshot("08-settings.png");
});

test("settings: the About card shows the version and offers the local update server's 0.2.0", async () => {
  // run.sh serves the offer through VENUE_UPDATE_ENDPOINT; the admin from the step before is
  // still on Settings.
  await driver.until("the app version is not shown", async () => (await driver.text("[data-testid=app-version]")) === "0.1.0");
  const install = await driver.until("no update is offered", async () => {
    const error = await driver.text("[data-testid=update-error]");
    if (error) throw new TestFailure(`the update check failed: ${error}`);
    const text = await driver.text("[data-testid=update-install]");
    return text === "Install update 0.2.0" ? text : null;
  });
  log(`offered: ${install}`);
  await driver.screenshot("09-update-offer.png");
  // This build was not installed from a package: it refuses to replace itself, and says so.
  await driver.click("[data-testid=update-install]");
  const refusal = await driver.until("installing was not refused", () => driver.text("[data-testid=update-install-error]"));
  if (!refusal.includes("not installed from a package")) throw new TestFailure(`unexpected install error: ${refusal}`);
});

await runSuite({ driver, app, tests });
