//! A session's browser in a few words ("Firefox on Linux") from its User-Agent header.

// Order matters: Edge and Opera also say Chrome, Chrome also says Safari.
const BROWSERS: [RegExp, string][] = [
  [/\bEdg(?:e|A|iOS)?\//, "Edge"],
  [/\bOPR\/|\bOpera\b/, "Opera"],
  [/\bFirefox\/|\bFxiOS\//, "Firefox"],
  [/\b(?:Headless)?Chrom(?:e|ium)\/|\bCriOS\//, "Chrome"],
  [/\bVersion\/[\d.]+.*\bSafari\//, "Safari"],
];

// iPads say Mac OS X and Android says Linux, so they come first.
const SYSTEMS: [RegExp, string][] = [
  [/\bWindows\b/, "Windows"],
  [/\biPhone|\biPad|\biPod/, "iOS"],
  [/\bAndroid\b/, "Android"],
  [/\bCrOS\b/, "ChromeOS"],
  [/\bMac OS X\b|\bMacintosh\b/, "macOS"],
  [/\bLinux\b/, "Linux"],
];

const MAX_OTHER_CHARS = 40;

export function shortenUserAgent(userAgent: string | null | undefined): string {
  const text = userAgent?.trim() ?? "";
  if (text === "") return "Unknown client";
  const browser = BROWSERS.find(([pattern]) => pattern.test(text))?.[1];
  const system = SYSTEMS.find(([pattern]) => pattern.test(text))?.[1];
  if (browser) return system ? `${browser} on ${system}` : browser;
  // A script or tool (curl/8.5.0, python-requests/2.31): its first product name.
  const product = /^[^\s/()]+/.exec(text)?.[0] ?? text;
  return product.length > MAX_OTHER_CHARS ? `${product.slice(0, MAX_OTHER_CHARS)}…` : product;
}
