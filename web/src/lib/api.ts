// The one way the UI talks to the server: the public REST API under /api/v1, with the
// session cookie and the CSRF token the server asks for on requests that change
// something. Errors arrive as application/problem+json and become `ApiError`s that
// keep the field the server named, so forms can show the message next to it.

/** A failed API call: the HTTP status, the server's explanation and the bad field. */
export class ApiError extends Error {
  readonly status: number;
  readonly field?: string;
  constructor(status: number, detail: string, field?: string) {
    super(detail);
    this.status = status;
    this.field = field;
  }
  get notFound(): boolean {
    return this.status === 404;
  }
}

const CSRF_COOKIE = "tradelab_csrf";

function csrfToken(): string | undefined {
  for (const part of document.cookie.split(";")) {
    const [name, ...rest] = part.trim().split("=");
    if (name === CSRF_COOKIE) return decodeURIComponent(rest.join("="));
  }
  return undefined;
}

type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

async function request<T>(method: Method, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: "application/json" };
  let payload: BodyInit | undefined;
  if (body instanceof FormData) {
    payload = body;
  } else if (body !== undefined) {
    headers["content-type"] = "application/json";
    payload = JSON.stringify(body);
  }
  if (method !== "GET") {
    const token = csrfToken();
    if (token) headers["x-csrf-token"] = token;
  }
  let res: Response;
  try {
    res = await fetch(`/api/v1${path}`, { method, headers, body: payload, credentials: "same-origin" });
  } catch {
    throw new ApiError(0, "The server did not answer. Is `tradelab serve` running?");
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let data: unknown = undefined;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = undefined;
    }
  }
  if (!res.ok) {
    const problem = (data ?? {}) as { detail?: string; title?: string; field?: string };
    if (res.status === 401) notifyUnauthorized();
    throw new ApiError(res.status, problem.detail ?? problem.title ?? `HTTP ${res.status}`, problem.field);
  }
  return data as T;
}

let onUnauthorized: (() => void) | undefined;
function notifyUnauthorized() {
  onUnauthorized?.();
}
/** Called when any request answers 401 (the session ended): the app shows the login page. */
export function setUnauthorizedHandler(handler: (() => void) | undefined) {
  onUnauthorized = handler;
}

export const api = {
  get: <T>(path: string) => request<T>("GET", path),
  post: <T>(path: string, body?: unknown) => request<T>("POST", path, body ?? {}),
  put: <T>(path: string, body?: unknown) => request<T>("PUT", path, body ?? {}),
  patch: <T>(path: string, body?: unknown) => request<T>("PATCH", path, body ?? {}),
  del: <T>(path: string) => request<T>("DELETE", path),
  upload: <T>(path: string, form: FormData) => request<T>("POST", path, form),
};

/** A query string from the defined values of `params` (`?a=1&b=x`, or ""). */
export function query(params: Record<string, string | number | boolean | undefined | null>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== "") q.set(k, String(v));
  }
  const s = q.toString();
  return s ? `?${s}` : "";
}
