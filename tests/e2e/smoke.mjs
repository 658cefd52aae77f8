// End-to-end smoke test of the real Venue Console window, over the W3C WebDriver HTTP API that
// tauri-driver serves. Plain Node 20, no npm dependencies. tests/e2e/run.sh sets up the display,
// the driver and the data dir, then runs this file.
//
// Environment:
//   E2E_APP         absolute path of the app binary (required)
//   E2E_VENUE_NAME  venue name the header must show (default "Harbour Hotel & Bar")
//   E2E_DRIVER_URL  tauri-driver base URL (default http://127.0.0.1:4444)
//   E2E_ARTIFACTS   where screenshots go (default tests/e2e/artifacts next to this file)
//   E2E_TIMEOUT_MS  how long to wait for the screen (default 30000)

import { mkdir, writeFile } from "node:fs/promises";
import { dirname, isAbsolute, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const app = process.env.E2E_APP ?? "";
const venueName = process.env.E2E_VENUE_NAME || "Harbour Hotel & Bar";
const driverUrl = (process.env.E2E_DRIVER_URL || "http://127.0.0.1:4444").replace(/\/$/, "");
const artifacts = process.env.E2E_ARTIFACTS || join(here, "artifacts");
const timeoutMs = Number(process.env.E2E_TIMEOUT_MS || 30_000);

// W3C WebDriver's key for element references.
const ELEMENT_KEY = "element-6066-11e4-a52e-4f735466cecf";

class TestFailure extends Error {}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const log = (message) => console.log(`e2e: ${message}`);

/** One WebDriver call. Resolves to `value`; rejects with the driver's error and message. */
async function wd(method, path, body, { timeout = 60_000 } = {}) {
  let response;
  try {
    response = await fetch(`${driverUrl}${path}`, {
      method,
      headers: body === undefined ? {} : { "content-type": "application/json; charset=utf-8" },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(timeout),
    });
  } catch (cause) {
    throw new Error(`${method} ${path}: cannot reach tauri-driver at ${driverUrl} (${cause.cause?.code ?? cause.message})`);
  }
  const text = await response.text();
  let payload;
  try {
    payload = JSON.parse(text);
  } catch {
    throw new Error(`${method} ${path}: HTTP ${response.status}, not JSON: ${text.slice(0, 300)}`);
  }
  if (!response.ok || (payload.value && typeof payload.value === "object" && "error" in payload.value)) {
    const { error = `HTTP ${response.status}`, message = "" } = payload.value ?? {};
    const err = new Error(`${method} ${path}: ${error}${message ? `: ${message}` : ""}`);
    err.webdriverError = error;
    throw err;
  }
  return payload.value;
}

async function waitForDriver() {
  const deadline = Date.now() + 15_000;
  let last = "";
  while (Date.now() < deadline) {
    try {
      const status = await wd("GET", "/status", undefined, { timeout: 2_000 });
      if (status?.ready !== false) return;
      last = status?.message ?? "not ready";
    } catch (error) {
      last = error.message;
    }
    await sleep(250);
  }
  throw new TestFailure(`tauri-driver did not become ready at ${driverUrl}: ${last}`);
}

/** Text of the first element matching `css`, or null when there is none (yet). */
async function textOf(sessionId, css) {
  try {
    const element = await wd("POST", `/session/${sessionId}/element`, { using: "css selector", value: css });
    const elementId = element?.[ELEMENT_KEY];
    if (typeof elementId !== "string") {
      throw new Error(`find ${css}: the driver answered without an element reference: ${JSON.stringify(element)}`);
    }
    const text = await wd("GET", `/session/${sessionId}/element/${elementId}/text`);
    return typeof text === "string" ? text.trim() : "";
  } catch (error) {
    // Not there yet, or the page was (re)loading while we asked.
    if (["no such element", "stale element reference", "no such frame"].includes(error.webdriverError)) {
      return null;
    }
    throw error;
  }
}

async function screenshot(sessionId, name) {
  const base64 = await wd("GET", `/session/${sessionId}/screenshot`);
  await mkdir(artifacts, { recursive: true });
  const file = join(artifacts, name);
  await writeFile(file, Buffer.from(base64, "base64"));
  return file;
}

async function smoke(sessionId) {
  // The page loads asynchronously and then asks the core for the status: poll the header until
  // it shows the venue, failing fast if the screen reports an error instead.
  const deadline = Date.now() + timeoutMs;
  let shown = null;
  for (;;) {
    shown = await textOf(sessionId, "[data-testid=venue-name]");
    if (shown !== null && shown.includes(venueName)) break;
    const code = await textOf(sessionId, "[data-testid=error-code]");
    if (code) {
      const message = await textOf(sessionId, "[data-testid=error-message]");
      throw new TestFailure(`the window shows the error ${code}: ${message} (instead of the venue)`);
    }
    if (shown === null) {
      // A debug build without the custom protocol loads the Vite dev server (devUrl) instead of
      // the embedded ui/dist; with no dev server running, WebKit shows its own error page.
      const url = await wd("GET", `/session/${sessionId}/url`).catch(() => "");
      const body = url.startsWith("http") ? await textOf(sessionId, "body") : null;
      if (body && /could not connect/i.test(body)) {
        throw new TestFailure(
          `the window loaded ${url} and shows "${body}": the binary is a dev build that expects the ` +
            "Vite dev server; build it with `cargo build -p venue-console --features tauri/custom-protocol` " +
            "so that it embeds ui/dist",
        );
      }
    }
    if (Date.now() > deadline) {
      const url = await wd("GET", `/session/${sessionId}/url`).catch((error) => `unknown (${error.message})`);
      throw new TestFailure(
        `after ${timeoutMs / 1000} s [data-testid=venue-name] shows ${JSON.stringify(shown)}, ` +
          `expected it to contain ${JSON.stringify(venueName)} (page ${url})`,
      );
    }
    await sleep(250);
  }
  log(`venue-name shows ${JSON.stringify(shown)}`);

  const schema = await textOf(sessionId, "[data-testid=schema-version]");
  if (!schema) {
    throw new TestFailure(`[data-testid=schema-version] is ${schema === null ? "missing" : "empty"}`);
  }
  log(`schema-version shows ${JSON.stringify(schema)}`);

  const file = await screenshot(sessionId, "home.png");
  log(`screenshot saved to ${file}`);
}

async function main() {
  if (!app || !isAbsolute(app)) {
    throw new TestFailure(`E2E_APP must be the absolute path of the app binary, got ${JSON.stringify(app)}`);
  }
  await waitForDriver();
  const session = await wd("POST", "/session", {
    capabilities: { alwaysMatch: { "tauri:options": { application: app } } },
  });
  const sessionId = session.sessionId;
  log(`session ${sessionId} started for ${app}`);
  try {
    await smoke(sessionId);
  } catch (error) {
    try {
      const file = await screenshot(sessionId, "failure.png");
      log(`failure screenshot saved to ${file}`);
    } catch {
      // The window may already be gone; the original error is what matters.
    }
    throw error;
  } finally {
    await wd("DELETE", `/session/${sessionId}`).catch((error) => log(`warning: ${error.message}`));
  }
}

try {
  await main();
  log("PASS smoke: the window shows the venue and the store");
  console.log("e2e: 1 passed, 0 failed");
} catch (error) {
  console.error(`e2e: FAIL smoke: ${error.message}`);
  console.log("e2e: 0 passed, 1 failed");
  process.exitCode = 1;
}
