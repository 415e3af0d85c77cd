// Whether a typed passenger name can be booked: the rule of domain/passengers.py, read here
// only so the step indicator marks Passengers done when it is (the server still decides,
// and its message is the one shown on a refusal). Length is in code points, as the server
// counts it, not in UTF-16 units as `maxlength` would: a name of supplementary-plane CJK
// characters is not cut at half its length. The rule's numbers and punctuation are the
// server's own, read from server-words.js (written from domain/passengers.py).
import { NAME_RULE } from "./server-words.js";

// Each allowed punctuation mark and joiner as a \u escape, so none means anything in a
// character class.
const escaped = (chars) => [...chars].map((ch) => `\\u${ch.codePointAt(0).toString(16).padStart(4, "0")}`).join("");
const NAME_CHARACTERS = new RegExp(`^[\\p{L}\\p{M}${escaped(NAME_RULE.punctuation + NAME_RULE.joiners)}]+$`, "u");
// A mark belongs on a letter and a joiner between two: neither starts a name.
const BAD_FIRST = new RegExp(`^[\\p{M}${escaped(NAME_RULE.joiners)}]`, "u");
const MARK_RUN = new RegExp(`\\p{M}{${NAME_RULE.maxMarksPerLetter + 1}}`, "u");

/** The name as the server stores it: NFC, any Unicode space a plain one, spaces tidied. */
export function tidyName(text) {
  return text.normalize("NFC").replace(/\p{Zs}/gu, " ").split(" ").filter(Boolean).join(" ");
}

export function isBookableName(text) {
  if ([...text].length > NAME_RULE.maxRawLength) return false; // as typed, before tidying
  const name = tidyName(text);
  const length = [...name].length;
  return (
    length >= NAME_RULE.minLength &&
    length <= NAME_RULE.maxLength &&
    NAME_CHARACTERS.test(name) &&
    !BAD_FIRST.test(name) &&
    /\p{L}/u.test(name) &&
    !MARK_RUN.test(name)
  );
}
