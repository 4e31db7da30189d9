// KIM Admin: behaviour that Flask-Admin's templates attach with inline handlers, which the
// Content-Security-Policy blocks. Loaded from our own origin only.
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var action = form.getAttribute("action") || "";
    if (/\/delete\/?(\?|$)/.test(action) && !window.confirm("Diesen Datensatz wirklich löschen?")) {
      event.preventDefault();
    }
  }, true);
})();
