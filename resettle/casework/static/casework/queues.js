// "Select every household on this page" for the work queue's bulk actions (no inline script: CSP).
document.addEventListener("DOMContentLoaded", function () {
  var all = document.getElementById("select-all");
  if (!all) { return; }
  all.addEventListener("change", function () {
    document.querySelectorAll("input[name=selected]").forEach(function (box) { box.checked = all.checked; });
  });
});
