// Dialtone console: the live call list (Server-Sent Events) and nothing else. Rows arrive
// rendered (and escaped) by the server; this script only places them.
"use strict";

(function () {
  const state = document.getElementById("live-state");
  const tbody = document.getElementById("calls");
  if (!state || !tbody) return;

  const source = new EventSource(state.dataset.url);
  source.addEventListener("open", function () {
    state.textContent = "Live: updates as calls change";
    state.className = "on";
  });
  source.addEventListener("error", function () {
    state.textContent = "Live: reconnecting…";
    state.className = "off";
  });
  source.addEventListener("call", function (event) {
    const template = document.createElement("template");
    template.innerHTML = event.data;
    const row = template.content.firstElementChild;
    if (!row || row.tagName !== "TR") return;
    const existing = document.getElementById(row.id);
    if (existing) {
      existing.replaceWith(row);
    } else {
      tbody.prepend(row);
      const empty = document.getElementById("no-calls");
      if (empty) empty.remove();
    }
    row.classList.add("changed");
    setTimeout(function () { row.classList.remove("changed"); }, 1500);
  });
})();
