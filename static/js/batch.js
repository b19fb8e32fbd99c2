// The batch page. Poll until every photo has finished, replacing only the cards
// that changed (the server renders them: the same fragment as the page). One
// look for all is posted in the background, once per burst of changes, and the
// cards follow it (look.js wires the form; follow.js polls). Without JavaScript a <noscript>
// refresh and plain forms do it.
(function () {
  "use strict";
  var box = document.getElementById("batch");
  if (!box) return;
  document.documentElement.classList.add("js");
  var cards = box.querySelector("[data-role=cards]");
  var lastHtml = null;
  var poll = window.softfocusPoll(box.getAttribute("data-status-url"), function (data) {
    if (data.html !== lastHtml) {
      lastHtml = data.html;
      patch(data.html);
    }
    box.setAttribute("data-finished", data.finished ? "1" : "0");
    return data.finished ? null : 1000;
  });

  function patch(html) {
    var next = document.createElement("div");
    next.innerHTML = html;
    var summary = next.querySelector("[data-role=summary]");
    cards.querySelector("[data-role=summary]").innerHTML = summary.innerHTML;
    next.querySelectorAll("[data-job]").forEach(function (card) {
      var old = cards.querySelector('[data-job="' + card.getAttribute("data-job") + '"]');
      if (old && old.outerHTML !== card.outerHTML) old.replaceWith(card);
    });
  }

  function changeLook(form) {
    fetch(form.action, { method: "POST", body: new FormData(form), headers: { Accept: "application/json" } })
      .then(function (response) {
        return response.json().then(function (data) {
          var alert = form.querySelector("[data-role=look-refused]");
          if (alert) alert.remove();
          if (response.ok) {
            box.setAttribute("data-finished", "0");
            poll.soon(300);
            return;
          }
          alert = document.createElement("div"); // too many changes, or a bad value: say why
          alert.className = "alert alert-error";
          alert.setAttribute("role", "alert");
          alert.setAttribute("data-role", "look-refused");
          alert.textContent = data.error || "This change could not be made. Please try again.";
          form.prepend(alert);
        });
      })
      .catch(function () { form.submit(); }); // no answer we can read: the plain form post
  }

  window.softfocusLook(box, { send: changeLook });

  if (box.getAttribute("data-finished") !== "1") poll.soon(1000);
})();
