// @vitest-environment happy-dom
// A click on a desktop notification (the shell's `navigate` event) opens its screen: at once when
// signed in, after sign-in when the console was locked.
import { act, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { App } from "./App";
import { demoApiAs, LOCALE } from "./test/render";

async function signIn(pin: string) {
  fireEvent.change(await screen.findByTestId("signin-pin"), { target: { value: pin } });
  fireEvent.click(screen.getByTestId("signin-submit"));
}

const current = () => document.querySelector("[aria-current=page]")?.getAttribute("data-testid");

describe("navigate", () => {
  it("opens the notification's screen in a signed-in console", async () => {
    const api = demoApiAs("manager");
    render(<App api={api} locale={LOCALE} initialScreen="sales" />);
    await screen.findByTestId("nav-sales");
    expect(current()).toBe("nav-sales");
    act(() => api.emitNavigate({ screen: "sensors", alert_id: "a-1" }));
    await waitFor(() => expect(current()).toBe("nav-sensors"));
    act(() => api.emitNavigate({ screen: "not-a-screen", alert_id: null }));
    expect(current()).toBe("nav-sensors");
  });

  it("opens it after sign-in when the console was locked", async () => {
    history.replaceState(null, "", "#/sales");
    const api = demoApiAs(null);
    render(<App api={api} locale={LOCALE} />);
    await screen.findByTestId("signin-pin");
    act(() => api.emitNavigate({ screen: "connections", alert_id: "a-2" }));
    await signIn("2222");
    await waitFor(() => expect(current()).toBe("nav-connections"));
  });
});
