//! Formatting for people, from the API's exact decimal strings.
//!
//! Contract: money never passes through a float here. An amount is shown grouped in thousands
//! with a fixed number of decimals obtained by *truncating* the exact text (never rounding), and
//! the element showing it carries the exact value and unit in its `title`. Text that is not a
//! plain decimal (e.g. `unlimited`) is shown unchanged. Instants are Unix seconds shown as UTC.

const DECIMAL = /^(-?)(\d+)(?:\.(\d+))?$/;

/** Groups a string of digits in thousands: "1234567" -> "1,234,567". */
export function groupDigits(digits) {
  let out = "";
  for (let i = 0; i < digits.length; i++) {
    if (i > 0 && (digits.length - i) % 3 === 0) out += ",";
    out += digits[i];
  }
  return out;
}

/**
 * An exact decimal string for people: grouped, truncated to `decimals` places (toward zero).
 * "-1234567.891" with 2 decimals -> "-1,234,567.89". A value whose shown digits are all zero
 * loses its sign ("-0.001" -> "0.00"). Not a decimal: returned as given.
 */
export function decimal(text, decimals = 2) {
  const m = DECIMAL.exec(String(text));
  if (!m) return String(text);
  const [, sign, intRaw, fracRaw = ""] = m;
  const int = intRaw.replace(/^0+(?=\d)/, "");
  const frac = (fracRaw + "0".repeat(decimals)).slice(0, decimals);
  const zero = /^0*$/.test(int + frac);
  const body = groupDigits(int) + (decimals > 0 ? "." + frac : "");
  return (zero ? "" : sign) + body;
}

/** "1,234.56 USDS" (truncated) — see `decimal`. */
export function amount(text, unit, decimals = 2) {
  const shown = decimal(text, decimals);
  return unit ? `${shown} ${unit}` : shown;
}

/** Exact decimal text -> an approximate number, for chart geometry only. */
export function approx(text) {
  if (text === null || text === undefined) return null;
  const n = Number(text);
  return Number.isFinite(n) ? n : null;
}

function pad(n) {
  return String(n).padStart(2, "0");
}

/** Unix seconds -> "2026-01-05 13:00 UTC" (seconds shown only when not zero, as the CLI). */
export function utc(seconds) {
  if (seconds === null || seconds === undefined) return "—";
  const d = new Date(Number(seconds) * 1000);
  if (Number.isNaN(d.getTime())) return String(seconds);
  const date = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
  const s = d.getUTCSeconds();
  const time = `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}` + (s ? `:${pad(s)}` : "");
  return `${date} ${time} UTC`;
}

/** A duration in seconds -> "2 h 05 min" / "3 min 20 s". */
export function duration(seconds) {
  const t = Math.max(0, Math.floor(Number(seconds)));
  const h = Math.floor(t / 3600);
  const m = Math.floor((t % 3600) / 60);
  const s = t % 60;
  if (h > 0) return `${h} h ${pad(m)} min`;
  if (m > 0) return `${m} min ${pad(s)} s`;
  return `${s} s`;
}

/** A compact axis label (geometry, not money): 1234567 -> "1.23M". */
export function compact(n) {
  const a = Math.abs(n);
  const units = [[1e12, "T"], [1e9, "B"], [1e6, "M"], [1e3, "k"]];
  for (const [v, suffix] of units) {
    if (a >= v) return `${+(n / v).toPrecision(3)}${suffix}`;
  }
  return `${+n.toPrecision(3)}`;
}
