// @vitest-environment happy-dom
import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";
import { DEMO_VENUE } from "../dev/fixtures";
import { demoApiAs, plain, renderScreen } from "../test/render";
import { Reservations } from "./Reservations";

function search(text: string) {
  fireEvent.change(screen.getByTestId("guest-search"), { target: { value: text } });
}

describe("Reservations", () => {
  it("lists arrivals and switches tabs", async () => {
    const api = demoApiAs("staff");
    const stays = vi.spyOn(api, "stays");
    renderScreen(<Reservations />, { api });
    const table = await screen.findByTestId("stays-table");
    expect(within(table).getByText("Lucía García")).toBeTruthy();
    expect(stays).toHaveBeenLastCalledWith("arrivals", expect.stringMatching(/^\d{4}-\d\d-\d\d$/));
    fireEvent.click(screen.getByTestId("stays-in_house"));
    await waitFor(() => expect(stays).toHaveBeenLastCalledWith("in_house", expect.any(String)));
    expect(await screen.findByText("Oliver Smith")).toBeTruthy();
  });

  it("searches as you type, debounced", async () => {
    const api = demoApiAs("staff");
    const spy = vi.spyOn(api, "search");
    renderScreen(<Reservations />, { api });
    await screen.findByTestId("stays-table");
    search("g");
    search("ga");
    search("gar");
    const results = await screen.findAllByTestId("search-result");
    expect(results.length).toBe(2);
    expect(spy).toHaveBeenCalledTimes(1);
    expect(spy).toHaveBeenCalledWith("gar", 25);
  });

  it("says when nothing matches, and clearing shows the lists again", async () => {
    renderScreen(<Reservations />);
    await screen.findByTestId("stays-table");
    search("zzz");
    expect((await screen.findByTestId("search-empty")).textContent).toMatch(/zzz/);
    search("");
    expect(await screen.findByTestId("stays-table")).toBeTruthy();
  });

  it("opens a reservation from the results", async () => {
    const api = demoApiAs("staff");
    const reservation = vi.spyOn(api, "reservation");
    renderScreen(<Reservations />, { api });
    search("Becker");
    const results = await screen.findAllByTestId("search-result");
    fireEvent.click(within(results[1]!).getByRole("button"));
    const detail = await screen.findByTestId("reservation-detail");
    expect(reservation).toHaveBeenCalledWith("res-2");
    expect(within(detail).getByTestId("detail-guest").textContent).toBe("Tom Becker");
    expect(within(detail).getByTestId("detail-room").textContent).toBe("112");
    expect(within(detail).getByTestId("detail-state").textContent).toBe("Confirmed");
  });

  it("opens a guest's reservation from a customer result", async () => {
    const api = demoApiAs("staff");
    const guest = vi.spyOn(api, "guest");
    renderScreen(<Reservations />, { api });
    search("Priya");
    const results = await screen.findAllByTestId("search-result");
    expect(results[0]!.textContent).toMatch(/Guest/);
    fireEvent.click(within(results[0]!).getByRole("button"));
    expect((await screen.findByTestId("detail-guest")).textContent).toBe("Priya Shah");
    expect(guest).toHaveBeenCalledWith("cust-res-6");
    expect(screen.getByText(/VIP: champagne/)).toBeTruthy();
  });

  it("posts a charge in minor units and shows its state", async () => {
    const api = demoApiAs("staff");
    const post = vi.spyOn(api, "postCharge");
    renderScreen(<Reservations />, { api });
    fireEvent.click(await screen.findByText("Tom Becker"));
    await screen.findByTestId("reservation-detail");
    fireEvent.change(screen.getByTestId("charge-item"), { target: { value: "Minibar" } });
    fireEvent.change(screen.getByTestId("charge-amount"), { target: { value: "12.50" } });
    fireEvent.click(screen.getByTestId("charge-submit"));
    await waitFor(() => expect(post).toHaveBeenCalledWith("res-2", "Minibar", 1250));
    const charge = await post.mock.results[0]!.value;
    const row = await screen.findByTestId(`charge-${charge.id}`);
    expect(plain(row.textContent)).toMatch(/Minibar€12\.50pending/);
    expect(row.textContent).toMatch(/Mews did not answer/);
    expect(screen.getByTestId(`charge-row-${charge.id}`).textContent).toBe(row.textContent);
    expect(plain(screen.getByTestId("charge-result").textContent)).toMatch(/Posted Minibar €12\.50: pending/);
    expect((screen.getByTestId("charge-amount") as HTMLInputElement).value).toBe("");
  });

  it("refreshes charges on pms_charge events", async () => {
    const api = demoApiAs("staff");
    const { bus } = renderScreen(<Reservations />, { api });
    fireEvent.click(await screen.findByText("Tom Becker"));
    await screen.findByTestId("reservation-detail");
    const reservation = vi.spyOn(api, "reservation");
    bus.publish(["pms_charge"]);
    await waitFor(() => expect(reservation).toHaveBeenCalledWith("res-2"));
  });

  it("refuses a bad amount before posting", async () => {
    const api = demoApiAs("staff");
    const post = vi.spyOn(api, "postCharge");
    renderScreen(<Reservations />, { api });
    fireEvent.click(await screen.findByText("Tom Becker"));
    await screen.findByTestId("reservation-detail");
    fireEvent.change(screen.getByTestId("charge-item"), { target: { value: "Minibar" } });
    fireEvent.change(screen.getByTestId("charge-amount"), { target: { value: "12.505" } });
    fireEvent.click(screen.getByTestId("charge-submit"));
    expect((await screen.findByTestId("charge-invalid")).textContent).toMatch(/2 decimal places/);
    expect(post).not.toHaveBeenCalled();
  });

  it("uses the venue currency's exponent (JPY has none)", async () => {
    const api = demoApiAs("staff");
    const post = vi.spyOn(api, "postCharge");
    renderScreen(<Reservations />, { api, venue: { ...DEMO_VENUE, currency: "JPY", timezone: "Asia/Tokyo" } });
    fireEvent.click(await screen.findByText("Tom Becker"));
    await screen.findByTestId("reservation-detail");
    fireEvent.change(screen.getByTestId("charge-item"), { target: { value: "Sake" } });
    fireEvent.change(screen.getByTestId("charge-amount"), { target: { value: "1200" } });
    fireEvent.click(screen.getByTestId("charge-submit"));
    await waitFor(() => expect(post).toHaveBeenCalledWith("res-2", "Sake", 1200));
  });

  it("shows failed charges with their error, and saves the desk note", async () => {
    const api = demoApiAs("staff");
    const note = vi.spyOn(api, "setDeskNote");
    renderScreen(<Reservations />, { api });
    fireEvent.click(screen.getByTestId("stays-in_house"));
    fireEvent.click(await screen.findByText("Oliver Smith"));
    const failed = await screen.findByTestId("charge-ch-2");
    expect(failed.textContent).toMatch(/failed/);
    expect(failed.textContent).toMatch(/already checked out/);
    const input = screen.getByTestId("note-input") as HTMLTextAreaElement;
    expect(input.value).toBe("Late check-out agreed until 13:00.");
    fireEvent.change(input, { target: { value: "Late check-out until 14:00." } });
    fireEvent.click(screen.getByTestId("note-save"));
    await waitFor(() => expect(note).toHaveBeenCalledWith("res-4", "Late check-out until 14:00."));
    expect((await screen.findByTestId("note-meta")).textContent).toMatch(/Written by Sam Front Desk/);
  });

  it("shows the error code when posting is refused", async () => {
    const api = demoApiAs("staff");
    api.postCharge = () => Promise.reject({ code: "forbidden", message: "Charges are disabled for this reservation." });
    renderScreen(<Reservations />, { api });
    fireEvent.click(await screen.findByText("Tom Becker"));
    await screen.findByTestId("reservation-detail");
    fireEvent.change(screen.getByTestId("charge-item"), { target: { value: "Minibar" } });
    fireEvent.change(screen.getByTestId("charge-amount"), { target: { value: "5" } });
    fireEvent.click(screen.getByTestId("charge-submit"));
    expect((await screen.findByTestId("error-code")).textContent).toBe("forbidden");
    expect(screen.getByText("The charge was not posted")).toBeTruthy();
  });

  it("closes the panel with Esc", async () => {
    renderScreen(<Reservations />);
    fireEvent.click(await screen.findByText("Tom Becker"));
    await screen.findByTestId("reservation-detail");
    fireEvent.keyDown(document.body, { key: "Escape" });
    await waitFor(() => expect(screen.queryByTestId("reservation-detail")).toBeNull());
  });
});
