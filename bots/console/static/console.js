/* renkei console: the little script of the pages (no inline script: the CSP forbids it).
   - live progress of running runs on the home page, polled without reloading;
   - charts (Chart.js, vendored) drawn from the JSON the chart page embeds as data. */
"use strict";

function csrfToken() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.content : "";
}

function liveProgress(section) {
  const url = section.dataset.progressUrl;
  const table = section.querySelector('[data-testid="live-runs"]');
  const none = section.querySelector('[data-testid="no-run"]');
  const body = table.querySelector("tbody");

  function rowFor(run) {
    let row = body.querySelector(`tr[data-live-run="${CSS.escape(run.id)}"]`);
    if (!row) {
      row = document.createElement("tr");
      row.dataset.liveRun = run.id;
      const cells = [run.started, run.procedure_name, "", "", "", ""];
      cells.forEach((text) => { const td = document.createElement("td"); td.textContent = text; row.appendChild(td); });
      row.children[2].appendChild(document.createElement("progress"));
      row.children[3].dataset.field = "count";
      row.children[4].dataset.field = "keyed";
      row.children[5].dataset.field = "needs_review";
      [3, 4, 5].forEach((i) => row.children[i].classList.add("num"));
      body.appendChild(row);
    }
    return row;
  }

  const watched = new Set(
    Array.from(body.querySelectorAll("tr[data-live-run]"), (row) => row.dataset.liveRun),
  );

  async function poll() {
    try {
      const query = watched.size ? `?watch=${encodeURIComponent(Array.from(watched).join(","))}` : "";
      const response = await fetch(url + query, { headers: { Accept: "application/json" }, credentials: "same-origin" });
      if (response.status === 401) { window.location.reload(); return; }
      if (!response.ok) return;
      const data = await response.json();
      for (const run of data.runs) {
        watched.add(run.id);
        const row = rowFor(run);
        const bar = row.querySelector("progress");
        bar.max = Math.max(run.total, 1);
        bar.value = run.done;
        const state = run.going ? "" : "（完了）";
        row.querySelector('[data-field="count"]').textContent = `${run.done} / ${run.total} 件${state}`;
        if (!run.going) {
          row.querySelector('[data-field="keyed"]').textContent = String(run.keyed);
          row.querySelector('[data-field="needs_review"]').textContent = String(run.needs_review);
        }
      }
      const any = body.children.length > 0;
      table.hidden = !any;
      none.hidden = any;
    } catch (e) {
      /* the console may be restarting: try again at the next tick */
    }
  }
  poll();
  window.setInterval(poll, 2000);
}

function drawCharts() {
  if (typeof Chart === "undefined") return;
  document.querySelectorAll("canvas[data-chart]").forEach((canvas) => {
    const source = document.getElementById(canvas.dataset.chart);
    if (!source) return;
    const spec = JSON.parse(source.textContent);
    canvas.chart = new Chart(canvas, spec);
  });
}

document.addEventListener("DOMContentLoaded", () => {
  const live = document.querySelector("[data-progress-url]");
  if (live) liveProgress(live);
  drawCharts();
  document.querySelectorAll("form[data-confirm]").forEach((form) => {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  });
});
