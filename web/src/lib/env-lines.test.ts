import { formatEnvLines, HIDDEN_VALUE, parseEnvLines } from "./env-lines";

describe("parseEnvLines", () => {
  it("reads NAME=value lines, skipping blanks and comments, values keeping their = signs", () => {
    expect(parseEnvLines("LANG=C\n\n# proxy\nURL=http://x/?a=b\nEMPTY=")).toEqual({
      ok: true,
      env: { LANG: "C", URL: "http://x/?a=b", EMPTY: "" },
    });
  });

  it("refuses a line without =, a bad name and a name set twice", () => {
    expect(parseEnvLines("LANG")).toEqual({ ok: false, message: "Line 1: expected NAME=value" });
    expect(parseEnvLines("2X=1")).toMatchObject({ ok: false, message: expect.stringContaining("not a valid variable name") });
    expect(parseEnvLines("A=1\nA=2")).toEqual({ ok: false, message: "Line 2: A is set twice" });
  });

  it("refuses the hidden-value placeholder as a value", () => {
    expect(parseEnvLines(`A=1\nTOKEN=${HIDDEN_VALUE}`)).toEqual({
      ok: false,
      message: `Line 2: ${HIDDEN_VALUE} stands for a hidden value; enter the value of TOKEN`,
    });
    expect(parseEnvLines(`TOKEN=x${HIDDEN_VALUE}`)).toEqual({ ok: true, env: { TOKEN: `x${HIDDEN_VALUE}` } });
  });

  it("formats an environment back to lines", () => {
    expect(formatEnvLines({ A: "1", B: "x=y" })).toBe("A=1\nB=x=y");
  });
});
