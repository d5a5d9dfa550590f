// Code kinds as data (codes/kinds.py): text prefix, private claim key, claim fields and
// maximum lifetime. The scanner accepts health codes; the other kinds are known so that
// they are refused as WRONG_KIND rather than as unreadable.

const COLORS = ["green", "yellow", "red"];
const LAST4 = /^[0-9A-Za-z]{4}$/;
const REGION = /^[0-9A-Za-z_-]{1,16}$/;
const DAY = 86400;
export const MAX_TEXT_CLAIM = 64; // iss, sub: UTF-8 bytes
const MAX_NAME_BYTES = 40;

const text = (key, name, more = {}) => ({ key, name, type: "text", required: true, ...more });
const uint = (key, name, more = {}) => ({ key, name, type: "uint", required: true, min: 0, max: 2 ** 31 - 1, ...more });

export const HEALTH = {
  name: "health",
  prefix: "HCX1:",
  claimKey: -65537,
  fields: [
    text(1, "color", { choices: COLORS }),
    uint(2, "ruleset_version"),
    text(3, "holder_name", { maxBytes: MAX_NAME_BYTES }),
    text(4, "id_last4", { pattern: LAST4 }),
  ],
  maxLifetime: 7 * DAY,
};

export const PLACE = {
  name: "place",
  prefix: "HCP1:",
  claimKey: -65538,
  fields: [
    text(1, "region", { pattern: REGION }),
    { key: 2, name: "admitted_colors", type: "text_set", required: true, choices: COLORS },
    uint(3, "test_within_hours", { required: false, min: 1, max: 720 }),
  ],
  maxLifetime: 366 * DAY,
};

export const PASS = {
  name: "pass",
  prefix: "HCR1:",
  claimKey: -65539,
  fields: [text(1, "holder_name", { maxBytes: MAX_NAME_BYTES }), text(2, "id_last4", { pattern: LAST4 })],
  maxLifetime: 731 * DAY,
};

export const KINDS = [HEALTH, PLACE, PASS];

export const kindByText = (value) => KINDS.find((k) => value.startsWith(k.prefix)) ?? null;
export const kindByClaimKey = (key) => KINDS.find((k) => k.claimKey === key) ?? null;
