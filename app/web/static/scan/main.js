// The scanner page: login, trust sync, input (keyboard-wedge field, paste, camera), answers.

import { ApiError, Session, notify, request } from "/static/web/common/api.js";
import { setup, t } from "/static/web/common/i18n.js";
import { hide, present, show } from "./answer.js";
import { b64uDecode, utf8Decode } from "./bytes.js";
import { Camera, cameraAvailable } from "./camera.js";
import { Scanner, answerScreen } from "./scanner.js";
import { STRINGS } from "./strings.js";
import { loadDevice } from "./store.js";
import { fingerprint, replay, sync } from "./sync.js";
import { Refused, chooseVenue, currentVenue, decide, leaveVenue, pendingCount, record, upload } from "./venue.js";

const SCANNER_ROLES = ["checkpoint", "venue_operator", "admin"];
const AUTO_SYNC_MS = 5 * 60 * 1000;
const $ = (id) => document.getElementById(id);

const session = new Session("scan");
const scanner = new Scanner();
const started = { at: 0 };
scanner.onResult(answerScreen(started));
let venue = null; // venue mode: the place code's policy applies to every code read
scanner.onResult(async (result) => {
  if (!venue) return;
  const decision = decide(venue, result);
  if (result.valid && !decision.admit) show(present({ valid: false, reason: decision.reason }));
  await record(venue, decision, result.code_id);
  await showVenue();
  if (navigator.onLine && session.loggedIn) uploadLog();
});

async function showVenue() {
  $("venue-form").hidden = venue !== null;
  $("venue-active").hidden = venue === null;
  if (venue) {
    const rule = venue.test_within_hours ? t("scan.venue.test", { hours: venue.test_within_hours }) : "";
    $("venue-policy").textContent = t("scan.venue.policy", {
      colors: venue.admitted_colors.map((c) => t(`color.${c}`)).join(", "), rule,
    });
  }
  $("venue-pending").textContent = t("scan.venue.pending", { count: await pendingCount() });
}

let uploading = null; // one upload at a time (the server dedups by entry_id anyway)
function uploadLog() {
  uploading ??= upload(session)
    .then((sent) => { $("venue-uploaded").textContent = t("scan.venue.uploaded", sent); })
    .catch((err) => { $("venue-uploaded").textContent = t("scan.venue.upload_failed", { detail: err.message }); })
    .finally(() => { uploading = null; return showVenue(); });
  return uploading;
}

function wireVenue() {
  $("venue-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const error = $("venue-error");
    error.hidden = true;
    let failure = null;
    try {
      if (!scanner.bundle) throw new Refused("BUNDLE_STALE", "no trust data");
      venue = await chooseVenue($("venue-code").value, scanner.bundle);
      $("venue-code").value = "";
    } catch (err) {
      failure = err instanceof Refused ? t(`reason.${err.reason}`) : err.message;
    }
    await showVenue();
    // The answer and the focus change together, last: a refused code stays in its field to
    // be corrected; a chosen venue hands the keyboard back to the code field.
    if (failure === null) {
      $("code-input").focus();
    } else {
      error.textContent = failure;
      error.hidden = false;
      $("venue-code").focus();
    }
  });
  $("venue-leave").addEventListener("click", async () => {
    venue = null;
    await leaveVenue();
    await showVenue();
  });
  $("venue-upload").addEventListener("click", uploadLog);
}

function role(accessToken) {
  try {
    return JSON.parse(utf8Decode(b64uDecode(accessToken.split(".")[1]))).role;
  } catch {
    return null;
  }
}

function formatEpoch(seconds) {
  if (!seconds) return "—";
  return new Date(seconds * 1000).toLocaleString(document.documentElement.lang === "zh" ? "zh-CN" : "en-GB");
}

async function showTrust() {
  const device = await loadDevice();
  const bundle = scanner.bundle;
  $("trust-seq").textContent = bundle ? String(bundle.seq) : "—";
  $("trust-signed").textContent = bundle ? formatEpoch(bundle.issuedAt) : "—";
  $("trust-synced").textContent = formatEpoch(device?.synced_at);
  $("trust-root").textContent = device ? (await fingerprint(device.root_pem)).slice(0, 16).replace(/(.{4})(?!$)/g, "$1 ") : "—";
  const now = Date.now() / 1000;
  let warning = null;
  if (!bundle) warning = "scan.trust.none";
  else if (now < bundle.issuedAt - scanner.leeway) warning = "scan.trust.clock";
  else if (now > bundle.issuedAt + bundle.maxOfflineAge) warning = "scan.trust.stale";
  $("trust-warning").hidden = !warning;
  $("trust-warning").textContent = warning ? t(warning) : "";
}

async function runSync() {
  try {
    const { bundle, changed } = await sync();
    scanner.bundle = bundle;
    const key = changed ? "scan.trust.synced_ok" : "scan.trust.unchanged";
    notify(t(key, { seq: bundle.seq, revocations: bundle.revocationCount }));
  } catch (err) {
    notify(t("scan.trust.failed", { detail: err.message }), true);
  }
  await showTrust();
}

// Logging in needs the network. A device restarted offline (sessionStorage gone) keeps
// checking codes with the bundle it holds; the login comes back with the network.
function showView() {
  const canScan = session.loggedIn || (scanner.bundle !== null && !navigator.onLine);
  $("login-view").hidden = canScan;
  $("scan-view").hidden = !canScan;
  $("sync-button").disabled = !session.loggedIn;
  if (canScan) $("code-input").focus();
  else $("login-username").focus();
}

async function login(event) {
  event.preventDefault();
  const form = event.target;
  const error = $("login-error");
  error.hidden = true;
  try {
    const body = { username: form.username.value, password: form.password.value };
    const tokens = await request("/v1/auth/login", { method: "POST", body });
    if (!SCANNER_ROLES.includes(role(tokens.access_token))) throw new Error(t("scan.login.role"));
    session.save(tokens);
    form.password.value = "";
  } catch (err) {
    error.textContent = err instanceof ApiError || err instanceof TypeError ? t("scan.login.failed", { detail: err.message }) : err.message;
    error.hidden = false;
    return;
  }
  showView();
  await runSync();
}

async function handle(text) {
  started.at = performance.now();
  const code = text.trim();
  if (code) await scanner.check(code);
}

function wireInput() {
  const input = $("code-input");
  $("scan-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input.value;
    input.value = "";
    handle(text);
  });
  input.addEventListener("paste", (event) => {
    const text = event.clipboardData?.getData("text");
    if (!text) return;
    event.preventDefault();
    input.value = "";
    handle(text);
  });
  $("paste-button").addEventListener("click", async () => {
    try {
      await handle(await navigator.clipboard.readText());
    } catch {
      input.focus(); // no clipboard permission: paste into the field instead
    }
  });
  $("answer").addEventListener("click", () => {
    hide();
    input.focus();
  });
  document.addEventListener("visibilitychange", () => document.hidden || input.focus());
  if (cameraAvailable()) {
    const button = $("camera-button");
    const camera = new Camera($("camera"), handle);
    button.hidden = false;
    button.addEventListener("click", async () => {
      if (camera.running) camera.stop();
      else await camera.start().catch((err) => notify(t("scan.camera.failed", { detail: err.message }), true));
      button.textContent = t(camera.running ? "scan.camera.stop" : "scan.camera.start");
    });
  }
}

function showNetwork() {
  const el = $("net-state");
  el.textContent = t(navigator.onLine ? "scan.online" : "scan.offline");
  el.classList.toggle("off", !navigator.onLine);
}

async function start() {
  setup(STRINGS);
  if ("serviceWorker" in navigator) navigator.serviceWorker.register("/scan/sw.js", { scope: "/scan/" }).catch(() => {});
  wireInput();
  wireVenue();
  $("login-form").addEventListener("submit", login);
  $("sync-button").addEventListener("click", runSync);
  $("logout-button").addEventListener("click", async () => {
    await session.logout();
    showView();
  });
  window.addEventListener("online", () => {
    showNetwork();
    showView();
    if (session.loggedIn) runSync().then(uploadLog);
  });
  window.addEventListener("offline", () => {
    showNetwork();
    showView();
  });
  showNetwork();
  const device = await loadDevice();
  if (device?.doc) {
    try {
      scanner.bundle = await replay(device);
    } catch (err) {
      notify(t("scan.trust.failed", { detail: err.message }), true);
    }
  }
  venue = await currentVenue();
  await showVenue();
  showView();
  await showTrust();
  if (session.loggedIn && navigator.onLine) runSync();
  setInterval(() => session.loggedIn && navigator.onLine && runSync(), AUTO_SYNC_MS);
  document.body.dataset.ready = "1";
}

start();
