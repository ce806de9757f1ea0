// The emulator page: polls the view, posts what the person types and presses. No data is ever
// turned into script: the server sends HTML it has escaped, and this file is the only script.
"use strict";
(function () {
  const token = document.querySelector('meta[name="dealbot-page-token"]').content;
  const repSelect = document.getElementById("rep");
  const teamSelect = document.getElementById("team");
  const status = document.getElementById("status");
  const panes = { dm: document.getElementById("dm"), channel: document.getElementById("channel") };
  let seen = "";
  let polling = null;

  const params = new URLSearchParams(location.search);
  if (params.get("rep")) repSelect.value = params.get("rep");
  teamSelect.value = repSelect.selectedOptions[0].dataset.team || teamSelect.value;

  function rep() { return Number(repSelect.value); }

  function say(text, isError) {
    status.textContent = text || "";
    status.className = isError ? "error" : "";
  }

  async function post(path, body) {
    document.body.dataset.busy = "1";
    try {
      const answer = await fetch("/emulator/api/" + path, {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-Dealbot-Page-Token": token },
        body: JSON.stringify(body),
        credentials: "same-origin",
      });
      const data = await answer.json().catch(() => ({}));
      if (!answer.ok) { say(data.detail || "That did not work (" + answer.status + ").", true); }
      else { say(data.notice || ""); }
    } catch (error) {
      say("dealbot is not answering; is it still running?", true);
    } finally {
      await refresh();
      delete document.body.dataset.busy;
    }
  }

  async function refresh() {
    const query = new URLSearchParams({ rep: rep(), team: teamSelect.value, seen: seen });
    try {
      const answer = await fetch("/emulator/api/view?" + query, { credentials: "same-origin" });
      if (!answer.ok) return;
      const view = await answer.json();
      document.getElementById("clock-now").textContent = view.clock;
      document.getElementById("channel-name").textContent = view.channel_name;
      if (view.version === seen || view.dm === undefined) return;
      seen = view.version;
      for (const name of ["dm", "channel"]) {
        const pane = panes[name];
        const atBottom = pane.scrollHeight - pane.scrollTop - pane.clientHeight < 40;
        pane.innerHTML = view[name];
        if (atBottom || pane.dataset.loaded !== "1") pane.scrollTop = pane.scrollHeight;
        pane.dataset.loaded = "1";
      }
      document.body.dataset.version = seen;
    } catch (error) { /* the next poll tries again */ }
  }

  function entryOf(element) {
    const entry = element.closest("[data-entry]");
    return entry ? Number(entry.dataset.entry) : null;
  }

  document.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-action-id]");
    if (!button) return;
    post("press", { rep: rep(), entry: entryOf(button), action_id: button.dataset.actionId, value: button.dataset.value });
  });

  document.addEventListener("change", (event) => {
    const select = event.target.closest("select[data-action-id]");
    if (!select || !select.value) return;
    post("press", { rep: rep(), entry: entryOf(select), action_id: select.dataset.actionId, value: select.value });
  });

  document.addEventListener("submit", (event) => {
    const form = event.target.closest("form.dm-form");
    if (!form) return;
    event.preventDefault();
    const values = {};
    for (const [name, value] of new FormData(form).entries()) values[name] = String(value);
    post("form", { rep: rep(), entry: entryOf(form), values: values });
  });

  document.getElementById("say-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const input = document.getElementById("say");
    const text = input.value.trim();
    if (!text) return;
    input.value = "";
    post("say", { rep: rep(), text: text });
  });

  for (const button of document.querySelectorAll("[data-advance]")) {
    button.addEventListener("click", () => post("clock", { rep: rep(), minutes: Number(button.dataset.advance) }));
  }
  document.getElementById("advance-form").addEventListener("submit", (event) => {
    event.preventDefault();
    post("clock", { rep: rep(), minutes: Number(document.getElementById("advance-minutes").value) });
  });
  document.getElementById("next-morning").addEventListener("click", () => post("clock", { rep: rep(), next_morning: true }));
  document.getElementById("random-lead").addEventListener("click", () => post("leads", { random: true }));
  document.getElementById("lead-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const form = new FormData(event.target);
    const body = { demo_request: form.get("demo_request") === "on" };
    for (const name of ["name", "email", "company", "territory", "source", "message"]) body[name] = String(form.get(name) || "");
    post("leads", body);
  });

  repSelect.addEventListener("change", () => {
    teamSelect.value = repSelect.selectedOptions[0].dataset.team || teamSelect.value;
    const url = new URL(location.href);
    url.searchParams.set("rep", repSelect.value);
    history.replaceState(null, "", url);
    for (const pane of Object.values(panes)) pane.dataset.loaded = "";
    seen = "";
    refresh();
  });
  teamSelect.addEventListener("change", () => { seen = ""; refresh(); });

  refresh();
  polling = setInterval(refresh, 1000);
  window.addEventListener("pagehide", () => clearInterval(polling));
})();
