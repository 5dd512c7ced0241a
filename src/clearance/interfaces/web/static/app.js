// Progressive enhancements for the workspace, written here. Every page works without them.
"use strict";

// Autosave: a form marked data-autosave posts itself (as the Save button would) a moment after
// the user stops changing it, asking for JSON so the page stays where it is.
(function () {
  const form = document.querySelector("form[data-autosave]");
  if (!form) return;
  const status = form.querySelector(".autosave-status");
  let timer = null;
  let inFlight = false;
  async function save() {
    if (inFlight) { timer = setTimeout(save, 400); return; }
    inFlight = true;
    try {
      const resp = await fetch(form.action, {method: "POST", body: new FormData(form),
                                             headers: {"Accept": "application/json"}, credentials: "same-origin"});
      const data = await resp.json().catch(() => ({}));
      form.querySelectorAll(".field-error.live").forEach((el) => el.remove());
      form.querySelectorAll(".field.invalid").forEach((el) => el.classList.remove("invalid"));
      if (resp.ok && data.saved) {
        status.textContent = status.dataset.saved + " " + new Date().toLocaleTimeString();
        const list = document.getElementById("missing-list");
        if (list && Array.isArray(data.missing)) {
          list.replaceChildren(...data.missing.map((m) => { const li = document.createElement("li"); li.textContent = m; return li; }));
          document.getElementById("missing").hidden = data.missing.length === 0;
        }
      } else {
        status.textContent = status.dataset.failed;
        for (const [field, message] of Object.entries(data.errors || {})) {
          const input = form.querySelector(`[name="${CSS.escape(field)}"]`) || form.querySelector(`[name="${CSS.escape(field.split(".")[0])}"]`);
          const box = input && input.closest(".field");
          if (!box) continue;
          box.classList.add("invalid");
          const p = document.createElement("p");
          p.className = "field-error live";
          p.textContent = message;
          box.appendChild(p);
        }
      }
    } catch (e) {
      status.textContent = status.dataset.failed;
    } finally {
      inFlight = false;
    }
  }
  form.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(save, 900); });
  form.addEventListener("change", () => { clearTimeout(timer); timer = setTimeout(save, 300); });
})();
