// The look form, on the job page and on the batch page: a change of any control
// (a colour picked selects "Colour"; the slider shows its value as it moves)
// asks for one render once the changes pause, so a slider drag or a run of
// arrow keys makes one render, the last look. Each page says how to send it.
// Without JavaScript the form posts as is.
window.softfocusLook = function (box, handlers) {
  "use strict";
  var PAUSE = 350; // ms of calm after the last change before a render is asked for
  var timer = null;

  function changed(form) {
    if (handlers.pending) handlers.pending(form);
    window.clearTimeout(timer);
    timer = window.setTimeout(function () { handlers.send(form); }, PAUSE);
  }

  // As the page writes it (templates/editor/_result_words.html): two decimals, a
  // trailing zero dropped, so 1 reads "1.0", 1.5 "1.5" and 1.75 "1.75".
  function strength(value) {
    return Number(value).toFixed(2).replace(/0$/, "");
  }

  box.addEventListener("change", function (event) {
    var form = event.target.closest("form[data-role=look]");
    if (!form) return;
    if (event.target.name === "colour") {
      var colour = form.querySelector("input[name=background][value=colour]");
      if (colour) colour.checked = true;
    }
    changed(form);
  });
  box.addEventListener("input", function (event) {
    var shown = event.target.name === "strength" && box.querySelector("output[data-role=strength]");
    if (shown) shown.textContent = "× " + strength(event.target.value);
  });
  box.addEventListener("submit", function (event) {
    var form = event.target.closest("form[data-role=look]");
    if (!form) return;
    event.preventDefault();
    changed(form);
  });
};
