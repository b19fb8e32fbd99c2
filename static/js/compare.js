// Before and after on one picture, split by a divider that follows a pointer or the
// keyboard (arrows, Page Up/Down, Home, End): the original shows to its left.
// softfocusDivider sets one up (the job page calls it for each new result); the
// home and tool pages' examples ([data-compare]) get one at load. Without
// JavaScript the two pictures simply stand side by side.
(function () {
  "use strict";
  var STEPS = { ArrowLeft: -5, ArrowDown: -5, ArrowRight: 5, ArrowUp: 5, PageDown: -20, PageUp: 20 };

  // `ignore(event)` may say a press on the frame is not for the divider (an edit).
  window.softfocusDivider = function (frame, divider, ignore) {
    function split(value) {
      value = Math.max(0, Math.min(100, Math.round(value)));
      divider.setAttribute("aria-valuenow", value);
      divider.setAttribute("aria-valuetext", value + "% original");
      frame.style.setProperty("--split", value + "%");
    }

    function follow(event) {
      var bounds = frame.getBoundingClientRect();
      split(((event.clientX - bounds.left) / bounds.width) * 100);
    }

    divider.hidden = false;
    frame.classList.add("is-stacked");
    split(50);
    frame.addEventListener("pointerdown", function (event) {
      if (event.button !== 0 || (ignore && ignore(event))) return;
      frame.setPointerCapture(event.pointerId);
      follow(event);
      divider.focus({ preventScroll: true });
      event.preventDefault();
    });
    frame.addEventListener("pointermove", function (event) {
      if (frame.hasPointerCapture(event.pointerId)) follow(event);
    });
    divider.addEventListener("keydown", function (event) {
      var now = Number(divider.getAttribute("aria-valuenow"));
      if (event.key in STEPS) split(now + STEPS[event.key]);
      else if (event.key === "Home") split(0);
      else if (event.key === "End") split(100);
      else return;
      event.preventDefault();
    });
  };

  Array.prototype.forEach.call(document.querySelectorAll("[data-compare]"), function (figure) {
    var frame = figure.querySelector(".compare-frame");
    var divider = figure.querySelector("[data-role=compare-divider]");
    if (!frame || !divider) return;
    Array.prototype.forEach.call(figure.querySelectorAll("[data-role=compare-hint]"), function (hint) {
      hint.hidden = false; // "drag the line": there is a line to drag only now
    });
    window.softfocusDivider(frame, divider);
  });
})();
