// fetch() for the JSON API with a bearer token kept in memory and sessionStorage (never in a URL).
import { lang } from "./i18n.js";

export class ApiError extends Error {
  constructor(status, problem) {
    super((problem && (problem.detail || problem.title)) || `HTTP ${status}`);
    this.status = status;
    this.problem = problem || {};
  }
  /** The problem's per-field errors as {pointer: detail}. */
  get pointers() {
    const out = {};
    for (const e of this.problem.errors || []) if (e.pointer) out[e.pointer] = e.detail;
    return out;
  }
}

/** One client's session: tokens under its own sessionStorage key. */
export class Session {
  constructor(name) {
    this.key = `hc.${name}.tokens`;
    try { this.tokens = JSON.parse(sessionStorage.getItem(this.key) || "null"); } catch { this.tokens = null; }
  }
  get loggedIn() { return Boolean(this.tokens && this.tokens.access_token); }
  save(tokens) {
    this.tokens = tokens;
    if (tokens) sessionStorage.setItem(this.key, JSON.stringify(tokens));
    else sessionStorage.removeItem(this.key);
  }
  async logout() {
    const refresh = this.tokens && this.tokens.refresh_token;
    this.save(null);
    if (refresh) await request("/v1/auth/logout", { method: "POST", body: { refresh_token: refresh } }).catch(() => {});
  }
  async refresh() {
    const refresh = this.tokens && this.tokens.refresh_token;
    if (!refresh) return false;
    try {
      this.save(await request("/v1/auth/refresh", { method: "POST", body: { refresh_token: refresh } }));
      return true;
    } catch { this.save(null); return false; }
  }
  /** Call the API as this session; refresh the access token once on a 401. */
  async call(path, options = {}) {
    try {
      return await request(path, { ...options, token: this.tokens && this.tokens.access_token });
    } catch (e) {
      if (e instanceof ApiError && e.status === 401 && (await this.refresh())) {
        return request(path, { ...options, token: this.tokens.access_token });
      }
      throw e;
    }
  }
}

/** fetch + JSON; throws ApiError with the problem+json body on 4xx/5xx. `as`: json|blob|text. */
export async function request(path, { method = "GET", body, token, as = "json", signal } = {}) {
  const headers = { "Accept-Language": lang() };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(path, {
    method, headers, signal, cache: "no-store", credentials: "omit",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) {
    let problem = null;
    try { problem = await response.json(); } catch { /* not JSON */ }
    throw new ApiError(response.status, problem);
  }
  if (response.status === 204) return null;
  if (as === "blob") return response.blob();
  if (as === "text") return response.text();
  return response.json();
}

/** Show a message in the page's notice bar (empty hides it). */
export function notify(text, bad = false) {
  const el = document.getElementById("notice");
  if (!el) return;
  el.textContent = text || "";
  el.hidden = !text;
  el.classList.toggle("bad", bad);
}

/** Small DOM builder: h("td", {class: "x"}, "text", child). */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") el.className = v;
    else if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined) el.append(c instanceof Node ? c : String(c));
  return el;
}
