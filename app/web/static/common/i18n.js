// Strings in English and Chinese; the page language comes from <html lang> (server's choice).
const COMMON = {
  en: {
    "offline": "You are offline.",
    "error.network": "The server cannot be reached.",
    "error.generic": "Something went wrong.",
    "color.green": "GREEN", "color.yellow": "YELLOW", "color.red": "RED",
    "logout": "Log out", "loading": "Loading…", "save": "Save", "cancel": "Cancel",
  },
  zh: {
    "offline": "当前处于离线状态。",
    "error.network": "无法连接服务器。",
    "error.generic": "出错了。",
    "color.green": "绿码", "color.yellow": "黄码", "color.red": "红码",
    "logout": "退出登录", "loading": "加载中…", "save": "保存", "cancel": "取消",
  },
};
const LANGS = ["en", "zh"];
let table = { ...COMMON.en };

export function lang() {
  const l = document.documentElement.lang;
  return LANGS.includes(l) ? l : "en";
}

/** Merge a client's strings ({en: {...}, zh: {...}}) and translate the page. */
export function setup(strings) {
  const l = lang();
  table = { ...COMMON.en, ...strings.en, ...COMMON[l], ...(strings[l] || {}) };
  translate(document);
  const button = document.getElementById("lang-switch");
  if (button) button.addEventListener("click", () => switchTo(button.dataset.lang));
}

/** The string for a key, with {name} placeholders filled from vars. */
export function t(key, vars = {}) {
  const text = table[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => (name in vars ? String(vars[name]) : `{${name}}`));
}

/** Set textContent (and placeholder / aria-label) of [data-i18n*] elements under root. */
export function translate(root) {
  for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll("[data-i18n-placeholder]")) el.placeholder = t(el.dataset.i18nPlaceholder);
  for (const el of root.querySelectorAll("[data-i18n-label]")) el.setAttribute("aria-label", t(el.dataset.i18nLabel));
}

export function switchTo(l) {
  if (!LANGS.includes(l)) return;
  document.cookie = `hc_lang=${l}; path=/; max-age=31536000; SameSite=Strict`;
  location.reload();
}

/** A date-time in the page language (local time zone). */
export function formatTime(iso) {
  if (!iso) return "—";
  return new Date(iso).toLocaleString(lang() === "zh" ? "zh-CN" : "en-GB", {
    year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit",
  });
}

/** "1 h 05 min" style durations for countdowns. */
export function formatDuration(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
  if (lang() === "zh") return h ? `${h}小时${m}分` : `${m}分${String(r).padStart(2, "0")}秒`;
  return h ? `${h} h ${String(m).padStart(2, "0")} min` : `${m} min ${String(r).padStart(2, "0")} s`;
}
