import { deliveryListQuery, parseDeliveryListSearch } from "./delivery-list-search";

const ID = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a01";

describe("delivery list search", () => {
  it("keeps valid filters and drops the rest", () => {
    expect(parseDeliveryListSearch({ channel_id: ID, status: "failed", q: " disk ", page: "3", delivery: ID })).toEqual({
      channel_id: ID,
      status: "failed",
      q: "disk",
      page: 3,
      delivery: ID,
    });
    expect(parseDeliveryListSearch({ channel_id: "nope", status: "lost", page: "1", alert_id: 5 })).toEqual({});
  });

  it("makes the API query without the open delivery", () => {
    expect(deliveryListQuery({ status: "sent", delivery: ID }, 50)).toEqual({ status: "sent", page: 1, per_page: 50 });
    expect(deliveryListQuery({ alert_id: ID, page: 2 }, 50)).toEqual({ alert_id: ID, page: 2, per_page: 50 });
  });
});
