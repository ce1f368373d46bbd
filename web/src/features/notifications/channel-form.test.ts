import { channel } from "@/test/fixtures";
import { buildChannelRequest, channelProblemFromServer, channelToForm, newChannelForm } from "./channel-form";

describe("buildChannelRequest", () => {
  it("sends an email channel's recipients as a list", () => {
    const result = buildChannelRequest(
      { ...newChannelForm("email"), name: " On call ", to: "a@example.com, b@example.com\nc@example.com" },
      false,
    );
    expect(result).toEqual({
      ok: true,
      body: {
        name: "On call",
        kind: "email",
        config: { to: ["a@example.com", "b@example.com", "c@example.com"] },
        subject_template: null,
        body_template: null,
      },
    });
  });

  it("refuses an email channel without valid recipients", () => {
    expect(buildChannelRequest({ ...newChannelForm("email"), name: "x" }, false)).toEqual({
      ok: false,
      problems: { to: "Add at least one address." },
    });
    expect(buildChannelRequest({ ...newChannelForm("email"), name: "x", to: "nobody" }, false)).toEqual({
      ok: false,
      problems: { to: "Not an email address: nobody" },
    });
  });

  it("requires a webhook's URL and secret when creating, and checks the secret's length", () => {
    expect(buildChannelRequest({ ...newChannelForm("webhook"), name: "hook" }, false)).toEqual({
      ok: false,
      problems: { url: "The URL is required.", secret: "The signing secret is required." },
    });
    expect(buildChannelRequest({ ...newChannelForm("webhook"), name: "hook", url: "https://h.example/x", secret: "short" }, false)).toEqual(
      {
        ok: false,
        problems: { secret: "16 to 200 characters." },
      },
    );
    const secret = "0123456789abcdef";
    expect(buildChannelRequest({ ...newChannelForm("webhook"), name: "hook", url: "https://h.example/x", secret }, false)).toMatchObject({
      ok: true,
      body: { kind: "webhook", config: { url: "https://h.example/x", secret } },
    });
  });

  it("leaves a blank URL and secret out on an edit, so the stored ones stay", () => {
    const values = channelToForm(channel({ kind: "webhook", config: { to: [], url_hint: "https://h.example/…", has_secret: true } }));
    expect(values.url).toBe("");
    expect(buildChannelRequest(values, true)).toMatchObject({ ok: true, body: { kind: "webhook", config: {} } });
  });

  it("sends a Slack or Teams URL and the templates", () => {
    for (const kind of ["slack", "teams"] as const) {
      const result = buildChannelRequest(
        { ...newChannelForm(kind), name: "chat", url: "https://hooks.example/T1", subject_template: "{{ title }}", body_template: " " },
        false,
      );
      expect(result).toEqual({
        ok: true,
        body: { name: "chat", kind, config: { url: "https://hooks.example/T1" }, subject_template: "{{ title }}", body_template: null },
      });
    }
    expect(buildChannelRequest({ ...newChannelForm("slack"), name: "chat", url: "hooks.example" }, false)).toEqual({
      ok: false,
      problems: { url: "An http:// or https:// URL." },
    });
  });

  it("reads a stored channel back into the form", () => {
    const values = channelToForm(channel({ config: { to: ["a@example.com", "b@example.com"], has_secret: false }, subject_template: "S" }));
    expect(values).toMatchObject({ kind: "email", to: "a@example.com, b@example.com", subject_template: "S", body_template: "" });
  });
});

describe("channelProblemFromServer", () => {
  it("places a 422 on the field it names", () => {
    expect(channelProblemFromServer("config.url: must be https")).toEqual({ field: "url", message: "must be https" });
    expect(channelProblemFromServer("config.secret: must be 16 to 200 characters")).toEqual({
      field: "secret",
      message: "must be 16 to 200 characters",
    });
    expect(channelProblemFromServer("config.to[1]: not an email address")).toEqual({ field: "to", message: "not an email address" });
    expect(channelProblemFromServer("subject_template: unknown filter")).toEqual({ field: "subject_template", message: "unknown filter" });
    expect(channelProblemFromServer("something else went wrong")).toBeNull();
  });
});
