// KooDTX dashboard charts: plotly.js served by the app, data from the JSON API (same cookie).
// When every chart on the page is drawn, <body data-charts-ready="true"> is set and the time
// from navigation start is kept in data-charts-ms (read by the browser test).
"use strict";

(function () {
  const COLORS = { x: "#2f6fde", y: "#16a34a", z: "#d97706", magnitude: "#6b21a8" };
  // Coordinates are drawn as the track; on the time chart they start hidden (click to show).
  const HIDDEN_FIELDS = new Set(["latitude", "longitude"]);
  const CONFIG = { responsive: true, displaylogo: false };

  async function getJSON(url) {
    const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (!response.ok) {
      let message = response.statusText;
      try { message = (await response.json()).error || message; } catch (_) { /* not JSON */ }
      throw new Error(`${response.status} ${message}`);
    }
    return response.json();
  }

  function readJSON(id) {
    const element = document.getElementById(id);
    return element ? JSON.parse(element.textContent) : null;
  }

  const dates = (ms) => ms.map((t) => new Date(t));

  // The index of the point whose time is nearest to t (times are sorted).
  function nearest(times, t) {
    let lo = 0, hi = times.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (times[mid] < t) lo = mid + 1; else hi = mid;
    }
    if (lo > 0 && Math.abs(times[lo - 1] - t) <= Math.abs(times[lo] - t)) lo -= 1;
    return lo;
  }

  // Where to draw each anomaly: at its sample, or, in a downsampled series, at whichever end
  // of its bucket's (minimum, maximum) pair lies farther from the mean magnitude.
  function anomalyTrace(series, found) {
    const values = series.magnitude || series.values[series.fields[0]] || [];
    if (!found || !found.timestamps.length || !values.length) return null;
    const mean = found.mean ?? 0;
    const y = found.timestamps.map((t) => {
      const i = nearest(series.t, t);
      const around = series.downsampled ? [values[i - 1], values[i], values[i + 1]] : [values[i]];
      const candidates = around.filter((v) => v !== undefined && v !== null);
      if (!candidates.length) return null;
      return candidates.reduce((a, b) => (Math.abs(b - mean) > Math.abs(a - mean) ? b : a));
    });
    return {
      name: "anomaly", x: dates(found.timestamps), y, mode: "markers", type: "scatter",
      marker: { color: "#dc2626", size: 9, symbol: "x" },
    };
  }

  // Audio recordings on the charts' time axis: a shaded span each, and a line that follows
  // the one playing (the page places them: data-start-ms / data-end-ms).
  function audioSpans() {
    return [...document.querySelectorAll(".audio-box")]
      .filter((box) => box.dataset.startMs)
      .map((box) => ({ box, start: Number(box.dataset.startMs), end: Number(box.dataset.endMs) }));
  }

  function audioShapes(playheadMs) {
    const shapes = audioSpans().map(({ start, end }) => ({
      type: "rect", xref: "x", yref: "paper", x0: new Date(start), x1: new Date(end), y0: 0, y1: 1,
      fillcolor: "rgba(124, 58, 237, 0.12)", line: { width: 0 }, layer: "below",
    }));
    if (playheadMs !== undefined) {
      const at = new Date(playheadMs);
      shapes.push({ type: "line", xref: "x", yref: "paper", x0: at, x1: at, y0: 0, y1: 1,
        line: { color: "#7c3aed", width: 2 } });
    }
    return shapes;
  }

  function followAudio() {
    for (const { box, start } of audioSpans()) {
      const player = box.querySelector("audio");
      player.addEventListener("timeupdate", () => {
        const at = Math.round(start + player.currentTime * 1000);
        document.body.dataset.playheadMs = String(at);
        for (const chart of document.querySelectorAll("[data-series-url]")) {
          if (chart.layout) Plotly.relayout(chart, { shapes: audioShapes(at) });
        }
      });
    }
  }

  async function drawSeries(element, anomalies, pending) {
    const series = await pending;
    await domReady;
    const x = dates(series.t);
    const traces = series.fields.map((field) => ({
      name: field, x, y: series.values[field], type: "scatter", mode: "lines",
      line: { width: 1, color: COLORS[field] }, visible: HIDDEN_FIELDS.has(field) ? "legendonly" : true,
    }));
    if (series.magnitude) {
      traces.push({ name: "magnitude", x, y: series.magnitude, type: "scatter", mode: "lines",
        line: { width: 1.2, color: COLORS.magnitude } });
    }
    const marks = anomalyTrace(series, anomalies[element.dataset.sensor]);
    if (marks) traces.push(marks);
    const layout = {
      margin: { l: 50, r: 10, t: 10, b: 40 }, xaxis: { type: "date" }, hovermode: "x",
      legend: { orientation: "h", y: 1.12 }, shapes: audioShapes(),
    };
    await Plotly.newPlot(element, traces, layout, CONFIG);
    element.dataset.points = String(series.points);
    const note = element.parentElement.querySelector(".chart-note");
    if (note) {
      note.textContent = series.downsampled
        ? `${series.total.toLocaleString()} samples shown as ${series.points.toLocaleString()} points (minimum and maximum per time bucket).`
        : `All ${series.total.toLocaleString()} samples shown.`;
    }
  }

  async function drawTrack(element, pending) {
    const track = await pending;
    await domReady;
    const km = (track.distance_m / 1000).toFixed(2);
    const label = document.getElementById("track-distance");
    if (label) label.textContent = `· ${km} km, ${track.fixes.toLocaleString()} fixes`;
    const meanLat = track.latitude.reduce((a, b) => a + b, 0) / Math.max(1, track.latitude.length);
    const traces = [
      { name: "track", x: track.longitude, y: track.latitude, type: "scatter", mode: "lines",
        line: { width: 3, color: COLORS.x } },
    ];
    if (track.latitude.length) {
      const last = track.latitude.length - 1;
      traces.push({ name: "start", x: [track.longitude[0]], y: [track.latitude[0]], mode: "markers",
        type: "scatter", marker: { size: 12, color: "#16a34a" } });
      traces.push({ name: "end", x: [track.longitude[last]], y: [track.latitude[last]], mode: "markers",
        type: "scatter", marker: { size: 12, color: "#dc2626" } });
    }
    const layout = {
      margin: { l: 60, r: 10, t: 10, b: 40 },
      xaxis: { title: { text: "longitude" } },
      // A degree of longitude is shorter than one of latitude by cos(latitude): keep shapes true.
      yaxis: { title: { text: "latitude" }, scaleanchor: "x", scaleratio: 1 / Math.cos((meanLat * Math.PI) / 180) },
      showlegend: true,
    };
    await Plotly.newPlot(element, traces, layout, CONFIG);
    element.dataset.fixes = String(track.latitude.length);
  }

  function cell(row, text, numeric) {
    const td = row.insertCell();
    td.textContent = text;
    if (numeric) td.className = "num";
  }

  async function drawCoverage(element) {
    const coverage = await getJSON(element.dataset.coverageUrl);
    const table = document.createElement("table");
    table.className = "data";
    table.id = "coverage-table";
    table.createTHead().innerHTML =
      "<tr><th>Sensor</th><th class=num>Samples</th><th>First</th><th>Last</th><th class=num>Interval</th><th class=num>Gaps</th><th class=num>Missing</th><th>First gaps</th></tr>";
    const body = table.createTBody();
    for (const sensor of coverage.sensors) {
      const row = body.insertRow();
      cell(row, sensor.sensor_type);
      cell(row, sensor.count.toLocaleString(), true);
      cell(row, new Date(sensor.first_timestamp).toISOString().replace("T", " ").slice(0, 23));
      cell(row, new Date(sensor.last_timestamp).toISOString().replace("T", " ").slice(0, 23));
      cell(row, sensor.interval_ms === null ? "—" : `${sensor.interval_ms.toFixed(1)} ms (${sensor.interval_source})`, true);
      cell(row, String(sensor.gap_count), true);
      cell(row, `${(sensor.missing_ms / 1000).toFixed(1)} s`, true);
      cell(row, sensor.gaps.slice(0, 3).map((gap) =>
        `${new Date(gap.start).toISOString().slice(11, 19)} (+${(gap.missing_ms / 1000).toFixed(1)} s)`).join(", ") || "none");
    }
    element.replaceChildren(table);
  }

  function bars(id, mapping, color) {
    const element = document.getElementById(id);
    if (!element) return Promise.resolve();
    const keys = Object.keys(mapping || {});
    // Days as categories: only days with sessions get a bar, each labelled with its date.
    const layout = { margin: { l: 60, r: 10, t: 10, b: 60 }, xaxis: { type: "category" } };
    return Plotly.newPlot(element, [{ type: "bar", x: keys, y: keys.map((k) => mapping[k]), marker: { color } }], layout, CONFIG);
  }

  function drawStatistics(stats) {
    return [
      bars("sessions-per-day", stats.sessions_per_day, COLORS.x),
      bars("records-per-day", stats.records_per_day, COLORS.y),
      bars("records-by-sensor", stats.records_by_sensor, COLORS.z),
      bars("sensor-usage", stats.sensor_usage, COLORS.magnitude),
    ];
  }

  function showFailure(element, error) {
    const note = document.createElement("p");
    note.className = "flash error";
    note.textContent = `Could not load: ${error.message}`;
    element.replaceChildren(note);
  }

  function pollAnalysis() {
    const running = document.getElementById("analysis-running");
    if (!running) return;
    const check = async () => {
      try {
        const state = await getJSON(running.dataset.pollUrl);
        if (!state.in_progress.length) { window.location.reload(); return; }
      } catch (_) { /* keep polling */ }
      setTimeout(check, 2000);
    };
    setTimeout(check, 2000);
  }

  // This script runs at the end of <body>, before the deferred plotly.js: the server starts
  // reducing the series while the browser is still compiling plotly.
  const domReady = new Promise((resolve) => document.addEventListener("DOMContentLoaded", resolve));

  async function main() {
    const anomalies = readJSON("anomalies") || {};
    const jobs = [];
    for (const element of document.querySelectorAll("[data-series-url]")) {
      const pending = getJSON(element.dataset.seriesUrl);
      jobs.push(drawSeries(element, anomalies, pending).catch((error) => showFailure(element, error)));
    }
    for (const element of document.querySelectorAll("[data-track-url]")) {
      const pending = getJSON(element.dataset.trackUrl);
      jobs.push(drawTrack(element, pending).catch((error) => showFailure(element, error)));
    }
    await domReady;
    followAudio();
    const stats = readJSON("stats-data");
    if (stats) jobs.push(...drawStatistics(stats));
    await Promise.all(jobs);
    document.body.dataset.chartsMs = String(Math.round(performance.now()));
    document.body.dataset.chartsReady = "true";
    // Below the charts, and as costly as a chart to compute: asked for once they are drawn.
    for (const element of document.querySelectorAll("[data-coverage-url]")) {
      await drawCoverage(element).catch((error) => showFailure(element, error));
    }
    document.body.dataset.coverageReady = "true";
    pollAnalysis();
  }

  main();
})();
