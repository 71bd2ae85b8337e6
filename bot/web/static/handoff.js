/* 转人工: refresh the queue and the open transcript every few seconds (no page reload). */
(function () {
  "use strict";
  function get(url) {
    return fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; });
  }
  var rows = document.getElementById("queue-rows");
  if (rows) {
    setInterval(function () {
      get("/console/api/handoff/rows").then(function (data) {
        if (!data) { return; }
        rows.innerHTML = data.html;
        document.getElementById("queue-count").textContent = "（" + data.count + " 个会话等待人工）";
      });
    }, 10000);
  }
  var transcript = document.getElementById("transcript");
  if (transcript) {
    var sender = transcript.getAttribute("data-sender");
    transcript.scrollTop = transcript.scrollHeight;
    setInterval(function () {
      get("/console/api/handoff/transcript?sender=" + encodeURIComponent(sender)).then(function (data) {
        if (!data || transcript.children.length === data.count) { return; }
        transcript.innerHTML = data.html;
        transcript.scrollTop = transcript.scrollHeight;
      });
    }, 5000);
  }
})();
