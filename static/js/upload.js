// Show the chosen file's name and stop double submissions.
(function () {
  "use strict";
  var form = document.querySelector("form.upload");
  if (!form) return;
  var input = form.querySelector("input[type=file]");
  var label = form.querySelector("[data-file-name]");
  var button = form.querySelector("button[type=submit]");
  input.addEventListener("change", function () {
    label.textContent = input.files.length ? input.files[0].name : "";
  });
  form.addEventListener("submit", function () {
    if (!input.files.length) return;
    button.disabled = true;
    button.textContent = "Uploading…";
  });
})();
// Coming back with the Back button restores the page as it was left: re-enable.
window.addEventListener("pageshow", function () {
  var button = document.querySelector("form.upload button[type=submit]");
  if (button && button.disabled) {
    button.disabled = false;
    button.textContent = button.getAttribute("data-label") || button.textContent;
  }
});
