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

  window.ZCT = { csrf: csrf, postJSON: postJSON, copyText: copyText, flash: flash };
})();
