// Written by `make web-words` (src/lastseat/entrypoints/web_words.py) from the server's
// words and rules in domain/price_words.py and domain/passengers.py: change them there,
// never here (tests/unit/test_web_words.py fails while this file is not what it writes).

/** What each seat surcharge kind the API sends (`surcharges[].kind`) is called. */
export const SURCHARGE_NAMES = Object.freeze({"exit_row": "Exit row seat", "front_row": "Front row seat", "window": "Window seat", "aisle": "Aisle seat"});

/** A surcharge kind newer than these words. */
export const UNKNOWN_SURCHARGE = "Seat extra";

/** A seat's fare on the bill; {seat} and {cabin} are filled in. */
export const FARE_LABEL = "Seat {seat}, {cabin} fare";

/** What demand added to a seat's price. */
export const HIGH_DEMAND = "High demand";

/** What demand took off a seat's price. */
export const LOW_DEMAND = "Low demand saving";

/** A bookable passenger name: length in code points, marks on one letter, and the characters allowed besides letters and marks. */
export const NAME_RULE = Object.freeze({"minLength": 1, "maxLength": 64, "maxMarksPerLetter": 3, "punctuation": " '-\u2019", "joiners": "\u200c\u200d", "maxRawLength": 256});
