// The job page. While the photo is analysed, poll the status view and swap in
// the fragment the server renders, so the page and the poller never disagree
// (without JavaScript a <noscript> meta refresh does the same job). Once there
// is a result, a change of look is posted in the background (look.js makes one
// post of a burst of changes) and followed until it is on screen (follow.js,
// which mask edits share), and only the parts of the page that describe the
// result are replaced: the controls, the comparison and the mask tools stay as
// they are, and so does the keyboard focus.
(function () {
  "use strict";
  var box = document.getElementById("job-status");
  if (!box) return;
  document.documentElement.classList.add("js");
  var follower = window.softfocusFollow(box.getAttribute("data-status-url"), show);
  var ticker = null;
  var lastHtml = null;

  // Replace the parts that changed; keep the look form, the comparison and the mask tools as they are.
  function patch(html) {
    var next = document.createElement("div");
    next.innerHTML = html;
    if (!box.querySelector(".result") || !next.querySelector(".result")) {
      box.innerHTML = html;
      setUp();
      return;
    }
    var refusal = box.querySelector("[data-role=look-refused]"); // stays until a change is taken
    next.querySelectorAll("[data-part]").forEach(function (part) {
      var old = box.querySelector("[data-part=" + part.getAttribute("data-part") + "]");
      if (old && old.innerHTML !== part.innerHTML) replaceKeepingFocus(old, part.innerHTML);
    });
    var notes = box.querySelector("[data-part=notes]");
    if (refusal && !refusal.isConnected && notes) notes.prepend(refusal);
    var image = box.querySelector("img[data-role=result]");
    var fresh = next.querySelector("img[data-role=result]");
    if (image && fresh) {
      if (image.getAttribute("src") !== fresh.getAttribute("src")) image.setAttribute("src", fresh.getAttribute("src"));
      image.setAttribute("alt", fresh.getAttribute("alt"));
    }
    box.querySelector(".result").setAttribute("data-state", next.querySelector(".result").getAttribute("data-state"));
  }

  // A part that holds the focus (say, the download link) gets it back on the same place.
  function replaceKeepingFocus(part, html) {
    var focusable = "a, button, input, select, textarea, [tabindex]";
    var had = Array.prototype.indexOf.call(part.querySelectorAll(focusable), document.activeElement);
    part.innerHTML = html;
    var again = had >= 0 && part.querySelectorAll(focusable)[had];
    if (again) again.focus({ preventScroll: true });
  }

  function show(data) {
    box.setAttribute("data-state", data.status);
    box.setAttribute("data-stage", data.stage);
    if (data.html !== lastHtml) {
      lastHtml = data.html;
      patch(data.html);
    }
  }

  function updating(on) {
    var mark = box.querySelector("[data-role=updating]");
    if (mark) mark.hidden = !on;
  }

  // A refused change (too many, bad value) says why above the controls.
  function refused(message) {
    updating(false);
    var notes = box.querySelector("[data-part=notes]");
    if (!notes) return;
    var alert = notes.querySelector("[data-role=look-refused]") || document.createElement("div");
    alert.className = "alert alert-error";
    alert.setAttribute("role", "alert");
    alert.setAttribute("data-role", "look-refused");
    alert.textContent = message;
    notes.prepend(alert);
  }

  // Once the request is ready the page shows its answer, even one that reads as before
  // (the same look chosen twice), so "updating" never stays on.
  function landed(data) {
    lastHtml = null;
    show(data);
  }

  function changeLook(form) {
    fetch(form.action, { method: "POST", body: new FormData(form), headers: { Accept: "application/json" } })
      .then(function (response) {
        return response.json().then(function (data) {
          if (typeof data.request !== "number") {
            refused(data.error || "This change could not be made. Please try again.");
            return;
          }
          var refusal = box.querySelector("[data-role=look-refused]");
          if (refusal) refusal.remove();
          follower.request(data.request).then(landed, landed);
        });
      })
      .catch(function () { form.submit(); }); // no answer we can read: the plain form post
  }

  window.softfocusLook(box, { send: changeLook, pending: function () { updating(true); } });

  // Before and after on one picture (compare.js): while the mask is being fixed a
  // press on the picture is an edit, and only the divider itself moves it.
  function setUpCompare() {
    var divider = box.querySelector("[data-role=divider]");
    if (!divider || divider.getAttribute("data-ready")) return;
    divider.setAttribute("data-ready", "1");
    var frame = divider.closest(".compare-frame");
    window.softfocusDivider(frame, divider, function (event) {
      return frame.classList.contains("is-fixing") && !event.target.closest("[data-role=divider]");
    });
  }

  // For a long job: how long it has taken so far.
  function setUpElapsed() {
    window.clearInterval(ticker);
    var shown = box.querySelector("[data-role=elapsed]");
    if (!shown) return;
    var since = Date.parse(shown.getAttribute("data-since"));
    if (isNaN(since)) return;
    function tick() {
      var seconds = Math.round((Date.now() - since) / 1000);
      shown.hidden = seconds < 5 || seconds > 86400; // short jobs need no clock; nor does a wrong one
      shown.textContent = seconds < 90 ? seconds + " s so far" : Math.round(seconds / 60) + " min so far";
    }
    tick();
    ticker = window.setInterval(tick, 1000);
  }

  function setUp() {
    setUpCompare();
    setUpElapsed();
    if (window.softfocusFix) window.softfocusFix(box, follower);
  }

  setUp();
  var state = box.getAttribute("data-state");
  if (state !== "done" && state !== "failed") follower.watch(700);
})();
