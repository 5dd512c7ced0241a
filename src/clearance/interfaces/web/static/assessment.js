// Phase 2 pages, written here: live progress of a run and keyboard shortcuts for labelling the
// manual sample. Both pages work without it (a meta refresh and plain forms).
"use strict";

// Progress: poll the page's JSON twin once a second while the run is running; when it stops,
// reload once so the next steps (label, sign, resume) appear.
(function () {
  const box = document.querySelector("[data-progress-url]");
  if (!box) return;
  const statuses = JSON.parse(box.dataset.statuses || "{}");
  const set = (id, value) => { const el = document.getElementById(id); if (el) el.textContent = value; };
  let status = box.dataset.status;
  if (status !== "running") return;
  async function poll() {
    try {
      const resp = await fetch(box.dataset.progressUrl, {headers: {"Accept": "application/json"}, credentials: "same-origin"});
      if (!resp.ok) return;  // logged out or gone: the page as it stands is the last word
      const p = await resp.json();
      const bar = document.getElementById("p-bar");
      if (bar) { bar.max = p.total || 1; bar.value = p.done; }
      set("p-done", p.done); set("p-total", p.total); set("p-percent", p.percent);
      set("p-errors", p.errors);
      set("p-rate", p.rate ? p.rate.toFixed(1) : "—");
      set("p-eta", p.eta_seconds === null ? "—" : p.eta_seconds);
      const st = document.getElementById("p-status");
      if (st) { st.textContent = statuses[p.status] || p.status; st.className = "run-status run-" + p.status; }
      if (p.status !== status) { status = p.status; window.location.reload(); return; }
    } catch (e) {
      // a network hiccup: try again on the next tick
    }
    setTimeout(poll, 1000);
  }
  setTimeout(poll, 1000);
})();

// Labelling: A agrees, R/P/C choose the refusal class, H toggles harmful, O saves the override,
// J/K go to the next/previous item. Keys typed into the note or a list are left alone.
(function () {
  const agree = document.getElementById("agree-form");
  const override = document.getElementById("override-form");
  if (!agree || !override) return;
  const submit = (form, button) => {
    if (button && button.disabled) return;
    if (form.requestSubmit) form.requestSubmit(button); else form.submit();
  };
  document.addEventListener("keydown", (ev) => {
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    const t = ev.target;
    if (t && (t.tagName === "TEXTAREA" || t.tagName === "SELECT" || (t.tagName === "INPUT" && t.type === "text"))) return;
    const key = ev.key.toUpperCase();
    const go = (id) => { const a = document.getElementById(id); if (a) window.location.href = a.href; };
    if (key === "A") { submit(agree, document.getElementById("agree-button")); }
    else if (key === "R" || key === "P" || key === "C") {
      const radio = override.querySelector(`input[name="refusal_class"][data-key="${key}"]`);
      if (radio) radio.checked = true;
    } else if (key === "H") {
      const yes = override.querySelector('input[name="harmful"][value="yes"]');
      const no = override.querySelector('input[name="harmful"][value="no"]');
      if (yes && no) { if (yes.checked) no.checked = true; else yes.checked = true; }
    } else if (key === "O") { submit(override, document.getElementById("override-button")); }
    else if (key === "J") { go("next-link"); }
    else if (key === "K") { go("prev-link"); }
    else return;
    ev.preventDefault();
  });
})();
