// Officials' console: staff login, then dashboard, regions, rules (draft, dry run, publish),
// feeds, people and admin. Everything goes through the public JSON API.
import { ApiError, Session, notify, h } from "/static/web/common/api.js";
import { setup, t, formatTime } from "/static/web/common/i18n.js";
import { lines, stackedBars, timeline } from "./charts.js";
import strings from "./strings.js";

const session = new Session("console");
const TABS = ["dashboard", "regions", "rules", "feeds", "people", "admin"];
const COLOURS = ["green", "yellow", "red"];
const $ = (id) => document.getElementById(id);
let role = sessionStorage.getItem("hc.console.role");
let active = null;   // the active rule set record
let draft = null;    // {version, impact} of the last dry-run draft

setup(strings);
const series = () => COLOURS.map((key) => ({ key, label: t(`color.${key}`) }));
const badge = (color) => h("span", { class: `badge ${color || "gray"}` }, t(`color.${color}`));
const table = (heads, rows) => h("table", {}, h("thead", {}, h("tr", {}, heads.map((x) => h("th", {}, x)))), h("tbody", {}, rows));
const fail = (e) => notify(e instanceof ApiError ? e.message : t("error.network"), true);
const shortDate = (iso) => formatTime(iso).replace(/,? \d\d:\d\d$/, "");

window.addEventListener("hashchange", route);
$("logout").addEventListener("click", async () => { await session.logout(); sessionStorage.removeItem("hc.console.role"); route(); });
route();

function route() {
  const tab = TABS.includes(location.hash.slice(1)) ? location.hash.slice(1) : "dashboard";
  const loggedIn = session.loggedIn;
  $("login").hidden = loggedIn;
  $("logout").hidden = !loggedIn;
  for (const a of document.querySelectorAll("[data-tab]")) {
    a.hidden = !loggedIn || (a.dataset.tab === "admin" && role !== "admin");
    if (a.dataset.tab === tab) a.setAttribute("aria-current", "page"); else a.removeAttribute("aria-current");
  }
  for (const name of TABS) $(name).hidden = !loggedIn || name !== tab;
  notify("");
  if (loggedIn) ({ dashboard, regions, rules, feeds, people: async () => {}, admin })[tab]().catch(fail);
}

/* ---- login ---- */
$("login-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const error = $("login-error");
  error.hidden = true;
  try {
    const tokens = await session.call("/v1/auth/login", { method: "POST", body: { username: $("username").value, password: $("password").value } });
    role = JSON.parse(atob(tokens.access_token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/"))).role;
    if (!["official", "admin"].includes(role)) { error.textContent = t("login.role"); error.hidden = false; return; }
    session.save(tokens);
    sessionStorage.setItem("hc.console.role", role);
    $("password").value = "";
    route();
  } catch (e) {
    error.textContent = e instanceof ApiError && e.status === 401 ? t("login.failed") : (e.message || t("error.network"));
    error.hidden = false;
  }
});

/* ---- dashboard ---- */
async function dashboard() {
  const [stats, history, byRegion] = await Promise.all([
    session.call("/v1/stats"), session.call("/v1/stats/history?days=14"), session.call("/v1/stats/regions"),
  ]);
  $("tiles").replaceChildren(
    h("div", { class: "tile" }, h("span", { class: "n", id: "count-people" }, stats.people), t("dash.people")),
    ...COLOURS.map((c) => h("div", { class: `tile ${c}` }, h("span", { class: "n", id: `count-${c}` }, stats.colors[c]), t(`color.${c}`))));
  $("chart-time").replaceChildren(lines(history.map((p) => ({ at: p.at, values: p.colors })), series(), t("dash.over_time"), shortDate));
  $("chart-regions").replaceChildren(stackedBars(
    byRegion.map((r) => ({ label: r.region || t("dash.no_region"), values: r.colors })), series(), t("dash.by_region")));
  const ops = [
    ["dash.queue", stats.queue.depth ?? "—"], ["dash.failed_jobs", stats.failed_jobs], ["dash.failed_batches", stats.failed_batches],
    ["dash.outbox", stats.outbox_pending], ["dash.lag", stats.recompute_lag_seconds],
  ];
  $("ops").replaceChildren(table([], ops.map(([k, v]) => h("tr", {}, h("th", {}, t(k)), h("td", { class: "num" }, v)))));
}

/* ---- regions ---- */
async function regions() {
  const list = await session.call("/v1/regions");
  $("region-list").replaceChildren(table([t("regions.code"), t("regions.name"), t("regions.level")], list.map((r) =>
    h("tr", { class: "clickable", tabindex: "0", onclick: () => region(r.code), onkeydown: (e) => e.key === "Enter" && region(r.code) },
      h("td", {}, r.code), h("td", {}, r.name), h("td", {}, t(`level.${r.level}`))))));
}

async function region(code) {
  const r = await session.call(`/v1/regions/${encodeURIComponent(code)}`);
  $("region-detail").hidden = false;
  $("region-detail").dataset.code = code;
  $("region-detail").dataset.name = r.name;
  $("region-title").textContent = `${r.name} (${code}) — ${t(`level.${r.level}`)}`;
  const levels = [...r.history].sort((a, b) => Date.parse(a.effective_from) - Date.parse(b.effective_from));
  const end = Date.now() + 3 * 86400e3, start = Math.max(Date.parse(levels[0]?.effective_from || end), end - 60 * 86400e3);
  const spans = levels.map((l, i) => ({ from: Date.parse(l.effective_from), to: i + 1 < levels.length ? Date.parse(levels[i + 1].effective_from) : end, level: l.level, label: t(`level.${l.level}`) }));
  $("region-timeline").replaceChildren(timeline(spans, start, end, t("regions.timeline"), shortDate));
  $("region-level").value = r.level;
  const now = new Date(Date.now() - new Date().getTimezoneOffset() * 60e3);
  $("region-from").value = now.toISOString().slice(0, 16);
}

$("region-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const { code, name } = $("region-detail").dataset;
  const body = { name, level: $("region-level").value, effective_from: new Date($("region-from").value).toISOString() };
  try {
    await session.call(`/v1/regions/${encodeURIComponent(code)}`, { method: "PUT", body });
    notify(t("regions.saved"));
    await regions(); await region(code);
  } catch (e) { $("region-error").textContent = e.message; $("region-error").hidden = false; }
});

/* ---- rules ---- */
async function rules() {
  active = await session.call("/v1/rulesets/active");
  $("active-title").textContent = t("rules.active_v", { version: active.version });
  const doc = active.document;
  const rows = doc.rules.map((r) => h("tr", {},
    h("td", {}, r.id), h("td", {}, badge(r.color)), h("td", {}, r.for_each || "—"),
    h("td", {}, h("code", {}, summary(r.when))), h("td", {}, (r.text && (r.text[document.documentElement.lang] || r.text.en)) || "")));
  rows.push(h("tr", {}, h("td", { colspan: "5" }, t("rules.default", { color: t(`color.${doc.default_color}`) }))));
  $("active-rules").replaceChildren(table([t("rules.id"), t("rules.colour"), t("rules.for_each"), t("rules.condition"), t("rules.text")], rows));
  if (!$("draft").value) resetDraft();
}

/** A short readable form of a JSON-logic condition. */
function summary(node, depth = 0) {
  if (node === null || typeof node !== "object") return JSON.stringify(node);
  if (Array.isArray(node)) return `[${node.map((n) => summary(n, depth + 1)).join(", ")}]`;
  const [op, args] = Object.entries(node)[0] || ["", []];
  if (op === "var") return String(args);
  const list = Array.isArray(args) ? args : [args];
  if (depth > 3) return `${op}(…)`;
  if (["and", "or"].includes(op)) return list.map((a) => summary(a, depth + 1)).join(` ${op} `);
  if (["===", "==", "!=", "<", ">", "<=", ">=", "in"].includes(op)) return `${summary(list[0], depth + 1)} ${op} ${summary(list[1], depth + 1)}`;
  return `${op}(${list.map((a) => summary(a, depth + 1)).join(", ")})`;
}

function resetDraft() {
  const { default_color, rules: list, description } = active.document;
  $("draft").value = JSON.stringify({ default_color, rules: list, description: description || "" }, null, 2);
}
$("draft-reset").addEventListener("click", resetDraft);

$("draft-dryrun").addEventListener("click", async () => {
  const errors = $("draft-errors");
  errors.hidden = true;
  let body;
  try { body = JSON.parse($("draft").value); } catch (e) { showErrors([t("rules.bad_json", { error: e.message })]); return; }
  try {
    const record = await session.call("/v1/rulesets", { method: "POST", body });
    notify(t("rules.saved", { version: record.version }));
    const job = await session.call(`/v1/rulesets/${record.version}/dry-run`, { method: "POST" });
    $("dryrun").hidden = false; $("impact").hidden = true;
    const done = await follow(job.job_id, $("dryrun-progress"), $("dryrun-status"));
    draft = { version: record.version, impact: done.result };
    showImpact(done.result);
  } catch (e) {
    if (e instanceof ApiError && Object.keys(e.pointers).length) showErrors(Object.entries(e.pointers).map(([p, d]) => `${p}: ${d}`));
    else fail(e);
  }
});

function showErrors(list) {
  $("draft-errors").replaceChildren(...list.map((x) => h("li", {}, x)));
  $("draft-errors").hidden = false;
}

/** Poll a job until it finishes; show its progress. */
async function follow(jobId, bar, status) {
  for (;;) {
    const job = await session.call(`/v1/jobs/${jobId}`);
    const { done, total } = job.progress;
    bar.max = Math.max(1, total || 1); bar.value = done || 0;
    status.textContent = t("rules.running", { done: done || 0, total: total || 0 });
    if (job.status === "finished") { bar.value = bar.max; return job; }
    if (job.status === "failed") throw new Error(t("rules.failed", { error: job.error }));
    await new Promise((r) => setTimeout(r, 400));
  }
}

function transitions(impact) {
  return Object.entries(impact.transitions).filter(([k]) => { const [a, b] = k.split("->"); return a !== b; })
    .sort((a, b) => b[1] - a[1]);
}

function impactTable(impact) {
  const moved = transitions(impact);
  if (!moved.length) return h("p", {}, t("rules.nochange"));
  return table([t("rules.transition"), t("rules.people")], moved.map(([k, n]) => {
    const [a, b] = k.split("->");
    return h("tr", { "data-transition": k }, h("td", {}, badge(a), " → ", badge(b)), h("td", { class: "num" }, n));
  }));
}

function showImpact(impact) {
  $("impact").hidden = false;
  $("impact-table").replaceChildren(impactTable(impact));
  $("impact-chart").replaceChildren(stackedBars([
    { label: t("rules.before"), values: impact.before }, { label: t("rules.after"), values: impact.after }], series(), t("rules.impact")));
  const examples = transitions(impact).flatMap(([k]) => (impact.examples[k] || []).map((id) => [k, id]));
  $("impact-examples").replaceChildren(...examples.slice(0, 12).map(([k, id]) => h("p", {},
    h("code", {}, k), " ", h("a", { href: "#people", onclick: () => setTimeout(() => showPerson(id), 0) }, id))));
}

$("publish").addEventListener("click", () => {
  if (!draft) return;
  const changed = transitions(draft.impact).reduce((s, [, n]) => s + n, 0);
  $("confirm-text").textContent = t("rules.confirm_text", { version: draft.version, changed });
  $("confirm-impact").replaceChildren(impactTable(draft.impact));
  $("confirm").showModal();
});

$("confirm").addEventListener("close", async () => {
  if ($("confirm").returnValue !== "ok" || !draft) return;
  try {
    const job = await session.call(`/v1/rulesets/${draft.version}/publish`, { method: "POST" });
    await follow(job.job_id, $("dryrun-progress"), $("dryrun-status"));
    notify(t("rules.published", { version: draft.version }));
    draft = null; $("draft").value = ""; $("impact").hidden = true;
    await rules();
  } catch (e) { fail(e); }
});

/* ---- feeds ---- */
async function feeds() {
  const batches = await session.call("/v1/feeds/batches?limit=50");
  if (!batches.length) { $("batches").replaceChildren(h("p", {}, t("feeds.none"))); return; }
  $("batches").replaceChildren(table(
    [t("feeds.received"), t("feeds.kind"), t("feeds.status"), t("feeds.accepted"), t("feeds.duplicates"), t("feeds.rejected")],
    batches.map((b) => h("tr", {}, h("td", {}, formatTime(b.received_at)), h("td", {}, b.kind), h("td", {}, b.status, b.error ? ` (${b.error})` : ""),
      h("td", { class: "num" }, b.accepted), h("td", { class: "num" }, b.duplicates),
      h("td", {}, b.rejected.length ? h("details", {}, h("summary", {}, b.rejected.length),
        h("ul", {}, b.rejected.map((r) => h("li", {}, t("feeds.record", { index: r.index }), ": ",
          r.errors.map((e) => `${e.pointer} ${e.detail}`).join("; "))))) : "0")))));
}

/* ---- people ---- */
$("lookup-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  $("lookup-error").hidden = true;
  try {
    const person = await session.call("/v1/persons/lookup", { method: "POST", body: { id_number: $("lookup-id").value.trim() } });
    await showPerson(person.person_id, person);
  } catch (e) { $("lookup-error").textContent = e.message; $("lookup-error").hidden = false; $("person").hidden = true; }
});

async function showPerson(id, person) {
  const [status, history] = await Promise.all([session.call(`/v1/persons/${id}/status`), session.call(`/v1/persons/${id}/history`)]);
  $("person").hidden = false;
  $("person").dataset.id = id;
  $("person-title").textContent = person ? `${person.name || ""} · …${person.id_last4}` : id;
  $("person-color").className = `badge ${status.color}`;
  $("person-color").textContent = t(`color.${status.color}`);
  $("person-until").textContent = status.valid_until ? t("people.until", { until: formatTime(status.valid_until) }) : "";
  $("person-reasons").replaceChildren(...status.reasons.map((r) => h("li", {}, r.text, h("div", { class: "muted" }, r.how_to_clear))));
  $("person-history").replaceChildren(history.length ? table([t("when"), t("from_to"), t("reasons")], history.map((c) => h("tr", {},
    h("td", {}, formatTime(c.at)), h("td", {}, badge(c.from || "green"), " → ", badge(c.to)), h("td", {}, c.reasons.map((r) => r.text).join(" ")))))
    : h("p", { class: "muted" }, t("people.nohistory")));
}

$("withdraw").addEventListener("click", async () => {
  if (!window.confirm(t("people.confirm_withdraw"))) return;
  try { await session.call(`/v1/persons/${$("person").dataset.id}/withdraw-codes`, { method: "POST" }); notify(t("people.withdrawn")); } catch (e) { fail(e); }
});

/* ---- admin ---- */
async function admin() {
  const [accounts, keys] = await Promise.all([session.call("/v1/accounts"), session.call("/v1/api-keys")]);
  $("accounts").replaceChildren(table([t("login.username"), t("admin.role"), t("feeds.status"), ""], accounts.filter((a) => a.username).map((a) => h("tr", {},
    h("td", {}, a.username), h("td", {}, a.role), h("td", {}, a.disabled ? t("admin.disabled") : t("admin.active")),
    h("td", {}, h("button", { type: "button", class: "secondary", onclick: () => toggle(a) }, a.disabled ? t("admin.enable") : t("admin.disable")))))));
  $("keys").replaceChildren(table([t("admin.keyname"), t("admin.scopes"), t("admin.last"), ""], keys.map((k) => h("tr", {},
    h("td", {}, k.name, h("div", { class: "muted" }, k.prefix)), h("td", {}, k.scopes.join(", ")), h("td", {}, formatTime(k.last_used_at)),
    h("td", {}, k.revoked_at ? t("admin.revoked") : h("button", { type: "button", class: "secondary", onclick: () => revoke(k) }, t("admin.revoke")))))));
}

async function toggle(account) {
  try { await session.call(`/v1/accounts/${account.id}`, { method: "PATCH", body: { disabled: !account.disabled } }); await admin(); } catch (e) { fail(e); }
}
async function revoke(key) {
  try { await session.call(`/v1/api-keys/${key.id}`, { method: "DELETE" }); await admin(); } catch (e) { fail(e); }
}

$("account-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  $("account-error").hidden = true;
  try {
    await session.call("/v1/accounts", { method: "POST", body: { username: $("acc-user").value, role: $("acc-role").value, password: $("acc-pass").value } });
    ev.target.reset(); await admin();
  } catch (e) { $("account-error").textContent = Object.values(e.pointers || {}).join(" ") || e.message; $("account-error").hidden = false; }
});

$("key-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  $("key-error").hidden = true;
  const scopes = [...ev.target.querySelectorAll("input[name=scopes]:checked")].map((x) => x.value);
  try {
    const created = await session.call("/v1/api-keys", { method: "POST", body: { name: $("key-name").value, scopes } });
    $("key-secret").textContent = t("admin.secret", { secret: created.secret }); $("key-secret").hidden = false;
    ev.target.reset(); await admin();
  } catch (e) { $("key-error").textContent = Object.values(e.pointers || {}).join(" ") || e.message; $("key-error").hidden = false; }
});
