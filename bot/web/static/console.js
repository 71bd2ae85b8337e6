/* Shared console helpers: CSRF-aware fetch and copy-to-clipboard (works on plain http too). */
(function () {
  "use strict";
  var meta = document.querySelector('meta[name="csrf-token"]');
  var csrf = meta ? meta.getAttribute("content") : "";

  function postJSON(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify(body)
    }).then(function (resp) {
      if (resp.status === 401) { window.location.href = "/console/login?next=" + encodeURIComponent(location.pathname + location.search); }
      return resp.json().then(function (data) { data._status = resp.status; return data; });
    });
  }

  // A session about to end says so: what is typed on the call page is saved on the server with
  // every update, so logging in again (another tab is fine) picks the call up where it was.
  var WARN_BEFORE_MS = 5 * 60 * 1000;
  function sessionWarning(nowMs) {
    var until = parseInt(document.body.getAttribute("data-session-expires") || "0", 10) * 1000;
    var box = document.getElementById("session-warning");
    if (!until || !box) { return; }
    var left = until - (nowMs || Date.now());
    if (left > WARN_BEFORE_MS) { box.hidden = true; return; }
    box.hidden = false;
    box.textContent = left > 0
      ? "登录还有 " + Math.max(1, Math.ceil(left / 60000)) + " 分钟过期。正在处理的通话已自动保存，过期后重新登录即可接着处理。"
      : "登录已过期。正在处理的通话已保存，请重新登录后继续（可在新标签页登录）。";
  }
  sessionWarning();
  setInterval(sessionWarning, 30 * 1000);

  function copyText(text) {
    // navigator.clipboard needs a secure context (https or localhost); fall back to execCommand.
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text);
    }
    return new Promise(function (resolve, reject) {
      var area = document.createElement("textarea");
      area.value = text;
      area.setAttribute("readonly", "");
      area.style.position = "fixed";
      area.style.top = "-1000px";
      document.body.appendChild(area);
      area.select();
      var ok = false;
      try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
      document.body.removeChild(area);
      ok ? resolve() : reject(new Error("copy failed"));
    });
  }

  function flash(el, text) {
    if (!el) { return; }
    el.textContent = text;
    clearTimeout(el._t);
    el._t = setTimeout(function () { el.textContent = ""; }, 2500);
  }

  window.ZCT = { csrf: csrf, postJSON: postJSON, copyText: copyText, flash: flash, sessionWarning: sessionWarning };
})();
