// Whether a typed passenger name can be booked: the rule of domain/passengers.py, read here
// only so the step indicator marks Passengers done when it is (the server still decides,
// and its message is the one shown on a refusal). Length is in code points, as the server
// counts it, not in UTF-16 units as `maxlength` would: a name of supplementary-plane CJK
// characters is not cut at half its length.
const MAX_NAME_LENGTH = 64;
const MAX_MARKS_PER_LETTER = 3;
const NAME_CHARACTERS = /^[\p{L}\p{M}\-'\u2019 ]+$/u;
const MARK_RUN = new RegExp(`\\p{M}{${MAX_MARKS_PER_LETTER + 1}}`, "u");

/** The name as the server stores it: NFC, any Unicode space a plain one, spaces tidied. */
export function tidyName(text) {
  return text.normalize("NFC").replace(/\p{Zs}/gu, " ").split(" ").filter(Boolean).join(" ");
}

export function isBookableName(text) {
  const name = tidyName(text);
  const length = [...name].length;
  return length >= 1 && length <= MAX_NAME_LENGTH && NAME_CHARACTERS.test(name) && /\p{L}/u.test(name) && !MARK_RUN.test(name);
}
