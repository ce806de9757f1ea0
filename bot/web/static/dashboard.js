// The dashboard's one control: send a dead message again, then reload the figures.
"use strict";
(function () {
  const token = document.querySelector('meta[name="dealbot-page-token"]').content;
  const status = document.getElementById("status");
  document.addEventListener("click", async (event) => {
    const button = event.target.closest("button[data-retry]");
    if (!button) return;
    button.disabled = true;
    const answer = await fetch("/dashboard/api/outbox/retry", {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-Dealbot-Page-Token": token },
      body: JSON.stringify({ ids: [Number(button.dataset.retry)] }),
      credentials: "same-origin",
    });
    const data = await answer.json().catch(() => ({}));
    status.textContent = data.notice || data.detail || "Retry failed (" + answer.status + ").";
    if (answer.ok && data.ok) setTimeout(() => location.reload(), 600);
  });
})();
