// @vitest-environment happy-dom
import { fireEvent, screen, waitFor } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";
import { demoSales } from "../dev/fixtures";
import { zonedDate } from "../lib/time";
import { demoApiAs, plain, renderScreen } from "../test/render";
import { rangeProblem, Sales } from "./Sales";

describe("Sales", () => {
  it("loads today in the venue's calendar, then a preset range", async () => {
    const api = demoApiAs("staff");
    const sales = vi.spyOn(api, "sales");
    renderScreen(<Sales />, { api });
    const today = zonedDate(new Date(), "Europe/Lisbon");
    await screen.findByTestId("sales-net");
    expect(sales).toHaveBeenCalledWith(today, today);
    fireEvent.click(screen.getByTestId("preset-last7"));
    await waitFor(() => expect(sales).toHaveBeenLastCalledWith(expect.any(String), today));
    const [from] = sales.mock.lastCall!;
    expect(new Date(`${today}T00:00:00Z`).getTime() - new Date(`${from}T00:00:00Z`).getTime()).toBe(6 * 86_400_000);
  });

  it("shows totals including refunds and tips, and locations", async () => {
    const api = demoApiAs("staff");
    api.sales = async (from, to) => demoSales(from, to, "EUR");
    renderScreen(<Sales />, { api });
    const net = await screen.findByTestId("sales-net");
    expect(plain(net.textContent)).toMatch(/^€/);
    expect(screen.getByTestId("sales-refunds")).toBeTruthy();
    expect(screen.getByTestId("sales-tips")).toBeTruthy();
    const locations = screen.getByTestId("sales-locations");
    expect(locations.textContent).toMatch(/square-main/);
    // Locations by name, with the vendor's id on hover.
    expect(locations.textContent).toMatch(/Rooftop Bar/);
    expect(locations.textContent).not.toMatch(/L-BAR-1/);
    expect(locations.querySelector('td[title="L-BAR-1"]')?.textContent).toBe("Rooftop Bar");
  });

  it("says when a range has no sales", async () => {
    const api = demoApiAs("staff");
    api.sales = async (from, to) => {
      const view = demoSales(from, to, "EUR");
      view.totals = { ...view.totals, transactions: 0, net_minor: 0 };
      view.by_location = [];
      return view;
    };
    renderScreen(<Sales />, { api });
    expect(await screen.findByTestId("sales-empty")).toBeTruthy();
  });

  it("exports CSV and shows where it went", async () => {
    const api = demoApiAs("staff");
    const exp = vi.spyOn(api, "exportSalesCsv");
    renderScreen(<Sales />, { api });
    fireEvent.click(await screen.findByTestId("export-csv"));
    expect((await screen.findByTestId("export-path")).textContent).toMatch(/\/exports\/sales-.*\.csv$/);
    expect(exp).toHaveBeenCalledTimes(1);
  });

  it("checks ranges", () => {
    expect(rangeProblem("2026-11-02", "2026-11-01")).toMatch(/after/);
    expect(rangeProblem("2025-01-01", "2026-11-01")).toMatch(/366/);
    expect(rangeProblem("2025-11-01", "2026-11-01")).toBeNull();
  });
});
