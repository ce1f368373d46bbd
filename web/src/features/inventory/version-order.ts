//! Package versions ordered as dpkg orders them (the server's `compare_versions`): epoch, then the
//! upstream version, then the revision, each as runs of non-digits (`~` before everything, even the
//! end; letters before other characters) and runs of digits compared as numbers. So `3.0.2 < 3.0.7 <
//! 3.0.10` and `1.0~rc1 < 1.0`.

function split(version: string): [string, string, string] {
  const trimmed = version.trim();
  const colon = trimmed.indexOf(":");
  // The epoch is what precedes the first colon when that is all digits (none counts as 0).
  const [epoch, rest] =
    colon >= 0 && /^\d*$/.test(trimmed.slice(0, colon)) ? [trimmed.slice(0, colon), trimmed.slice(colon + 1)] : ["0", trimmed];
  const hyphen = rest.lastIndexOf("-");
  return hyphen >= 0 ? [epoch, rest.slice(0, hyphen), rest.slice(hyphen + 1)] : [epoch, rest, ""];
}

const isDigit = (c: string | undefined) => c !== undefined && c >= "0" && c <= "9";
const isLetter = (c: string) => /[A-Za-z]/.test(c);

/** dpkg's `order()` for one character of a non-digit run (`undefined`: the run's end). */
function weight(c: string | undefined): number {
  if (c === undefined || isDigit(c)) return 0;
  if (c === "~") return -1;
  return isLetter(c) ? c.charCodeAt(0) : c.charCodeAt(0) + 256;
}

function compareNumbers(a: string, b: string): number {
  const x = a.replace(/^0+/, "");
  const y = b.replace(/^0+/, "");
  if (x.length !== y.length) return x.length - y.length;
  return x < y ? -1 : x > y ? 1 : 0;
}

function comparePart(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    while ((i < a.length && !isDigit(a[i])) || (j < b.length && !isDigit(b[j]))) {
      const wa = weight(i < a.length && !isDigit(a[i]) ? a[i] : undefined);
      const wb = weight(j < b.length && !isDigit(b[j]) ? b[j] : undefined);
      if (wa !== wb) return wa - wb;
      if (i < a.length && !isDigit(a[i])) i++;
      if (j < b.length && !isDigit(b[j])) j++;
    }
    let ei = i;
    while (isDigit(a[ei])) ei++;
    let ej = j;
    while (isDigit(b[ej])) ej++;
    const numbers = compareNumbers(a.slice(i, ei), b.slice(j, ej));
    if (numbers !== 0) return numbers;
    i = ei;
    j = ej;
  }
  return 0;
}

/** Negative, zero or positive as `a` is older than, the same as or newer than `b`. */
export function compareVersions(a: string, b: string): number {
  const [ea, ua, ra] = split(a);
  const [eb, ub, rb] = split(b);
  return compareNumbers(ea, eb) || comparePart(ua, ub) || comparePart(ra, rb);
}
