// Venue check-in: scan the venue's poster (BarcodeDetector where the browser has it) or paste
// its place code (HCP1:...); the answer shows the door decision; the list shows your visits.
import { ApiError, h } from "/static/web/common/api.js";
import { t, formatTime } from "/static/web/common/i18n.js";

const $ = (id) => document.getElementById(id);

export function setupCheckIn(session, onCheckedIn) {
  const form = $("checkin-form");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    await checkIn(session, $("place-code").value.trim(), onCheckedIn);
  });
  const camera = $("checkin-camera");
  camera.hidden = !("BarcodeDetector" in window && navigator.mediaDevices);
  camera.addEventListener("click", () => scan(session, onCheckedIn));
}

async function checkIn(session, text, onCheckedIn) {
  const answer = $("checkin-answer");
  answer.hidden = false;
  if (!text) { answer.className = "notice bad"; answer.textContent = t("checkin.empty"); return; }
  try {
    const result = await session.call("/v1/me/checkins", { method: "POST", body: { place_code: text } });
    answer.className = `notice ${result.admit ? "good" : "bad"}`;
    answer.dataset.admit = String(result.admit);
    answer.textContent = t(result.admit ? "checkin.admitted" : "checkin.refused", {
      venue: result.venue.name, color: t(`color.${result.color}`), reason: result.reason || "",
    });
    $("place-code").value = "";
    await loadVisits(session);
    onCheckedIn();
  } catch (e) {
    answer.className = "notice bad";
    answer.dataset.admit = "false";
    answer.textContent = e instanceof ApiError
      ? (e.pointers["/place_code"] || e.message) : t("error.network");
  }
}

async function scan(session, onCheckedIn) {
  const video = $("checkin-video");
  const detector = new window.BarcodeDetector({ formats: ["qr_code"] });
  const stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
  video.srcObject = stream;
  video.hidden = false;
  await video.play();
  const stop = () => { for (const track of stream.getTracks()) track.stop(); video.hidden = true; };
  const tick = async () => {
    try {
      const found = (await detector.detect(video)).find((c) => c.rawValue.startsWith("HCP1:"));
      if (found) { stop(); await checkIn(session, found.rawValue, onCheckedIn); return; }
    } catch { /* an unreadable frame: try the next */ }
    setTimeout(tick, 150);
  };
  tick();
}

export async function loadVisits(session) {
  try {
    const visits = await session.call("/v1/me/checkins");
    $("no-visits").hidden = visits.length > 0;
    $("visits").replaceChildren(...visits.slice(0, 20).map((v) => h("li", {},
      h("strong", {}, v.venue_name), " ", formatTime(v.arrived_at), " – ", formatTime(v.departed_at),
      v.checked_out ? null : h("button", {
        type: "button", class: "secondary checkout",
        onclick: async () => {
          await session.call(`/v1/me/checkins/${v.id}/checkout`, { method: "POST" });
          await loadVisits(session);
        },
      }, t("checkin.checkout")))));
  } catch { /* keep what is shown */ }
}
