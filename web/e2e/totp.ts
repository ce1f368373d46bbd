//! The codes of an authenticator app (RFC 6238 with the server's settings: HMAC-SHA-1, six digits,
//! 30-second steps), so a browser test can turn on and use a second factor as a person with a phone.
import { createHmac } from "node:crypto";

const BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const STEP_SECONDS = 30;

function base32Bytes(text: string): Buffer {
  const bytes: number[] = [];
  let buffered = 0;
  let bits = 0;
  for (const letter of text.replace(/[\s=]/g, "").toUpperCase()) {
    const value = BASE32.indexOf(letter);
    if (value < 0) throw new Error(`not base32: ${text}`);
    buffered = (buffered << 5) | value;
    bits += 5;
    if (bits >= 8) {
      bytes.push((buffered >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(bytes);
}

/** The time step of now (or of `at`, in milliseconds). */
export function totpStep(at: number = Date.now()): number {
  return Math.floor(at / 1000 / STEP_SECONDS);
}

/** The six-digit code of `step` for a base32 secret (spaces allowed, as the account page groups it). */
export function totpCode(secret: string, step: number = totpStep()): string {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = createHmac("sha1", base32Bytes(secret)).update(counter).digest();
  const offset = (mac[mac.length - 1] ?? 0) & 0x0f;
  return String((mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000).padStart(6, "0");
}

// RFC 6238's first SHA-1 vector ("12345678901234567890" at 59 s gives 94287082), to its six digits:
// a helper that drifted would fail here rather than as a refused sign-in.
if (totpCode("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", 1) !== "287082") throw new Error("the TOTP helper is wrong");
