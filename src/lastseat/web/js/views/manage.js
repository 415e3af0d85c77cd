// Manage booking: a booking found by its reference and a passenger's family name, with no
// sign-in (POST /bookings/lookup). The server throttles guesses; this page says only
// "not found" (never which of the two was wrong) and how long to wait when throttled.
import { api, ApiError, waitWords } from "../api.js";
import { h, clear, field } from "../dom.js";
import { messageSlot } from "../message.js";
import { arrival, departure } from "../time.js";
import { statusName } from "../words.js";

/** What the traveller is told when the look-up does not find a booking. */
function refusal(error) {
  if (error instanceof ApiError && error.status === 404) {
    return "We found no booking with that reference and family name. Check both as they are written on your confirmation.";
  }
  if (error instanceof ApiError && error.status === 429) {
    return `Too many look-ups. For the bookings' safety, please wait ${waitWords(error.retryAfter)} before trying again.`;
  }
  if (error instanceof ApiError && error.kind === "validation-failed") {
    return "Please enter the booking reference and a passenger's family name.";
  }
  return error instanceof ApiError ? error.plain : "Something went wrong in this page. Please reload and try again.";
}

function tripOf(found) {
  const { flight } = found;
  return h(
    "section",
    { class: "found-booking", "aria-labelledby": "found-heading" },
    h("h2", { id: "found-heading" }, `Booking ${found.reference}`),
    h(
      "dl",
      { class: "booking" },
      h("dt", {}, "Flight"), h("dd", {}, `${flight.code} ${flight.origin} → ${flight.destination}`),
      h("dt", {}, "Departs"), h("dd", { "data-testid": "departs" }, departure(flight)),
      h("dt", {}, "Arrives"), h("dd", { "data-testid": "arrives" }, arrival(flight)),
      h("dt", {}, "Seats"), h("dd", { "data-testid": "seats" }, found.seats.join(", ")),
      h("dt", {}, "Passengers"),
      h(
        "dd",
        { "data-testid": "passengers" },
        found.passengers.length
          ? h("ul", {}, ...found.passengers.map((p) => h("li", {}, `Seat ${p.seat}: ${p.given_name} ${p.family_name}`)))
          : "not named",
      ),
      h("dt", {}, "Status"), h("dd", { "data-testid": "status" }, statusName(found.status)),
    ),
    h("p", { class: "hint" }, "To cancel, sign in to the account that made the booking and open My bookings."),
  );
}

export async function render(main) {
  const reference = h("input", { name: "reference", required: true, maxlength: 16, autocomplete: "off", autocapitalize: "characters", spellcheck: "false" });
  // No maxlength: it counts UTF-16 units and would cut a name of supplementary-plane letters.
  const family = h("input", { name: "family_name", required: true, autocomplete: "family-name" });
  const find = h("button", { type: "submit", class: "primary" }, "Find booking");
  const result = h("div", { class: "manage-result" });
  const form = h(
    "form",
    { class: "manage", "aria-label": "Find a booking" },
    field("Booking reference", reference, "On your confirmation and in its email"),
    field("Family name", family, "Of any passenger on the booking"),
    find,
  );
  const message = messageSlot(find, { urgent: false });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clear(result);
    message.clear();
    find.disabled = true;
    try {
      const found = await api("POST", "/api/v1/bookings/lookup", {
        body: { reference: reference.value.trim(), family_name: family.value.trim() },
      });
      result.append(tripOf(found));
      message.show(`Booking ${found.reference} found.`, "info");
    } catch (error) {
      message.show(refusal(error));
    } finally {
      find.disabled = false;
    }
  });
  main.append(
    h("h1", {}, "Manage booking"),
    h("p", {}, "Find a booking with its reference and the family name of anyone travelling on it. No sign-in needed."),
    form,
    result,
  );
}
