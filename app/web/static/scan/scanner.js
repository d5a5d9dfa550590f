// The scanning pipeline: code text -> check() against the held bundle -> listeners.
// The answer screen is one listener; the venue entry policy and entry log (venues issue)
// plug in the same way, as further listeners or by choosing `kinds`.

import { present, show } from "./answer.js";
import { HEALTH } from "./kinds.js";
import { check } from "./verify.js";

export class Scanner {
  constructor({ kinds = [HEALTH], leeway = 60 } = {}) {
    this.kinds = kinds;
    this.leeway = leeway;
    this.bundle = null;
    this.listeners = [];
  }

  /** Call fn(result, text) after every check. */
  onResult(fn) {
    this.listeners.push(fn);
  }

  /** Check one code text at `now` (epoch seconds); without trust data it is BUNDLE_STALE. */
  async check(text, now = Date.now() / 1000) {
    const result = this.bundle
      ? await check(text, this.bundle, { now, leeway: this.leeway, kinds: this.kinds })
      : { valid: false, reason: "BUNDLE_STALE", color: null, holder_name: null, id_last4: null, expires_at: null, code_id: null, kid: null, kind: null };
    for (const fn of this.listeners) fn(result, text);
    return result;
  }
}

/** The answer-screen listener: show the result and record how long the answer took. */
export function answerScreen(started) {
  return (result) => {
    show(present(result));
    document.getElementById("answer").dataset.ms = (performance.now() - started.at).toFixed(2);
  };
}
