// Resident mini-app: SMS login, profile once, then the live code (polls status, refreshes the code).
import { ApiError, Session, notify, h } from "/static/web/common/api.js";
import { setup, t, formatTime, formatDuration } from "/static/web/common/i18n.js";
import strings from "./strings.js";
import { setupCheckIn, loadVisits } from "./checkin.js";

const POLL_MS = 3000;          // status poll while the page is seen: a colour change shows within seconds
const REFRESH_BEFORE_S = 60;   // get a new code this long before the current one expires
const CACHE = "hc.resident.last";
const session = new Session("resident");
const $ = (id) => document.getElementById(id);
let current = null;            // {code, color, expires_at, svg, holder}
let qrUrl = null;
let timers = [];
let refreshing = false;

setup(strings);
if ("serviceWorker" in navigator) navigator.serviceWorker.register("/app/sw.js", { scope: "/app/" }).catch(() => {});
window.addEventListener("online", () => { setOffline(false); if (session.loggedIn) showCode(); });
window.addEventListener("offline", () => setOffline(true));
// A phone keeps the timers of a page in the background (another app, the screen off) running:
// the status is polled only while the page is seen, and at once when it is seen again.
document.addEventListener("visibilitychange", () => { if (!document.hidden && current) pollStatus(); });
$("logout").addEventListener("click", async () => {
  stopTimers(); localStorage.removeItem(CACHE); current = null;
  await session.logout(); show("login");
});
setupCheckIn(session, () => { refreshCode(); pollStatus(); });
start();

function show(id) {
  for (const s of ["login", "profile", "code"]) $(s).hidden = s !== id;
  $("logout").hidden = id === "login";
}

function isNetwork(e) { return !(e instanceof ApiError); }

function setOffline(offline) {
  document.body.classList.toggle("is-offline", offline);
  $("offline").hidden = !offline;
  if (offline && current) $("offline").textContent = t("app.offline.since", { until: formatTime(current.expires_at) });
}

async function start() {
  if (!session.loggedIn) { if (!showCached()) show("login"); return; }
  try {
    const profile = await session.call("/v1/me/profile");
    await showCode(profile);
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) show("profile");
    else if (e instanceof ApiError && e.status === 401) show("login");
    else if (!showCached()) { notify(t("error.network"), true); show("login"); }
  }
}

function showCached() {
  let cached = null;
  try { cached = JSON.parse(localStorage.getItem(CACHE) || "null"); } catch { /* ignore */ }
  if (!cached) return false;
  render(cached);
  setOffline(true);
  show("code");
  startTimers(false);
  return true;
}

/* ---- login ---- */
$("phone-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const phone = $("phone").value.trim();
  fieldError("phone-error", "");
  try {
    await session.call("/v1/auth/otp", { method: "POST", body: { phone } });
    $("phone-form").hidden = true; $("otp-form").hidden = false;
    notify(t("login.sent", { phone }));
    $("otp").focus();
  } catch (e) { fieldError("phone-error", problemText(e, "/phone")); }
});
$("otp-back").addEventListener("click", () => { $("otp-form").hidden = true; $("phone-form").hidden = false; notify(""); });
$("otp-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const otp = $("otp").value.trim();
  if (!/^\d{6}$/.test(otp)) { fieldError("otp-error", t("login.bad_otp")); return; }
  try {
    session.save(await session.call("/v1/auth/token", { method: "POST", body: { phone: $("phone").value.trim(), otp } }));
    notify(""); $("otp-form").reset(); $("otp-form").hidden = true; $("phone-form").hidden = false;
    await start();
  } catch (e) { fieldError("otp-error", problemText(e, "/otp")); }
});

/* ---- profile ---- */
$("profile-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const form = ev.target;
  for (const p of form.querySelectorAll("[data-pointer]")) p.hidden = true;
  fieldError("profile-error", "");
  const body = { name: form.name.value.trim(), id_number: form.id_number.value.trim(), birth_date: form.birth_date.value };
  try {
    const profile = await session.call("/v1/me/profile", { method: "PUT", body });
    await showCode(profile);
  } catch (e) {
    const pointers = e instanceof ApiError ? e.pointers : {};
    let placed = false;
    for (const [pointer, detail] of Object.entries(pointers)) {
      const el = form.querySelector(`[data-pointer="${pointer}"]`);
      if (el) { el.textContent = detail; el.hidden = false; placed = true; }
    }
    if (!placed) fieldError("profile-error", problemText(e));
  }
});

function fieldError(id, text) { const el = $(id); el.textContent = text; el.hidden = !text; }

function problemText(e, pointer) {
  if (!(e instanceof ApiError)) return t("error.network");
  if (e.status === 429) return t("login.too_many");
  return (pointer && e.pointers[pointer]) || e.message || t("error.generic");
}

/* ---- the code ---- */
async function showCode(profile) {
  show("code");
  if (profile) $("holder").textContent = profile.name || "";
  await refreshCode();
  await pollStatus();
  await loadHistory();
  await loadVisits(session);
  startTimers(true);
}

async function refreshCode() {
  if (refreshing) return;
  refreshing = true;
  try {
    const code = await session.call("/v1/me/code");
    const svg = await session.call("/v1/me/code.svg", { as: "text" });
    const next = { code: code.code, color: code.color, expires_at: code.expires_at, svg, holder: $("holder").textContent };
    localStorage.setItem(CACHE, JSON.stringify(next));
    render(next);
    setOffline(false);
  } catch (e) {
    if (isNetwork(e)) setOffline(true);
    else if (e.status === 401) { stopTimers(); show("login"); }
  } finally { refreshing = false; }
}

function render(next) {
  const changed = !current || current.svg !== next.svg;
  current = next;
  $("frame").dataset.color = next.color;
  $("color-word").textContent = t(`color.${next.color}`);
  $("expires").textContent = formatTime(next.expires_at);
  if (next.holder) $("holder").textContent = next.holder;
  $("qr").alt = t("code.qr", { color: t(`color.${next.color}`) });
  if (changed) {
    if (qrUrl) URL.revokeObjectURL(qrUrl);
    qrUrl = URL.createObjectURL(new Blob([next.svg], { type: "image/svg+xml" }));
    $("qr").src = qrUrl;
  }
  tick();
}

function tick() {
  if (!current) return;
  const left = (Date.parse(current.expires_at) - Date.now()) / 1000;
  $("countdown").textContent = left > 0 ? t("code.left", { left: formatDuration(left) }) : t("app.expired");
  if (left < REFRESH_BEFORE_S && navigator.onLine && session.loggedIn) refreshCode();
}

async function pollStatus() {
  if (document.hidden || !session.loggedIn) return;
  try {
    const status = await session.call("/v1/me/status");
    renderReasons(status.reasons || []);
    $("updated").textContent = t("code.updated", { time: formatTime(new Date().toISOString()) });
    setOffline(false);
    if (current && status.color !== current.color) { await refreshCode(); await loadHistory(); }
  } catch (e) {
    if (isNetwork(e)) setOffline(true);
  }
}

function renderReasons(reasons) {
  $("no-reasons").hidden = reasons.length > 0;
  $("reasons").replaceChildren(...reasons.map((r) => h("li", {},
    h("span", { class: `badge ${r.color || "gray"}` }, t(`color.${r.color}`)), " ", r.text,
    h("span", { class: "how" }, t("code.howto"), " ", r.how_to_clear))));
}

async function loadHistory() {
  try {
    const items = await session.call("/v1/me/history");
    $("no-history").hidden = items.length > 0;
    $("history").replaceChildren(...items.slice(0, 20).map((c) => h("li", {},
      h("strong", {}, formatTime(c.at)), " ",
      t("code.change", { from: t(`color.${c.from || "green"}`), to: t(`color.${c.to}`) }),
      (c.reasons || []).length ? h("div", { class: "muted" }, c.reasons.map((r) => r.text).join(" ")) : null)));
  } catch { /* keep what is shown */ }
}

function startTimers(poll) {
  stopTimers();
  timers.push(setInterval(tick, 1000));
  if (poll) timers.push(setInterval(pollStatus, POLL_MS));
  else timers.push(setInterval(() => { if (navigator.onLine && session.loggedIn) start(); }, 15000));
}

function stopTimers() { for (const id of timers) clearInterval(id); timers = []; }
