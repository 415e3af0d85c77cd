// Sign up and sign in. The session lives in an HttpOnly cookie the page cannot read; the
// access token in the login answer is for API clients and is not kept here.
import { api } from "../api.js";
import { h, field } from "../dom.js";
import { clearFieldErrors, messageSlot, showFieldErrors } from "../message.js";

function credentialsForm(title, submitText, onSubmit, extra, passwordRule) {
  const email = h("input", { type: "email", name: "email", autocomplete: "email", required: true, maxlength: 320 });
  const password = h("input", {
    type: "password",
    name: "password",
    autocomplete: title === "Sign up" ? "new-password" : "current-password",
    required: true,
    maxlength: 256,
  });
  const button = h("button", { type: "submit", class: "primary" }, submitText);
  const form = h("form", { class: "account", "aria-label": title }, field("Email", email), field("Password", password, passwordRule), button);
  const message = messageSlot(button);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    button.disabled = true;
    message.clear();
    clearFieldErrors(form);
    try {
      await onSubmit(email.value.trim(), password.value);
    } catch (error) {
      showFieldErrors(form, error);
      message.show(error);
    } finally {
      button.disabled = false;
    }
  });
  return h("div", {}, h("h1", {}, title), form, extra);
}

async function signIn(ctx, email, password) {
  await api("POST", "/api/v1/auth/login", { body: { email, password } });
  await ctx.refreshUser();
  const back = sessionStorage.getItem("lastseat.returnTo") || "#/";
  sessionStorage.removeItem("lastseat.returnTo");
  ctx.navigate(back, `Signed in as ${ctx.user.email}.`);
}

export function renderLogin(main, _params, ctx) {
  main.append(
    credentialsForm(
      "Sign in",
      "Sign in",
      (email, password) => signIn(ctx, email, password),
      h("p", {}, "New here? ", h("a", { href: "#/signup" }, "Create an account")),
    ),
  );
}

export function renderSignup(main, _params, ctx) {
  // The rule comes from the server's public settings, stated before anyone types.
  const { min_password_length: least, max_password_length: most } = ctx.config;
  const rule = least && most ? `${least} to ${most} characters; not your email address, nor a common password.` : undefined;
  main.append(
    credentialsForm(
      "Sign up",
      "Create account",
      async (email, password) => {
        await api("POST", "/api/v1/auth/signup", { body: { email, password } });
        await signIn(ctx, email, password);
      },
      h("p", {}, "Have an account? ", h("a", { href: "#/login" }, "Sign in")),
      rule,
    ),
  );
}
