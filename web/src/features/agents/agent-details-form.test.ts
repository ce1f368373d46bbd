import { agentDetailsRequest, agentDetailsValues, fieldOfRefusal, parseTags } from "./agent-details-form";

describe("agentDetailsRequest", () => {
  it("sends every field, trimmed, with tags as the server stores them", () => {
    expect(agentDetailsRequest({ alias: "  Front desk ", tags: " Reception, windows,\nRECEPTION,, ", notes: "Ask Ann.\n\n" })).toEqual({
      ok: true,
      request: { alias: "Front desk", tags: ["reception", "windows"], notes: "Ask Ann." },
    });
  });

  it("clears with empty fields (a null alias, no tags, no notes)", () => {
    expect(agentDetailsRequest({ alias: "  ", tags: "", notes: "" })).toEqual({ ok: true, request: { alias: null, tags: [], notes: "" } });
  });

  it("refuses what the server would refuse, next to the field", () => {
    const result = agentDetailsRequest({
      alias: "invoice\u202Efdp.exe",
      tags: Array.from({ length: 21 }, (_, n) => `t${n}`).join(","),
      notes: "x".repeat(10_001),
    });
    expect(result).toEqual({
      ok: false,
      errors: {
        alias: "No control or invisible characters.",
        tags: "At most 20 tags.",
        notes: "At most 10,000 characters.",
      },
    });
    expect(agentDetailsRequest({ alias: "", tags: 'say "hi"', notes: "" })).toMatchObject({
      ok: false,
      errors: { tags: expect.stringContaining("quotes") },
    });
    expect(agentDetailsRequest({ alias: "", tags: "x".repeat(33), notes: "" })).toMatchObject({
      ok: false,
      errors: { tags: expect.stringContaining("longer than 32") },
    });
    expect(agentDetailsRequest({ alias: "", tags: "", notes: "tab\tand\nlines are fine" }).ok).toBe(true);
    expect(agentDetailsRequest({ alias: "", tags: "", notes: "bell\u0007" }).ok).toBe(false);
  });
});

describe("the agent details form", () => {
  it("starts from the agent's details", () => {
    expect(agentDetailsValues({ alias: null, tags: ["a", "b"], notes: "n" })).toEqual({ alias: "", tags: "a, b", notes: "n" });
  });

  it("reads tags separated by commas or lines", () => {
    expect(parseTags("a,b\nc, A")).toEqual(["a", "b", "c"]);
  });

  it("knows which field a server refusal is about", () => {
    expect(fieldOfRefusal("alias must have at most 200 characters")).toBe("alias");
    expect(fieldOfRefusal("tags[2] must not be empty")).toBe("tags");
    expect(fieldOfRefusal("notes must have at most 10000 characters")).toBe("notes");
    expect(fieldOfRefusal("site_id: no such site")).toBeUndefined();
  });
});
