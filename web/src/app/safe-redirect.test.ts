import { safeRedirect } from "./safe-redirect";

describe("safeRedirect", () => {
  it("keeps paths inside the dashboard", () => {
    expect(safeRedirect("/agents?status=offline")).toBe("/agents?status=offline");
    expect(safeRedirect("/sites/2c1f8f47-5049-4dc7-8e5b-3f5b9f1f9b22")).toBe("/sites/2c1f8f47-5049-4dc7-8e5b-3f5b9f1f9b22");
  });

  it("refuses anything that could leave the site after login", () => {
    expect(safeRedirect("https://evil.example/phish")).toBeUndefined();
    expect(safeRedirect("//evil.example/phish")).toBeUndefined();
    expect(safeRedirect("/\\evil.example/phish")).toBeUndefined();
    expect(safeRedirect("javascript:alert(1)")).toBeUndefined();
    expect(safeRedirect(42)).toBeUndefined();
  });

  it("never sends the user back to the login page", () => {
    expect(safeRedirect("/login?redirect=%2Fagents")).toBeUndefined();
  });
});
