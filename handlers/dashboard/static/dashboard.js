// The little JavaScript the staff pages use: calls to the JSON API with the CSRF token,
// sign-in and sign-out, and the hooks each page adds below (data-* attributes select them).
"use strict";

const csrfToken = () => document.querySelector('meta[name="csrf-token"]')?.content || "";

async function api(method, url, body, extraHeaders) {
  const headers = { "X-CSRF-Token": csrfToken(), ...(extraHeaders || {}) };
  let payload = body;
  if (body !== undefined && !(body instanceof FormData)) {
    headers["Content-Type"] = "application/json";
    payload = JSON.stringify(body);
  }
  const response = await fetch(url, { method, headers, body: payload, credentials: "same-origin" });
  let data = null;
  try { data = await response.json(); } catch (e) { data = null; }
  return { ok: response.ok, status: response.status, data };
}

function notice(text) { document.getElementById("notice").textContent = text; }

function problemText(data) {
  if (!data) return "エラーが発生しました。";
  const detail = data.detail;
  if (typeof detail === "string") return detail;
  if (detail && detail.messages) return detail.messages.join(" ");
  if (detail && typeof detail === "object") return Object.values(detail).join(" ");
  return data.error || "エラーが発生しました。";
}

// Sign-in; when the password must change, only the change form is shown (the current
// password just typed is carried over), with the rules shown before typing.
function setUpSignIn() {
  const form = document.getElementById("sign-in");
  const change = document.getElementById("change-password");
  if (!form || !change) return;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const problem = document.getElementById("sign-in-problem");
    problem.textContent = "";
    const result = await api("POST", "/api/session",
      { login: form.login.value, password: form.password.value });
    if (result.ok) { location.href = "/staff/home"; return; }
    if (result.status === 403 && result.data && result.data.error === "password_expired") {
      document.querySelector('meta[name="csrf-token"]')?.remove();
      const meta = document.createElement("meta");
      meta.name = "csrf-token"; meta.content = result.data.csrf_token;
      document.head.appendChild(meta);
      change.current.value = form.password.value;
      document.getElementById("current-row").hidden = true;
      form.hidden = true;
      change.hidden = false;
      change.new.focus();
      return;
    }
    problem.textContent = problemText(result.data);
  });
  change.addEventListener("submit", async (event) => {
    event.preventDefault();
    const list = document.getElementById("change-problems");
    list.textContent = "";
    const show = (messages) => {
      for (const message of messages) {
        const item = document.createElement("li");
        item.textContent = message;
        list.appendChild(item);
      }
    };
    const local = [];
    if (!change.current.value) local.push("現在のパスワードを入力してください。");
    if (!change.new.value) local.push("新しいパスワードを入力してください。");
    else if (change.new.value !== change.new_again.value) {
      local.push("確認のために入力した新しいパスワードが一致しません。もう一度入力してください。");
    }
    if (local.length) { show(local); return; }
    const result = await api("POST", "/api/password",
      { current: change.current.value, new: change.new.value });
    if (result.ok) { location.href = "/staff/home"; return; }
    if (result.data && result.data.error === "wrong_current") {
      document.getElementById("current-row").hidden = false;
      change.current.value = "";
    }
    show((result.data && result.data.detail && result.data.detail.messages)
      || [problemText(result.data)]);
  });
}

function setUpSignOut() {
  const button = document.getElementById("sign-out");
  if (!button) return;
  button.addEventListener("click", async () => {
    await api("DELETE", "/api/session");
    location.href = "/staff/";
  });
}

// Buttons and forms that call the API: data-api="POST /api/..." with optional data-confirm.
function setUpActions() {
  for (const form of document.querySelectorAll("form[data-api]")) {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (form.dataset.confirm && !confirm(form.dataset.confirm)) return;
      const [method, url] = form.dataset.api.split(" ");
      let body;
      if (form.enctype === "multipart/form-data") {
        body = new FormData(form);
      } else {
        body = {};
        for (const element of form.elements) {
          if (!element.name) continue;
          if (element.type === "checkbox") body[element.name] = element.checked;
          else if (element.dataset.kind === "integer") body[element.name] = element.value === "" ? null : Number(element.value);
          else body[element.name] = element.value;
        }
      }
      const headers = form.dataset.idempotent ? { "Idempotency-Key": crypto.randomUUID() } : {};
      const result = await api(method, url, body, headers);
      const problem = form.querySelector(".problem");
      if (result.ok) {
        if (problem) problem.textContent = "";
        if (form.dataset.then === "reload") { location.reload(); return; }
        notice(form.dataset.done || "完了しました。");
      } else if (problem) {
        problem.textContent = problemText(result.data);
      } else {
        notice(problemText(result.data));
      }
    });
  }
}

document.addEventListener("DOMContentLoaded", () => {
  setUpSignIn();
  setUpSignOut();
  setUpActions();
  for (const hook of window.madoguchiPage || []) hook();
});
