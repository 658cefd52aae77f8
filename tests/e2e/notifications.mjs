// End-to-end test of managers' desktop notifications in the real app: people walk in until the
// venue is at 85% of capacity, and the Notify call for the capacity alert must reach the
// notification server of the app's D-Bus session, once, with the alert's title and body; a click
// on it must bring the console to Today. Front-desk staff get none; a manager signing in gets
// what is open. tests/e2e/run.sh starts the app's D-Bus session with a mock notification server
// (with-notification-daemon.sh) and runs this file after console.mjs, on the same data dir.
//
// Environment: as console.mjs (E2E_APP, E2E_DRIVER_URL, E2E_CONTROL_URL, E2E_ARTIFACTS); the
// session bus address is read from $E2E_ARTIFACTS/dbus-address.

import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Driver, TestFailure, runSuite, sleep } from "./webdriver.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const app = process.env.E2E_APP ?? "";
const artifacts = process.env.E2E_ARTIFACTS || join(here, "artifacts");
const control = (process.env.E2E_CONTROL_URL || "http://127.0.0.1:8790").replace(/\/$/, "");
const driver = new Driver(process.env.E2E_DRIVER_URL || "http://127.0.0.1:4444", artifacts);
const log = (message) => console.log(`e2e: ${message}`);

async function sim(method, path) {
  const response = await fetch(`${control}${path}`, { method, signal: AbortSignal.timeout(10_000) });
  if (!response.ok) throw new TestFailure(`simulator control ${method} ${path}: HTTP ${response.status} ${await response.text()}`);
  return response.status === 204 ? null : response.json();
}

// The mock notification server, through tests/e2e/notifications.py (system Python: dbus bindings).
function busAddress() {
  try {
    return readFileSync(join(artifacts, "dbus-address"), "utf8").trim();
  } catch (error) {
    throw new TestFailure(`no D-Bus address from with-notification-daemon.sh (${error.message})`);
  }
}
const probe = (...args) => execFileSync("/usr/bin/python3", [join(here, "notifications.py"), ...args], { encoding: "utf8", timeout: 10_000 });
/** Every Notify call so far: {id, app, summary, body, actions}. */
const notifyCalls = () => JSON.parse(probe("calls", busAddress()));
/** What a notification server sends when the user clicks a notification. */
const clickNotification = (id) => probe("click", busAddress(), String(id), "default");

const CAPACITY_TITLE = /^Occupancy at (\d+)% of capacity$/;
const capacityCalls = (calls) => calls.filter((c) => CAPACITY_TITLE.test(c.summary));

const number = (text) => (text === null ? NaN : Number(text.replace(/[^\d-]/g, "")));

async function noErrorBanner() {
  const code = await driver.text("[data-testid=error-code]");
  if (code) throw new TestFailure(`the window shows the error ${code}: ${await driver.text("[data-testid=error-message]")}`);
}

async function signIn(pin) {
  await driver.type("[data-testid=signin-pin]", pin);
  await driver.click("[data-testid=signin-submit]");
  await driver.until(`sign-in with ${pin} did not open the console`, async () => {
    await noErrorBanner();
    return driver.find("[data-testid=lock]");
  });
}

/** People inside as Today shows it, once it holds still for a few seconds (doors poll every 2 s). */
async function settledOccupancy() {
  await driver.click("[data-testid=nav-today]");
  const settled = await driver.until("occupancy never settled", async () => {
    const first = number(await driver.text("[data-testid=occupancy-now]"));
    await sleep(5_000);
    const second = number(await driver.text("[data-testid=occupancy-now]"));
    return Number.isFinite(second) && first === second ? { value: second } : null;
  }, { timeout: 60_000 });
  return settled.value;
}

const tests = [];
const test = (name, body) => tests.push({ name, body });
let capacity = 0;
let warning = null;

test("a manager is notified once when the venue reaches 85% of capacity, with the alert's title and body", async () => {
  await driver.waitFor("[data-testid=signin-pin]", { timeout: 60_000 });
  await sim("POST", "/doors/traffic/stop");
  await signIn("2222"); // Morgan Manager: the account signed in last gets the notifications
  const before = await settledOccupancy();
  capacity = number(await driver.text("[data-testid=capacity]"));
  const target = Math.ceil(capacity * 0.85);
  if (!(capacity > 0) || before >= capacity * 0.75) throw new TestFailure(`occupancy ${before} of ${capacity}: too full to start from`);
  await driver.click("[data-testid=nav-sensors]"); // so a click must bring Today back
  const earlier = capacityCalls(notifyCalls()).length;
  log(`occupancy ${before} of ${capacity}; walking ${target - before} people in (${earlier} capacity notifications so far)`);
  await sim("POST", `/doors/front-door/walk?entries=${target - before}`);

  warning = await driver.until("no Notify call for the capacity alert", () => capacityCalls(notifyCalls())[earlier] ?? null, { timeout: 60_000, every: 500 });
  log(`Notify #${warning.id} from ${JSON.stringify(warning.app)}: ${JSON.stringify(warning.summary)} / ${JSON.stringify(warning.body)}`);
  const body = /^(\d+) people inside against a capacity of (\d+)\.\nWarning · opened \d\d:\d\d$/.exec(warning.body);
  if (!body) throw new TestFailure(`unexpected body ${JSON.stringify(warning.body)}`);
  const inside = Number(body[1]);
  if (Number(body[2]) !== capacity) throw new TestFailure(`body names capacity ${body[2]}, the venue has ${capacity}`);
  if (inside < capacity * 0.8 || inside >= capacity * 0.95) throw new TestFailure(`${inside} inside is not a warning-level occupancy of ${capacity}`);
  const percent = Number(CAPACITY_TITLE.exec(warning.summary)[1]);
  if (percent !== Math.round((inside / capacity) * 100)) throw new TestFailure(`title says ${percent}%, body ${inside} of ${capacity}`);
  if (!warning.actions.includes("default")) throw new TestFailure(`no default action to click: ${JSON.stringify(warning.actions)}`);

  // More store changes (the doors keep reporting) must not bring it again within its cool-down.
  await sleep(8_000);
  const now = capacityCalls(notifyCalls()).length;
  if (now !== earlier + 1) throw new TestFailure(`${now - earlier} capacity notifications, expected exactly 1`);
});

test("a click on the notification shows the console on Today", async () => {
  if (await driver.find("[data-testid=nav-today][aria-current=page]")) throw new TestFailure("Today is already shown");
  clickNotification(warning.id);
  await driver.until("the click did not open Today", () => driver.find("[data-testid=nav-today][aria-current=page]"), { timeout: 15_000 });
  await driver.waitFor("[data-testid=occupancy-now]");
  await driver.screenshot("09-notification-click.png");
});

test("front-desk staff get no notification; the manager gets the critical one on signing in", async () => {
  await driver.click("[data-testid=lock]");
  await signIn("1111"); // Sam Front Desk is now the account signed in last
  const earlier = capacityCalls(notifyCalls()).length;
  const inside = await settledOccupancy();
  const target = Math.ceil(capacity * 0.97);
  await sim("POST", `/doors/front-door/walk?entries=${Math.max(1, target - inside)}`);
  await driver.until("Today does not show the critical occupancy alert", async () => {
    for (const id of await driver.findAll("[data-testid=alerts-list] li.alert-critical")) {
      const text = await driver.call("GET", driver.s(`/element/${id}/text`)).catch(() => "");
      if (text.includes("Occupancy at")) return true;
    }
    return false;
  }, { timeout: 60_000 });
  await sleep(5_000); // a notification would be out by now (the shell asks on every alert change)
  const forStaff = capacityCalls(notifyCalls()).length - earlier;
  if (forStaff !== 0) throw new TestFailure(`${forStaff} capacity notifications while front-desk staff were signed in last`);
  await driver.click("[data-testid=lock]");
  await signIn("2222");
  const critical = await driver.until("no notification of the critical alert after the manager signed in", () => {
    const fresh = capacityCalls(notifyCalls()).slice(earlier);
    return fresh.find((c) => c.body.includes("\nCritical · opened ")) ?? null;
  }, { timeout: 30_000, every: 500 });
  log(`Notify #${critical.id}: ${JSON.stringify(critical.summary)} / ${JSON.stringify(critical.body)}`);
  const fresh = capacityCalls(notifyCalls()).slice(earlier);
  if (fresh.length !== 1) throw new TestFailure(`${fresh.length} capacity notifications after signing in, expected only the critical one (the warning was shown already)`);
});

await runSuite({
  driver,
  app,
  tests,
  label: "notifications",
  prepare: async () => busAddress(),
  cleanup: () => sim("POST", "/doors/traffic/start"),
});
