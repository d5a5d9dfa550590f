// Venue mode: the device holds its venue's place code (verified offline against the trust
// bundle), applies the policy signed into it to every health code read (codes/policy.py:
// colour admitted, then a negative test within N hours, which a health code cannot show),
// keeps each decision in IndexedDB and uploads the log through the batch endpoint (idempotent
// by entry_id) whenever the network is there.

import { PLACE } from "./kinds.js";
import { loadValue, saveValue } from "./store.js";
import { Refused, verify } from "./verify.js";

const VENUE = "venue";
const LOG = "entries";
const MAX_UPLOAD = 500;

/** A venue id (the place code's subject: 32 hex digits) as a UUID. */
function uuidOf(hex) {
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Verify a place code offline and keep it as this device's venue; throws Refused. */
export async function chooseVenue(text, bundle, now = Date.now() / 1000) {
  const code = await verify(text.trim(), bundle, { now, kinds: [PLACE] });
  const venue = {
    id: uuidOf(code.subject),
    place_code: text.trim(),
    region: code.region,
    admitted_colors: code.admitted_colors,
    test_within_hours: code.test_within_hours ?? null,
    expires_at: code.expiresAt,
  };
  await saveValue(VENUE, venue);
  return venue;
}

export const currentVenue = () => loadValue(VENUE);
export const leaveVenue = () => saveValue(VENUE, null);
export { Refused };

/** The door decision for a check() result under a venue's policy (as codes.policy.decide). */
export function decide(venue, result) {
  if (!result.valid) return { admit: false, reason: result.reason, color: null };
  if (!venue.admitted_colors.includes(result.color)) {
    return { admit: false, reason: "COLOR_NOT_ADMITTED", color: result.color };
  }
  if (venue.test_within_hours !== null) {
    return { admit: false, reason: "NO_RECENT_NEGATIVE_TEST", color: result.color };
  }
  return { admit: true, reason: null, color: result.color };
}

/** Keep one decision in the device's log (not yet uploaded). */
export async function record(venue, decision, codeId, at = new Date()) {
  const log = (await loadValue(LOG)) ?? [];
  log.push({
    venue_id: venue.id,
    entry: {
      entry_id: crypto.randomUUID(),
      code_id: codeId,
      scanned_at: at.toISOString(),
      admitted: decision.admit,
      reason: decision.reason,
      color: decision.color,
    },
  });
  await saveValue(LOG, log);
  return log.length;
}

export async function pendingCount() {
  return ((await loadValue(LOG)) ?? []).length;
}

/** Upload the log, per venue, in batches; answered entries (accepted, duplicate or refused)
 * leave the log, anything not answered stays for the next try. Returns what was sent. */
export async function upload(session) {
  const log = (await loadValue(LOG)) ?? [];
  const sent = new Set();
  const totals = { accepted: 0, duplicates: 0, rejected: 0 };
  for (const venueId of new Set(log.map((item) => item.venue_id))) {
    const items = log.filter((item) => item.venue_id === venueId).slice(0, MAX_UPLOAD);
    const answer = await session.call(`/v1/venues/${venueId}/entries/batch`, {
      method: "POST",
      body: { entries: items.map((item) => item.entry) },
    });
    totals.accepted += answer.accepted;
    totals.duplicates += answer.duplicates;
    totals.rejected += answer.rejected.length;
    for (const item of items) sent.add(item.entry.entry_id);
  }
  const rest = ((await loadValue(LOG)) ?? []).filter((item) => !sent.has(item.entry.entry_id));
  await saveValue(LOG, rest);
  return totals;
}
