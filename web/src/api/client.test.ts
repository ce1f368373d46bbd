import { api, onClientScopeRefused, onSecondFactorSetupRequired } from "./client";
import { forgetSession, getSession, sessionChanged } from "@/lib/session";

describe("the API client", () => {
  afterEach(() => forgetSession());

  it("sends the CSRF token on changes, never a token header, and signs out on a 401", async () => {
    document.cookie = "gururmm_csrf=c5rf; Path=/";
    sessionChanged();
    const requests: Request[] = [];
    const fetch = async (request: Request) => {
      requests.push(request);
      return new Response(JSON.stringify({ error: { code: "unauthorized", message: "expired" } }), {
        status: request.method === "GET" ? 200 : 401,
        headers: { "Content-Type": "application/json" },
      });
    };
    await api.GET("/api/v1/auth/me", { fetch });
    await api.POST("/api/v1/auth/logout", { fetch });
    const [read, change] = requests;
    expect(read?.headers.get("X-CSRF-Token")).toBeNull();
    expect(read?.headers.get("Authorization")).toBeNull();
    expect(change?.headers.get("X-CSRF-Token")).toBe("c5rf");
    expect(getSession()).toBeNull();
  });

  it("tells its listeners when the server wants a second factor set up first, and the caller still reads the refusal", async () => {
    document.cookie = "gururmm_csrf=c5rf; Path=/";
    sessionChanged();
    const refusal = (code: string) => async () =>
      new Response(JSON.stringify({ error: { code, message: "refused" } }), {
        status: 403,
        headers: { "Content-Type": "application/json" },
      });
    const heard = vi.fn();
    const stop = onSecondFactorSetupRequired(heard);
    await api.GET("/api/v1/users", { fetch: refusal("permission_denied") });
    expect(heard).not.toHaveBeenCalled();
    const { error } = await api.GET("/api/v1/agents", { fetch: refusal("second_factor_setup_required") });
    expect(heard).toHaveBeenCalledTimes(1);
    expect(error).toEqual({ error: { code: "second_factor_setup_required", message: "refused" } });
    // Signed out, there is nothing to set up.
    forgetSession();
    await api.GET("/api/v1/agents", { fetch: refusal("second_factor_setup_required") });
    stop();
    expect(heard).toHaveBeenCalledTimes(1);
  });

  it("tells its listeners when an operation is not open to a user limited to some clients", async () => {
    document.cookie = "gururmm_csrf=c5rf; Path=/";
    sessionChanged();
    const refusal = (code: string) => async () =>
      new Response(JSON.stringify({ error: { code, message: "refused" } }), {
        status: 403,
        headers: { "Content-Type": "application/json" },
      });
    const scope = vi.fn();
    const secondFactor = vi.fn();
    const stopScope = onClientScopeRefused(scope);
    const stopSecondFactor = onSecondFactorSetupRequired(secondFactor);
    await api.GET("/api/v1/users", { fetch: refusal("permission_denied") });
    expect(scope).not.toHaveBeenCalled();
    const { error } = await api.GET("/api/v1/alerts", { fetch: refusal("client_scope") });
    expect(scope).toHaveBeenCalledTimes(1);
    expect(secondFactor).not.toHaveBeenCalled();
    expect(error).toEqual({ error: { code: "client_scope", message: "refused" } });
    stopScope();
    stopSecondFactor();
    await api.GET("/api/v1/alerts", { fetch: refusal("client_scope") });
    expect(scope).toHaveBeenCalledTimes(1);
  });
});
