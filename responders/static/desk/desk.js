// Desk helpers (served from 'self' under the CSP): presence heartbeat and template switching.
(function () {
  "use strict";
  var page = document.getElementById("ticket-page");
  if (page) {
    var url = page.getAttribute("data-heartbeat");
    var csrf = page.getAttribute("data-csrf");
    var list = document.getElementById("viewers");
    var beat = function () {
      var body = new URLSearchParams();
      body.set("visible", document.visibilityState === "visible" ? "1" : "0");
      fetch(url, {method: "POST", body: body, credentials: "same-origin", headers: {"X-CSRFToken": csrf}})
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) {
          if (data && list) {  // textContent only: usernames are never parsed as HTML
            list.textContent = data.viewers.length ? "Сейчас смотрят: " + data.viewers.join(", ") : "";
          }
        })
        .catch(function () {});
    };
    setInterval(beat, 20000);
  }
  var picker = document.getElementById("template-picker");
  if (picker) {
    picker.addEventListener("change", function () { picker.form.submit(); });
  }
})();
