import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { LiveEventsProvider } from "@/lib/live-events";
import { channel, delivery, pageOf } from "@/test/fixtures";
import { renderPage } from "@/test/render-page";
import { DELIVERIES_PER_PAGE, notificationKeys } from "../api/notifications";
import { deliveryListQuery, type DeliveryListSearch } from "../delivery-list-search";
import { DeliveriesPage } from "./deliveries-page";

const SENT = delivery();
const FAILED = delivery({
  id: "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4d02",
  status: "failed",
  attempts: 8,
  last_error: "HTTP 500 from receiver",
  subject: "Disk almost full",
});

function renderDeliveries(search: DeliveryListSearch) {
  const onSearchChange = vi.fn();
  const { delivery: open, ...list } = search;
  renderPage(
    <LiveEventsProvider session={null}>
      <DeliveriesPage search={search} onSearchChange={onSearchChange} />
    </LiveEventsProvider>,
    {
      seed: [
        [notificationKeys.deliveries(deliveryListQuery(list, DELIVERIES_PER_PAGE)), pageOf([SENT, FAILED], DELIVERIES_PER_PAGE)],
        [notificationKeys.channels, { items: [channel()] }],
        ...(open
          ? ([
              [
                notificationKeys.delivery(open),
                {
                  ...FAILED,
                  attempt_log: [
                    { attempt: 1, attempted_at: "2026-01-01T00:00:00Z", ok: false, detail: "HTTP 500 from receiver" },
                    { attempt: 2, attempted_at: "2026-01-01T00:00:15Z", ok: true, detail: "HTTP 200" },
                  ],
                },
              ],
            ] as [readonly unknown[], unknown][])
          : []),
      ],
    },
  );
  return onSearchChange;
}

describe("DeliveriesPage", () => {
  it("lists deliveries with status, attempts and the last error", async () => {
    renderDeliveries({ status: "failed", page: 2 });
    const rows = await screen.findAllByTestId("delivery-row");
    expect(rows).toHaveLength(2);
    expect(within(rows[1]!).getByTestId("delivery-status")).toHaveTextContent("Failed");
    expect(rows[1]).toHaveTextContent("HTTP 500 from receiver");
    expect(rows[1]).toHaveTextContent("8");
  });

  it("opens a delivery through the URL, keeping the page", async () => {
    const onSearchChange = renderDeliveries({ page: 2 });
    await userEvent.click((await screen.findAllByTestId("delivery-row"))[1]!);
    expect(onSearchChange).toHaveBeenCalledWith({ page: 2, delivery: FAILED.id });
  });

  it("shows each attempt of the open delivery", async () => {
    renderDeliveries({ delivery: FAILED.id });
    const attempts = await screen.findAllByTestId("delivery-attempt");
    expect(attempts).toHaveLength(2);
    expect(attempts[0]).toHaveAttribute("data-ok", "false");
    expect(attempts[0]).toHaveTextContent("HTTP 500 from receiver");
    expect(attempts[1]).toHaveAttribute("data-ok", "true");
  });

  it("clears the filters", async () => {
    const onSearchChange = renderDeliveries({ status: "failed", q: "disk" });
    await userEvent.click(await screen.findByTestId("clear-delivery-filters"));
    expect(onSearchChange).toHaveBeenCalledWith({});
  });
});
