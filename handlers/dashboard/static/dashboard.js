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
      // The key comes with the page (the refund meant from what it shows), not with the click:
      // a double-submitted form is one refund.
      const key = form.dataset.idempotencyKey;
      const headers = key ? { "Idempotency-Key": key } : {};
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

// The document list follows the bus (Server-Sent Events): outcomes re-read the rows; while a
// long document is read, its row shows the pages read so far.
function setUpDocumentList() {
  const body = document.getElementById("document-rows");
  if (!body) return;
  const progress = new Map(); // document id -> the latest {pages_read, pages_total}
  const show = () => {
    for (const [id, p] of progress) {
      const row = body.querySelector(`tr[data-document="${id}"]`);
      if (!row || row.dataset.status !== "queued") { if (row) progress.delete(id); continue; }
      const cell = row.querySelector("td.pages");
      cell.textContent = "";
      const bar = document.createElement("progress");
      bar.max = p.pages_total; bar.value = p.pages_read;
      bar.setAttribute("aria-label", "読取済みのページ");
      const text = document.createElement("span");
      text.className = "pages-read";
      text.textContent = ` ${p.pages_read} / ${p.pages_total} ページ`;
      cell.append(bar, text);
    }
  };
  let running = false, again = false; // one fetch at a time; a burst of events makes one more
  const refresh = async () => {
    if (running) { again = true; return; }
    running = true;
    try {
      do {
        again = false;
        const response = await fetch(body.dataset.liveSource, { credentials: "same-origin" });
        if (response.ok) { body.innerHTML = await response.text(); show(); }
      } while (again);
    } finally { running = false; }
  };
  const events = new EventSource("/staff/live");
  for (const type of ["document.scanned", "document.rejected", "ocr.completed", "ocr.failed", "ocr.verified"]) {
    events.addEventListener(type, refresh);
  }
  events.addEventListener("progress.ocr", (event) => {
    const p = JSON.parse(event.data);
    const known = progress.get(p.document_id);
    if (known && known.pages_read >= p.pages_read) return; // notices may come out of order
    progress.set(p.document_id, p);
    if (!body.querySelector(`tr[data-document="${p.document_id}"]`)) { refresh(); return; }
    show();
  });
  window.addEventListener("beforeunload", () => events.close());
}

// The verification screen. Each field's crop is drawn from its page image at the field's
// real size (data-px-per-mm CSS pixels per millimetre of paper); a crop wider than its column
// wraps onto further rows (overlapping a little) instead of shrinking. The field being
// entered is outlined on the page image. Keys: Enter next, Shift+Enter previous, Ctrl+S save;
// the order is the DOM order (flagged fields first), never a positive tabindex.
function setUpVerification() {
  const form = document.getElementById("fields");
  if (!form) return;
  const [pageW, pageH] = form.dataset.pageMm.split(" ").map(Number);
  const pxPerMm = Number(form.dataset.pxPerMm);
  const save = document.getElementById("save-fields");
  const inputs = [...form.querySelectorAll(".field input, .field select")];
  const stops = [...form.querySelectorAll(".field input, .field select, #save-fields")]; // DOM order
  const OVERLAP_MM = 3, GAP_PX = 6;

  function drawCrop(canvas, image) {
    const [x, y, w, h] = canvas.dataset.crop.split(" ").map(Number);
    const frame = canvas.parentElement;
    const fullWidth = w * pxPerMm;
    const room = Math.max(frame.clientWidth, 200);
    const rows = Math.max(1, Math.ceil((fullWidth - OVERLAP_MM * pxPerMm) / (room - OVERLAP_MM * pxPerMm)));
    const segmentMm = rows === 1 ? w : (w + OVERLAP_MM * (rows - 1)) / rows;
    const scale = image.naturalWidth / pageW; // image pixels per mm
    const cssW = segmentMm * pxPerMm, cssH = h * pxPerMm;
    canvas.width = Math.round(segmentMm * scale);
    canvas.height = Math.round((h * rows) * scale + GAP_PX * (rows - 1) * scale / pxPerMm);
    canvas.style.width = `${cssW}px`;
    canvas.style.height = `${cssH * rows + GAP_PX * (rows - 1)}px`;
    canvas.dataset.rows = String(rows);
    const context = canvas.getContext("2d");
    context.fillStyle = "#fff";
    context.fillRect(0, 0, canvas.width, canvas.height);
    for (let row = 0; row < rows; row++) {
      const fromMm = x + row * (segmentMm - OVERLAP_MM);
      const top = row * (h * scale + GAP_PX * scale / pxPerMm);
      context.drawImage(image, fromMm * scale, y * scale, segmentMm * scale, h * scale,
        0, top, segmentMm * scale, h * scale);
    }
  }

  function drawAll() {
    for (const page of document.querySelectorAll(".page")) {
      const image = page.querySelector("img");
      if (!image.complete || !image.naturalWidth) continue;
      for (const canvas of form.querySelectorAll(`canvas.crop[data-page="${page.dataset.page}"]`)) {
        drawCrop(canvas, image);
      }
    }
  }
  for (const image of document.querySelectorAll(".page img")) image.addEventListener("load", drawAll);
  let resizing = null;
  window.addEventListener("resize", () => { clearTimeout(resizing); resizing = setTimeout(drawAll, 150); });
  drawAll();

  function outline(field) {
    for (const box of document.querySelectorAll(".field-outline")) box.hidden = true;
    for (const current of form.querySelectorAll(".field.current")) current.classList.remove("current");
    if (!field) return;
    field.classList.add("current");
    const box = document.querySelector(`.page[data-page="${field.dataset.page}"] .field-outline`);
    if (!box) return;
    const [left, top, width, height] = field.dataset.outline.split(" ").map(Number);
    Object.assign(box.style, { left: `${left}%`, top: `${top}%`, width: `${width}%`, height: `${height}%` });
    box.hidden = false;
  }
  form.addEventListener("focusin", (event) => outline(event.target.closest(".field")));

  const move = (from, step) => {
    const at = stops.indexOf(from);
    const next = stops[Math.min(Math.max(at + step, 0), stops.length - 1)];
    if (next) next.focus();
  };
  form.addEventListener("keydown", (event) => {
    if (event.key !== "Enter" || event.isComposing) return;
    if (event.target === save && !event.shiftKey) return; // Enter on the button saves
    event.preventDefault();
    move(event.target, event.shiftKey ? -1 : 1);
  });
  document.addEventListener("keydown", (event) => {
    if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === "s") {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  (inputs.find((i) => i.hasAttribute("data-flagged")) || save).focus();
  if (new URLSearchParams(location.search).has("saved")) history.replaceState(null, "", location.pathname);

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const problem = document.getElementById("fields-problem");
    problem.textContent = "";
    const body = {};
    for (const input of inputs) {
      if (input.dataset.kind === "checkbox") { body[input.name] = input.checked; continue; }
      if (input.dataset.kind === "choices") { // the options marked, of a multiple choice
        body[input.name] = [...form.querySelectorAll(`input[name="${input.name}"]:checked`)].map((i) => i.value);
        continue;
      }
      if (!input.hasAttribute("data-flagged") && input.value === input.dataset.original) continue;
      const value = input.value.trim();
      body[input.name] = value === "" ? null : (input.dataset.kind === "integer" && /^\d+$/.test(value) ? Number(value) : value);
    }
    // If-Match: the revision this page shows; another clerk's save in between is a 409.
    const result = await api("PATCH", `/api/documents/${form.dataset.document}/fields`, body,
      { "If-Match": `"${form.dataset.revision}"` });
    if (result.ok) { location.replace(`${location.pathname}?saved=1`); return; }
    if (result.status === 409) { problem.textContent = problemText(result.data); return; }
    const detail = result.data && result.data.detail;
    if (detail && detail.field) {
      const label = form.querySelector(`label[for="f-${detail.field}"]`);
      problem.textContent = `${label ? label.textContent : detail.field}: ${CORRECTION_PROBLEMS[detail.problem] || "この値は使えません。"}`;
      const input = form.querySelector(`[name="${detail.field}"]`);
      if (input) input.focus();
      return;
    }
    problem.textContent = problemText(result.data);
  });
}

// Why a correction was refused (the codes of PATCH /api/documents/{id}/fields), for staff.
const CORRECTION_PROBLEMS = {
  unknown_field: "この様式にない項目です。",
  unknown_option: "印刷された選択肢から選んでください。",
  expected_true_or_false: "チェックの有無で答えてください。",
  expected_text: "文字で入力してください。",
  unexpected_characters: "この項目に使えない文字が入っています。",
  ambiguous_characters: "見分けにくい文字があります。数字で入力してください。",
  stray_hyphens: "ハイフンの位置を確かめてください。",
  no_digits: "数字を入力してください。",
  not_an_integer: "整数で入力してください。",
  not_a_date: "日付として読めません（例: 令和6年4月1日、2024-04-01）。",
  implausible_date: "ありえない日付です。確かめてください。",
  invalid: "この値は使えません。",
};

// The Shift_JIS export is fetched here rather than followed, so that the page can say how many
// characters Shift_JIS could not hold (the server counts them in a response header).
function setUpExports() {
  const link = document.getElementById("csv-sjis");
  if (!link) return;
  link.addEventListener("click", async (event) => {
    event.preventDefault();
    const response = await fetch(link.href, { credentials: "same-origin" });
    if (!response.ok) { notice("CSV を作れませんでした。/ The CSV could not be made."); return; }
    const replaced = Number(response.headers.get("Madoguchi-Replaced-Characters") || "0");
    const name = /filename="([^"]+)"/.exec(response.headers.get("Content-Disposition") || "");
    const save = document.createElement("a");
    save.href = URL.createObjectURL(await response.blob());
    save.download = name ? name[1] : "madoguchi.csv";
    document.body.append(save);
    save.click();
    save.remove();
    setTimeout(() => URL.revokeObjectURL(save.href), 60000);
    notice(replaced > 0
      ? `${replaced} 文字は Shift_JIS で表せないため「?」にしました。UTF-8 の CSV では元の文字のままです。`
        + ` / ${replaced} character(s) could not be written in Shift_JIS and became "?"; the UTF-8 CSV keeps them.`
      : "");
  });
}

document.addEventListener("DOMContentLoaded", () => {
  setUpSignIn();
  setUpExports();
  setUpSignOut();
  setUpActions();
  setUpDocumentList();
  setUpVerification();
  for (const hook of window.madoguchiPage || []) hook();
});
