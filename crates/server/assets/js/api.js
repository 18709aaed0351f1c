//! The dashboard's only data source: the server's JSON API under `/api/v1`.
//!
//! Contract: `get(path)` returns the parsed JSON body or throws an `ApiError` naming the path,
//! the HTTP status and the server's error code/message; nothing is fetched from anywhere else.

export class ApiError extends Error {
  constructor(path, status, body) {
    const reason = body && typeof body === "object" ? `${body.code ?? ""} ${body.message ?? ""}`.trim() : String(body ?? "");
    super(`GET /api/v1${path} → ${status}${reason ? ": " + reason : ""}`);
    this.status = status;
    this.body = body;
  }
}

export async function get(path) {
  const res = await fetch(`/api/v1${path}`, { headers: { accept: "application/json" } });
  const text = await res.text();
  let body = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = text;
  }
  if (!res.ok) throw new ApiError(path, res.status, body?.error ?? body);
  return body;
}
