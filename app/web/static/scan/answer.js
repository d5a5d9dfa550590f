// The full-screen answer, readable at arm's length: the colour word on its colour, masked
// holder hints and expiry; or NOT ACCEPTED with the reason in plain words. A short chirp
// for a valid code and a low double buzz for a refused one (WebAudio, no sound files).

import { t } from "/static/web/common/i18n.js";

let audio = null;

function tone(freq, start, length, type) {
  const osc = audio.createOscillator();
  const gain = audio.createGain();
  osc.type = type;
  osc.frequency.value = freq;
  gain.gain.setValueAtTime(0.25, audio.currentTime + start);
  gain.gain.setValueAtTime(0, audio.currentTime + start + length);
  osc.connect(gain).connect(audio.destination);
  osc.start(audio.currentTime + start);
  osc.stop(audio.currentTime + start + length);
}

/** Beep: refused = two low square buzzes, valid = one short high sine chirp. */
export function beep(refused) {
  try {
    audio ??= new AudioContext();
    if (refused) {
      tone(220, 0, 0.18, "square");
      tone(220, 0.26, 0.18, "square");
    } else {
      tone(1320, 0, 0.09, "sine");
    }
  } catch {
    // no audio output: the screen still answers
  }
}

/** The time of day (and date when not today) in the page language. */
function until(epochSeconds) {
  const when = new Date(epochSeconds * 1000);
  const sameDay = when.toDateString() === new Date().toDateString();
  const locale = document.documentElement.lang === "zh" ? "zh-CN" : "en-GB";
  const options = sameDay ? { hour: "2-digit", minute: "2-digit" } : { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" };
  return when.toLocaleString(locale, options);
}

/** What to show for a check() result: {tone, verdict, word, holder, detail}. */
export function present(result) {
  if (result.valid) {
    return {
      tone: result.color,
      verdict: t("scan.answer.valid"),
      word: t(`color.${result.color}`),
      holder: t("scan.answer.holder", { name: result.holder_name, last4: result.id_last4 }),
      detail: t("scan.answer.until", { time: until(result.expires_at) }),
    };
  }
  return {
    tone: "refused",
    verdict: "✕",
    word: t("scan.answer.refused"),
    holder: t(`reason.${result.reason}`),
    detail: result.reason,
  };
}

/** Put an answer on screen (synchronously) and sound it. */
export function show(answer) {
  const el = document.getElementById("answer");
  el.className = `answer tone-${answer.tone}`;
  document.getElementById("answer-verdict").textContent = answer.verdict;
  document.getElementById("answer-word").textContent = answer.word;
  document.getElementById("answer-holder").textContent = answer.holder;
  document.getElementById("answer-detail").textContent = answer.detail;
  el.hidden = false;
  el.dataset.tone = answer.tone;
  beep(answer.tone === "refused");
}

export function hide() {
  document.getElementById("answer").hidden = true;
}
