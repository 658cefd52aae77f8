// A small W3C WebDriver client over fetch (Node 20, no npm dependencies), for tauri-driver.

import { mkdir, writeFile } from "node:fs/promises";
import { isAbsolute, join } from "node:path";

// W3C WebDriver's key for element references.
const ELEMENT_KEY = "element-6066-11e4-a52e-4f735466cecf";

export class TestFailure extends Error {}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// A WebDriver call slower than this is logged with what it was, to find where a slow step waits.
const SLOW_CALL_MS = Number(process.env.E2E_SLOW_CALL_MS ?? 2_000);

export class Driver {
  constructor(url, artifacts) {
    this.url = url.replace(/\/$/, "");
    this.artifacts = artifacts;
    this.sessionId = null;
  }

  /** One WebDriver call. Resolves to `value`; rejects with the driver's error and message. */
  async call(method, path, body, { timeout = 60_000 } = {}) {
    let response;
    const started = Date.now();
    try {
      response = await fetch(`${this.url}${path}`, {
        method,
        headers: body === undefined ? {} : { "content-type": "application/json; charset=utf-8" },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(timeout),
      });
    } catch (cause) {
      throw new Error(`${method} ${path}: cannot reach tauri-driver at ${this.url} (${cause.cause?.code ?? cause.message})`);
    }
    const text = await response.text();
    const took = Date.now() - started;
    if (took >= SLOW_CALL_MS) {
      const what = body === undefined ? "" : ` ${JSON.stringify(body).slice(0, 120)}`;
      console.log(`e2e: slow WebDriver call (${took} ms at ${new Date(started).toISOString()}): ${method} ${path.replace(/^\/session\/[^/]+/, "")}${what}`);
    }
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

  async waitReady() {
    const deadline = Date.now() + 15_000;
    let last = "";
    while (Date.now() < deadline) {
      try {
        const status = await this.call("GET", "/status", undefined, { timeout: 2_000 });
        if (status?.ready !== false) return;
        last = status?.message ?? "not ready";
      } catch (error) {
        last = error.message;
      }
      await sleep(250);
    }
    throw new TestFailure(`tauri-driver did not become ready at ${this.url}: ${last}`);
  }

  async start(application) {
    const session = await this.call("POST", "/session", {
      capabilities: { alwaysMatch: { "tauri:options": { application } } },
    });
    this.sessionId = session.sessionId;
    return this.sessionId;
  }

  async stop() {
    if (this.sessionId) await this.call("DELETE", `/session/${this.sessionId}`);
    this.sessionId = null;
  }

  s(path) {
    return `/session/${this.sessionId}${path}`;
  }

  /** The element id of the first match of `css`, or null when there is none (yet). */
  async find(css) {
    try {
      const element = await this.call("POST", this.s("/element"), { using: "css selector", value: css });
      return element?.[ELEMENT_KEY] ?? null;
    } catch (error) {
      if (["no such element", "stale element reference", "no such frame"].includes(error.webdriverError)) return null;
      throw error;
    }
  }

  async findAll(css) {
    const elements = await this.call("POST", this.s("/elements"), { using: "css selector", value: css });
    return elements.map((e) => e[ELEMENT_KEY]);
  }

  /** Text of the first match of `css`, or null when there is none (yet). */
  async text(css) {
    const id = await this.find(css);
    if (!id) return null;
    try {
      const text = await this.call("GET", this.s(`/element/${id}/text`));
      return typeof text === "string" ? text.trim() : "";
    } catch (error) {
      if (error.webdriverError === "stale element reference") return null;
      throw error;
    }
  }

  /** Waits until `check()` returns a truthy value and returns it; fails naming `what`. */
  async until(what, check, { timeout = 30_000, every = 250 } = {}) {
    const deadline = Date.now() + timeout;
    let last;
    for (;;) {
      last = await check();
      if (last) return last;
      if (Date.now() > deadline) throw new TestFailure(`after ${timeout / 1000} s: ${what}`);
      await sleep(every);
    }
  }

  async waitFor(css, { timeout = 30_000 } = {}) {
    return this.until(`${css} did not appear`, () => this.find(css), { timeout });
  }

  async click(css) {
    const id = await this.waitFor(css);
    await this.call("POST", this.s(`/element/${id}/click`), {});
  }

  async type(css, value, { clear = true } = {}) {
    const id = await this.waitFor(css);
    if (clear) await this.call("POST", this.s(`/element/${id}/clear`), {});
    await this.call("POST", this.s(`/element/${id}/value`), { text: value });
  }

  async screenshot(name) {
    // WebKit takes a screenshot at the page's next paint, and without GPU compositing a page
    // that changes nothing does not paint: a console at rest made this wait 12–32 s for its
    // next clock tick or store event. A one-pixel, all but transparent dot brings that paint now.
    await this.call("POST", this.s("/execute/sync"), {
      script: `const dot = document.createElement("div");
        dot.style.cssText = "position:fixed;left:0;top:0;width:1px;height:1px;background:rgba(0,0,0,0.01);pointer-events:none";
        document.body.appendChild(dot);
        setTimeout(() => dot.remove(), 1000);`,
      args: [],
    });
    const base64 = await this.call("GET", this.s("/screenshot"));
    await mkdir(this.artifacts, { recursive: true });
    const file = join(this.artifacts, name);
    await writeFile(file, Buffer.from(base64, "base64"));
    return file;
  }
}

/**
 * Runs `tests` in order in one session of the app (stopping at the first failure: later steps
 * build on earlier ones), prints "e2e: [LABEL: ]N passed, M failed" and sets the exit code.
 * `prepare` runs before the app starts, `cleanup` after the last step whatever happened.
 */
export async function runSuite({ driver, app, tests, label = "", prepare = async () => {}, cleanup = async () => {} }) {
  const log = (message) => console.log(`e2e: ${message}`);
  const prefix = label ? `${label}: ` : "";
  try {
    if (!app || !isAbsolute(app)) throw new TestFailure(`E2E_APP must be the absolute path of the app binary, got ${JSON.stringify(app)}`);
    await prepare();
    await driver.waitReady();
    await driver.start(app);
    log(`session ${driver.sessionId} started for ${app}`);
    let passed = 0;
    let failed = 0;
    try {
      for (const { name, body } of tests) {
        const started = Date.now();
        try {
          await body();
          passed += 1;
          log(`PASS ${name} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
        } catch (error) {
          failed += 1;
          console.error(`e2e: FAIL ${name}: ${error.message}`);
          await driver.screenshot(`failure-${label ? `${label}-` : ""}${passed + failed}.png`).catch(() => {});
          break;
        }
      }
    } finally {
      await cleanup().catch((error) => log(`warning: ${error.message}`));
      await driver.stop().catch((error) => log(`warning: ${error.message}`));
    }
    const skipped = tests.length - passed - failed;
    console.log(`e2e: ${prefix}${passed} passed, ${failed} failed${skipped ? `, ${skipped} not run` : ""}`);
    if (failed > 0 || skipped > 0) process.exitCode = 1;
  } catch (error) {
    console.error(`e2e: FAIL: ${error.message}`);
    console.log(`e2e: ${prefix}0 passed, 1 failed`);
    process.exitCode = 1;
  }
}
