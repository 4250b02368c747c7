// Progressive enhancement only: every page works without this file.
// A form is sent once: its buttons are disabled while the next page loads.
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (!(form instanceof HTMLFormElement) || form.method.toLowerCase() !== "post") return;
  window.setTimeout(function () {
    form.querySelectorAll("button[type=submit]").forEach(function (button) {
      button.disabled = true;
    });
  }, 0);
});

// On the validation page, scroll the YAML box to the first problem's line.
document.addEventListener("DOMContentLoaded", function () {
  var row = document.querySelector("#yaml-lines tr.has-problem");
  if (!row) return;
  var box = row.closest(".scroll");
  if (box) box.scrollTop = Math.max(0, row.offsetTop - box.clientHeight / 3);
});
