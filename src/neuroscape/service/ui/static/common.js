// The dashboard's shared helpers: API calls with the session cookie and the CSRF header, DOM building
// (text nodes and attributes only: API data is never parsed as HTML), the signed-in user, and job progress.
"use strict";

const ns = (() => {
  const page = () => document.getElementById("main").dataset;

  function csrfToken() {
    const m = document.cookie.match(/(?:^|;\s*)ns_csrf=([^;]*)/);
    return m ? decodeURIComponent(m[1]) : "";
  }

  class ApiError extends Error {
    constructor(status, data) {
      super(describe(status, data));
      this.status = status;
      this.data = data;
    }
  }

  // FastAPI answers {"detail": "..."} or {"detail": [{loc, msg}, ...]}; imports answer {"problems": [...]}
  function describe(status, data) {
    if (data && typeof data === "object") {
      if (typeof data.detail === "string") return data.detail;
      if (Array.isArray(data.detail)) {
        return data.detail.map((d) => (d.loc ? d.loc.join(".") + ": " : "") + (d.msg || JSON.stringify(d))).join("; ");
      }
      if (data.detail && typeof data.detail === "object") return describe(status, data.detail);
      if (Array.isArray(data.problems)) return data.problems.map(text).join("; ");
      if (data.message) return data.message;
    }
    if (typeof data === "string" && data) return data;
    return "the service answered " + status;
  }

  async function api(path, { method = "GET", json, form } = {}) {
    const headers = { Accept: "application/json" };
    let body;
    if (json !== undefined) {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(json);
    } else if (form !== undefined) {
      body = form;
    }
    if (method !== "GET") headers["X-CSRF-Token"] = csrfToken();
    const response = await fetch(path, { method, headers, body, credentials: "same-origin" });
    if (response.status === 401 && page().page !== "login") {
      location.assign("/ui/login?next=" + encodeURIComponent(location.pathname));
    }
    const type = response.headers.get("content-type") || "";
    const data = type.includes("json") ? await response.json() : await response.text();
    if (!response.ok) throw new ApiError(response.status, data);
    return data;
  }

  // el("a", {href: "/x"}, "text", child): attributes set as attributes, children as text or nodes
  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined || v === null || v === false) continue;
      if (k === "className") node.className = v;
      else node.setAttribute(k, v === true ? "" : String(v));
    }
    for (const child of children.flat()) {
      if (child === undefined || child === null) continue;
      node.append(child instanceof Node ? child : String(child));
    }
    return node;
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
    return node;
  }

  function text(value) {
    if (value === null || value === undefined) return "";
    if (typeof value === "string") return value;
    if (typeof value === "number") return fmt(value);
    if (Array.isArray(value)) return value.map(text).join(", ");
    if (typeof value === "object") {
      const msg = value.message || value.problem || value.reason;
      const where = value.field || value.where || value.resource || value.source;
      if (msg) return where ? where + ": " + msg : msg;
      return Object.entries(value).map(([k, v]) => k + ": " + text(v)).join("; ");
    }
    return String(value);
  }

  function fmt(x, digits = 3) {
    if (typeof x !== "number" || !isFinite(x)) return x === null || x === undefined ? "" : String(x);
    if (Number.isInteger(x)) return String(x);
    return Number(x.toPrecision(digits)).toString();
  }

  function pct(p) {
    return typeof p === "number" ? Math.round(p * 100) + "%" : "";
  }

  // a definition list from [[term, value], ...]; empty values are left out
  function fillDl(dl, pairs) {
    clear(dl);
    for (const [term, value] of pairs) {
      if (value === undefined || value === null || value === "") continue;
      dl.append(el("dt", {}, term), el("dd", {}, text(value)));
    }
  }

  function showError(error) {
    const box = document.getElementById("error");
    if (!error) {
      box.hidden = true;
      return;
    }
    box.textContent = error instanceof ApiError || error instanceof Error ? error.message : String(error);
    box.hidden = false;
  }

  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  // poll GET /api/v1/jobs/{id} until it is done or failed, showing its progress; resolves with the job
  async function followJob(jobId, progress, status) {
    progress.closest(".job").hidden = false;
    for (;;) {
      const job = await api("/api/v1/jobs/" + encodeURIComponent(jobId));
      progress.value = typeof job.progress === "number" ? job.progress : 0;
      status.textContent = job.status + (job.message && job.message !== job.status ? ": " + job.message : "");
      if (job.status === "done") {
        progress.value = 1;
        return job;
      }
      if (job.status === "failed") throw new Error("the job failed: " + (job.message || "no message"));
      await sleep(500);
    }
  }

  let me = Promise.resolve(null);
  document.addEventListener("DOMContentLoaded", () => {
    if (page().page === "login") return;
    me = api("/api/v1/me");
    me.then((user) => {
      document.getElementById("whoami").textContent = user.username + " (" + user.role + ")";
      for (const item of document.querySelectorAll(".admin-only")) item.hidden = user.role !== "admin";
    }).catch(showError);
    const logout = document.getElementById("logout");
    if (logout) {
      logout.addEventListener("click", async () => {
        try {
          await api("/ui/logout", { method: "POST" });
        } finally {
          location.assign("/ui/login");
        }
      });
    }
  });

  return { api, ApiError, el, clear, text, fmt, pct, fillDl, showError, followJob, page, me: () => me };
})();
